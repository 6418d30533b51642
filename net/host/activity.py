"""What a host has done since it started, counted as it happens: the numbers behind its metrics.

Plain integers on plain attributes, bumped on the event loop where things happen (a
frame in, a frame out, an HTTP answer, a finished game, a refused move), and read only
when someone asks: the admin listener's ``/metrics`` (``net.host.metrics``) turns them
into Prometheus families at scrape time. So the per-message cost is one method call, a
type comparison or a ``startswith`` and an integer increment: no label lookup, no lock,
no string built (the host's hottest path is a move in and two states out). Nothing here
imports ``prometheus_client``: a host without an admin listener still counts, cheaply.

It also keeps the last finished games (``recent``), for the console's replays.
"""

from __future__ import annotations

from collections import deque

from game.match import GameRecord
from game.xoxo import decode_rejected
from net.codec import ErrorCode, MatchDataSend, MatchJoin, MatchLeave, MatchmakerAdd, MatchmakerRemove, Ping, Pong

RECENT_GAMES = 200  # finished games kept in memory for the console

# Message types by the key that names them on the wire, in the order the metrics list them.
RECEIVED = ("match_data_send", "matchmaker_add", "matchmaker_remove", "match_join", "match_leave", "ping", "pong",
            "malformed")
SENT = ("match_data", "match_presence_event", "matchmaker_matched", "matchmaker_ticket", "match", "pong", "error", "ack",
        "other")
SIGN_IN_PATH = "/v2/account/authenticate/device"  # net.host.api's, repeated so this module needs nothing of the API
REFRESH_PATH = "/v2/account/session/refresh"
_ERROR_NAMES = {
    ErrorCode.RUNTIME_EXCEPTION: "runtime_exception",
    ErrorCode.UNRECOGNIZED_PAYLOAD: "unrecognized_payload",
    ErrorCode.MISSING_PAYLOAD: "missing_payload",
    ErrorCode.BAD_INPUT: "bad_input",
    ErrorCode.MATCH_NOT_FOUND: "match_not_found",
    ErrorCode.MATCH_JOIN_REJECTED: "match_join_rejected",
}


class Activity:
    """One host's counts (see the module's docstring); loop thread only."""

    def __init__(self) -> None:
        self.in_data = self.in_mm_add = self.in_mm_remove = self.in_join = self.in_leave = 0
        self.in_ping = self.in_pong = self.in_malformed = 0
        self.out_data = self.out_presence = self.out_matched = self.out_ticket = self.out_match = 0
        self.out_pong = self.out_error = self.out_ack = self.out_other = 0
        self.sign_ins_new = self.sign_ins_returning = self.refreshes = 0
        self.sign_in_failures: dict[int, int] = {}  # HTTP status -> count (sign-ins and refreshes)
        self.refusals: dict[tuple[str, str], int] = {}  # (where, reason) -> count
        self.games: dict[str, int] = {}  # termination ("line", "draw", ...) -> games finished
        self.recent: deque[GameRecord] = deque(maxlen=RECENT_GAMES)

    # Frames (the hot path) ----------------------------------------------------------------

    def got(self, message: object) -> None:
        """One decoded request from a socket."""
        kind = type(message)
        if kind is MatchDataSend:
            self.in_data += 1
        elif kind is Ping:
            self.in_ping += 1
        elif kind is MatchmakerAdd:
            self.in_mm_add += 1
        elif kind is MatchJoin:
            self.in_join += 1
        elif kind is MatchLeave:
            self.in_leave += 1
        elif kind is MatchmakerRemove:
            self.in_mm_remove += 1
        elif kind is Pong:
            self.in_pong += 1

    def malformed(self) -> None:
        """A frame that closed its socket as a malformed payload."""
        self.in_malformed += 1
        self.refuse("socket", "malformed_payload")

    def sent(self, frame: str) -> None:
        """One text frame to a player, typed by its first bytes (the codec writes the message's key first)."""
        if frame.startswith('{"match_data"'):
            self.out_data += 1
        else:
            self._sent_other(frame)

    def _sent_other(self, frame: str) -> None:
        start = 2
        if frame.startswith('{"cid":'):
            # The codec escapes every quote inside the cid, so the first '","' ends it.
            end = frame.find('","', 7)
            if end < 0:
                self.out_ack += 1
                return
            start = end + 3
        if frame.startswith("match_presence_event", start):
            self.out_presence += 1
        elif frame.startswith("pong", start):
            self.out_pong += 1
        elif frame.startswith("matchmaker_matched", start):
            self.out_matched += 1
        elif frame.startswith("matchmaker_ticket", start):
            self.out_ticket += 1
        elif frame.startswith('match"', start):
            self.out_match += 1
        elif frame.startswith("error", start):
            self.out_error += 1
        elif frame == "{}":
            self.out_ack += 1
        else:
            self.out_other += 1

    def counts_received(self) -> dict[str, int]:
        return dict(zip(RECEIVED, (self.in_data, self.in_mm_add, self.in_mm_remove, self.in_join, self.in_leave,
                                   self.in_ping, self.in_pong, self.in_malformed), strict=True))

    def counts_sent(self) -> dict[str, int]:
        return dict(zip(SENT, (self.out_data, self.out_presence, self.out_matched, self.out_ticket, self.out_match,
                               self.out_pong, self.out_error, self.out_ack, self.out_other), strict=True))

    # Refusals, sign-ins, games ------------------------------------------------------------------

    def refuse(self, where: str, reason: str) -> None:
        """Something a player sent or asked for was refused: ``where`` (http, upgrade, socket, match) and why."""
        key = (where, reason)
        self.refusals[key] = self.refusals.get(key, 0) + 1

    def request_error(self, code: int) -> None:
        """A socket request answered with an ``error`` envelope (Nakama's code)."""
        self.refuse("socket", _ERROR_NAMES.get(code, "other"))

    def move_refused(self, payload: bytes) -> None:
        """An op 3 sent to a player (a move or request of theirs refused by the match)."""
        reason, _ = decode_rejected(payload)
        self.refuse("match", reason.value)

    def http(self, path: str, status: int, body: bytes) -> None:
        """An answer of the HTTP API (sign-in, refresh, the account, the health check)."""
        if path in (SIGN_IN_PATH, REFRESH_PATH):
            if status == 200:
                if path == REFRESH_PATH:
                    self.refreshes += 1
                elif b'"created":true' in body:
                    self.sign_ins_new += 1
                else:
                    self.sign_ins_returning += 1
            else:
                self.sign_in_failures[status] = self.sign_in_failures.get(status, 0) + 1
        if status >= 400:
            self.refuse("http", str(status))

    def upgrade_refused(self, status: int) -> None:
        """A ``/ws`` upgrade refused (bad token, banned, shutting down, ...)."""
        self.refuse("upgrade", str(status))

    def game_finished(self, rec: GameRecord) -> None:
        result = rec.termination.value
        self.games[result] = self.games.get(result, 0) + 1
        self.recent.append(rec)

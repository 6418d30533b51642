"""The match runtime: live matches, who is in them, the matchmaker, and each match's own clock.

It plays the part of Nakama's match registry for ``XoxoMatch`` handlers: each live
match gets a dispatcher (``LiveMatch``) that routes the handler's messages to the
players' sockets and its finished games to the database. Requests are handled the
moment they arrive. Deadlines (turn timers, grace periods, the rematch countdown) are
each match's own: after every call into a handler the runtime asks it for its
``next_deadline`` and schedules one timer for that moment, so no callback ever works
through every match, and matches started at different times tick at different times.

No sockets here: a connected session is a ``Peer`` that can queue a text frame or be
closed, and time comes from a ``Scheduler`` (the event loop, or a test's fake), so the
server owns all I/O and this module stays synchronous and ordered.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from game.match import GameRecord, LeaveReason, Ledger, MatchMessage, MatchSettings, XoxoMatch
from game.rules import Termination
from game.xoxo import OP_REJECTED, OP_STATE, Presence
from net.codec import (
    Ack,
    Envelope,
    ErrorCode,
    Match,
    MatchData,
    MatchDataSend,
    MatchJoin,
    MatchLeave,
    MatchmakerAdd,
    MatchmakerMatched,
    MatchmakerRemove,
    MatchmakerTicket,
    MatchmakerUser,
    MatchPresenceEvent,
    encode,
    match_data_writer,
)
from net.host.activity import Activity
from net.host.matchmaker import Matchmaker, MatchmakerError
from net.host.recent import RecentGames

log = logging.getLogger("net.host")

CLOSE_REPLACED = (1000, "you joined this match from another session")
HOLD_SECONDS = 1.0  # how long a match's frames after a finished game wait for the game's row to be written
FAILED_NOTICE = "This match stopped because of a server error."


class RequestError(Exception):
    """A request refused with a Nakama error ``code``; answered with an ``error`` envelope."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class Peer(Protocol):
    """A connected session as the runtime sees it: a presence, a send queue, a way out."""

    presence: Presence

    def send_text(self, frame: str) -> None:
        """Queue one text frame; never blocks (a peer that cannot keep up is dropped)."""

    def close(self, code: int, reason: str) -> None:
        """Close the socket after the frames already queued."""


class Timer(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """Where time comes from: ``asyncio``'s event loop fits, and so does a test's fake."""

    def time(self) -> float:
        """Now, on the clock ``call_at`` uses."""

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        """Call ``callback`` at ``when`` (or as soon after as the loop can)."""


@dataclass(frozen=True)
class Occupancy:
    """What the host's matches are doing: tickets waiting for a second player, matches playing or between games."""

    waiting: int = 0  # matchmaker tickets with no opponent yet
    playing: int = 0  # live matches with a game under way
    between: int = 0  # live matches whose seats are taken but no game runs (before the first, or over)


class GameRecorder(Protocol):
    """Where finished games go (``net.host.database.Database``): queued, written off the loop."""

    def record(self, rec: GameRecord, done: Callable[[], None] | None = None) -> None:
        """Queue ``rec``; ``done`` runs on the loop once its row is safe (or its loss is logged)."""


class RuntimeObserver(Protocol):
    """Told what the runtime's matches are doing (the LAN announcement follows it); optional."""

    def admit_ticket(self, presence: Presence) -> str | None:
        """Before a ticket is queued: None lets it in, a sentence refuses it (the request's error, at once)."""

    def occupancy_changed(self, occupancy: Occupancy) -> None:
        """A ticket came or went, a match began, a game started or ended, or a match ended."""


def _describe(rec: GameRecord) -> str:
    p1, p2 = rec.players
    names = {1: p1.username, 2: p2.username}
    if rec.termination is Termination.ABORTED:
        return f"aborted ({p1.username} vs {p2.username}: a first move never came)"
    if rec.winner is None:
        called = " (a draw was called)" if rec.termination is Termination.DRAW_CALLED else ""
        return f"{p1.username} and {p2.username} drew{called}"
    winner, loser = names[rec.winner], names[3 - rec.winner]
    how = {
        Termination.LINE: "with a line",
        Termination.TIMEOUT: f"({loser} ran out of time)",
        Termination.OPPONENT_LEFT: f"({loser} left)",
        Termination.CLAIMED: f"({loser} was away; the win was claimed)",
    }.get(rec.termination, rec.termination.value)
    return f"{winner} beat {loser} {how}"


class LiveMatch:
    """One running ``XoxoMatch`` and its ``Dispatcher``: members, join token, routing, its timer."""

    def __init__(self, runtime: MatchRuntime, users: tuple[Presence, ...], settings: MatchSettings):
        self.runtime = runtime
        self.match_id = f"{uuid.uuid4()}.{runtime.node}"
        self._frame = match_data_writer(self.match_id)  # encode(MatchData(match_id, ...)), the id written once
        self.token = secrets.token_urlsafe(24)
        self.users = users
        self.members: dict[str, Presence] = {}  # session id -> presence, sessions that joined and are still here
        self.timer: Timer | None = None
        self.due: float | None = None  # when the handler next needs a tick
        self.armed = 0.0  # when ``timer`` fires: ``due`` or earlier (then it only sets itself again, for ``due``)
        self.match = XoxoMatch(
            self.match_id, self, settings, clock=runtime.scheduler.time, wall_clock=runtime.wall_clock, ledger=runtime.ledger
        )
        self._held: list[tuple[str, tuple[str, ...]]] | None = None  # frames waiting for a finished game's row
        self._holds = 0

    # Dispatcher ----------------------------------------------------------------

    def send(self, op_code: int, data: bytes, to: Sequence[Presence] | None = None) -> None:
        if op_code == OP_REJECTED:
            self.runtime.activity.move_refused(data)
        targets = to if to is not None else self.match.connected_presences()
        frame = self._frame(op_code, data)
        if self._held is not None:
            self._held.append((frame, tuple(p.session_id for p in targets)))
            return
        peers = self.runtime.peers
        for p in targets:  # what _deliver does, without the tuple of session ids (every state to every player)
            peer = peers.get(p.session_id)
            if peer is not None:
                peer.send_text(frame)

    def record(self, record: GameRecord) -> None:
        """A game is over: what the match sends next (its result first) waits until the row is written.

        So a player never hears of a result the database could lose; a database that is
        slow or refuses holds the frames ``HOLD_SECONDS`` at most (the row stays queued).
        """
        self._holds += 1
        hold = self._holds
        if self._held is None:
            self._held = []
        self.runtime.hold(self, hold)
        self.runtime.record(record, lambda: self.release(hold))

    def release(self, hold: int | None = None) -> None:
        """Send the frames held for the row of game ``hold`` (None: whatever is held); an older game's row changes nothing."""
        if hold is not None and hold != self._holds:
            return
        held, self._held = self._held, None
        for frame, session_ids in held or ():
            self._deliver(frame, session_ids)

    def _deliver(self, frame: str, session_ids: tuple[str, ...]) -> None:
        if self._held is not None:
            self._held.append((frame, session_ids))
            return
        peers = self.runtime.peers
        for sid in session_ids:
            peer = peers.get(sid)
            if peer is not None:
                peer.send_text(frame)

    def end(self) -> None:
        self.runtime.forget(self)

    # Helpers ---------------------------------------------------------------------

    def push_presences(self, joins: Iterable[Presence] = (), leaves: Iterable[Presence] = (), *, skip: str = "") -> None:
        """Tell every member but ``skip`` (a session id) who came and who went."""
        frame = encode(MatchPresenceEvent(self.match_id, tuple(joins), tuple(leaves)))
        self._deliver(frame, tuple(sid for sid in self.members if sid != skip))


class MatchRuntime:
    """Sessions, the matchmaker and the live matches of one host."""

    def __init__(
        self,
        settings: MatchSettings,
        store: GameRecorder,
        scheduler: Scheduler,
        *,
        node: str = "host",
        wall_clock: Callable[[], float] = time.time,
        ledger: Ledger | None = None,
    ):
        self.settings = settings  # every match's; ``expected`` and ``rated`` are filled in per match
        self.ledger = ledger  # the players' ratings: with one, matches the matchmaker makes without a friend code are rated
        self.recent = RecentGames()  # the games finished lately, for the RPC xoxo_seat
        self.store = store
        self.scheduler = scheduler
        self.node = node
        self.wall_clock = wall_clock
        self.matchmaker = Matchmaker()
        self.peers: dict[str, Peer] = {}  # session id -> peer
        self.matches: dict[str, LiveMatch] = {}
        self._tokens: dict[str, LiveMatch] = {}
        self._memberships: dict[str, set[str]] = {}  # session id -> match ids
        self.observer: RuntimeObserver | None = None  # the embedded LAN host's: what to announce
        self._occupancy = Occupancy()
        self.activity = Activity()  # counts for the metrics (the host hands in its own)
        # Finished games' holds (see LiveMatch.record) by when they run out: all last HOLD_SECONDS, so in order, and
        # one timer serves them all (set for the first) instead of a timer made and cancelled per game.
        self._holds: deque[tuple[float, LiveMatch, int]] = deque()
        self._hold_timer: Timer | None = None
        self._hold_armed = 0.0

    # Sessions ----------------------------------------------------------------------

    def connect(self, peer: Peer) -> None:
        me = peer.presence
        self.peers[me.session_id] = peer
        self._memberships[me.session_id] = set()

    def disconnect(self, peer: Peer) -> None:
        """A socket closed: its tickets go, and it drops out of its matches (seats are held)."""
        sid = peer.presence.session_id
        if self.peers.get(sid) is not peer:
            return
        self.matchmaker.remove_session(sid)
        for mid in sorted(self._memberships.get(sid, ())):
            live = self.matches.get(mid)
            if live is not None:
                self._drop_member(live, peer.presence, LeaveReason.DISCONNECTED)
        self._memberships.pop(sid, None)
        del self.peers[sid]
        self._observe()

    def connected_users(self) -> dict[str, str]:
        """User id -> username of everyone with an open socket."""
        return {p.presence.user_id: p.presence.username for p in self.peers.values()}

    def seated_users(self) -> set[str]:
        """User ids holding a seat in a live match (connected or within their grace period)."""
        return {p.user_id for live in self.matches.values() for p in live.match.players if p is not None}

    # Matchmaker ----------------------------------------------------------------------

    def matchmaker_add(self, peer: Peer, msg: MatchmakerAdd, cid: str | None) -> None:
        """Queue a ticket (answered at once); a completed pair gets its match and is told."""
        refusal = self.observer.admit_ticket(peer.presence) if self.observer is not None else None
        if refusal:
            raise RequestError(ErrorCode.RUNTIME_EXCEPTION, refusal)
        try:
            ticket, pair = self.matchmaker.add(
                peer.presence, msg.min_count, msg.max_count, msg.query, msg.string_properties, msg.numeric_properties
            )
        except MatchmakerError as exc:
            raise RequestError(ErrorCode.BAD_INPUT, str(exc)) from None
        peer.send_text(encode(Envelope(MatchmakerTicket(ticket.ticket), cid)))
        if pair is None:
            self._observe()
            return
        users = tuple(t.presence for t in pair)
        live = self._create(users, rated=self.ledger is not None and not any(t.string_properties.get("code") for t in pair))
        everyone = tuple(MatchmakerUser(t.presence, t.string_properties, t.numeric_properties) for t in pair)
        for t, user in zip(pair, everyone, strict=True):
            target = self.peers.get(t.presence.session_id)
            if target is not None:
                target.send_text(encode(MatchmakerMatched(t.ticket, live.match_id, live.token, everyone, user)))
        self._observe()

    def matchmaker_remove(self, peer: Peer, msg: MatchmakerRemove, cid: str | None) -> None:
        try:
            self.matchmaker.remove(peer.presence.session_id, msg.ticket)
        except MatchmakerError as exc:
            raise RequestError(ErrorCode.BAD_INPUT, str(exc)) from None
        peer.send_text(encode(Envelope(Ack(), cid)))
        self._observe()

    def _create(self, users: tuple[Presence, ...], rated: bool = False) -> LiveMatch:
        live = LiveMatch(self, users, replace(self.settings, expected=users, rated=rated))
        self.matches[live.match_id] = live
        self._tokens[live.token] = live
        self._schedule(live)
        log.info("match %s created: %s", live.match_id, " vs ".join(u.username for u in users))
        return live

    # Matches ---------------------------------------------------------------------------

    def join(self, peer: Peer, msg: MatchJoin, cid: str | None) -> None:
        """Seat ``peer`` (new, returning, or replacing its user's older session) and answer ``match``."""
        live = self._find(msg)
        me = peer.presence
        reason = live.match.join_attempt(me, msg.metadata)
        if reason is not None:
            log.info("%s refused from match %s: %s", me.username, live.match_id, reason)
            raise RequestError(ErrorCode.MATCH_JOIN_REJECTED, reason)
        replaced: Presence | None = None
        seat = live.match.seat_of(me)
        if seat:
            held = live.match.players[seat - 1]
            if held is not None and held.session_id != me.session_id and held.session_id in live.members:
                replaced = held
                del live.members[held.session_id]
                self._memberships.get(held.session_id, set()).discard(live.match_id)
        fresh = me.session_id not in live.members
        live.members[me.session_id] = me
        self._memberships.setdefault(me.session_id, set()).add(live.match_id)
        presences = tuple(live.members.values())
        peer.send_text(
            encode(Envelope(Match(live.match_id, True, live.match.label, len(presences), presences, me), cid))
        )
        if not fresh:
            return  # joined already: the answer is all (no state resent to anyone, so repeats amplify nothing)
        live.push_presences([me], [replaced] if replaced else [], skip=me.session_id)
        log.info("%s joined match %s%s", me.username, live.match_id, " (from a new session)" if replaced else "")
        self._guard(live, live.match.join, me)
        if replaced is not None:
            old = self.peers.get(replaced.session_id)
            if old is not None:
                old.close(*CLOSE_REPLACED)

    def remove_user(self, user_id: str) -> int:
        """Take ``user_id`` out of every live match as a player who left (the opponent wins a game in progress).

        For the admin console's ban, whether the player is connected or within their
        grace period; their sockets are the caller's to close. How many matches.
        """
        removed = 0
        for live in list(self.matches.values()):
            seat = next((p for p in live.match.players if p is not None and p.user_id == user_id), None)
            if seat is None or live.match.ended:
                continue
            if seat.session_id in live.members:
                self._drop_member(live, seat, LeaveReason.LEFT)
            else:
                self._guard(live, live.match.leave, seat, LeaveReason.LEFT)
            removed += 1
        return removed

    def leave(self, peer: Peer, msg: MatchLeave, cid: str | None) -> None:
        """Leave on purpose: the match ends for both (the handler decides); always acknowledged."""
        peer.send_text(encode(Envelope(Ack(), cid)))
        live = self.matches.get(msg.match_id)
        if live is not None and peer.presence.session_id in live.members:
            self._drop_member(live, peer.presence, LeaveReason.LEFT)

    def data(self, peer: Peer, msg: MatchDataSend) -> None:
        """Hand a member's match data to its handler; anyone else is refused (error 3)."""
        live = self.matches.get(msg.match_id)
        if live is None:
            raise RequestError(ErrorCode.MATCH_NOT_FOUND, "Match not found")
        if peer.presence.session_id not in live.members:
            raise RequestError(ErrorCode.BAD_INPUT, "you are not in this match; join it first")
        self._guard(live, live.match.handle, MatchMessage(peer.presence, msg.op_code, msg.data))

    def _find(self, msg: MatchJoin) -> LiveMatch:
        if msg.token:
            live = self._tokens.get(msg.token)
            if live is None or (msg.match_id and msg.match_id != live.match_id):
                raise RequestError(ErrorCode.MATCH_NOT_FOUND, "Match not found")
        elif msg.match_id:
            live = self.matches.get(msg.match_id)
        else:
            raise RequestError(ErrorCode.BAD_INPUT, "match_join needs a match_id or a token")
        if live is None or live.match.ended:
            raise RequestError(ErrorCode.MATCH_NOT_FOUND, "Match not found")
        return live

    def _drop_member(self, live: LiveMatch, presence: Presence, reason: LeaveReason) -> None:
        live.members.pop(presence.session_id, None)
        self._memberships.get(presence.session_id, set()).discard(live.match_id)
        live.push_presences(leaves=[presence])
        log.info("%s left match %s (%s)", presence.username, live.match_id, reason.value)
        self._guard(live, live.match.leave, presence, reason)

    # Handler callbacks ---------------------------------------------------------------------

    def record(self, rec: GameRecord, done: Callable[[], None] | None = None) -> None:
        """Hand a finished game to the database (``done`` runs once its row is safe) and log it."""
        self.store.record(rec, done)
        self.recent.add(rec)
        self.activity.game_finished(rec)
        log.info("match %s game %d over: %s", rec.match_id, rec.game, _describe(rec))

    def hold(self, live: LiveMatch, hold: int) -> None:
        """``live`` holds its frames for the row of its game ``hold``: released ``HOLD_SECONDS`` from now at the latest."""
        self._holds.append((self.scheduler.time() + HOLD_SECONDS, live, hold))
        if self._hold_timer is None:
            self._arm_holds()

    def _arm_holds(self) -> None:
        self._hold_armed = self._holds[0][0]
        self._hold_timer = self.scheduler.call_at(self._hold_armed, self._holds_run_out)

    def _holds_run_out(self) -> None:
        """Release every hold due by now (a game whose row came, or a later game's hold, makes that a no-op)."""
        self._hold_timer = None
        holds, armed = self._holds, self._hold_armed
        while holds and holds[0][0] <= armed:
            _, live, hold = holds.popleft()
            live.release(hold)
        if holds:
            self._arm_holds()

    def forget(self, live: LiveMatch) -> None:
        """The handler ended: later joins get 'Match not found'; members stay connected."""
        if self.matches.pop(live.match_id, None) is None:
            return
        self._tokens.pop(live.token, None)
        if live.timer is not None:
            live.timer.cancel()
            live.timer = live.due = None
        for sid in live.members:
            self._memberships.get(sid, set()).discard(live.match_id)
        log.info("match %s ended", live.match_id)

    # Time ---------------------------------------------------------------------------------------

    def _schedule(self, live: LiveMatch) -> None:
        """One timer per match, for the moment its handler next needs a tick.

        A deadline that moves later (the turn timer, after every move) leaves the timer where
        it is: when it fires it sets itself again for the new moment, with no tick (so a
        timer is made and cancelled per deadline passed or brought forward, not per move).
        """
        due = live.match.next_deadline() if live.match_id in self.matches else None
        live.due = due
        if due is None or (live.timer is not None and live.armed <= due):
            return  # nothing due (a timer still set fires, finds nothing, and goes), or the timer fires first
        if live.timer is not None:
            live.timer.cancel()
        self._arm(live, due)

    def _arm(self, live: LiveMatch, when: float) -> None:
        live.armed = when
        live.timer = self.scheduler.call_at(when, lambda: self._fire(live))

    def _fire(self, live: LiveMatch) -> None:
        live.timer = None
        due = live.due
        if due is None:
            return  # what it was set for was done or dropped meanwhile
        if due > live.armed:
            self._arm(live, due)  # the deadline moved later since: no tick yet
            return
        live.due = None
        self._guard(live, live.match.tick)

    def terminate_all(self, notice: str) -> None:
        """The host is stopping: every match tells its players ``notice`` (plain text op 2) and ends."""
        for live in list(self.matches.values()):
            live.release()  # a result still waiting for its row goes out before the notice
            self._guard(live, live.match.terminate, notice)

    def _guard(self, live: LiveMatch, hook: Callable[..., None], *args: object) -> None:
        """Call a handler hook, then reschedule its timer; if the hook raises (a bug), end that match alone."""
        try:
            hook(*args)
        except Exception:
            log.exception("match %s failed in %s; ending it", live.match_id, getattr(hook, "__name__", hook))
            frame = encode(MatchData(live.match_id, OP_STATE, FAILED_NOTICE.encode()))
            for sid in live.members:
                peer = self.peers.get(sid)
                if peer is not None:
                    peer.send_text(frame)
            live.match.ended = True
            self.forget(live)
            self._observe()
            return
        self._schedule(live)
        self._observe()

    def _observe(self) -> None:
        """Tell the observer (if any) what the matches are doing, when that changed."""
        if self.observer is None:
            return
        boards = [live.match.board for live in self.matches.values()]
        playing = sum(1 for board in boards if board is not None and not board.is_over)
        now = Occupancy(len(self.matchmaker), playing, len(boards) - playing)
        if now != self._occupancy:
            self._occupancy = now
            self.observer.occupancy_changed(now)

"""The authoritative tic-tac-toe match handler, shaped like a Nakama match handler.

Pure: it knows nothing of sockets. A runtime (the host in ``net.host``, or
``game.local`` for games against the bot) calls ``join_attempt`` and ``join``,
``leave``, ``handle`` for each message as it arrives, ``tick`` whenever
``next_deadline`` comes round, and ``terminate``; the handler answers through a
``Dispatcher``. Time comes from an injected clock, so every deadline is testable
without sleeping. ``nakama/xoxo_plus_match.lua`` is the same handler for Nakama,
kept equal message for message by a differential test.

What it guarantees (PROTOCOL.md section 5): only the player whose turn it is may
move, inside the board, on an empty cell, while the game is on; anything else is
refused to the sender alone (op 3) and changes nothing. Each game's first player
alternates. A turn has a deadline; letting it pass loses that game, and a player who
lets two turns in a row pass is taken out of the match. A dropped player's seat is
held for a grace period; after half of it the player left may claim the win or call a
draw (op 6). After a game, the next one starts when both players ask (op 4); when the
countdown runs out it starts anyway if a player did not declare our protocol (XOXO's
behaviour), else the match ends. Every finished game is handed to ``Dispatcher.record``
before any player is told the result.

Revision 3 (docs/PROTOCOL.md), when both players declared it: a game whose first move a
player never makes in their turn's time is aborted (no result), and a player who aborts
two games in a row is treated as having left; after a game the offer of the next one
stays open (no countdown) until a player leaves or the match has been idle for
``idle_seconds``. In a rated match (``MatchSettings.rated``) every game with a result
updates both players' Glicko-2 standings, read from a ``Ledger``; the new standings go
to ``Dispatcher.record`` with the game, and declared players are told the change (op 7).

Revision 4: a player who declared it may send a quick reaction (op 8, one of six fixed
ids), during a game or between games; it goes to the opponent alone, if they declared 4
and are connected, and a player may send ``REACTION_LIMIT`` in any ``REACTION_WINDOW_SECONDS``
(beyond, op 3 ``too_many_reactions`` to the sender).
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from game.rating import Result as RatingResult
from game.rating import rate_game
from game.refusal import Refusal
from game.rules import Board, MoveError, Outcome, Result, Termination, other
from game.standing import Standing, StandingChange
from game.xoxo import (
    OP_CLAIM,
    OP_MOVE,
    OP_OPPONENT_GONE,
    OP_RATING,
    OP_REACTION,
    OP_REJECTED,
    OP_REMATCH,
    OP_STATE,
    PROTOCOL,
    REACTION_LIMIT,
    REACTION_WINDOW_SECONDS,
    AwayClock,
    Claim,
    Gone,
    GoneReason,
    MatchLabel,
    PayloadError,
    PlayerRating,
    Presence,
    RatingNews,
    RematchMode,
    ShownRating,
    StateText,
    declared_protocol,
    decode_claim,
    decode_move,
    decode_reaction,
    encode_gone,
    encode_rating_news,
    encode_rejected,
    encode_relayed_reaction,
)

TIMEOUTS_TO_REMOVE = 2  # turns in a row a player may let run out before being taken out of the match
RETURN_SECONDS = 5.0  # a returning player gets at least this long (or the whole turn, if shorter) to move
REVISION_3 = 3  # the revision whose rules (abort, open rematch, claims' countdown, op 7) a seat must declare
REVISION_4 = 4  # the revision whose quick reactions (op 8) a seat must declare to send or see them


_RATING_RESULTS = {r: RatingResult(r.value) for r in Result}  # a game's result for player 1, as game.rating names it


class LeaveReason(enum.Enum):
    LEFT = "left"  # the player asked to leave (match_leave)
    DISCONNECTED = "disconnected"  # the socket went away; the seat is held for the grace period


@dataclass(frozen=True)
class MatchMessage:
    sender: Presence
    op_code: int
    data: bytes


@dataclass(frozen=True)
class MatchSettings:
    """Knobs of one match.

    ``turn_seconds`` 0 turns the turn timer off. ``rematch_seconds`` None means no
    countdown: the next game starts only when both players ask. ``expected`` are the
    players the matchmaker paired (None: anyone may take a seat); if they are not both
    seated within ``join_timeout_seconds`` of the match's creation, it ends. ``rated``:
    the games count for the players' ratings. ``idle_seconds``: between two revision-3
    clients, how long after a game the match waits for the next one before it ends
    (None: for ever).
    """

    turn_seconds: float = 30.0
    grace_seconds: float = 20.0
    rematch_seconds: int | None = 10
    expected: tuple[Presence, ...] | None = None
    join_timeout_seconds: float = 30.0
    rated: bool = False
    idle_seconds: float | None = None


@dataclass(frozen=True)
class GameRecord:
    """One finished game, as the host stores it."""

    match_id: str
    game: int
    players: tuple[Presence, Presence]
    first: int
    moves: tuple[tuple[int, int, int], ...]
    winner: int | None
    termination: Termination
    line: tuple[tuple[int, int], ...] | None
    started_at: float  # unix time
    ended_at: float  # unix time
    standings: StandingChange | None = None  # in a rated match: both players' standings before and after


class Ledger(Protocol):
    """Where a rated match reads the players' standings (the host's ratings, Nakama's leaderboard)."""

    def standing(self, user_id: str) -> Standing:
        """The player's standing now (a new player's default if they have none)."""


class _NoLedger:
    def standing(self, user_id: str) -> Standing:
        return Standing()


class Dispatcher(Protocol):
    """What a runtime offers a match handler."""

    def send(self, op_code: int, data: bytes, to: Sequence[Presence] | None = None) -> None:
        """Send match data to ``to`` (every connected player when None)."""

    def record(self, record: GameRecord) -> None:
        """Store a finished game; called before anyone is told the result."""

    def end(self) -> None:
        """The match is over: forget it; later joins get 'match not found'."""


@dataclass
class _Seat:
    presence: Presence
    protocol: int = 0  # the revision the player's client declared when it joined
    connected: bool = True
    grace_deadline: float | None = None
    wants_rematch: bool = False
    timeouts: int = 0  # turns in a row this player let run out
    aborts: int = 0  # games in a row this player aborted by never making a first move
    claim_at: float | None = None  # while away in a game: when the other may claim against them
    claim_told: bool = False  # the other was told the claim is open
    reacted_at: list[float] = field(default_factory=list)  # when this player's last reactions were relayed


class XoxoMatch:
    """One match between two players, possibly many games long."""

    def __init__(
        self,
        match_id: str,
        dispatcher: Dispatcher,
        settings: MatchSettings = MatchSettings(),
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        ledger: Ledger | None = None,
    ):
        self.match_id = match_id
        self.settings = settings
        self._out = dispatcher
        self._ledger: Ledger = ledger if ledger is not None else _NoLedger()
        self._clock = clock
        self._wall = wall_clock
        self._seats: list[_Seat] = []
        self._declared: dict[str, int] = {}  # session id -> revision, from join attempts not yet joined
        self.board: Board | None = None
        self.game = 0
        self._game_started_at = 0.0
        self._join_deadline: float | None = clock() + settings.join_timeout_seconds if settings.expected else None
        self._turn_deadline: float | None = None
        self._turn_remaining: float | None = None  # while paused by a disconnect
        self._rematch_deadline: float | None = None
        self._rematch_mode = RematchMode.AUTO
        self._countdown_shown: int | None = None
        self._idle_deadline: float | None = None
        self._shown: tuple[Standing, Standing] | None = None  # rated: the standings at the start of the game
        self._ratings_shown: tuple[ShownRating, ShownRating] | None = None  # _shown as the states show it ...
        self._shown_for: tuple[Standing, Standing] | None = None  # ... made from these standings
        self._news: bytes | None = None  # op 7 of the game just finished, for a player who comes back
        self._aborted_by = 0
        self.ended = False

    # Queries -------------------------------------------------------------

    @property
    def players(self) -> tuple[Presence | None, Presence | None]:
        ps = [s.presence for s in self._seats] + [None, None]
        return (ps[0], ps[1])

    @property
    def label(self) -> str:
        """The match label (Nakama's): our protocol revision, whether a seat is free, the game number."""
        return MatchLabel(
            PROTOCOL, open=len(self._seats) < 2 and not self.ended, game=self.game, rated=self.settings.rated
        ).encode()

    def seat_of(self, presence: Presence) -> int:
        """1 or 2 for a player of this match (by user id), 0 for anyone else."""
        for i, s in enumerate(self._seats, start=1):
            if s.presence.user_id == presence.user_id:
                return i
        return 0

    def connected_presences(self) -> list[Presence]:
        return [s.presence for s in self._seats if s.connected]

    def next_deadline(self) -> float | None:
        """The clock time at which ``tick`` next has something to do (None: nothing is pending)."""
        if self.ended:
            return None
        board = self.board
        seats = self._seats
        if board is not None and board.outcome is None and len(seats) == 2 and seats[0].connected and seats[1].connected:
            # A game on with both players here, as after almost every move: only the turn can run out (a seat's
            # hold and a claim's announcement belong to a player away). The host asks after every message.
            return self._turn_deadline
        due = [s.grace_deadline for s in seats if s.grace_deadline is not None]
        if board is None:
            if self._join_deadline is not None:
                due.append(self._join_deadline)
        elif not board.is_over:
            if self._turn_deadline is not None:
                due.append(self._turn_deadline)
            due.extend(s.claim_at for s in self._claims_to_announce() if s.claim_at is not None)
        elif self._rematch_deadline is not None:
            shown = self._countdown()
            # The moment the countdown shows one second less (or runs out, at 1).
            due.append(self._rematch_deadline - max(0, shown - 1))
        elif self._idle_deadline is not None:
            due.append(self._idle_deadline)
        return min(due) if due else None

    def seat_status(self, user_id: str) -> tuple[str, float]:
        """Whether ``user_id`` holds a seat: ("seated", 0) connected, ("held", seconds left of the hold), or ("", 0)."""
        for seat in self._seats:
            if seat.presence.user_id == user_id and not self.ended:
                if seat.connected:
                    return ("seated", 0.0)
                if seat.grace_deadline is not None:
                    return ("held", max(0.0, seat.grace_deadline - self._clock()))
        return ("", 0.0)

    # Runtime hooks -----------------------------------------------------------

    def join_attempt(self, presence: Presence, metadata: Mapping[str, str] | None = None) -> str | None:
        """None to let ``presence`` in (noting the protocol its client declared), else why it is refused."""
        if self.ended:
            return "this match has ended"
        if not self.seat_of(presence):
            expected = self.settings.expected
            if expected is not None and all(p.user_id != presence.user_id for p in expected):
                return "you were not matched into this game"
            if len(self._seats) >= 2:
                return "this game is full"
        self._declared[presence.session_id] = declared_protocol(metadata)
        return None

    def join(self, presence: Presence) -> None:
        """Seat a new player, or give a returning player back their seat exactly as it was."""
        protocol = self._declared.pop(presence.session_id, 0)
        index = self.seat_of(presence)
        if index:
            seat = self._seats[index - 1]
            seat.presence = presence
            seat.protocol = protocol
            seat.connected = True
            seat.grace_deadline = seat.claim_at = None
            seat.claim_told = False
            self._resume_turn_clock()
            board = self.board
            if board is not None:
                if board.is_over and self._news is not None and protocol >= REVISION_3:
                    self._out.send(OP_RATING, self._news, [presence])  # the result they missed, with its rating
                self._broadcast()
            return
        if self.ended or len(self._seats) >= 2:
            return
        self._seats.append(_Seat(presence, protocol))
        if len(self._seats) == 2 and self.board is None:
            self._join_deadline = None
            self._start_game()

    def leave(self, presence: Presence, reason: LeaveReason) -> None:
        """A player left on purpose (the match ends) or dropped (the seat is held)."""
        self._declared.pop(presence.session_id, None)
        index = self.seat_of(presence)
        if not index or self.ended:
            return
        seat = self._seats[index - 1]
        if seat.presence.session_id != presence.session_id:
            return  # an older session of a player who came back on a newer one
        board = self.board
        if reason is LeaveReason.LEFT or board is None:
            declined = board is not None and board.is_over and self._rematch_mode is RematchMode.OPEN
            self._abandon(index, GoneReason.DECLINED if declined else GoneReason(reason.value))
            return
        seat.connected = False
        now = self._clock()
        seat.grace_deadline = now + self.settings.grace_seconds
        seat.claim_at = now + (self.settings.grace_seconds / 2.0)
        seat.claim_told = False
        self._pause_turn_clock()
        if any(s.connected for s in self._seats):
            self._broadcast()

    def handle(self, message: MatchMessage) -> None:
        """One player's match data, handled as it arrives (Nakama's match_loop, without the wait)."""
        index = self.seat_of(message.sender)
        if not index or self.ended:
            return
        if self._seats[index - 1].presence.session_id != message.sender.session_id:
            return  # a stale session of a player who is seated on a newer one
        if message.op_code == OP_MOVE:
            self._move(index, message)
        elif message.op_code == OP_REMATCH:
            self._rematch(index, message.sender)
        elif message.op_code == OP_CLAIM:
            self._claim(index, message)
        elif message.op_code == OP_REACTION and self._seats[index - 1].protocol >= REVISION_4:
            self._react(index, message)
        else:
            self._refuse(message.sender, Refusal.UNKNOWN_OP, "that op code means nothing here")

    def tick(self) -> None:
        """Do what is due now: grace periods, claims opening, the join and turn deadlines, the rematch countdown."""
        if self.ended:
            return
        now = self._clock()
        for i, seat in enumerate(self._seats, start=1):
            if seat.grace_deadline is not None and now >= seat.grace_deadline:
                self._abandon(i, GoneReason.DISCONNECTED)
                return
        board = self.board
        if board is None:
            if self._join_deadline is not None and now >= self._join_deadline:
                self._no_show()
            return
        if not board.is_over:
            self._announce_claims(now)
            if self._turn_deadline is not None and now >= self._turn_deadline:
                self._time_out(board)
        else:
            self._tick_after_game(now)

    def _tick_after_game(self, now: float) -> None:
        """Between games: the rematch countdown (or the idle limit of an open offer)."""
        if self._rematch_deadline is None:
            if self._idle_deadline is not None and now >= self._idle_deadline:
                self._idle()
        elif now >= self._rematch_deadline:
            if self._rematch_mode is RematchMode.AUTO:
                self._start_game()
            else:
                self._no_rematch()
        elif self._countdown() != self._countdown_shown:
            self._broadcast()

    def terminate(self, message: str) -> None:
        """The server is going away: tell everyone in plain text (as XOXO does) and end."""
        if self.ended:
            return
        self._out.send(OP_STATE, message.encode())
        self._end()

    # Moves and rematches ----------------------------------------------------------

    def _refuse(self, to: Presence, reason: Refusal, message: str) -> None:
        self._out.send(OP_REJECTED, encode_rejected(reason, message), [to])

    def _move(self, index: int, message: MatchMessage) -> None:
        board = self.board
        if board is None:
            self._refuse(message.sender, Refusal.NOT_STARTED, "wait for your opponent to join")
            return
        try:
            row, col = decode_move(message.data)
            board = board.play(row, col, player=index)
        except PayloadError as exc:
            self._refuse(message.sender, Refusal.BAD_PAYLOAD, str(exc))
            return
        except MoveError as exc:
            self._refuse(message.sender, exc.reason, str(exc))
            return
        seat = self._seats[index - 1]
        seat.timeouts = 0
        seat.aborts = 0  # a game in which they made a move: the count of aborts in a row starts again
        if board.is_over:
            self._finish(board)
        else:
            self.board = board
            self._restart_turn_clock()
            self._broadcast()

    def _rematch(self, index: int, sender: Presence) -> None:
        board = self.board
        if board is None or not board.is_over:
            self._refuse(sender, Refusal.GAME_IN_PROGRESS, "finish this game first")
            return
        seat = self._seats[index - 1]
        if seat.wants_rematch:
            return  # asked already: nothing changes, nothing is sent again
        seat.wants_rematch = True
        if len(self._seats) == 2 and all(s.wants_rematch and s.connected for s in self._seats):
            self._start_game()
        else:
            self._broadcast()  # the opponent sees who asked

    def _claim(self, index: int, message: MatchMessage) -> None:
        """Op 6: the win, or a draw, against an opponent away for more than half their seat hold."""
        try:
            claim = decode_claim(message.data)
        except PayloadError as exc:
            self._refuse(message.sender, Refusal.BAD_PAYLOAD, str(exc))
            return
        board = self.board
        if board is None or board.is_over or len(self._seats) < 2:
            self._refuse(message.sender, Refusal.NOTHING_TO_CLAIM, "there is no game in progress")
            return
        away = self._seats[other(index) - 1]
        if away.connected or away.claim_at is None:
            self._refuse(message.sender, Refusal.NOTHING_TO_CLAIM, "your opponent is here")
            return
        wait = away.claim_at - self._clock()
        if wait > 0:
            self._refuse(message.sender, Refusal.CLAIM_TOO_EARLY, f"you may claim in {math.ceil(wait)} s")
            return
        if claim is Claim.WIN:
            self._finish(board.finish(Termination.CLAIMED, index))
        else:
            self._finish(board.finish(Termination.DRAW_CALLED, None))

    def _react(self, index: int, message: MatchMessage) -> None:
        """Op 8: a quick reaction, relayed to the opponent alone (if they see reactions and are here), within the limit."""
        try:
            reaction = decode_reaction(message.data)
        except PayloadError as exc:
            self._refuse(message.sender, Refusal.BAD_PAYLOAD, str(exc))
            return
        if self.board is None or len(self._seats) < 2:
            self._refuse(message.sender, Refusal.NOT_STARTED, "wait for your opponent to join")
            return
        seat = self._seats[index - 1]
        now = self._clock()
        seat.reacted_at = [t for t in seat.reacted_at if now - t < REACTION_WINDOW_SECONDS]
        if len(seat.reacted_at) >= REACTION_LIMIT:
            wait = seat.reacted_at[0] + REACTION_WINDOW_SECONDS - now
            self._refuse(message.sender, Refusal.TOO_MANY_REACTIONS,
                         f"at most {REACTION_LIMIT} reactions in {REACTION_WINDOW_SECONDS:g} s: try again in {math.ceil(wait)} s")
            return
        seat.reacted_at.append(now)
        them = self._seats[other(index) - 1]
        if them.connected and them.protocol >= REVISION_4:
            self._out.send(OP_REACTION, encode_relayed_reaction(reaction, seat.presence), [them.presence])

    def _time_out(self, board: Board) -> None:
        loser = board.to_move
        seat = self._seats[loser - 1]
        if self._revision_3() and all(m[2] != loser for m in board.moves):
            self._abort(board, loser)
            return
        seat.timeouts += 1
        self._finish(board.finish(Termination.TIMEOUT, other(loser)))
        if seat.timeouts >= TIMEOUTS_TO_REMOVE:
            self._close(Gone(GoneReason.TIMED_OUT, seat.presence.user_id, seat.presence.username), self.connected_presences())

    def _abort(self, board: Board, index: int) -> None:
        """Player ``index`` never made their first move: the game is aborted, or (the second time in a row) lost."""
        seat = self._seats[index - 1]
        seat.aborts += 1
        if seat.aborts < 2:
            self._aborted_by = index
            self._finish(board.finish(Termination.ABORTED, None))
            return
        # Treated as having left: the game is theirs lost and the match ends, and everyone is told why.
        gone = Gone(GoneReason.ABORTED, seat.presence.user_id, seat.presence.username)
        everyone = self.connected_presences()
        self._settle(board.finish(Termination.OPPONENT_LEFT, other(index)), everyone)
        self._broadcast(match_over=gone)
        self._close(gone, everyone)

    def _announce_claims(self, now: float) -> None:
        """The moment a claim against an absent player opens, the player waiting is sent the state (once)."""
        for seat in self._claims_to_announce():
            if seat.claim_at is not None and now >= seat.claim_at:
                seat.claim_told = True
                index = self._seats.index(seat) + 1
                self._broadcast(only=[self._seats[other(index) - 1].presence])

    def _claims_to_announce(self) -> list[_Seat]:
        """Absent players whose claim has not been announced to the declared player waiting for them."""
        if len(self._seats) < 2:
            return []
        return [
            s for i, s in enumerate(self._seats, start=1)
            if not s.connected and not s.claim_told and s.claim_at is not None
            and self._seats[other(i) - 1].connected and self._seats[other(i) - 1].protocol >= REVISION_3
        ]

    def _revision_3(self) -> bool:
        """Both players declared revision 3: the rules that change the game apply (abort, the open rematch)."""
        return len(self._seats) == 2 and all(s.protocol >= REVISION_3 for s in self._seats)

    # Games -------------------------------------------------------------------------

    def _start_game(self) -> None:
        previous = self.board
        first = 1 if previous is None else other(previous.first)
        self.board = Board.new(first)
        self.game += 1
        self._game_started_at = self._wall()
        self._rematch_deadline = self._idle_deadline = None
        self._countdown_shown = None
        self._news = None
        self._aborted_by = 0
        for s in self._seats:
            s.wants_rematch = False
        if self.settings.rated and len(self._seats) == 2:
            self._shown = self._standings()
            if self.game == 1:  # aborts in a row carry over from the players' earlier rated games
                for seat, standing in zip(self._seats, self._shown, strict=True):
                    seat.aborts = standing.aborts_in_a_row
        self._turn_remaining = None
        self._restart_turn_clock()
        self._broadcast()

    def _finish(self, board: Board) -> None:
        """Record the game (and rate it), then show everyone the result and wait for the next one."""
        self._settle(board, self.connected_presences())
        now = self._clock()
        self._rematch_deadline = self._idle_deadline = None
        seconds = self.settings.rematch_seconds
        if self._revision_3():
            self._rematch_mode = RematchMode.OPEN
            idle = self.settings.idle_seconds
            self._idle_deadline = now + idle if idle is not None else None
        else:
            consent = seconds is None or all(s.protocol >= 2 for s in self._seats)
            self._rematch_mode = RematchMode.CONSENT if consent else RematchMode.AUTO
            self._rematch_deadline = now + seconds if seconds is not None else None
        self._broadcast()

    def _settle(self, board: Board, to: Sequence[Presence]) -> None:
        """The game on ``board`` is over: record it (rated in a rated match), and send op 7 to the declared of ``to``."""
        self.board = board
        self._turn_deadline = None
        self._turn_remaining = None
        change = self._rate(board) if self.settings.rated and len(self._seats) == 2 else None
        self._record(board, change)
        self._news = None
        if change is not None and change.rated:
            players = tuple(
                PlayerRating(s.presence.user_id, s.presence.username, before, after)
                for s, before, after in zip(self._seats, change.before, change.after, strict=True)
            )
            self._news = encode_rating_news(RatingNews(self.game, (players[0], players[1])))
            sessions = {p.session_id for p in to}
            declared = [s.presence for s in self._seats if s.protocol >= REVISION_3 and s.presence.session_id in sessions]
            if declared:
                self._out.send(OP_RATING, self._news, declared)

    def _standings(self) -> tuple[Standing, Standing]:
        p1, p2 = self._seats[0].presence, self._seats[1].presence
        return (self._ledger.standing(p1.user_id), self._ledger.standing(p2.user_id))

    def _rate(self, board: Board) -> StandingChange:
        """Both players' standings after this game: Glicko-2 for a result, only the count of aborts for an abort."""
        assert board.outcome is not None
        before = self._standings()
        last = f"{self.match_id}/{self.game}"
        s1, s2 = self._seats
        out = board.outcome
        if not out.termination.counts:
            after = (
                before[0].after_game(None, before[0].rating, s1.aborts, last),
                before[1].after_game(None, before[1].rating, s2.aborts, last),
            )
            return StandingChange(before, after, rated=False)
        result = _RATING_RESULTS[out.result_for(1)]
        ratings = rate_game(before[0].rating, before[1].rating, result)
        after = (
            before[0].after_game(result, ratings.first.after, s1.aborts, last),
            before[1].after_game(result.opposite, ratings.second.after, s2.aborts, last),
        )
        return StandingChange(before, after)

    def _abandon(self, index: int, reason: GoneReason) -> None:
        """Player ``index`` is gone for good: the other wins a game in progress, the match ends."""
        board = self.board
        gone = self._seats[index - 1].presence
        who = Gone(reason, gone.user_id, gone.username)
        remaining = [s.presence for i, s in enumerate(self._seats, start=1) if i != index and s.connected]
        if board is not None and not board.is_over and len(self._seats) == 2:
            self._settle(board.finish(Termination.OPPONENT_LEFT, other(index)), remaining)
        if self.board is not None and remaining:
            self._broadcast(only=remaining, match_over=who)
        self._close(who, remaining)

    def _idle(self) -> None:
        """Nobody started the next game for ``idle_seconds``: everyone is told so, and the match ends."""
        gone = Gone(GoneReason.IDLE)
        everyone = self.connected_presences()
        self._broadcast(match_over=gone)
        self._close(gone, everyone)

    def _no_rematch(self) -> None:
        """The time to ask for the next game ran out: each player is told, naming their opponent, and the match ends."""
        for i, seat in enumerate(self._seats, start=1):
            if seat.connected and len(self._seats) == 2:
                them = self._seats[other(i) - 1].presence
                self._out.send(
                    OP_OPPONENT_GONE, encode_gone(Gone(GoneReason.NO_REMATCH, them.user_id, them.username)), [seat.presence]
                )
        self._end()

    def _no_show(self) -> None:
        """A matched player never came: the one who did is told who, and the match ends."""
        seated = {s.presence.user_id for s in self._seats}
        missing = next((p for p in self.settings.expected or () if p.user_id not in seated), None)
        gone = Gone(GoneReason.NO_SHOW, missing.user_id, missing.username) if missing else Gone(GoneReason.NO_SHOW)
        self._close(gone, self.connected_presences())

    def _close(self, gone: Gone, to: Sequence[Presence]) -> None:
        if to:
            self._out.send(OP_OPPONENT_GONE, encode_gone(gone), to)
        self._end()

    def _end(self) -> None:
        self.ended = True
        self._turn_deadline = self._rematch_deadline = self._join_deadline = self._idle_deadline = None
        for s in self._seats:
            s.grace_deadline = s.claim_at = None
        self._out.end()

    def _record(self, board: Board, standings: StandingChange | None = None) -> None:
        assert board.outcome is not None
        p1, p2 = self._seats[0].presence, self._seats[1].presence
        out: Outcome = board.outcome
        self._out.record(
            GameRecord(
                match_id=self.match_id,
                game=self.game,
                players=(p1, p2),
                first=board.first,
                moves=board.moves,
                winner=out.winner,
                termination=out.termination,
                line=out.line,
                started_at=self._game_started_at,
                ended_at=self._wall(),
                standings=standings,
            )
        )

    # The clocks ------------------------------------------------------------------

    def _countdown(self) -> int:
        """Whole seconds left before the next game (or the end), as the players see them."""
        assert self._rematch_deadline is not None
        return max(0, math.ceil(self._rematch_deadline - self._clock() - 1e-9))

    def _restart_turn_clock(self) -> None:
        """A fresh turn: the full time, paused at once if a player is away."""
        t = self.settings.turn_seconds
        self._turn_deadline = self._clock() + t if t > 0 else None
        for seat in self._seats:
            if not seat.connected:
                self._pause_turn_clock()
                return

    def _pause_turn_clock(self) -> None:
        if self._turn_deadline is not None:
            self._turn_remaining = max(0.0, self._turn_deadline - self._clock())
            self._turn_deadline = None

    def _resume_turn_clock(self) -> None:
        if self._turn_remaining is not None and all(s.connected for s in self._seats):
            board = self.board
            if board is not None and not board.is_over:
                floor = min(RETURN_SECONDS, self.settings.turn_seconds)
                self._turn_deadline = self._clock() + max(self._turn_remaining, floor)
            self._turn_remaining = None

    def _broadcast(self, only: Sequence[Presence] | None = None, match_over: Gone | None = None) -> None:
        """Send each connected player (of ``only``) the state from their own point of view.

        ``match_over``: this is the match's last state, and says why (to declared revision-3 players).
        """
        board = self.board
        if board is None:
            return
        now = self._clock()
        over = board.outcome is not None
        countdown = left = None
        if over:
            if self._rematch_deadline is not None:
                countdown = self._countdown()
                self._countdown_shown = countdown
        elif self._turn_deadline is not None:
            left = self._turn_deadline - now
        else:
            left = self._turn_remaining  # paused while a player is away (None: no turn timer)
        seats = self._seats
        two = len(seats) == 2
        # The position is written once for both players; each payload adds only its recipient's fields.
        text = StateText(
            board,
            (seats[0].presence, seats[1].presence) if two else self.players,
            game=self.game,
            rematch_countdown=countdown,
            rematch_asked=(len(seats) > 0 and seats[0].wants_rematch, two and seats[1].wants_rematch),
            rematch_mode=self._rematch_mode,
            turn_seconds_left=left,
            turn_seconds=self.settings.turn_seconds if left is not None else None,
            aborted_by=self._aborted_by,
        )
        ratings = self._shown_ratings() if self.settings.rated else None
        targets = {p.session_id for p in only} if only is not None else None
        for i, seat in enumerate(seats, start=1):
            if not seat.connected or (targets is not None and seat.presence.session_id not in targets):
                continue
            opponent = seats[2 - i] if two else None  # other(i) - 1
            declared = seat.protocol >= REVISION_3
            payload = text.payload(
                i,
                opponent_connected=opponent is not None and opponent.connected,
                ratings=ratings if declared else None,
                away=self._away_clock(opponent, now) if declared and opponent is not None and not over else None,
                match_over=match_over if declared else None,
                reactions=seat.protocol >= REVISION_4 and opponent is not None and opponent.protocol >= REVISION_4,
            )
            self._out.send(OP_STATE, payload, [seat.presence])

    def _shown_ratings(self) -> tuple[ShownRating, ShownRating] | None:
        """Both players' ratings as the states of this game show them (from the standings at its start).

        Made once per game and kept: every state of the game shows the same two, and
        ``ShownRating`` keeps its JSON text, so the states write it once.
        """
        shown = self._shown
        if shown is None:
            return None
        if self._shown_for is not shown:
            first, second = (ShownRating(s.rating.shown, s.rating.provisional) for s in shown)
            self._ratings_shown, self._shown_for = (first, second), shown
        return self._ratings_shown

    def _away_clock(self, seat: _Seat, now: float) -> AwayClock | None:
        """The absent ``seat``'s hold as the player waiting sees it (None while they are here)."""
        if seat.connected or seat.grace_deadline is None or seat.claim_at is None:
            return None
        return AwayClock(seat.grace_deadline - now, self.settings.grace_seconds, seat.claim_at - now)

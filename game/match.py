"""The authoritative tic-tac-toe match handler, shaped like a Nakama match handler.

Pure: it knows nothing of sockets. A runtime (the host in ``net.host``, or
``game.local`` for games against the bot) calls ``join_attempt``, ``join``,
``leave``, ``handle`` for each message as it arrives, ``tick`` about once a second,
and ``terminate``; the handler answers through a ``Dispatcher``. Time comes from an
injected clock, so every deadline is testable without sleeping.

What it guarantees (PROTOCOL.md section 5): only the player whose turn it is may
move, inside the board, on an empty cell, while the game is on; anything else is
refused to the sender alone (``OP_REJECTED``) and changes nothing. Each game's first
player alternates. A turn has a deadline; letting it pass forfeits the game. A
dropped player's seat is held for a grace period. Every finished game is handed to
``Dispatcher.record`` before any player is told the result.
"""

from __future__ import annotations

import enum
import json
import math
import time
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from game.rules import Board, MoveError, Outcome, Termination, other
from game.xoxo import (
    OP_MOVE,
    OP_REJECTED,
    OP_REMATCH,
    OP_STATE,
    PayloadError,
    Presence,
    decode_move,
    encode_rejected,
    encode_state,
)

OP_OPPONENT_LEFT = 5  # host to the remaining player: the opponent is gone for good, the match is over


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
    """Knobs of one match. ``turn_seconds`` 0 turns the turn timer off; ``rematch_seconds``
    None means the next game starts only when every player asks for it (OP_REMATCH)."""

    turn_seconds: float = 30.0
    grace_seconds: float = 20.0
    rematch_seconds: int | None = 10
    expected_users: frozenset[str] | None = None  # user ids the matchmaker paired; None: anyone


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
    connected: bool = True
    grace_deadline: float | None = None
    wants_rematch: bool = False


def _reject(reason: str, message: str) -> bytes:
    return encode_rejected(reason, message)


class XoxoMatch:
    """One match between two players, possibly many games long."""

    def __init__(
        self,
        match_id: str,
        dispatcher: Dispatcher,
        settings: MatchSettings = MatchSettings(),
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ):
        self.match_id = match_id
        self.settings = settings
        self._out = dispatcher
        self._clock = clock
        self._wall = wall_clock
        self._seats: list[_Seat] = []
        self.board: Board | None = None
        self.game = 0
        self._game_started_at = 0.0
        self._turn_deadline: float | None = None
        self._turn_remaining: float | None = None  # while paused by a disconnect
        self._rematch_deadline: float | None = None
        self.ended = False

    # Queries -------------------------------------------------------------

    @property
    def players(self) -> tuple[Presence | None, Presence | None]:
        ps = [s.presence for s in self._seats] + [None, None]
        return (ps[0], ps[1])

    @property
    def label(self) -> str:
        """A short public description (Nakama's match label)."""
        return json.dumps({"open": int(len(self._seats) < 2 and not self.ended), "game": self.game})

    def seat_of(self, presence: Presence) -> int:
        """1 or 2 for a player of this match (by user id), 0 for anyone else."""
        for i, s in enumerate(self._seats, start=1):
            if s.presence.user_id == presence.user_id:
                return i
        return 0

    def connected_presences(self) -> list[Presence]:
        return [s.presence for s in self._seats if s.connected]

    # Runtime hooks -----------------------------------------------------------

    def join_attempt(self, presence: Presence) -> str | None:
        """None to let ``presence`` in, else the reason it is refused."""
        if self.ended:
            return "this match has ended"
        if self.seat_of(presence):
            return None  # a player coming back, or a new session of the same user
        expected = self.settings.expected_users
        if expected is not None and presence.user_id not in expected:
            return "you were not matched into this game"
        if len(self._seats) >= 2:
            return "this game is full"
        return None

    def join(self, presence: Presence) -> None:
        """Seat a new player, or give a returning player back their seat exactly as it was."""
        index = self.seat_of(presence)
        if index:
            seat = self._seats[index - 1]
            seat.presence = presence
            seat.connected = True
            seat.grace_deadline = None
            self._resume_turn_clock()
            if self.board is not None:
                self._broadcast()
            return
        if self.ended or len(self._seats) >= 2:
            return
        self._seats.append(_Seat(presence))
        if len(self._seats) == 2 and self.board is None:
            self._start_game()

    def leave(self, presence: Presence, reason: LeaveReason) -> None:
        """A player left on purpose (the match ends) or dropped (the seat is held)."""
        index = self.seat_of(presence)
        if not index or self.ended:
            return
        seat = self._seats[index - 1]
        if seat.presence.session_id != presence.session_id:
            return  # an older session of a player who came back on a newer one
        if reason is LeaveReason.LEFT or self.board is None:
            self._abandon(index, reason)
            return
        seat.connected = False
        seat.grace_deadline = self._clock() + self.settings.grace_seconds
        self._pause_turn_clock()
        if not any(s.connected for s in self._seats):
            return
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
        else:
            self._out.send(OP_REJECTED, _reject("unknown_op", f"op code {message.op_code} means nothing here"), [message.sender])

    def tick(self) -> None:
        """Deadlines: grace periods, the turn timer, the rematch countdown. Call about once a second."""
        if self.ended:
            return
        now = self._clock()
        for i, seat in enumerate(self._seats, start=1):
            if seat.grace_deadline is not None and now >= seat.grace_deadline:
                self._abandon(i, LeaveReason.DISCONNECTED)
                return
        board = self.board
        if board is None:
            return
        if not board.is_over:
            if self._turn_deadline is not None and now >= self._turn_deadline:
                self._finish(board.finish(Termination.TIMEOUT, other(board.to_move)))
            return
        if self._rematch_deadline is not None:
            if now >= self._rematch_deadline:
                self._start_game()
            else:
                self._broadcast()

    def terminate(self, message: str) -> None:
        """The server is going away: tell everyone in plain text (as XOXO does) and end."""
        if self.ended:
            return
        self._out.send(OP_STATE, message.encode())
        self._end()

    # Internals ----------------------------------------------------------------

    def _move(self, index: int, message: MatchMessage) -> None:
        board = self.board
        sender = [message.sender]
        if board is None:
            self._out.send(OP_REJECTED, _reject("not_started", "wait for your opponent to join"), sender)
            return
        try:
            row, col = decode_move(message.data)
            board = board.play(row, col, player=index)
        except PayloadError as exc:
            self._out.send(OP_REJECTED, _reject("bad_payload", str(exc)), sender)
            return
        except MoveError as exc:
            self._out.send(OP_REJECTED, _reject(exc.reason, str(exc)), sender)
            return
        if board.is_over:
            self._finish(board)
        else:
            self.board = board
            self._restart_turn_clock()
            self._broadcast()

    def _rematch(self, index: int, sender: Presence) -> None:
        board = self.board
        if board is None or not board.is_over:
            self._out.send(OP_REJECTED, _reject("game_in_progress", "finish this game first"), [sender])
            return
        self._seats[index - 1].wants_rematch = True
        if len(self._seats) == 2 and all(s.wants_rematch and s.connected for s in self._seats):
            self._start_game()

    def _start_game(self) -> None:
        previous = self.board
        first = 1 if previous is None else other(previous.first)
        self.board = Board.new(first)
        self.game += 1
        self._game_started_at = self._wall()
        self._rematch_deadline = None
        for s in self._seats:
            s.wants_rematch = False
        self._turn_remaining = None
        self._restart_turn_clock()
        self._broadcast()

    def _finish(self, board: Board) -> None:
        """Record the game, then show everyone the result and start the rematch countdown."""
        self.board = board
        self._turn_deadline = None
        self._turn_remaining = None
        self._record(board)
        if self.settings.rematch_seconds is not None:
            self._rematch_deadline = self._clock() + self.settings.rematch_seconds
        self._broadcast()

    def _abandon(self, index: int, reason: LeaveReason) -> None:
        """Player ``index`` is gone for good: the other wins a game in progress, the match ends."""
        board = self.board
        gone = self._seats[index - 1].presence
        if board is not None and not board.is_over and len(self._seats) == 2:
            board = board.finish(Termination.OPPONENT_LEFT, other(index))
            self.board = board
            self._record(board)
        remaining = [s.presence for i, s in enumerate(self._seats, start=1) if i != index and s.connected]
        if remaining:
            if board is not None:
                self._broadcast(only=remaining)
            notice = json.dumps(
                {"user_id": gone.user_id, "username": gone.username, "reason": reason.value}, separators=(",", ":")
            ).encode()
            self._out.send(OP_OPPONENT_LEFT, notice, remaining)
        self._end()

    def _end(self) -> None:
        self.ended = True
        self._turn_deadline = self._rematch_deadline = None
        self._out.end()

    def _record(self, board: Board) -> None:
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
            )
        )

    # The turn clock ------------------------------------------------------------

    def _restart_turn_clock(self) -> None:
        """A fresh turn: the full time, paused at once if a player is away."""
        t = self.settings.turn_seconds
        self._turn_deadline = self._clock() + t if t > 0 else None
        if not all(s.connected for s in self._seats):
            self._pause_turn_clock()

    def _pause_turn_clock(self) -> None:
        if self._turn_deadline is not None:
            self._turn_remaining = max(0.0, self._turn_deadline - self._clock())
            self._turn_deadline = None

    def _resume_turn_clock(self) -> None:
        if self._turn_remaining is not None and all(s.connected for s in self._seats):
            board = self.board
            if board is not None and not board.is_over:
                # A returning player gets at least a few seconds to find their bearings.
                self._turn_deadline = self._clock() + max(self._turn_remaining, min(5.0, self.settings.turn_seconds))
            self._turn_remaining = None

    def _broadcast(self, only: Sequence[Presence] | None = None) -> None:
        """Send each connected player the state from their own point of view."""
        board = self.board
        if board is None:
            return
        now = self._clock()
        countdown = None
        if board.is_over and self._rematch_deadline is not None:
            countdown = max(0, math.ceil(self._rematch_deadline - now - 1e-9))
        left = None
        if not board.is_over:
            if self._turn_deadline is not None:
                left = self._turn_deadline - now
            elif self._turn_remaining is not None:
                left = self._turn_remaining
        targets = {p.session_id for p in only} if only is not None else None
        players = self.players
        for i, seat in enumerate(self._seats, start=1):
            if not seat.connected or (targets is not None and seat.presence.session_id not in targets):
                continue
            opponent = self._seats[other(i) - 1] if len(self._seats) == 2 else None
            payload = encode_state(
                board,
                players,
                you=i,
                game=self.game,
                rematch_countdown=countdown,
                turn_seconds_left=left,
                turn_seconds=self.settings.turn_seconds if left is not None else None,
                opponent_connected=bool(opponent and opponent.connected),
            )
            self._out.send(OP_STATE, payload, [seat.presence])

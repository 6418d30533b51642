"""A game against the bot on this machine: the host's match handler, a bot seat, no sockets.

The human's side speaks the same op codes and payloads as a networked client, so the
board screen cannot tell a local game from an online one. The bot answers after a
human-looking pause, scheduled on an injected clock: ``poll`` does what is due and
``next_wakeup`` says when to call it again, so the UI never waits.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from game.bot import Level, choose_move
from game.match import GameRecord, LeaveReason, MatchMessage, MatchSettings, XoxoMatch
from game.rules import Board
from game.xoxo import OP_MOVE, OP_REMATCH, OP_STATE, Presence, decode_state, encode_move, join_metadata

THINK_SECONDS = (0.3, 0.7)

LOCAL_SETTINGS = MatchSettings(turn_seconds=0, grace_seconds=0, rematch_seconds=None)


class LocalMatch:
    """One human against the bot, many games long; the human is player 1 (X)."""

    def __init__(
        self,
        level: Level,
        human_name: str = "You",
        *,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        think_seconds: tuple[float, float] = THINK_SECONDS,
        on_record: Callable[[GameRecord], None] | None = None,
    ):
        self.level = level
        self._rng = random.Random(seed)
        self._clock = clock
        self._think = think_seconds
        self._on_record = on_record
        self.human = Presence("local-human", "local-human", human_name)
        self.bot = Presence("local-bot", "local-bot", f"Bot ({level})")
        self._inbox: list[tuple[int, bytes]] = []
        self._bot_move_at: float | None = None
        self._bot_board: Board | None = None
        self.records: list[GameRecord] = []
        self.match = XoxoMatch("local", self, LOCAL_SETTINGS, clock=clock)
        for player in (self.human, self.bot):  # both are our own clients, and say so
            self.match.join_attempt(player, join_metadata())
            self.match.join(player)

    # Dispatcher (called by the match handler) ---------------------------------

    def send(self, op_code: int, data: bytes, to: Sequence[Presence] | None = None) -> None:
        targets = to if to is not None else self.match.connected_presences()
        for p in targets:
            if p.session_id == self.human.session_id:
                self._inbox.append((op_code, data))
            elif p.session_id == self.bot.session_id and op_code == OP_STATE:
                self._bot_sees(data)

    def record(self, record: GameRecord) -> None:
        self.records.append(record)
        if self._on_record is not None:
            self._on_record(record)

    def end(self) -> None:
        self._bot_move_at = None

    # The bot's side --------------------------------------------------------------

    def _bot_sees(self, data: bytes) -> None:
        view = decode_state(data)
        if view.board.is_over:
            self._bot_move_at = None
            self.match.handle(MatchMessage(self.bot, OP_REMATCH, b"{}"))  # always up for another
        elif view.your_turn:
            self._bot_board = view.board
            self._bot_move_at = self._clock() + self._rng.uniform(*self._think)

    # The human's side --------------------------------------------------------------

    def send_move(self, row: int, col: int) -> None:
        self.match.handle(MatchMessage(self.human, OP_MOVE, encode_move(row, col)))

    def request_rematch(self) -> None:
        self.match.handle(MatchMessage(self.human, OP_REMATCH, b"{}"))

    def leave(self) -> None:
        self.match.leave(self.human, LeaveReason.LEFT)

    def poll(self) -> list[tuple[int, bytes]]:
        """Play the bot's move if it is due; return (op_code, data) messages for the human."""
        if self._bot_move_at is not None and self._clock() >= self._bot_move_at and self._bot_board is not None:
            self._bot_move_at = None
            row, col = choose_move(self._bot_board, self.level, self._rng)
            self.match.handle(MatchMessage(self.bot, OP_MOVE, encode_move(row, col)))
        out, self._inbox = self._inbox, []
        return out

    def next_wakeup(self) -> float | None:
        """The clock time at which ``poll`` has something to do (now, if answers are waiting), or None."""
        if self._inbox:
            return self._clock()
        return self._bot_move_at

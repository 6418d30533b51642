"""Finished games from the player's side: where they were played, how they ended, and their moves.

Pure values (no pygame, no files): the board screen makes a ``GameSummary`` when a game
ends; ``--games`` prints it, the stats count it, and the history keeps it (with its
moves, so it can be replayed).
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from game.bot import Level
from game.rules import MARKS, Board, Mark, MoveError, Result, Termination
from game.xoxo import MatchView


class GameMode(enum.StrEnum):
    """Where a game was played: the one vocabulary for it."""

    BOT = "bot"  # against the bot on this machine
    LAN = "lan"  # on a LAN host (ours or another player's)
    ONLINE = "online"  # through a game server


Move = tuple[int, int, int]  # (row, col, player)
UNKNOWN_MARK = "?"  # what a summary says of our mark when the state did not say which seat is ours
SoundName = Literal["place", "win", "loss", "draw"]  # what a game sounds like (``ui.audio`` plays them)


@dataclass(frozen=True)
class GameSummary:
    """One finished game from the player's side."""

    mode: GameMode
    level: Level | None  # the bot's level, None against a person
    mark: Mark | None  # ours (None if the state did not say which seat is ours)
    result: Result | None  # None if we were not one of the players
    moves: tuple[Move, ...]  # in the order they were seen
    first: Mark  # the mark that opened
    you: str = ""  # the name we played under
    opponent: str = ""
    game: int = 1
    termination: Termination = Termination.LINE
    ended_at: float = 0.0  # unix time
    abandoned: bool = False  # in progress when the game last stopped: the result is the server's verdict, found later

    @classmethod
    def from_view(
        cls, view: MatchView, mode: GameMode, level: Level | None, moves: tuple[Move, ...], ended_at: float | None = None
    ) -> GameSummary:
        """The summary of the finished game in ``view`` whose ``moves`` the board saw."""
        board = view.board
        return cls(
            mode=mode,
            level=level,
            mark=MARKS.get(view.you),
            result=view.result,
            moves=moves,
            first=MARKS[board.first],
            you=view.name_of(view.you) if view.you else "",
            opponent=view.name_of(view.opponent) if view.opponent else "",
            game=view.game,
            termination=view.termination or Termination.LINE,
            ended_at=time.time() if ended_at is None else ended_at,
        )

    @property
    def mark_text(self) -> str:
        """Our mark's letter, "?" if we do not know our seat."""
        return self.mark.value if self.mark is not None else UNKNOWN_MARK

    def to_json(self) -> dict[str, object]:
        """The JSON line ``--games`` prints."""
        return {
            "mode": self.mode.value,
            "level": self.level.value if self.level is not None else None,
            "mark": self.mark_text,
            "result": self.result.value if self.result else "over",
            "moves": len(self.moves),
            "first": self.first.value,
            "you": self.you,
            "opponent": self.opponent,
        }

    # The history file's form ---------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "level": self.level.value if self.level is not None else None,
            "mark": self.mark_text,
            "result": self.result.value if self.result else None,
            "moves": [list(m) for m in self.moves],
            "first": self.first.value,
            "you": self.you,
            "opponent": self.opponent,
            "game": self.game,
            "termination": self.termination.value,
            "ended_at": self.ended_at,
            **({"abandoned": True} if self.abandoned else {}),
        }

    @classmethod
    def from_record(cls, obj: Mapping[str, Any]) -> GameSummary:
        """A summary from the history file; ValueError if the entry is not one (it is then skipped)."""
        try:
            moves = tuple(_move(m) for m in obj["moves"])
            result = obj.get("result")
            ended = obj.get("ended_at", 0.0)
            if not isinstance(ended, (int, float)) or isinstance(ended, bool) or not math.isfinite(ended):
                raise ValueError("ended_at")
            summary = cls(
                mode=GameMode(obj["mode"]),
                level=_level(obj.get("level")),
                mark=_mark(obj.get("mark")),
                result=Result(result) if result is not None else None,
                moves=moves,
                first=Mark(obj.get("first", Mark.CROSS.value)),
                you=_text(obj.get("you"), ""),
                opponent=_text(obj.get("opponent"), ""),
                game=int(obj.get("game", 1)),
                termination=Termination(obj.get("termination", Termination.LINE.value)),
                ended_at=float(ended),
                abandoned=obj.get("abandoned") is True,
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a game record: {exc}") from None
        summary.positions()  # the moves must replay
        return summary

    def positions(self) -> list[Board]:
        """The board after each move, from the empty one (ValueError if the moves do not replay)."""
        board = Board.new(self.first.player)
        out = [board]
        for row, col, player in self.moves:
            try:
                board = board.play(row, col, player)
            except MoveError as exc:
                raise ValueError(f"the moves do not replay: {exc}") from None
            out.append(board)
        return out


def _move(value: Any) -> Move:
    if not isinstance(value, (list, tuple)) or len(value) != 3 or not all(isinstance(v, int) for v in value):
        raise ValueError(f"a move must be [row, col, player], not {value!r}")
    return (value[0], value[1], value[2])


def _text(value: Any, default: str) -> str:
    return value[:64] if isinstance(value, str) else default


def _level(value: Any) -> Level | None:
    """The bot's level a record names (None for none, or for a level this game does not know)."""
    try:
        return Level(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _mark(value: Any) -> Mark | None:
    try:
        return Mark(value) if isinstance(value, str) else None
    except ValueError:
        return None  # "?": the seat was not known

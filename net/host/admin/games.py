"""Finished games for the console: the latest ones, and any of them replayed move by move.

The event loop never reads SQLite, so the console shows what the host holds in memory:
the games finished since it started (``Activity.recent``) and, read once when the admin
listener starts (in a thread, on a read-only connection of its own), the latest games
of earlier runs from the database's ``games`` table.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from game.match import GameRecord

log = logging.getLogger("net.host")

SHOWN = 200  # games the console lists


@dataclass(frozen=True)
class PastGame:
    """One finished game as the console shows it."""

    match_id: str
    game: int
    players: tuple[tuple[str, str], tuple[str, str]]  # (user id, name) of player 1 (X) and player 2 (O)
    first: int
    moves: tuple[tuple[int, int, int], ...]  # (row, col, player), 1-based
    winner: int | None
    termination: str
    line: tuple[tuple[int, int], ...] | None
    started_at: float
    ended_at: float

    @property
    def key(self) -> tuple[str, int]:
        return (self.match_id, self.game)

    @classmethod
    def of(cls, rec: GameRecord) -> PastGame:
        p1, p2 = rec.players
        return cls(rec.match_id, rec.game, ((p1.user_id, p1.username), (p2.user_id, p2.username)), rec.first,
                   tuple(rec.moves), rec.winner, rec.termination.value, rec.line, rec.started_at, rec.ended_at)

    def cells(self, step: int) -> list[int]:
        """The nine cells after the first ``step`` moves (0: empty, 1: X, 2: O), in reading order."""
        cells = [0] * 9
        for row, col, player in self.moves[: max(0, step)]:
            if 1 <= row <= 3 and 1 <= col <= 3:
                cells[(row - 1) * 3 + (col - 1)] = player
        return cells


def read_games(path: Path | None, limit: int = SHOWN) -> list[PastGame]:
    """The latest finished games in the database file at ``path``, newest first (none if it cannot be read)."""
    if path is None or not path.exists():
        return []
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        log.warning("the console cannot read earlier games from %s: %s", path, exc)
        return []
    try:
        rows = db.execute(
            "SELECT match_id, game, player1_id, player1_name, player2_id, player2_name, first, moves, winner,"
            " termination, line, started_at, ended_at FROM games ORDER BY ended_at DESC, id DESC LIMIT ?", (limit,)
        ).fetchall()
    except sqlite3.Error as exc:
        log.warning("the console cannot read earlier games from %s: %s", path, exc)
        return []
    finally:
        db.close()
    return [game for game in (_row(r) for r in rows) if game is not None]


def _row(r: tuple[object, ...]) -> PastGame | None:
    try:
        mid, game, id1, name1, id2, name2, first, moves, winner, termination, line, started, ended = r
        moves_list = json.loads(str(moves))
        line_list = json.loads(str(line)) if line else None
        return PastGame(
            str(mid), int(str(game)), ((str(id1), str(name1)), (str(id2), str(name2))), int(str(first)),
            tuple((int(m[0]), int(m[1]), int(m[2])) for m in moves_list),
            int(str(winner)) if winner is not None else None, str(termination),
            tuple((int(c[0]), int(c[1])) for c in line_list) if line_list else None,
            float(str(started)), float(str(ended)),
        )
    except (ValueError, TypeError, IndexError):
        return None


def merged(earlier: Iterable[PastGame], recent: Iterable[GameRecord], limit: int = SHOWN) -> list[PastGame]:
    """Games of this run and earlier ones, newest first, each once."""
    seen: dict[tuple[str, int], PastGame] = {}
    for game in [*(PastGame.of(r) for r in recent), *earlier]:
        seen.setdefault(game.key, game)
    return sorted(seen.values(), key=lambda g: g.ended_at, reverse=True)[:limit]

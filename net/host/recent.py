"""The games the host finished lately, by match and game number: what ``xoxo_seat`` says of a game that is over.

Kept in memory (the last ``MAX_RECENT``, a few MB at most), so the answer never waits for
the database; a game finished before the host restarted is not among them.
"""

from __future__ import annotations

from collections import OrderedDict

from game.match import GameRecord

MAX_RECENT = 10_000


class RecentGames:
    """The last finished games, by (match id, game number); the oldest go first."""

    def __init__(self, limit: int = MAX_RECENT):
        self._limit = limit
        self._games: OrderedDict[tuple[str, int], GameRecord] = OrderedDict()

    def __len__(self) -> int:
        return len(self._games)

    def add(self, rec: GameRecord) -> None:
        key = (rec.match_id, rec.game)
        self._games[key] = rec
        self._games.move_to_end(key)
        while len(self._games) > self._limit:
            self._games.popitem(last=False)

    def get(self, match_id: str, game: int) -> GameRecord | None:
        return self._games.get((match_id, game))

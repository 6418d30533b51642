"""The host's ratings: every rated player's standing, held in memory, written through the database's writer.

This is the host's leaderboard ``xoxo_rating`` (docs/PROTOCOL.md, "Ratings and the
leaderboard"): one record per player who has played a rated game, as Nakama keeps a
leaderboard record (score, subscore, how many writes it has had, when it was made and last
written) with the player's ``game.standing.Standing`` as its metadata. Like the accounts
(``net.host.accounts``), the records are read from the database at start-up and then
kept in memory: a rated match reads both players' standings here (``RatingBook`` is the
match handler's ``Ledger``) and the leaderboard API lists them, so neither waits for
SQLite. Each change is handed to the writer thread as a ``Write`` of the ``ratings``
table, after the game's own row, so a game and the ratings it changed land in that order.

Records are kept sorted as the leaderboard shows them (score, then subscore, then owner
id, each descending, as Nakama orders a descending board), so a page or a player's rank
costs a binary search.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from game.match import GameRecord
from game.rating import Rating, RatingError
from game.standing import Standing
from net.host.store import Write

RATINGS_TABLE = "ratings"
COLUMNS = (
    "user_id", "username", "rating", "deviation", "volatility", "wins", "losses", "draws", "aborts_in_a_row",
    "last_game", "num_score", "created_at", "updated_at",
)

Key = tuple[int, int, str]  # (score, subscore, owner id): ascending here, the board shows it descending


class WriteSink(Protocol):
    """Where changes go: the writer thread (``net.host.writer.Writer``)."""

    def submit(self, write: Write, done: Callable[[], None] | None = None) -> None: ...


@dataclass(frozen=True)
class RatingEntry:
    """One player's leaderboard record."""

    user_id: str
    username: str
    standing: Standing
    num_score: int  # how many times the record was written (Nakama's num_score)
    created_at: float  # unix time
    updated_at: float

    @property
    def key(self) -> Key:
        return (self.standing.score, self.standing.games, self.user_id)

    def row(self) -> tuple[Any, ...]:
        s, r = self.standing, self.standing.rating
        return (
            self.user_id, self.username, r.rating, r.deviation, r.volatility, s.wins, s.losses, s.draws,
            s.aborts_in_a_row, s.last_game, self.num_score, self.created_at, self.updated_at,
        )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> RatingEntry:
        """A record from a row of the ``ratings`` table (or a spilled write); ValueError if it is not one."""
        if len(row) != len(COLUMNS):
            raise ValueError("not a row of the ratings table")
        uid, name, rating, deviation, volatility, wins, losses, draws, aborts, last, num, created, updated = row
        if not isinstance(uid, str) or not isinstance(name, str) or not isinstance(last, str):
            raise ValueError("not a row of the ratings table")
        try:
            numbers = [float(v) for v in (rating, deviation, volatility, created, updated)]
            counts = [int(v) for v in (wins, losses, draws, aborts, num)]
            standing = Standing(Rating(numbers[0], numbers[1], numbers[2]), counts[0], counts[1], counts[2], counts[3], last)
        except (TypeError, ValueError, RatingError) as exc:
            raise ValueError(f"a ratings row that cannot be read: {exc}") from None
        return cls(uid, name, standing, counts[4], numbers[3], numbers[4])


def rating_write(entry: RatingEntry) -> Write:
    """The row of one player's record (a second write for the same player replaces the first)."""
    return Write(RATINGS_TABLE, entry.row(), f"the rating of user {entry.user_id} ({entry.username})")


def entries_from(rows: Iterable[Sequence[Any]], spilled: Iterable[Write] = ()) -> list[RatingEntry]:
    """The records read at start-up: the table's rows, then the rating writes a spill file kept (newer ones).

    Rows that cannot be read are left out.
    """
    by_user: dict[str, RatingEntry] = {}
    for row in [*rows, *(w.row for w in spilled if w.table == RATINGS_TABLE)]:
        try:
            entry = RatingEntry.from_row(row)
        except ValueError:
            continue
        by_user[entry.user_id] = entry
    return list(by_user.values())


class RatingBook:
    """Every rated player's record, sorted as the leaderboard shows it; loop thread only. The matches' ``Ledger``."""

    def __init__(self, entries: Iterable[RatingEntry], sink: WriteSink, clock: Callable[[], float] = time.time):
        self._sink = sink
        self._clock = clock
        self._entries = {e.user_id: e for e in entries}
        self._keys = sorted(e.key for e in self._entries.values())  # ascending

    def __len__(self) -> int:
        return len(self._entries)

    # Ledger ------------------------------------------------------------------------------------

    def standing(self, user_id: str) -> Standing:
        entry = self._entries.get(user_id)
        return entry.standing if entry is not None else Standing()

    # The board -----------------------------------------------------------------------------------

    def entry(self, user_id: str) -> RatingEntry | None:
        return self._entries.get(user_id)

    @property
    def keys(self) -> Sequence[Key]:
        """Every record's key, ascending (the board's order reversed)."""
        return self._keys

    def entry_at(self, index: int) -> RatingEntry:
        """The record whose key is ``keys[index]``."""
        return self._entries[self._keys[index][2]]

    def rank_of(self, user_id: str) -> int | None:
        """The player's place on the board (1 for the best), None without a record."""
        entry = self._entries.get(user_id)
        if entry is None:
            return None
        return len(self._keys) - bisect.bisect_left(self._keys, entry.key)

    # Changes ---------------------------------------------------------------------------------------

    def apply(self, rec: GameRecord, names: Callable[[str], str | None], done: Callable[[], None] | None = None) -> None:
        """A rated game is recorded: both players' new standings, in memory now and queued for the database.

        ``names`` gives an account's name as it is now (a record carries its player's
        latest name, as a Nakama record carries the name of its last write); ``done`` runs
        once both rows are safe. A game without standings changes nothing (``done`` at once).
        """
        change = rec.standings
        if change is None:
            if done is not None:
                done()
            return
        now = self._clock()
        for i, (player, standing) in enumerate(zip(rec.players, change.after, strict=True)):
            old = self._entries.get(player.user_id)
            entry = RatingEntry(
                player.user_id,
                names(player.user_id) or player.username,
                standing,
                (old.num_score if old is not None else 0) + 1,
                old.created_at if old is not None else now,
                now,
            )
            self._put(old, entry)
            self._sink.submit(rating_write(entry), done if i == len(rec.players) - 1 else None)

    def writes(self) -> list[Write]:
        """Every record as a write, for a database that starts again empty (safe from the writer's thread)."""
        return [rating_write(e) for e in list(self._entries.values())]

    def _put(self, old: RatingEntry | None, entry: RatingEntry) -> None:
        if old is not None:
            index = bisect.bisect_left(self._keys, old.key)
            del self._keys[index]
        bisect.insort(self._keys, entry.key)
        self._entries[entry.user_id] = entry

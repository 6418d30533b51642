"""What the host keeps: its accounts in memory, and everything written through one writer thread.

``Database.open`` takes the data folder's lock (``net.host.folderlock``), opens the
SQLite file (``net.host.store``), reads the accounts and the used refresh tokens into
memory (``net.host.accounts``), adds what a spill file left from an earlier run, and
starts the writer thread (``net.host.writer``). From then on the event loop never
touches SQLite: sign-ins are answered from memory, and finished games and account
changes are queued for the writer, which reports back on the loop.

A game row carries the players' names as their accounts have them when it is written,
so a name never outlives a rename in the table of games.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from game.match import GameRecord
from net.host.accounts import Accounts
from net.host.folderlock import FolderInUse, FolderLock
from net.host.rating_store import RatingBook, entries_from
from net.host.store import GameStore, StoreError, Write, game_write
from net.host.writer import SPILL_FILE, Notify, Spill, Writer, WriterSettings

__all__ = ["Database", "FolderInUse", "StoreError"]


class Database:
    """The host's accounts (``accounts``) and its record of finished games (``record``), from the event loop."""

    def __init__(
        self, accounts: Accounts, writer: Writer, lock: FolderLock | None, path: Path | None, ratings: RatingBook | None = None
    ):
        self.accounts = accounts
        self.ratings = ratings if ratings is not None else RatingBook((), writer)  # the leaderboard (rated games)
        self._writer = writer
        self._lock = lock
        self.path = path  # the SQLite file, None when nothing is kept

    @classmethod
    async def open(
        cls,
        data_dir: Path | None,
        *,
        wall_clock: Callable[[], float] = time.time,
        settings: WriterSettings | None = None,
    ) -> Database:
        """Open the data folder's database (None: in memory); StoreError (FolderInUse, ...) if it cannot."""
        loop = asyncio.get_running_loop()
        return await asyncio.to_thread(
            cls._open, data_dir, loop.call_soon_threadsafe, wall_clock, settings or WriterSettings()
        )

    @classmethod
    def _open(
        cls,
        data_dir: Path | None,
        notify: Notify,
        wall_clock: Callable[[], float],
        settings: WriterSettings,
    ) -> Database:
        try:
            lock = FolderLock.acquire(data_dir) if data_dir is not None else None
        except FolderInUse as exc:
            raise StoreError(str(exc)) from None
        except OSError as exc:
            raise StoreError(f"cannot lock the data folder {data_dir}: {exc}") from exc
        try:
            store = GameStore(data_dir)
            spill = Spill(data_dir / SPILL_FILE, settings.spill_bytes) if data_dir is not None else None
            try:
                names = store.accounts()
                used = store.used_refresh_tokens(wall_clock())
                if spill is not None:
                    _left_from_last_run(spill, names, used)
                rated = entries_from(store.ratings(), spill.read()[0] if spill is not None else ())
            except StoreError:
                store.close()
                raise
        except BaseException:
            if lock is not None:
                lock.release()
            raise

        def every_account() -> list[Write]:
            return accounts.writes() + ratings.writes()

        writer = Writer(
            store, spill, notify, settings=settings, accounts=every_account,
            wall_clock=wall_clock, on_exit=lock.release if lock is not None else None,
        )
        accounts = Accounts(names, used, writer, wall_clock)
        ratings = RatingBook(rated, writer, wall_clock)
        writer.start()
        return cls(accounts, writer, lock, store.path, ratings)

    # Finished games ---------------------------------------------------------------------------------

    def record(self, rec: GameRecord, done: Callable[[], None] | None = None) -> None:
        """Queue one finished game; ``done`` runs on the loop once it is safe (or known lost, which is logged)."""
        p1, p2 = rec.players
        name1 = self.accounts.name_of(p1.user_id) or p1.username
        name2 = self.accounts.name_of(p2.user_id) or p2.username
        if (name1, name2) != (p1.username, p2.username):  # a rename during the match: the row has the names of now
            rec = replace(rec, players=(replace(p1, username=name1), replace(p2, username=name2)))
        row = game_write(rec)
        if rec.standings is None:
            self._writer.submit(row, done)
        else:  # the game's row, then both players' ratings: ``done`` once all three are safe
            self._writer.submit(row)
            self.ratings.apply(rec, self.accounts.name_of, done)

    @property
    def games_kept(self) -> int:
        """Finished games written since start (or kept in the spill file until the database takes them)."""
        return self._writer.games_kept

    @property
    def queued(self) -> int:
        """Writes waiting for the writer thread (for the admin's metrics)."""
        return self._writer.queued

    def time_writes(self, observe: Callable[[float], None] | None) -> None:
        """Have ``observe(seconds)`` told, on the writer's thread, how long each committed write waited (None: stop)."""
        self._writer.on_written = observe

    @property
    def games_lost(self) -> int:
        """Finished games that could be neither written nor spilled (each one logged as GAME NOT SAVED)."""
        return self._writer.games_lost

    # Lifecycle ---------------------------------------------------------------------------------------------

    def announce(self, address: str) -> None:
        """Write the address the host listens on into the folder's lock file, for a second host's refusal."""
        if self._lock is not None:
            self._lock.describe(address)

    async def flush(self, timeout: float) -> bool:
        """Wait (``timeout`` at most) until everything queued so far is written, spilled or reported lost."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._writer.barrier(lambda: None if done.done() else done.set_result(None))
        try:
            await asyncio.wait_for(asyncio.shield(done), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        """Write what is queued (a few seconds at most, then spill it), close the database, release the folder."""
        self._writer.stop()
        await asyncio.to_thread(self._writer.join)

    def abort(self) -> None:
        """Stop without waiting: the writer thread still finishes (and releases the folder) on its own."""
        self._writer.stop()


def _left_from_last_run(spill: Spill, names: dict[str, str], used: dict[str, float]) -> None:
    """Add the accounts and used refresh tokens of a spill file an earlier run left (the writer replays it later)."""
    writes, _ = spill.read()
    for w in writes:
        if w.table == "users" and isinstance(w.row[0], str) and isinstance(w.row[1], str):
            names[w.row[0]] = w.row[1]
        elif w.table == "used_refresh_tokens" and isinstance(w.row[0], str) and isinstance(w.row[1], (int, float)):
            used[w.row[0]] = float(w.row[1])

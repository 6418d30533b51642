"""The host's SQLite database: every finished game, and the users who signed in.

Writes are synchronous and small (one row per game or sign-in) on the host's event
loop thread. WAL with ``synchronous=NORMAL`` keeps each commit cheap and survives a
killed process (only a power cut can lose the last commits). Copying the log back into
the database (a checkpoint, 10 to 30 ms now and then) is the one slow step: SQLite's
automatic checkpoint would run it inside a commit, on the loop, so it is switched off
and ``checkpoint()`` runs it from another thread instead (the host calls it every few
seconds). Without a data folder the database lives in memory and dies with the host.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from game.match import GameRecord

DB_FILE = "host.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS games (
    id INTEGER PRIMARY KEY,
    match_id TEXT NOT NULL,
    game INTEGER NOT NULL,
    player1_id TEXT NOT NULL,
    player1_name TEXT NOT NULL,
    player2_id TEXT NOT NULL,
    player2_name TEXT NOT NULL,
    first INTEGER NOT NULL,
    moves TEXT NOT NULL,
    winner INTEGER,
    termination TEXT NOT NULL,
    line TEXT,
    started_at REAL NOT NULL,
    ended_at REAL NOT NULL,
    UNIQUE (match_id, game)
);
CREATE INDEX IF NOT EXISTS games_ended_at ON games (ended_at);
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen_at REAL NOT NULL
);
"""
# Names are unique whatever their case. A database from before this rule may hold the same
# name twice: those rows are renamed apart (name + user id prefix) before the index is made.
_UNIQUE_NAMES = "CREATE UNIQUE INDEX IF NOT EXISTS users_username ON users (username COLLATE NOCASE)"


class StoreError(Exception):
    """The database refused a read or a write (disk full, file removed, locked...)."""


class NameInUse(Exception):
    """Another account already has that name."""


class GameStore:
    """Finished games and known users in one SQLite file (``host.sqlite3`` in the data folder)."""

    def __init__(self, data_dir: Path | None):
        self.path: Path | None = Path(data_dir) / DB_FILE if data_dir is not None else None
        try:
            self._db = sqlite3.connect(
                str(self.path) if self.path else ":memory:", isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=2000")
            self._db.execute("PRAGMA wal_autocheckpoint=0")  # checkpoint() does it, off the event loop
            self._db.executescript(_SCHEMA)
            self._unique_names()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the game database {self.path}: {exc}") from exc
        self._checkpointer: sqlite3.Connection | None = None  # its own connection, used by one thread at a time
        self._checkpoint_lock = threading.Lock()

    def _unique_names(self) -> None:
        try:
            self._db.execute(_UNIQUE_NAMES)
            return
        except sqlite3.IntegrityError:
            pass
        dupes = self._db.execute(
            "SELECT user_id, username FROM users WHERE lower(username) IN"
            " (SELECT lower(username) FROM users GROUP BY lower(username) HAVING count(*) > 1)"
            " ORDER BY last_seen_at DESC"
        ).fetchall()
        seen: set[str] = set()
        for user_id, username in dupes:
            if username.lower() in seen:  # the most recently seen keeps the name
                self._db.execute("UPDATE users SET username = ? WHERE user_id = ?", (f"{username[:11]}-{user_id[:8]}", user_id))
            seen.add(username.lower())
        self._db.execute(_UNIQUE_NAMES)

    def record(self, rec: GameRecord) -> None:
        """Store one finished game (a replayed record of the same match and game replaces it)."""
        p1, p2 = rec.players
        row = (
            rec.match_id, rec.game, p1.user_id, p1.username, p2.user_id, p2.username, rec.first,
            json.dumps([list(m) for m in rec.moves], separators=(",", ":")),
            rec.winner, rec.termination.value,
            json.dumps([list(c) for c in rec.line], separators=(",", ":")) if rec.line else None,
            rec.started_at, rec.ended_at,
        )
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO games (match_id, game, player1_id, player1_name, player2_id, player2_name,"
                " first, moves, winner, termination, line, started_at, ended_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot record game {rec.game} of match {rec.match_id}: {exc}") from exc

    def account(self, user_id: str) -> str | None:
        """The name of user ``user_id``, or None if there is no such account."""
        try:
            row = self._db.execute("SELECT username FROM users WHERE user_id = ?", (user_id,)).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the account of user {user_id}: {exc}") from exc
        return row[0] if row else None

    def name_taken(self, username: str, user_id: str = "") -> bool:
        """True if another account than ``user_id``'s goes by ``username`` (whatever its case)."""
        try:
            row = self._db.execute(
                "SELECT 1 FROM users WHERE username = ? COLLATE NOCASE AND user_id != ?", (username, user_id)
            ).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot look up the name {username!r}: {exc}") from exc
        return row is not None

    def create_account(self, user_id: str, username: str) -> None:
        """A new account; NameInUse if another account has that name."""
        now = time.time()
        try:
            self._db.execute(
                "INSERT INTO users (user_id, username, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
                (user_id, username, now, now),
            )
        except sqlite3.IntegrityError:
            raise NameInUse(username) from None
        except sqlite3.Error as exc:
            raise StoreError(f"cannot create the account of user {user_id}: {exc}") from exc

    def rename(self, user_id: str, username: str) -> None:
        """Give account ``user_id`` a new name; NameInUse if another has it, KeyError if there is no such account."""
        try:
            cur = self._db.execute("UPDATE users SET username = ? WHERE user_id = ?", (username, user_id))
        except sqlite3.IntegrityError:
            raise NameInUse(username) from None
        except sqlite3.Error as exc:
            raise StoreError(f"cannot rename user {user_id}: {exc}") from exc
        if cur.rowcount == 0:
            raise KeyError(user_id)

    def seen(self, user_id: str) -> None:
        """Note that the user signed in now."""
        try:
            self._db.execute("UPDATE users SET last_seen_at = ? WHERE user_id = ?", (time.time(), user_id))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot note the sign-in of user {user_id}: {exc}") from exc

    def games(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest finished games, newest first, as plain dicts (moves and line decoded)."""
        try:
            cur = self._db.execute("SELECT * FROM games ORDER BY ended_at DESC, id DESC LIMIT ?", (limit,))
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read games: {exc}") from exc
        for r in rows:
            r["moves"] = json.loads(r["moves"])
            r["line"] = json.loads(r["line"]) if r["line"] else None
        return rows

    def checkpoint(self) -> None:
        """Copy the write-ahead log back into the database; meant for a thread other than the loop's.

        PASSIVE: it never waits for, nor blocks, the loop's own writes. Raises StoreError.
        """
        if self.path is None:
            return
        with self._checkpoint_lock:
            try:
                if self._checkpointer is None:
                    self._checkpointer = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
                self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot checkpoint the game database {self.path}: {exc}") from exc

    def close(self) -> None:
        """Close the database; the closing connection checkpoints what is left."""
        with self._checkpoint_lock:
            checkpointer, self._checkpointer = self._checkpointer, None
        for db in (checkpointer, self._db):
            if db is None:
                continue
            try:
                db.close()
            except sqlite3.Error:  # closing a broken database: nothing left to save
                pass

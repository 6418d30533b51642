"""The host's SQLite database: every finished game, every account, the refresh tokens already used.

One thread uses it: the writer (``net.host.writer``), never the event loop, so a slow,
locked or broken database delays writes but never a player. The loop answers sign-ins
from memory (``net.host.accounts``) and hands every change over as a ``Write``: one row
of one table, which can also be kept as a line of JSON (the spill file) and applied
later in the same way.

WAL with ``synchronous=NORMAL`` keeps each commit cheap and survives a killed process
(only a power cut can lose the last commits). SQLite's automatic checkpoint is off:
the writer copies the log back now and then (``checkpoint``), between its own writes.

A database file removed or replaced under the running host is noticed (``moved``: the
identity, device and inode, of the file and its log differ from those opened) and put
back (``recover``): SQLite still has the removed files open, so everything written so
far is copied into a new file at the same place; a stranger found there is set aside.
Without a data folder the database lives in memory and dies with the host.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from game.match import GameRecord
from net.limits import MAX_NAME_LENGTH, InvalidInput, name_key, normalize_name

DB_FILE = "host.sqlite3"
BUSY_MS = 500  # how long one attempt waits for another program's lock before the writer backs off
FALLBACK_NAME = "Player"

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
    last_seen_at REAL NOT NULL,
    name_key TEXT
);
CREATE TABLE IF NOT EXISTS used_refresh_tokens (
    token_id TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS used_refresh_tokens_expiry ON used_refresh_tokens (expires_at);
CREATE TABLE IF NOT EXISTS ratings (
    user_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    rating REAL NOT NULL,
    deviation REAL NOT NULL,
    volatility REAL NOT NULL,
    wins INTEGER NOT NULL,
    losses INTEGER NOT NULL,
    draws INTEGER NOT NULL,
    aborts_in_a_row INTEGER NOT NULL,
    last_game TEXT NOT NULL,
    num_score INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
"""
# One account per name whatever its case or look-alike form: the key is net.limits.name_key.
_UNIQUE_KEYS = "CREATE UNIQUE INDEX IF NOT EXISTS users_name_key ON users (name_key)"

_INSERT = {
    "games": (
        "INSERT OR REPLACE INTO games (match_id, game, player1_id, player1_name, player2_id, player2_name,"
        " first, moves, winner, termination, line, started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ),
    # An account as it now is: a new one, or a new name for one (its creation time stays).
    "users": (
        "INSERT INTO users (user_id, username, name_key, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, name_key = excluded.name_key"
    ),
    "used_refresh_tokens": "INSERT OR IGNORE INTO used_refresh_tokens (token_id, expires_at) VALUES (?, ?)",
    # A player's leaderboard record as it now is (net.host.rating_store).
    "ratings": (
        "INSERT OR REPLACE INTO ratings (user_id, username, rating, deviation, volatility, wins, losses, draws,"
        " aborts_in_a_row, last_game, num_score, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ),
}
_COLUMNS = {"games": 13, "users": 5, "used_refresh_tokens": 2, "ratings": 13}

Identity = tuple[int, int] | None  # (st_dev, st_ino) of a file, None while it does not exist


class StoreError(Exception):
    """The database refused a read or a write (locked, disk full, file removed...); worth trying again later."""


class NameInUse(Exception):
    """Another account already has that name (or one that differs only in case or form)."""


@dataclass(frozen=True)
class Write:
    """One row for one table, as the writer applies it and the spill file keeps it; ``what`` names it in logs."""

    table: str
    row: tuple[Any, ...]
    what: str

    @property
    def is_game(self) -> bool:
        return self.table == "games"

    def to_json(self) -> str:
        return json.dumps({"table": self.table, "row": list(self.row), "what": self.what}, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Write:
        """The write a spill line holds; ValueError if the line is not one this host wrote."""
        obj = json.loads(line)
        if not isinstance(obj, dict):
            raise ValueError("not a JSON object")
        table, row, what = obj.get("table"), obj.get("row"), obj.get("what", "")
        if not isinstance(table, str) or table not in _COLUMNS or not isinstance(row, list) or len(row) != _COLUMNS[table]:
            raise ValueError("not a row of a known table")
        if any(isinstance(v, (dict, list)) for v in row) or not isinstance(what, str):
            raise ValueError("not a row of plain values")
        return cls(table, tuple(row), what)


def describe_game(rec: GameRecord) -> str:
    p1, p2 = rec.players
    return f"game {rec.game} of match {rec.match_id} ({p1.username} vs {p2.username})"


def _int_rows(rows: Iterable[tuple[int, ...]]) -> str:
    """Rows of whole numbers as compact JSON, ``[[0,1,4],[1,2,2]]`` (what ``json.dumps`` writes, made directly)."""
    return "[" + ",".join("[" + ",".join(map(int.__repr__, row)) + "]" for row in rows) + "]"


def game_write(rec: GameRecord) -> Write:
    """The row of one finished game (a second write of the same match and game replaces the first)."""
    p1, p2 = rec.players
    row = (
        rec.match_id, rec.game, p1.user_id, p1.username, p2.user_id, p2.username, rec.first,
        _int_rows(rec.moves), rec.winner, rec.termination.value, _int_rows(rec.line) if rec.line else None,
        rec.started_at, rec.ended_at,
    )
    return Write("games", row, describe_game(rec))


def account_write(user_id: str, username: str, now: float) -> Write:
    """An account as it now is (new, or renamed): its name and the name's key."""
    return Write("users", (user_id, username, name_key(username), now, now), f"the account of user {user_id} ({username})")


def refresh_write(token_id: str, expires_at: float) -> Write:
    """A refresh token that has been used (it is refused from now until it expires)."""
    return Write("used_refresh_tokens", (token_id, expires_at), f"used refresh token {token_id}")


def settle_names(rows: Iterable[tuple[str, str]]) -> dict[str, str]:
    """User id -> name, every name valid (``normalize_name``) and alone on its ``name_key``.

    ``rows`` come in order of precedence (the account seen last first): the first of two
    accounts on one key keeps the name, a later one becomes the name, a dash and the
    start of its user id. A name that is no longer valid becomes ``Player-`` and the id's start.
    """
    names: dict[str, str] = {}
    keys: set[str] = set()
    for user_id, raw in rows:
        try:
            name, valid = normalize_name(raw), True
        except InvalidInput:
            name, valid = FALLBACK_NAME, False
        for candidate in _variants(name, user_id, first=valid):
            key = name_key(candidate)
            if key not in keys:
                break
        keys.add(key)
        names[user_id] = candidate
    return names


def _variants(name: str, user_id: str, first: bool) -> Iterable[str]:
    if first:
        yield name
    compact = "".join(c for c in user_id if c.isalnum()) or "x"
    for size in (8, 16):
        tail = compact[:size]
        yield f"{name[: MAX_NAME_LENGTH - len(tail) - 1].rstrip()}-{tail}"
    n = 2
    while True:  # ids are unique, so this is only reached by ids that share their first 16 characters
        yield f"{name[:8].rstrip()}-{compact[:8]}-{n}"
        n += 1


def _identity(path: str | Path) -> Identity:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def _family(path: Path) -> tuple[Path, Path, Path]:
    """The database file, its write-ahead log and its shared-memory index."""
    return path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


class _Refused(Exception):
    """A write of a batch written without savepoints broke a constraint (the batch was rolled back)."""


class GameStore:
    """Finished games and accounts in one SQLite file (``host.sqlite3`` in the data folder), used by one thread."""

    def __init__(self, data_dir: Path | None):
        self.path: Path | None = Path(data_dir) / DB_FILE if data_dir is not None else None
        self._db: sqlite3.Connection | None = None
        self._identities: list[Identity] = [None, None, None]
        # The three files' paths as text, made once: moved() looks at them after every batch of writes.
        self._family_text: tuple[str, ...] = tuple(map(str, _family(self.path))) if self.path is not None else ()
        try:
            self._open()
            self._settle_accounts()
        except sqlite3.Error as exc:
            self.close()
            raise StoreError(f"cannot open the game database {self.path}: {exc}") from exc

    def _open(self) -> None:
        db = sqlite3.connect(str(self.path) if self.path else ":memory:", isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            db.execute("PRAGMA wal_autocheckpoint=0")  # checkpoint() does it, between the writer's own writes
            db.executescript(_SCHEMA)
        except sqlite3.Error:
            db.close()
            raise
        self._db = db
        self._note_identities()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(f"the game database {self.path} is not open")
        return self._db

    def _settle_accounts(self) -> None:
        """Give every account a valid name alone on its key (databases from before the key are converted)."""
        db = self._conn()
        if "name_key" not in {r[1] for r in db.execute("PRAGMA table_info(users)")}:
            db.execute("ALTER TABLE users ADD COLUMN name_key TEXT")
        rows = db.execute("SELECT user_id, username, name_key FROM users ORDER BY last_seen_at DESC, user_id").fetchall()
        stored = {uid: (name, key) for uid, name, key in rows}
        settled = settle_names((uid, name) for uid, name, _ in rows)
        changes = [(name, name_key(name), uid) for uid, name in settled.items() if stored[uid] != (name, name_key(name))]
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users'")}
        if not changes and "users_name_key" in indexes and "users_username" not in indexes:
            return  # settled already: no write, so another program's lock cannot keep the host from starting
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DROP INDEX IF EXISTS users_username")  # the old rule (case-blind for ASCII only)
            if changes:
                db.execute("DROP INDEX IF EXISTS users_name_key")
                db.executemany("UPDATE users SET username = ?, name_key = ? WHERE user_id = ?", changes)
            db.execute(_UNIQUE_KEYS)
            db.execute("COMMIT")
        except sqlite3.Error:
            db.execute("ROLLBACK")
            raise

    # Reads (at start-up) ---------------------------------------------------------------------

    def accounts(self) -> dict[str, str]:
        """Every account: user id -> name."""
        try:
            return dict(self._conn().execute("SELECT user_id, username FROM users").fetchall())
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the accounts: {exc}") from exc

    def used_refresh_tokens(self, now: float) -> dict[str, float]:
        """Refresh token id -> expiry, for the used tokens that have not expired yet."""
        try:
            rows = self._conn().execute("SELECT token_id, expires_at FROM used_refresh_tokens WHERE expires_at > ?", (now,))
            return dict(rows.fetchall())
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the used refresh tokens: {exc}") from exc

    def ratings(self) -> list[tuple[Any, ...]]:
        """Every player's leaderboard record, as rows of the ``ratings`` table (net.host.rating_store reads them)."""
        try:
            return self._conn().execute(
                "SELECT user_id, username, rating, deviation, volatility, wins, losses, draws, aborts_in_a_row,"
                " last_game, num_score, created_at, updated_at FROM ratings"
            ).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the ratings: {exc}") from exc

    def games(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest finished games, newest first, as plain dicts (moves and line decoded)."""
        try:
            cur = self._conn().execute("SELECT * FROM games ORDER BY ended_at DESC, id DESC LIMIT ?", (limit,))
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read games: {exc}") from exc
        for r in rows:
            r["moves"] = json.loads(r["moves"])
            r["line"] = json.loads(r["line"]) if r["line"] else None
        return rows

    # Writes (the writer thread) ------------------------------------------------------------------

    def write(self, writes: Sequence[Write], seen: Mapping[str, float] | None = None) -> list[tuple[int, str]]:
        """Apply ``writes`` in order, and last-seen times, in one transaction.

        A write the database refuses on its own account (a constraint) is left out and
        returned, by its index in ``writes``, with the reason; anything else (locked, disk
        full, no such table...) rolls everything back and raises StoreError, to be tried again.
        """
        try:
            return self._write(writes, seen, one_by_one=False)
        except _Refused:
            # Some write broke a constraint: the whole batch again, each write in a savepoint of its own, so
            # that only the refused ones are left out. Refusals are rare, so the common batch pays for none.
            return self._write(writes, seen, one_by_one=True)

    def _write(self, writes: Sequence[Write], seen: Mapping[str, float] | None, one_by_one: bool) -> list[tuple[int, str]]:
        db = self._conn()
        refused: list[tuple[int, str]] = []
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for i, w in enumerate(writes):
                    if not one_by_one:
                        try:
                            db.execute(_INSERT[w.table], w.row)
                        except sqlite3.IntegrityError as exc:
                            raise _Refused from exc
                        continue
                    db.execute("SAVEPOINT one")
                    try:
                        db.execute(_INSERT[w.table], w.row)
                    except sqlite3.IntegrityError as exc:
                        db.execute("ROLLBACK TO one")
                        refused.append((i, str(exc)))
                    db.execute("RELEASE one")
                if seen:
                    db.executemany(
                        "UPDATE users SET last_seen_at = max(last_seen_at, ?) WHERE user_id = ?",
                        [(t, uid) for uid, t in seen.items()],
                    )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc
        return refused

    def repair(self) -> None:
        """Make any table that went missing again (the next write then finds it)."""
        try:
            self._conn().executescript(_SCHEMA)
            self._conn().execute(_UNIQUE_KEYS)
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc

    def checkpoint(self, now: float | None = None) -> None:
        """Copy the write-ahead log back into the database (PASSIVE: it never waits for another program's lock).

        With ``now``, used refresh tokens that expired before it are forgotten too. Raises StoreError.
        """
        if self.path is None:
            return
        db = self._conn()
        try:
            if now is not None:
                db.execute("DELETE FROM used_refresh_tokens WHERE expires_at <= ?", (now,))
            db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot checkpoint the game database {self.path}: {exc}") from exc

    def summary(self) -> str:
        """How much the database holds, for a log line: "12 games, 3 accounts"."""
        try:
            db = self._conn()
            games = db.execute("SELECT count(*) FROM games").fetchone()[0]
            users = db.execute("SELECT count(*) FROM users").fetchone()[0]
        except (sqlite3.Error, StoreError) as exc:
            return f"cannot count its rows: {exc}"
        return f"{games} games, {users} accounts"

    # The file's identity -----------------------------------------------------------------------------

    def _note_identities(self) -> None:
        if self.path is not None:
            self._identities = [_identity(p) for p in self._family_text]

    def moved(self) -> str | None:
        """None while the files opened are still where they were; else what happened to them."""
        if self.path is None:
            return None
        if self._db is None:
            return "was closed after an earlier failure"
        now = [_identity(p) for p in self._family_text]
        for i, (was, is_) in enumerate(zip(self._identities, now, strict=True)):
            if was is None and is_ is not None:
                self._identities[i] = is_  # SQLite made the log or its index since: ours
        db_was, wal_was, shm_was = self._identities
        db_now, wal_now, shm_now = now
        if db_now is None:
            return "was removed"
        if db_now != db_was:
            return "was replaced by another file"
        if (wal_was is not None and wal_now != wal_was) or (shm_was is not None and shm_now != shm_was):
            return "lost its write-ahead log (the -wal or -shm file was removed or replaced)"
        return None

    def recover(self) -> bool:
        """Put the host's database back at its path; True if all it held was copied, False if it starts empty.

        The files SQLite still has open are copied (SQLite's backup) into a new file that
        takes the path; a stranger found there is renamed ``host.sqlite3.replaced-TIME``
        first. If nothing can be copied, a new empty database takes the path and the
        caller writes back what it holds. Raises StoreError if even that fails.
        """
        assert self.path is not None
        path = self.path
        fresh = path.with_name(path.name + ".recovering")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for f in _family(fresh):
                f.unlink(missing_ok=True)
            copied = self._copy_into(fresh)
            self._set_strangers_aside()
            self.close()
            for f in _family(path)[1:]:
                f.unlink(missing_ok=True)  # the log of the old file (or of nothing): the copy needs none
            if copied:
                os.replace(fresh, path)
            self._open()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot recreate the game database {path}: {exc}") from exc
        return copied

    def _copy_into(self, target_path: Path) -> bool:
        if self._db is None:
            return False
        target = sqlite3.connect(str(target_path))
        try:
            self._db.backup(target)
        except sqlite3.Error:
            target.close()
            for f in _family(target_path):
                f.unlink(missing_ok=True)
            return False
        target.close()
        return True

    def _set_strangers_aside(self) -> None:
        """Files at our paths that are not the ones we opened are renamed aside, never overwritten."""
        assert self.path is not None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for f, was in zip(_family(self.path), self._identities, strict=True):
            now = _identity(f)
            if now is not None and now != was:
                os.replace(f, f.with_name(f"{self.path.name}.replaced-{stamp}{f.name[len(self.path.name):]}"))

    def close(self) -> None:
        """Close the database; the closing connection checkpoints what is left."""
        db, self._db = self._db, None
        if db is None:
            return
        try:
            db.close()
        except sqlite3.Error:  # closing a broken database: nothing left to save
            pass

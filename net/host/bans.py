"""Banned accounts: who may not sign in, refresh or open a socket, why, and until when.

Operators ban and unban from the admin console (``net.host.admin``); the host asks
``refusal`` at each door (``net.host.seats``), so a ban holds whether or not the admin
listener runs. Bans live in memory and in ``bans.json`` in the data folder, rewritten
whole on each change (write a temporary file, sync it, rename it over the old one), off
the event loop: the rewrite runs in a worker thread, and a later change never loses to
an earlier one that finishes last. A ban may end at a given time; after it the account
signs in again, and the ban stays listed (as ended) until it is lifted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("net.host")

BANS_FILE = "bans.json"
MAX_REASON = 200  # characters of a ban's reason


def utc_text(when: float) -> str:
    """A time for people: ``2025-06-01 12:00 UTC``."""
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Ban:
    """One banned account: why, since when, until when (None: until lifted), and by whom."""

    user_id: str
    reason: str
    since: float
    until: float | None = None
    by: str = ""

    def active(self, now: float) -> bool:
        return self.until is None or now < self.until

    def sentence(self) -> str:
        """What the player is told at each door."""
        until = f" until {utc_text(self.until)}" if self.until is not None else ""
        return f"This account is banned from this server{until}. Reason: {self.reason}"

    @classmethod
    def from_json(cls, obj: Any) -> Ban:
        if not isinstance(obj, dict):
            raise ValueError("a ban must be a JSON object")
        uid, reason, since, until, by = (obj.get(k) for k in ("user_id", "reason", "since", "until", "by"))
        if not (isinstance(uid, str) and isinstance(reason, str) and isinstance(since, (int, float))
                and (until is None or isinstance(until, (int, float))) and isinstance(by, str)):
            raise ValueError(f"not a ban: {str(obj)[:100]}")
        return cls(uid, reason, float(since), None if until is None else float(until), by)


class Bans:
    """The host's bans (loop thread), kept in ``path`` (None: in memory only)."""

    def __init__(self, path: Path | None = None, bans: dict[str, Ban] | None = None,
                 clock: Callable[[], float] = time.time):
        self.path = path
        self._bans = dict(bans or {})
        self._clock = clock
        self._version = 0  # bumped on every change; a save of an older version never overwrites a newer one
        self._saved = 0
        self._lock = threading.Lock()
        self._saving: set[asyncio.Future[None]] = set()

    @classmethod
    def load(cls, data_dir: Path | None, clock: Callable[[], float] = time.time) -> Bans:
        """The bans kept in ``data_dir`` (none yet: none). Raises ValueError for a file this host did not write."""
        if data_dir is None:
            return cls(None, clock=clock)
        path = Path(data_dir) / BANS_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path, clock=clock)
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from exc
        try:
            items = json.loads(text)
            if not isinstance(items, list):
                raise ValueError("a list of bans is expected")
            bans = [Ban.from_json(item) for item in items]
        except ValueError as exc:
            raise ValueError(f"{path} is not a list of bans ({exc}); fix or remove it") from None
        return cls(path, {b.user_id: b for b in bans}, clock)

    # Questions ----------------------------------------------------------------------------

    def refusal(self, user_id: str) -> str | None:
        """Why ``user_id`` may not come in (a sentence for the player), or None."""
        ban = self._bans.get(user_id)
        if ban is None or not ban.active(self._clock()):
            return None
        return ban.sentence()

    def get(self, user_id: str) -> Ban | None:
        return self._bans.get(user_id)

    def all(self) -> list[Ban]:
        """Every ban, the latest first."""
        return sorted(self._bans.values(), key=lambda b: b.since, reverse=True)

    def __len__(self) -> int:
        return len(self._bans)

    # Changes ------------------------------------------------------------------------------------

    def ban(self, user_id: str, reason: str, until: float | None, by: str) -> Ban:
        """Ban (or ban again, with a new reason and end) ``user_id``; saved off the loop."""
        ban = Ban(user_id, reason[:MAX_REASON], self._clock(), until, by)
        self._bans[user_id] = ban
        self._changed()
        return ban

    def unban(self, user_id: str) -> Ban | None:
        """Lift the ban on ``user_id``; the ban lifted, or None if there was none."""
        ban = self._bans.pop(user_id, None)
        if ban is not None:
            self._changed()
        return ban

    def _changed(self) -> None:
        self._version += 1
        if self.path is None:
            return
        snapshot = (self._version, [asdict(b) for b in self._bans.values()])
        future = asyncio.get_running_loop().run_in_executor(None, self._save, *snapshot)
        self._saving.add(future)
        future.add_done_callback(self._saved_one)

    def _saved_one(self, future: asyncio.Future[None]) -> None:
        self._saving.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("the bans could not be saved to %s: %s", self.path, future.exception())

    def _save(self, version: int, items: list[dict[str, Any]]) -> None:
        """Write ``items`` to the file unless a newer version is there already (a worker thread)."""
        assert self.path is not None
        with self._lock:
            if version <= self._saved:
                return
            temporary = self.path.with_name(self.path.name + ".new")
            with open(temporary, "w", encoding="utf-8") as f:
                json.dump(items, f, indent=1)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, self.path)
            self._saved = version

    async def flush(self) -> None:
        """Wait for the changes made so far to be on disk (or their failure logged)."""
        if self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)

"""The console's audit log: every change an operator makes, who, when and what, appended and never rewritten.

``audit.jsonl`` in the data folder, one JSON object a line: ``time`` (RFC 3339, UTC),
``operator`` (the name typed at sign-in, may be empty), ``address`` (where the console
was used from), ``action`` (``sign_in``, ``sign_out``, ``rename``, ``ban``, ``unban``),
``user_id`` and ``name`` of the account acted on, and ``detail`` (the new name, the
reason and end of a ban). Lines are appended by a worker thread, in order, and synced,
so the event loop never waits for the disk; the last ``KEPT`` entries are also kept in
memory for the console's page, and read back from the file when the listener starts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from net.host.jsonlog import rfc3339

log = logging.getLogger("net.host")

AUDIT_FILE = "audit.jsonl"
KEPT = 200  # entries shown on the console


class AuditLog:
    """Append-only, off the loop (see the module's docstring); ``path`` None keeps it in memory only."""

    def __init__(self, path: Path | None, clock: Callable[[], float]):
        self.path = path
        self._clock = clock
        self.recent: deque[dict[str, Any]] = deque(maxlen=KEPT)
        self._pending: deque[str] = deque()
        self._lock = threading.Lock()
        self._writing: set[asyncio.Future[None]] = set()

    async def load(self) -> None:
        """Read the last entries of an existing file back (for the console's page)."""
        if self.path is None:
            return
        lines = await asyncio.to_thread(self._tail)
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                self.recent.append(entry)

    def _tail(self) -> list[str]:
        assert self.path is not None
        try:
            with open(self.path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 256 * 1024))
                data = f.read()
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.error("cannot read the audit log %s: %s", self.path, exc.strerror or exc)
            return []
        return data.decode("utf-8", "replace").splitlines()[-KEPT:]

    def record(self, who: tuple[str, str], action: str, user_id: str = "", name: str = "", detail: str = "") -> None:
        """Note one action by ``who`` (operator, address); written to the file off the loop."""
        operator, address = who
        entry = {"time": rfc3339(self._clock()), "operator": operator, "address": address, "action": action,
                 "user_id": user_id, "name": name, "detail": detail}
        self.recent.append(entry)
        log.info("console: %s by %s: %s %s %s", action, f"{operator} from {address}" if operator else address,
                 name, user_id, detail)
        if self.path is None:
            return
        self._pending.append(json.dumps(entry, ensure_ascii=False) + "\n")
        future = asyncio.get_running_loop().run_in_executor(None, self._append)
        self._writing.add(future)
        future.add_done_callback(self._written)

    def _append(self) -> None:
        """Write every line waiting, in order (a worker thread; the lock keeps two workers from interleaving)."""
        assert self.path is not None
        with self._lock:
            lines: list[str] = []
            while self._pending:
                lines.append(self._pending.popleft())
            if not lines:
                return
            with open(self.path, "a", encoding="utf-8") as f:
                f.write("".join(lines))
                f.flush()
                os.fsync(f.fileno())

    def _written(self, future: asyncio.Future[None]) -> None:
        self._writing.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("cannot write the audit log %s: %s", self.path, future.exception())

    async def flush(self) -> None:
        if self._writing:
            await asyncio.gather(*self._writing, return_exceptions=True)

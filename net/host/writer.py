"""The database's own thread: every write in order, off the event loop, tried again until it lands.

The loop hands over ``Write``s (a finished game, an account, a used refresh token) and
last-seen times and goes on at once; each write's ``done`` callback comes back to the
loop (through ``notify``) once the write is safe: committed, or kept in the spill file.
Writes go in batches, one transaction each.

When the database refuses (another program holds its lock, the disk is full, the file
went away), the writes wait in memory and are tried again with a growing pause (0.1 s,
doubling, at most ``retry_max``); the log gets one WARNING when the trouble starts and
one when it ends, not a line per attempt. A write that has waited ``spill_after``
seconds (or that finds ``max_waiting`` others before it) is appended to the spill file,
``host.spill.jsonl`` in the data folder: JSON lines, fsynced, at most ``MAX_SPILL_BYTES``.
The spill file is replayed into the database as soon as it takes writes again, and at
the next start if the host stops first. Only a write that can be neither committed nor
spilled is lost, and each such loss is an ERROR (``GAME NOT SAVED`` for a game).

Between writes the thread checks that the database file is still the one it opened
and puts it back if not (``GameStore.moved`` and ``recover``), and copies the log back
(``checkpoint``) every ``check_seconds``.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import queue
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from net.host.store import GameStore, StoreError, Write

log = logging.getLogger("net.host")

SPILL_FILE = "host.spill.jsonl"
MAX_SPILL_BYTES = 16 * 1024 * 1024  # about 40,000 games
BATCH = 256  # writes per transaction
RETRY_FIRST = 0.1
RETRY_MAX = 2.0  # seconds between attempts at most (each attempt also waits up to store.BUSY_MS for a lock)
SPILL_AFTER = 30.0  # seconds a refused write waits in memory before it goes to the spill file
MAX_WAITING = 10_000  # writes held in memory while the database refuses them; older ones go to the spill file
CHECK_SECONDS = 5.0  # how often the file's identity is checked and the log copied back
STOP_SECONDS = 3.0  # at stop, how long the writer keeps trying before it spills what is left

Notify = Callable[[Callable[[], None]], object]  # e.g. loop.call_soon_threadsafe

_running: weakref.WeakSet[Writer] = weakref.WeakSet()


@atexit.register
def _finish_at_exit() -> None:
    """A process that ends without stopping its host still writes (or spills) what it holds."""
    for writer in list(_running):
        writer.stop()
    for writer in list(_running):
        writer.join(writer.settings.stop_seconds + 2.0)


def _run_each(callbacks: list[Callable[[], None]]) -> None:
    """Run every callback, as the loop runs each of its own: one that raises is logged and the others still run."""
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("a database write's callback failed")


class SpillFull(Exception):
    """The spill file has reached its size limit."""


class Spill:
    """The spill file: writes the database refused for too long, as JSON lines, until it takes them."""

    def __init__(self, path: Path, max_bytes: int = MAX_SPILL_BYTES):
        self.path = path
        self.max_bytes = max_bytes

    def exists(self) -> bool:
        return self.path.exists()

    def append(self, writes: Sequence[Write]) -> int:
        """Append as many of ``writes`` as fit, durably (fsync); how many. Raises OSError."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        lines: list[bytes] = []
        for w in writes:
            line = (w.to_json() + "\n").encode("utf-8")
            if size + len(line) > self.max_bytes:
                break
            lines.append(line)
            size += len(line)
        if lines:
            with open(self.path, "ab") as f:
                f.write(b"".join(lines))
                f.flush()
                os.fsync(f.fileno())
        return len(lines)

    def read(self) -> tuple[list[Write], int]:
        """The writes kept, in order, and how many lines could not be read (a line cut by a crash)."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return [], 0
        writes: list[Write] = []
        bad = 0
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                writes.append(Write.from_json(line))
            except ValueError:
                bad += 1
        return writes, bad

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass
class _Waiting:
    seq: int
    write: Write
    done: Callable[[], None] | None
    since: float


@dataclass(frozen=True)
class WriterSettings:
    """The writer's timings and limits (tests shorten them)."""

    retry_max: float = RETRY_MAX
    spill_after: float = SPILL_AFTER
    max_waiting: int = MAX_WAITING
    check_seconds: float = CHECK_SECONDS
    stop_seconds: float = STOP_SECONDS
    spill_bytes: int = MAX_SPILL_BYTES


class Writer:
    """The thread that owns the ``GameStore``: ``submit`` from the loop, ``stop`` and ``join`` at the end."""

    def __init__(
        self,
        store: GameStore,
        spill: Spill | None,
        notify: Notify,
        *,
        settings: WriterSettings = WriterSettings(),
        accounts: Callable[[], list[Write]] = list,
        wall_clock: Callable[[], float] = time.time,
        on_exit: Callable[[], None] | None = None,
    ):
        self._store = store
        self._spill = spill
        self._notify_loop = notify
        self.settings = settings
        self._accounts = accounts  # every account as a write, should a new empty database need them
        self._wall = wall_clock
        self._on_exit = on_exit
        self._clock = time.monotonic
        self._inbox: queue.SimpleQueue[tuple[object, ...]] = queue.SimpleQueue()
        self._outbox: list[tuple[object, ...]] = []  # handed over during this turn of the loop, not yet queued
        self._waiting: deque[_Waiting] = deque()
        self._seen: dict[str, float] = {}
        self._barriers: deque[tuple[int, Callable[[], None]]] = deque()
        self._seq = 0
        self._spill_waiting = spill is not None and spill.exists()
        self._stopped = False  # the thread's view: a stop was taken from the inbox
        self._closing = False  # the loop's view: stop() was called, later writes have nowhere to go
        self._failing_since: float | None = None
        self._error = ""
        self._delay = RETRY_FIRST
        self._retry_at = 0.0
        self._spill_retry_at = 0.0
        self._spilled_now = 0  # writes spilled in the current outage
        self._spill_problem = ""  # why the spill file took fewer writes than it was given
        self._next_check = self._clock() + settings.check_seconds
        self.games_kept = 0  # committed, or spilled to be committed later
        self.games_lost = 0
        self.on_written: Callable[[float], None] | None = None  # told each commit's wait, on this thread (the metrics)
        # A daemon, so a process that forgets to stop its host still exits: the hook above lets it finish first.
        self._thread = threading.Thread(target=self._run, name="database-writer", daemon=True)

    def start(self) -> None:
        _running.add(self)
        self._thread.start()

    # The loop's side -----------------------------------------------------------------------------------

    def submit(self, write: Write, done: Callable[[], None] | None = None) -> None:
        """Queue ``write``; ``done`` runs on the loop once it is safe (or, for a game, known lost)."""
        if self._closing:  # after stop(): said at once rather than queued for a thread that is ending
            self._lost(write, "the host's database was already closed")
            if done is not None:
                done()
            return
        self._hand(("write", write, done, self._clock()))

    def seen(self, user_id: str, when: float) -> None:
        """Note a sign-in time (written with the next batch; kept in memory only)."""
        self._hand(("seen", user_id, when))

    def barrier(self, done: Callable[[], None]) -> None:
        """``done`` runs on the loop once every write submitted before has been dealt with."""
        self._hand_over()
        self._inbox.put(("barrier", done))

    def stop(self) -> None:
        """No more writes: the thread writes what it holds (``stop_seconds`` at most), spills the rest, closes the store."""
        self._closing = True
        self._hand_over()
        self._inbox.put(("stop",))

    def _hand(self, item: tuple[object, ...]) -> None:
        """Queue ``item`` for the thread; what one turn of the event loop hands over goes as one (one wake-up).

        Waking the thread for each write cost the loop more than the write (the thread then
        competes for the interpreter); gathered until the loop's next turn, they cost one.
        """
        if not self._outbox:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # not on a loop (a test, the process's exit): at once
                self._inbox.put(item)
                return
            loop.call_soon(self._hand_over)
        self._outbox.append(item)

    def _hand_over(self) -> None:
        if self._outbox:
            items, self._outbox = self._outbox, []
            self._inbox.put(("batch", items))

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def queued(self) -> int:
        """Items handed over and not yet written, spilled or lost (read from the loop: an estimate, for the metrics)."""
        return self._inbox.qsize() + len(self._outbox) + len(self._waiting)

    # The thread ------------------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopped:
                self._take(self._wait_seconds())
                self._step(self._clock())
            self._drain()
        except Exception:  # a bug of ours: say so loudly, and keep what can be kept
            log.exception("the database writer failed")
            self._stopped = True
            self._spill_overdue(self._clock())
        finally:
            self._store.close()
            self._release_barriers(everything=True)
            if self._on_exit is not None:
                self._on_exit()

    def _notify(self, callback: Callable[[], None]) -> None:
        try:
            self._notify_loop(callback)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            pass

    def _take(self, timeout: float) -> None:
        """Wait up to ``timeout`` for something to do, then take everything queued."""
        try:
            item = self._inbox.get(timeout=timeout) if timeout > 0 else self._inbox.get_nowait()
        except queue.Empty:
            return
        while True:
            self._accept(item)
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return

    def _accept(self, item: tuple[object, ...]) -> None:
        kind = item[0]
        if kind == "batch":
            items = item[1]
            assert isinstance(items, list)
            for one in items:
                self._accept(one)
        elif kind == "write":
            _, write, done, since = item
            assert isinstance(write, Write) and isinstance(since, float)
            self._seq += 1
            self._waiting.append(_Waiting(self._seq, write, done if callable(done) else None, since))
        elif kind == "seen":
            _, user_id, when = item
            assert isinstance(user_id, str) and isinstance(when, float)
            self._seen[user_id] = max(when, self._seen.get(user_id, when))
        elif kind == "barrier":
            done = item[1]
            assert callable(done)
            self._barriers.append((self._seq, done))
            self._release_barriers()
        else:
            self._stopped = True

    def _wait_seconds(self) -> float:
        now = self._clock()
        due = [self._next_check]
        if self._waiting or self._seen or self._spill_waiting:
            due.append(self._retry_at)
        if self._failing_since is not None and self._waiting:
            due.append(max(self._spill_retry_at, self._waiting[0].since + self.settings.spill_after))
        return min(due) - now

    def _step(self, now: float) -> None:
        if (self._waiting or self._seen or self._spill_waiting) and now >= self._retry_at:
            self._write_out(now)
        if now >= self._next_check:
            self._next_check = now + self.settings.check_seconds
            self._check_file(now)
            if self._failing_since is None:
                self._checkpoint()
        if self._failing_since is not None:
            self._spill_overdue(now)

    def _drain(self) -> None:
        """At stop: keep writing for ``stop_seconds``, then spill whatever the database still refuses."""
        deadline = self._clock() + self.settings.stop_seconds
        while self._waiting or self._seen or self._spill_waiting:
            now = self._clock()
            if now >= deadline:
                break
            if now >= self._retry_at:
                self._write_out(now)
            else:
                self._take(min(self._retry_at, deadline) - now)
        self._spill_overdue(self._clock())
        if self._waiting:
            log.error("%d writes were still waiting when the database writer stopped", len(self._waiting))

    # Writing -------------------------------------------------------------------------------------------------

    def _write_out(self, now: float) -> None:
        try:
            if self._spill_waiting:
                self._replay()
            while self._waiting or self._seen:
                batch = [self._waiting[i] for i in range(min(len(self._waiting), BATCH))]
                refused = self._store.write([w.write for w in batch], self._seen)
                self._seen.clear()
                self._settle(batch, dict(refused))
                self._check_file(now)  # a file removed since the last check is put back before more goes into it
        except StoreError as exc:
            self._refused(now, exc)
        else:
            self._recovered(now)

    def _settle(self, batch: list[_Waiting], refused: dict[int, str]) -> None:
        """The batch is committed: each write is done, except those the database refused for good."""
        observe, now = self.on_written, self._clock()
        for i, w in enumerate(batch):
            self._waiting.popleft()
            reason = refused.get(i)
            if reason is not None:
                self._lost(w.write, f"the database refused it ({reason})")
            elif w.write.is_game:
                self.games_kept += 1
            if observe is not None and reason is None:
                observe(now - w.since)
        dones = [w.done for w in batch if w.done is not None]
        if dones:  # one call onto the loop for the batch, not one each
            self._notify(lambda: _run_each(dones))
        self._release_barriers()

    def _replay(self) -> None:
        assert self._spill is not None
        writes, bad = self._spill.read()
        refused = self._store.write(writes)
        try:
            self._spill.remove()
        except OSError as exc:
            log.error("cannot remove the spill file %s after replaying it (%s); remove it by hand", self._spill.path, exc)
        self._spill_waiting = False
        log.warning(
            "replayed %d writes from %s into the database%s", len(writes), self._spill.path,
            f" ({bad} unreadable lines skipped)" if bad else "",
        )
        for i, reason in refused:
            self._lost(writes[i], f"the database refused it ({reason})")

    def _refused(self, now: float, exc: StoreError) -> None:
        self._error = str(exc)
        if self._failing_since is None:
            self._failing_since = now
            self._delay = RETRY_FIRST
            log.warning(
                "database writes are failing (%s); %d waiting, trying again with a growing pause "
                "(after %g s they go to the spill file)",
                exc, len(self._waiting), self.settings.spill_after,
            )
        else:
            self._delay = min(self._delay * 2, self.settings.retry_max)
        self._retry_at = now + self._delay
        if "no such table" in self._error:
            try:
                self._store.repair()
            except StoreError:
                pass  # the next attempt says what is wrong

    def _recovered(self, now: float) -> None:
        self._retry_at = 0.0
        if self._failing_since is None:
            return
        log.warning(
            "database writes resumed after %.1f s%s", now - self._failing_since,
            f" ({self._spilled_now} writes went through the spill file)" if self._spilled_now else "",
        )
        self._failing_since = None
        self._spilled_now = 0
        self._spill_retry_at = 0.0

    # Spilling -----------------------------------------------------------------------------------------------

    def _spill_overdue(self, now: float) -> None:
        """Writes that waited too long (or too many, or at stop) go to the spill file; what cannot is lost."""
        excess = len(self._waiting) - self.settings.max_waiting
        overdue = 0
        for i, w in enumerate(self._waiting):
            if not (self._stopped or i < excess or w.since + self.settings.spill_after <= now):
                break
            overdue += 1
        if overdue == 0 or (now < self._spill_retry_at and not self._stopped and excess <= 0):
            return
        batch = [self._waiting[i] for i in range(overdue)]
        kept = self._to_spill([w.write for w in batch])
        for w in batch[:kept]:
            self._waiting.popleft()
            if w.write.is_game:
                self.games_kept += 1
            if w.done is not None:
                self._notify(w.done)
        if kept < overdue:
            self._spill_retry_at = now + self.settings.retry_max
            while self._waiting and (self._stopped or len(self._waiting) > self.settings.max_waiting):
                w = self._waiting.popleft()
                self._lost(w.write, f"the database refuses writes ({self._error}) and {self._spill_problem}")
                if w.done is not None:
                    self._notify(w.done)
        self._release_barriers()

    def _to_spill(self, writes: list[Write]) -> int:
        """Append ``writes`` to the spill file; how many it took."""
        if self._spill is None:
            self._spill_problem = "there is no data folder to spill to"
            return 0
        try:
            kept = self._spill.append(writes)
        except OSError as exc:
            kept, self._spill_problem = 0, f"the spill file {self._spill.path} cannot be written ({exc})"
        else:
            if kept < len(writes):
                self._spill_problem = f"the spill file {self._spill.path} is full ({self._spill.max_bytes // 2**20} MiB)"
        if kept:
            self._spill_waiting = True
            if self._spilled_now == 0:
                log.error(
                    "%d writes the database has not taken (%s) are kept in %s, to be replayed when it takes writes "
                    "again or at the next start", kept, self._error or "the host is stopping", self._spill.path,
                )
            self._spilled_now += kept
        return kept

    def _lost(self, write: Write, why: str) -> None:
        if write.is_game:
            self.games_lost += 1
        log.error("%s: %s: %s", "GAME NOT SAVED" if write.is_game else "NOT SAVED", write.what, why)

    def _release_barriers(self, everything: bool = False) -> None:
        front = self._waiting[0].seq if self._waiting and not everything else self._seq + 1
        while self._barriers and self._barriers[0][0] < front:
            self._notify(self._barriers.popleft()[1])

    # The file ---------------------------------------------------------------------------------------------

    def _check_file(self, now: float) -> None:
        """Put the database back if its file was removed or replaced under us (once, with one ERROR)."""
        what = self._store.moved()
        if what is None:
            return
        path = self._store.path
        try:
            copied = self._store.recover()
        except StoreError as exc:
            if self._failing_since is None:
                self._refused(now, exc)
            return
        if copied:
            log.error(
                "the database file %s %s while the host was running: the host put back a copy of everything it had "
                "written (%s)", path, what, self._store.summary(),
            )
            return
        accounts = self._accounts()
        for w in reversed(accounts):
            self._waiting.appendleft(_Waiting(0, w, None, now))
        log.error(
            "GAME NOT SAVED: the database file %s %s while the host was running and could not be copied: a new "
            "database was started with the %d accounts the host holds; the games recorded before are not in it",
            path, what, len(accounts),
        )

    def _checkpoint(self) -> None:
        try:
            self._store.checkpoint(self._wall())
        except StoreError as exc:
            log.debug("%s (tried again in %g s)", exc, self.settings.check_seconds)

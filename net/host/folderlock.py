"""One host per data folder: an operating-system lock on ``host.lock``, held while the host runs.

Two hosts writing one database would each trust their own accounts in memory and hand
out the same name twice, so the second one refuses to start and names the first: the
lock file holds the first host's process id and, once it listens, its address. The
lock is ``flock`` on POSIX systems (per open file, so even a second host in the same
process is refused) and ``msvcrt.locking`` on Windows; the system releases it when the
process ends, however it ends, so a stale file never blocks a new host.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

LOCK_FILE = "host.lock"
_WINDOWS_LOCK_OFFSET = 1 << 20  # Windows locks bytes: lock one far past the text, so the text stays readable


class FolderInUse(Exception):
    """Another host holds the data folder; the message names it."""


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


class FolderLock:
    """The lock of one data folder: ``acquire`` at start, ``describe`` once listening, ``release`` at the end."""

    def __init__(self, path: Path, fd: int):
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, folder: Path) -> FolderLock:
        """Take the folder's lock; FolderInUse naming the holder if another host has it. Raises OSError."""
        path = Path(folder) / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            locked = _try_lock(fd)
            holder = "" if locked else _read(fd)
        except BaseException:
            os.close(fd)
            raise
        if not locked:
            os.close(fd)
            raise FolderInUse(
                f"the data folder {folder} is in use by another host ({holder or 'its pid is not written yet'}); "
                "stop that one first, or give this one another --data folder"
            )
        lock = cls(path, fd)
        lock.describe(None)
        return lock

    def describe(self, address: str | None) -> None:
        """Write who holds the lock (this process, and its address once it listens) for a second host to read."""
        if self._fd is None:
            return
        text = f"pid {os.getpid()}" + (f", listening on {address}" if address else "") + "\n"
        try:
            os.ftruncate(self._fd, 0)
            os.lseek(self._fd, 0, os.SEEK_SET)
            os.write(self._fd, text.encode("utf-8"))
        except OSError:
            pass  # only the message of a refused second host gets poorer

    def release(self) -> None:
        """Let another host have the folder (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            _unlock(fd)
        except OSError:
            pass  # closing releases it anyway
        os.close(fd)


def _read(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 512).decode("utf-8", "replace")
    return " ".join(text.split())

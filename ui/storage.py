"""Small JSON files kept safe: written all at once, and set aside when they cannot be used; a per-file lock.

Generic file handling, with no idea of what the files hold (``ui.userdata`` keeps the
player's files with it): a write goes to a temporary file and then ``os.replace``, so a
crash never leaves half a file; a file that cannot be read or parsed is renamed aside as
``<name>.corrupt-<timestamp>`` with a logged warning, so the game can start afresh.
Nothing here raises for a disk problem: it is logged.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def write_json_atomic(path: Path, obj: Any) -> bool:
    """Write ``obj`` as JSON to ``path`` all at once; False (and a warning) if the disk refuses."""
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
        return True
    except OSError as exc:
        log.warning("could not save %s: %s", path, exc)
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
        return False


def set_aside(path: Path, why: str) -> Path | None:
    """Rename an unusable file to ``<name>.corrupt-<timestamp>`` so the game can start afresh."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        os.replace(path, target)
    except OSError as exc:
        log.warning("%s is unusable (%s) and could not be moved aside (%s); using defaults", path, why, exc)
        return None
    log.warning("%s is unusable (%s); moved it to %s and started afresh", path, why, target.name)
    return target


def read_json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``; None if there is no file, or if it was unusable and set aside."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        set_aside(path, f"unreadable: {exc}")
        return None
    try:
        obj = json.loads(text)
    except ValueError as exc:
        set_aside(path, f"not JSON: {exc}")
        return None
    if not isinstance(obj, dict):
        set_aside(path, "not a JSON object")
        return None
    return obj


def try_lock(fd: int) -> bool:
    """Take an exclusive, non-blocking lock on an open file descriptor; False if someone holds it."""
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False

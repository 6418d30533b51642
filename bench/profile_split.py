"""Split a py-spy profile of the host into where a message's cost goes.

    python bench/profile_split.py PROFILE.raw [--top 25]

``PROFILE.raw`` is what ``py-spy record --format raw`` writes (``bench/host_load.py
--profile`` runs it against the host). Each sample is charged to one part: the innermost
frame that belongs to a part wins, so time spent in the standard library on a part's
behalf (``json`` called by the codec, ``hmac`` by the token signer) goes to that part,
and generic helpers (``dataclasses``, ``enum``, ``collections``...) go to whoever called
them. The parts:

* event loop: asyncio's or uvloop's own bookkeeping (handles, timers, the selector);
* socket system calls: the transports' ``send``/``recv`` (the kernel's loopback work);
* HTTP and sign-in: h11, the front's request handling, the API, tokens, accounts;
* WebSocket framing: ``websockets``' parser and writer, ``PlayerSocket``, the fast path;
* TLS: ``ssl`` and the in-memory TLS layer;
* JSON: the codec (``net/codec.py``), ``json``, ``orjson``, base64;
* match handler and runtime: ``game/`` (rules, the match handler, its payloads) and the
  runtime, matchmaker and dispatch that route a message to it;
* database: SQLite and its writer thread (on the loop's thread, handing writes over);
* logging: ``logging`` and the host's log filter;
* bench probe: the load bench's own probe in the host process.

Only the event loop's thread is split. The other threads (the database writer) are counted
apart and not split: py-spy cannot tell a thread waiting for the interpreter after a call that
released it (SQLite, ``stat``) from one working there, so their samples overstate their CPU
(``host_load.py`` prints each thread's real CPU, from Linux's schedstat).

A native call (a ``send`` in uvloop, a C encoder) has no frame of its own: it is charged
to the Python line that called it, so under uvloop part of the socket system calls shows
in whichever part wrote the frame. Python's garbage collector has no frame either: a
collection is charged to the allocation that triggered it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("bench probe", ("host_load.py",)),
    # The front's two calls on every frame, before its file counts as HTTP: its write is the transport's send.
    ("socket system calls", ("FrontConnection.write (",)),
    ("WebSocket framing", ("FrontConnection.data_received (",)),
    ("logging", ("logging/", "net/host/logfilter.py", "net/host/jsonlog.py")),
    ("database", ("sqlite3/", "net/host/writer.py", "net/host/store.py", "net/host/database.py", "net/host/rating_store.py")),
    ("JSON", ("json/", "base64.py", "net/codec.py", "orjson", "net/host/outframe.py")),
    ("TLS", ("ssl.py", "net/host/memtls.py")),
    ("WebSocket framing", ("websockets/", "net/host/playersocket.py", "net/host/wsframes.py")),
    ("HTTP and sign-in", ("h11/", "net/host/front.py", "net/host/web.py", "net/host/api.py", "net/host/auth.py",
                          "jwt/", "hmac.py", "hashlib", "net/host/accounts.py", "net/host/guard.py", "urllib/",
                          "email/", "http/", "net/host/acceptor.py", "net/host/seats.py", "net/host/bans.py")),
    ("match handler and runtime", ("game/", "net/host/runtime.py", "net/host/matchmaker.py", "net/host/dispatch.py",
                                   "net/host/server.py", "net/host/activity.py", "net/host/recent.py",
                                   "net/host/leaderboard.py", "uuid.py", "secrets.py")),
    ("socket system calls", ("asyncio/selector_events.py", "socket.py", "uvloop/")),
    ("event loop", ("asyncio/", "selectors.py")),
]
# Samples of a thread waiting, not working: py-spy's --nonblocking mode cannot always tell them, so
# they are recognised by their innermost frame (the selector's poll; uvloop's, which has no frame of
# its own below run_forever; the database writer waiting for work) and left out of the split.
IDLE = (
    re.compile(r"select \(selectors\.py"),
    re.compile(r"run_forever \(uvloop"),
    re.compile(r"^Runner\.run \(asyncio/runners"),
    re.compile(r"_take \(net/host/writer\.py"),
    re.compile(r"wait \(threading\.py"),
    re.compile(r"^_worker \(concurrent/futures"),
)
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def part_of(stack: list[str]) -> str:
    """The part a sample's stack (outermost first) is charged to."""
    for frame in reversed(stack):
        for part, marks in PARTS:
            if any(mark in frame for mark in marks):
                return part
    return "other"


def on_loop(stack: list[str]) -> bool:
    """Whether a sample is of the event loop's thread (any other thread starts in ``Thread._bootstrap``)."""
    return not stack[0].startswith("Thread._bootstrap")


def read(path: Path) -> list[tuple[list[str], int]]:
    """The samples of a py-spy raw (collapsed stacks) file: (frames outermost first, count)."""
    samples = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples.append((stack.split(";"), int(count)))
    return samples


def idle(stack: list[str]) -> bool:
    """Whether a sample is a thread waiting for work (see IDLE)."""
    return any(pattern.search(stack[-1]) for pattern in IDLE)


def split(samples: list[tuple[list[str], int]]) -> Counter[str]:
    """The event loop thread's busy samples by part (idle ones, and other threads, left out)."""
    parts: Counter[str] = Counter()
    for stack, count in samples:
        if on_loop(stack) and not idle(stack):
            parts[part_of(stack)] += count
    return parts


def report(path: Path, top: int = 20, per: tuple[str, float] | None = None) -> str:
    """The split as text; ``per`` (what, how many) adds each part's CPU microseconds per that unit.

    ``per``'s figure is the event loop thread's CPU for one unit (the split is of that thread).
    """
    samples = read(path)
    parts = split(samples)
    total = sum(parts.values()) or 1
    waiting = sum(count for stack, count in samples if idle(stack))
    others = sum(count for stack, count in samples if not on_loop(stack) and not idle(stack))
    lines = [f"profile {path.name}: the event loop's thread, {total} busy samples ({waiting} more waiting for work, "
             f"left out; {others} of other threads, not split: they include waits for the interpreter)"]
    for part, n in parts.most_common():
        share = f"{100 * n / total:5.1f} %"
        lines.append(f"  {part:28s} {share}" + (f"  {per[1] * n / total:7.1f} us per {per[0]}" if per else ""))
    leaves: Counter[str] = Counter()
    for stack, count in samples:
        if on_loop(stack) and not idle(stack):
            leaves[stack[-1]] += count
    lines.append(f"  top {top} lines (self time):")
    for frame, n in leaves.most_common(top):
        lines.append(f"    {100 * n / total:5.1f} %  {frame}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path, help="py-spy's raw output (--format raw)")
    parser.add_argument("--top", type=int, default=20, help="how many of the busiest lines to list")
    args = parser.parse_args(argv)
    print(report(args.profile, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())

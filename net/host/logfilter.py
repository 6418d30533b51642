"""Repeated log lines, rate-limited: a flood of bad requests cannot flood the log too.

``RepeatFilter`` lets through ``burst`` lines of one kind per ``window`` seconds, then
counts the rest; the next line of that kind let through says how many were left out.
Lines are of one kind when their text is the same once runs of digits are ignored, so
"bad HTTP from 10.0.0.7" and "bad HTTP from 10.0.0.9" are one kind, while lines that name
players or games differ and pass.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable

_DIGITS = re.compile(r"\d+")
MAX_KINDS = 1024  # kinds remembered (the least recently seen are forgotten)


class RepeatFilter(logging.Filter):
    """At most ``burst`` lines of a kind per ``window`` seconds (see the module's docstring)."""

    def __init__(self, burst: int = 10, window: float = 10.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.burst = burst
        self.window = window
        self._clock = clock
        self.left_out = 0  # lines left out in all (the metrics count them as a limit hit)
        self._kinds: OrderedDict[tuple[str, int, str], list[float]] = OrderedDict()  # -> [window start, lines, left out]

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, _DIGITS.sub("#", record.getMessage()))
        now = self._clock()
        seen = self._kinds.get(key)
        if seen is None or now - seen[0] >= self.window:
            left_out = int(seen[2]) if seen is not None else 0
            self._kinds[key] = [now, 1, 0]
            self._kinds.move_to_end(key)
            if len(self._kinds) > MAX_KINDS:
                self._kinds.popitem(last=False)
            if left_out:
                record.msg = f"{record.getMessage()} ({left_out} more like this left out of the log)"
                record.args = None
            return True
        seen[1] += 1
        if seen[1] <= self.burst:
            return True
        seen[2] += 1
        self.left_out += 1
        return False

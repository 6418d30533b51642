"""What the benchmarks print about the machine they ran on (the first line of each report)."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_model() -> str:
    """The processor's model name (from /proc/cpuinfo on Linux), or what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_line(*extra: str) -> str:
    """``machine: N CPUs, MODEL, Python X.Y.Z[, EXTRA...]``."""
    return ", ".join([f"machine: {os.cpu_count()} CPUs", cpu_model(), f"Python {platform.python_version()}", *extra])

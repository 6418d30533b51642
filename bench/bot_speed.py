"""How long the perfect bot takes to choose a move, from every reachable unfinished position.

Run from the repository root: ``python bench/bot_speed.py [--repeat N] [--seed N]``.
The first call after clearing the solver's cache (which solves the game from the empty
board) is reported on its own; then every position is timed warm, ``--repeat`` times,
keeping each position's median. Prints plain lines, then one JSON line. Target: warm
median under 1 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.bot import choose_move, clear_cache
from game.rules import Board, reachable_positions

TARGET_MEDIAN_US = 1000.0


def live_positions() -> list[Board]:
    """Every distinct unfinished position reachable from an empty board, either player starting."""
    return reachable_positions(1) + reachable_positions(2)


def time_us(board: Board, rng: random.Random) -> float:
    """Microseconds one perfect move choice takes on ``board``."""
    start = time.perf_counter_ns()
    choose_move(board, "perfect", rng)
    return (time.perf_counter_ns() - start) / 1000


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, round(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/bot_speed.py", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per position (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bot's random stream (default 0)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    rng = random.Random(args.seed)
    positions = live_positions()

    clear_cache()
    cold_us = time_us(Board.new(1), rng)

    for board in positions:  # warm every position once (the other first player too)
        choose_move(board, "perfect", rng)
    per_position = sorted(statistics.median(time_us(b, rng) for _ in range(args.repeat)) for b in positions)

    result = {
        "bench": "bot_speed",
        "level": "perfect",
        "positions": len(positions),
        "repeat": args.repeat,
        "cold_first_call_us": round(cold_us, 1),
        "median_us": round(statistics.median(per_position), 2),
        "p99_us": round(percentile(per_position, 0.99), 2),
        "max_us": round(per_position[-1], 2),
        "target_median_us": TARGET_MEDIAN_US,
    }
    result["meets_target"] = result["median_us"] < TARGET_MEDIAN_US
    print(f"positions: {result['positions']} (every reachable unfinished position, both first players)")
    print(f"cold first call (solves the game): {result['cold_first_call_us']} us")
    print(f"warm median: {result['median_us']} us")
    print(f"warm p99: {result['p99_us']} us")
    print(f"warm max: {result['max_us']} us")
    print(f"target median < {TARGET_MEDIAN_US:.0f} us: {'met' if result['meets_target'] else 'MISSED'}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Bots against bots, headless: ``python bench/bot_series.py --x perfect --o easy --games 1000 [--seed N]``.

Prints one JSON line of totals (wins of X and of O, draws, the levels and the seed, so a
run can be repeated). A check of the levels' strength more than of speed: the perfect
bot never loses, the normal one beats the easy one far more often than it loses.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.bot import LEVELS, play_series

PROG = "python bench/bot_series.py"


def _game_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Play tic-tac-toe bots against each other and print the totals as one JSON line."
    )
    parser.add_argument("--x", choices=LEVELS, default="perfect", help="level of X, who moves first (default perfect)")
    parser.add_argument("--o", choices=LEVELS, default="easy", help="level of O (default easy)")
    parser.add_argument("--games", type=_game_count, default=1000, help="number of games (default 1000)")
    parser.add_argument("--seed", type=_seed, default=None, help="seed for both bots (default: a random one, printed)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the flags, play the series, print one JSON line."""
    args = _parser().parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(json.dumps(play_series(args.x, args.o, args.games, seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

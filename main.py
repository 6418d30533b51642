"""Tic-tac-toe: start the game window (``python main.py``) or play scripted games headless.

``build_parser`` defines every flag and ``main`` dispatches on them; a new way to run
(a server, an online client) is one more flag group and one more branch in ``main``.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from pathlib import Path
from typing import Sequence

from game.bot import LEVELS

DEFAULT_SIZE = (640, 720)
MIN_SIZE = (480, 540)
MAX_SIDE = 8192


def _size(text: str) -> tuple[int, int]:
    """'WxH' -> (W, H), within the window limits."""
    try:
        w_text, h_text = text.lower().split("x")
        w, h = int(w_text), int(h_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 640x720, not {text!r}") from None
    if not (MIN_SIZE[0] <= w <= MAX_SIDE and MIN_SIZE[1] <= h <= MAX_SIDE):
        raise argparse.ArgumentTypeError(
            f"size must be at least {MIN_SIZE[0]}x{MIN_SIZE[1]} and at most {MAX_SIDE}x{MAX_SIDE}, not {text!r}"
        )
    return (w, h)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, not {value}")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the seed must be a whole number, not {text!r}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, not {text!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 60:
        raise argparse.ArgumentTypeError(f"expected seconds from 0 to 60, not {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line of the game."""
    levels = ", ".join(LEVELS)
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Tic-tac-toe against the bot, on the LAN or online. Without options it opens the menu.",
        epilog=(
            "Headless: with SDL_VIDEODRIVER=dummy everything runs without a window; --games then plays "
            "without pauses or animations (unless --auto-delay is given). Example: "
            "SDL_VIDEODRIVER=dummy python main.py --bot perfect --auto perfect --games 3"
        ),
    )
    play = parser.add_argument_group("playing against the bot")
    play.add_argument(
        "--bot", metavar="LEVEL", choices=LEVELS, help=f"start straight into a game against the bot ({levels})"
    )
    play.add_argument(
        "--auto",
        metavar="LEVEL",
        choices=LEVELS,
        help=f"let a bot of this level ({levels}) play your side of any game, and ask for each rematch",
    )
    play.add_argument(
        "--auto-delay",
        metavar="SECONDS",
        type=_seconds,
        help="the auto player's pause before each move (default: like the bot, 0.3 to 0.7 s)",
    )
    play.add_argument(
        "--games",
        metavar="N",
        type=_positive_int,
        help='quit after N finished games, printing one JSON line per game, e.g. {"mode": "bot", "level": '
        '"perfect", "mark": "X", "result": "draw", "moves": 9, "first": "X"}',
    )
    play.add_argument("--instant", action="store_true", help="no pauses and no animations (the bot answers at once)")
    play.add_argument("--seed", metavar="N", type=_seed, help="seed the bots and their pauses, for repeatable games")
    window = parser.add_argument_group("window")
    window.add_argument(
        "--size",
        metavar="WxH",
        type=_size,
        default=DEFAULT_SIZE,
        help=f"window size (default {DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}, at least {MIN_SIZE[0]}x{MIN_SIZE[1]})",
    )
    window.add_argument(
        "--screenshot",
        metavar="DIR",
        type=Path,
        help="save a PNG of every screen shown, and of the board at the end of each game, into DIR",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (to stderr)")
    return parser


def _headless() -> bool:
    return os.environ.get("SDL_VIDEODRIVER", "").lower() == "dummy"


def _check_combinations(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse flag combinations that could never finish (exit 2 with the usage)."""
    if args.auto_delay is not None and args.auto is None:
        parser.error("--auto-delay needs --auto LEVEL")
    if args.games is not None and _headless():
        if args.bot is None:
            parser.error("--games needs --bot LEVEL when running headless: nobody can choose a game from the menu")
        if args.auto is None:
            parser.error("--games needs --auto LEVEL when running headless: nobody is there to play")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the game as the command line asks; the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_combinations(parser, args)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # keep stdout for the --games lines
    if _headless():
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

    from game.ui.client import ClientOptions, run_client

    instant = args.instant or (args.games is not None and _headless() and args.auto_delay is None)
    options = ClientOptions(
        bot=args.bot,
        auto=args.auto,
        auto_delay=args.auto_delay,
        games=args.games,
        screenshot_dir=args.screenshot,
        size=args.size,
        seed=args.seed,
        instant=instant,
    )
    return run_client(options)


if __name__ == "__main__":
    sys.exit(main())

"""Frame time of the board screen while the bot plays, headless: p50, p99 and max per frame.

Runs the real App under SDL's dummy video driver with a fake clock that moves 1/60 s
per frame, an auto player on the player's side and the bot answering after its usual
pause, with every animation on, and times each full frame (input, event sources,
update, drawing, flip). The target is p99 under 17 ms (60 FPS).

    python bench/ui_frames.py [--frames 600] [--size 640x720] [--seed 1]

Prints the figures, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.bot import Level
from ui.app import App, PlaySettings
from ui.pilot import FakeClock
from ui.screens.board import open_bot_game
from ui.userdata import UserData

TARGET_P99_MS = 17.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def measure(frames: int, size: tuple[int, int], seed: int, level: Level) -> dict[str, object]:
    clock = FakeClock()
    with tempfile.TemporaryDirectory() as data:
        app = App(size=size, clock=clock, userdata=UserData(data), settings=PlaySettings(auto_level=Level.PERFECT, seed=seed))
        with app:
            app.push(app.home())
            open_bot_game(app, level)
            for _ in range(10):  # warm the font and mark caches as a player's first seconds would
                clock.advance(1 / 60)
                app.step()
            times = []
            for _ in range(frames):
                clock.advance(1 / 60)
                start = time.perf_counter()
                app.step()
                times.append((time.perf_counter() - start) * 1000)
            games = len(app.summaries)
    return {
        "bench": "ui_frames",
        "frames": frames,
        "size": f"{size[0]}x{size[1]}",
        "level": level,
        "games": games,
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(percentile(times, 0.99), 3),
        "max_ms": round(max(times), 3),
        "mean_ms": round(statistics.fmean(times), 3),
        "target_p99_ms": TARGET_P99_MS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600, help="frames to time (default 600, 10 s of play)")
    parser.add_argument("--size", default="640x720", help="window size WxH (default 640x720)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--level", type=Level, default=Level.PERFECT, choices=list(Level))
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    result = measure(args.frames, (w, h), args.seed, args.level)
    print(f"board screen, {result['frames']} frames at {result['size']}, "
          f"{result['games']} games against the {args.level} bot")
    print(f"frame time  p50 {result['p50_ms']:.2f} ms   p99 {result['p99_ms']:.2f} ms   max {result['max_ms']:.2f} ms"
          f"   (target p99 < {TARGET_P99_MS:.0f} ms)")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CPU used by the idle main menu: the real App in a child process under the dummy video driver.

The child opens the App on the menu, draws its first frame, then runs the real loop
for ``--seconds`` (10 by default) with no input, and reports its CPU time
(``time.process_time``) over the wall time. The target is under 2 % of one core.

It measures the App's default idle wait, the sliced wait (a wake flag the network side
sets, peeking for input every 16 ms), and, for comparison, ``pygame.event.wait(timeout)``
(which polls the event queue every millisecond inside pygame).

    python bench/idle_cpu.py [--seconds 10] [--mode sliced|event-wait|both]

Prints the figures, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_PERCENT = 2.0
MODES = ("sliced", "event-wait")  # the App's default idle wait, and pygame.event.wait


def child(seconds: float, mode: str) -> None:
    """Run the menu idle for ``seconds`` and print {"cpu_s", "wall_s", "frames"} as JSON."""
    sys.path.insert(0, str(REPO))
    from game.ui.app import IDLE_POLL, App
    from game.ui.userdata import UserData

    with tempfile.TemporaryDirectory() as data:
        idle_poll = IDLE_POLL if mode == "sliced" else 0.0
        with App(userdata=UserData(data), idle_poll=idle_poll) as app:
            app.push(app.home())
            app.step()  # the first frame: fonts load, the window appears
            timer = threading.Timer(seconds, app.quit)
            wall0, cpu0, frames0 = time.monotonic(), time.process_time(), app.frames
            timer.start()
            app.run()
            wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
            timer.cancel()
            print(json.dumps({"cpu_s": cpu, "wall_s": wall, "frames": app.frames - frames0}))


def measure(mode: str, seconds: float) -> dict[str, object]:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(seconds), mode],
        env=env, capture_output=True, text=True, timeout=seconds + 60, check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    percent = 100 * figures["cpu_s"] / figures["wall_s"]
    return {"mode": mode, "cpu_percent": round(percent, 3), "wall_s": round(figures["wall_s"], 2),
            "cpu_s": round(figures["cpu_s"], 4), "frames": figures["frames"]}


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["--child"]:
        child(float(args_in[1]), args_in[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the menu idles (default 10)")
    parser.add_argument("--mode", choices=[*MODES, "both"], default="both")
    args = parser.parse_args(args_in)
    modes = list(MODES) if args.mode == "both" else [args.mode]
    results = [measure(mode, args.seconds) for mode in modes]
    for r in results:
        print(f"idle menu, {r['mode']:>10}: {r['cpu_percent']:.2f} % of one core over {r['wall_s']} s "
              f"({r['frames']} frames; target < {TARGET_PERCENT:.0f} %)")
    print(json.dumps({"bench": "idle_cpu", "seconds": args.seconds, "target_percent": TARGET_PERCENT, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Frame time of the board screen in a networked game while the network is busy: p50, p99 and max.

Starts ``main.py --serve`` (our host) in its own process on a free loopback port, puts
it under load with ``bench/host_load.py``'s players (``--pairs`` concurrent pairs
playing games, through its ``run_worker``), and starts an opponent (``main.py --online
--auto perfect``, headless). Then a real App in this process signs in, is matched, and
plays with an auto player, animations on; both sides move as fast as a networked auto
player may (0.1 s, under the host's message limit) and ask for the next game at once,
so states keep streaming in while the host is busy. Each frame (input, polling the
network thread, update, drawing, flip) is timed while the loop paces itself at 60 FPS
as the game does. The target is p99 under 17 ms.

    python bench/net_frames.py [--frames 1200] [--pairs 200] [--size 640x720] [--report FILE]

Loopback only, bounded in frames and time: it always stops by itself. Prints the
figures, then one JSON line; ``--report`` also writes them as Markdown. Exit code 1 if
the target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.bot import Level
from net.bridge import NetworkThread
from net.messages import Event, MatchUpdate
from ui.app import App, NetSettings, PlaySettings
from ui.screens.netflow import start_online
from ui.userdata import UserData

REPO = Path(__file__).resolve().parents[1]
TARGET_P99_MS = 17.0
FRAME = 1 / 60
START_SECONDS = 60.0  # the server, the load and the match must be up within this

LOAD_CODE = r"""
import argparse, sys
sys.path.insert(0, sys.argv[1])
import host_load
port, players, duration = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
args = argparse.Namespace(
    pairs=players // 2, games=1000, think=0.25, duration=duration, ramp=0.0, workers=1, host_args=[],
    prefix="load", load_nice=0,
)
host_load.run_worker(port, 0, players, args)
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _env(data: Path) -> dict[str, str]:
    return dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", TICTACTOE_DATA_DIR=str(data),
                PYTHONPATH=str(REPO))


def _start_server(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    log = work / "serve.log"
    with open(log, "wb") as err:
        server = subprocess.Popen(
            [sys.executable, str(REPO / "main.py"), "--serve", "--port", "0", "--data", str(work / "host"),
             "--max-connections-per-address", "0", "--sign-ins-per-minute", "0",  # every player is on 127.0.0.1
             ],
            cwd=REPO, env=_env(work / "serve"), stdout=subprocess.DEVNULL, stderr=err,
        )
    deadline = time.monotonic() + START_SECONDS
    while True:
        found = re.search(rb"listening on (?:https?|wss?)://(127\.0\.0\.1:\d+)", log.read_bytes())
        if found:
            return server, found.group(1).decode()
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"the server did not start: {log.read_text(errors='replace')}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class StateCounter:
    """An event source standing in for the network thread: hands on its events, counting the states among them."""

    def __init__(self, network: NetworkThread):
        self.network = network
        self.states = 0

    def poll(self) -> list[Event]:
        events = self.network.poll()
        self.states += sum(1 for e in events if isinstance(e, MatchUpdate))
        return events


def measure(frames: int, pairs: int, size: tuple[int, int]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="net-frames-") as tmp:
        work = Path(tmp)
        server, address = _start_server(work)
        port = address.rsplit(":", 1)[1]
        seconds = frames * FRAME + 30
        load = opponent = None
        try:
            if pairs:
                with open(work / "load.log", "wb") as load_log:
                    load = subprocess.Popen(
                        [sys.executable, "-c", LOAD_CODE, str(REPO / "bench"), port, str(2 * pairs), str(seconds)],
                        cwd=REPO, env=_env(work / "load"), stdout=subprocess.DEVNULL, stderr=load_log,
                    )
            opponent = subprocess.Popen(
                [sys.executable, str(REPO / "main.py"), "--online", "--server", address, "--name", "rival",
                 "--auto", "perfect", "--games", "100000"],
                cwd=REPO, env=_env(work / "rival"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            settings = PlaySettings(auto_level=Level.PERFECT, auto_delay=(0.0, 0.0), seed=1)
            app = App(size=size, userdata=UserData(work / "me"), settings=settings, net=NetSettings())
            with app:
                app.push(app.home())
                start_online(app, server=address, name="bench")
                deadline = time.monotonic() + START_SECONDS
                while not (app.screen is not None and app.screen.name == "board" and getattr(app.screen, "view", None)):
                    if time.monotonic() > deadline:
                        raise SystemExit(f"no match within {START_SECONDS:g} s (screen: {app.screen!r})")
                    app.step()
                    time.sleep(FRAME)
                counter = StateCounter(app.network)  # polled in the network thread's place
                app.remove_source(app.network)
                app.add_source(counter)
                times: list[float] = []
                busy_frames = 0
                games_before = len(app.summaries)
                started = time.perf_counter()
                for _ in range(frames):
                    before = counter.states
                    t0 = time.perf_counter()
                    app.step()
                    elapsed = time.perf_counter() - t0
                    times.append(elapsed * 1000)
                    busy_frames += counter.states > before
                    time.sleep(max(0.0, FRAME - elapsed))
                wall = time.perf_counter() - started
                if load is not None and load.poll() is not None:
                    why = (work / "load.log").read_text(errors="replace")[-2000:]
                    raise SystemExit(f"the load stopped early: {why}")
                games = len(app.summaries) - games_before
                states = counter.states
                app.remove_source(counter)
                app.add_source(app.network)
                screen = app.screen.name if app.screen is not None else "none"
        finally:
            for process in (opponent, load, server):
                if process is not None:
                    _stop(process)
        host_games = len(re.findall(rb" game \d+ over: ", (work / "serve.log").read_bytes()))
    return {
        "bench": "net_frames",
        "frames": frames,
        "size": f"{size[0]}x{size[1]}",
        "load_pairs": pairs,
        "screen": screen,
        "states_received": states,
        "states_per_second": round(states / wall, 1),
        "frames_with_states": busy_frames,
        "games": games,
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(percentile(times, 0.99), 3),
        "max_ms": round(max(times), 3),
        "mean_ms": round(statistics.fmean(times), 3),
        "target_p99_ms": TARGET_P99_MS,
        "host_games": host_games,
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
    }


def report(result: dict[str, Any]) -> str:
    verdict = "meets" if float(result["p99_ms"]) < TARGET_P99_MS else "MISSES"
    return "\n".join([
        "# Board frame time in a networked game (bench/net_frames.py)",
        "",
        f"Machine: {result['machine']}. Window {result['size']}, animations on, headless (SDL dummy driver).",
        f"Host (`main.py --serve`) under load from {result['load_pairs']} pairs of `bench/host_load.py` players "
        f"({result['host_games']} games finished on the host during the run); our App against a headless "
        "`main.py --online --auto perfect` opponent, both auto players moving after 0.1 s "
        "(the pace a networked auto player keeps under the host's message limit).",
        "",
        "| frames | states received | states/s | frames with new states | games | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
        f"| {result['frames']} | {result['states_received']} | {result['states_per_second']} | "
        f"{result['frames_with_states']} | {result['games']} | {result['p50_ms']} | {result['p99_ms']} | "
        f"{result['max_ms']} |",
        "",
        f"Target p99 < {TARGET_P99_MS:g} ms: {verdict}.",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1200, help="frames to time (default 1200, 20 s at 60 FPS)")
    parser.add_argument(
        "--pairs", type=int, default=200, help="pairs of load players on the host (default 200; 0 for none)"
    )
    parser.add_argument("--size", default="640x720", help="window size WxH (default 640x720)")
    parser.add_argument("--report", type=Path, help="also write the figures as Markdown to this file")
    args = parser.parse_args(argv)
    if not 60 <= args.frames <= 36000 or not 0 <= args.pairs <= 2000:
        parser.error("frames 60..36000, pairs 0..2000")
    w, h = (int(v) for v in args.size.lower().split("x"))
    result = measure(args.frames, args.pairs, (w, h))
    text = report(result)
    print(text)
    print(json.dumps(result))
    if args.report is not None:
        args.report.write_text(text)
    return 0 if float(result["p99_ms"]) < TARGET_P99_MS else 1


if __name__ == "__main__":
    sys.exit(main())

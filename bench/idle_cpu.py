"""CPU used by an idle game window: the menu, a board waiting for the player's move, and matchmaking.

Each measurement runs the real App in a child process: it opens the screen (``menu``;
``board``: a game against the perfect bot, once the bot has moved if it starts;
``matchmaking``: signed in to our host, started here in its own process on loopback, and
searching for an opponent nobody else looks for, its spinner turning and its figures of who
is around asked for every few seconds), lets it settle, then runs the real loop for
``--seconds`` (10 by default) with no input and reports its CPU time over the wall time.
The target is under 2 % of one core with the pointer resting on the window, whatever
screen is idle.

Where it runs:

* ``x11``: a real X window under Xvfb (started here on a free display, stopped at the
  end), with the pointer put on the window's centre (``on``) or outside it (``off``)
  with ``xdotool`` before the settling time. Needs ``Xvfb`` and ``xdotool``; without
  them only the dummy driver is measured, and the output says so. The X server's own
  CPU over the same time is shown beside the game's, but is not the game's figure.
* ``dummy``: SDL's dummy video driver (no window system at all).

Sound goes to SDL's dummy audio driver in both, whose mixing thread runs as a real
device's would.

Idle waits compared:

* ``app``: the App's own (``App._idle_wait``: sleep on the wake flag, peek for input
  once a frame period);
* ``event-wait``: ``pygame.event.wait(timeout)``, defined here in an App subclass for the
  comparison (pygame polls its queue every millisecond inside that call).

For each run it also prints what woke the loop (frames drawn, input checks, the SDL
events that arrived, by type) and the CPU of each thread of the game's process (the
main thread, SDL's audio thread, ...).

    python bench/idle_cpu.py [--seconds 10] [--driver x11|dummy|both] [--screen menu|board|matchmaking|all]
                             [--wait app|event-wait|both] [--env NAME=VALUE ...]

``--env`` sets a variable in the game's process, e.g. an SDL hint to try
(``--env SDL_FRAMEBUFFER_ACCELERATION=0``). Prints the figures, then one JSON line.
Exit code 1 if the target is missed (judged on the App's own wait, with the pointer on
the window under X, and under the dummy driver).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET_PERCENT = 2.0
WAITS = ("app", "event-wait")
SCREENS = ("menu", "board", "matchmaking")
SCREEN_SIZE = (1920, 1200)  # Xvfb's screen: room for the window and for a pointer outside it
SETTLE_SECONDS = 3.0  # after opening the screen and placing the pointer, before measuring


# The child: one App, idle ---------------------------------------------------------------------


def _thread_cpu() -> dict[str, float]:
    """CPU seconds of every thread of this process so far, summed by thread name (Linux's /proc).

    ``schedstat`` counts nanoseconds on a CPU; without it, ``stat``'s user + system ticks
    (1/100 s: coarse for a 10 s run of a nearly idle thread).
    """
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            try:
                out[name] = out.get(name, 0.0) + int((task / "schedstat").read_text().split()[0]) / 1e9
            except (OSError, ValueError, IndexError):
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
        except OSError:  # the thread ended meanwhile
            continue
    return out


def _process_cpu(pid: int) -> float:
    """CPU seconds of process ``pid`` so far (its main thread's schedstat: Xvfb does its work there)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _place_pointer(window: int, where: str) -> str:
    """Put the X pointer on the window's centre (``on``) or well outside it (``off``); where it went."""
    geometry = subprocess.run(
        ["xdotool", "getwindowgeometry", "--shell", str(window)], capture_output=True, text=True, check=True, timeout=10
    ).stdout
    g = dict(line.split("=", 1) for line in geometry.split())
    x, y, w, h = (int(g[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
    if where == "on":
        px, py = x + w // 2, y + h // 2
    else:
        px, py = (x + w + SCREEN_SIZE[0]) // 2, (y + h + SCREEN_SIZE[1]) // 2
        if x <= px < x + w and y <= py < y + h:
            raise RuntimeError("no room outside the window for the pointer")
    subprocess.run(["xdotool", "mousemove", str(px), str(py)], check=True, timeout=10)
    return f"({px}, {py}); window at ({x}, {y}) {w}x{h}"


def _open(app: Any, config: dict[str, Any]) -> None:
    """Open the screen to measure and draw its first frame (fonts load, the window appears); matchmaking is waited
    for until the search is queued, as a player waiting sees it."""
    from game.bot import Level
    from ui.screens.board import open_bot_game
    from ui.screens.netflow import start_online

    if config["screen"] == "board":
        open_bot_game(app, Level.PERFECT)
    elif config["screen"] == "matchmaking":
        start_online(app, server=str(config["server"]), key="defaultkey", name="bench")
    app.step()
    if config["screen"] != "matchmaking":
        return
    deadline = time.monotonic() + 30
    while getattr(app.screen, "phase", "") != "searching" and time.monotonic() < deadline:
        app.step()
        time.sleep(0.02)
    if getattr(app.screen, "phase", "") != "searching":
        raise RuntimeError(f"matchmaking did not start: the screen is {app.screen!r}")


def child(config: dict[str, Any]) -> None:
    """Run one idle screen; print one JSON line of figures (for matchmaking, once the search is queued)."""
    sys.path.insert(0, str(REPO))
    import pygame

    from ui.app import App, PlaySettings
    from ui.userdata import UserData

    seconds = float(config["seconds"])
    events: Counter[str] = Counter()
    checks = [0]  # times the idle wait looked for input
    measuring = threading.Event()

    class CountingApp(App):
        """The App as it is, counting the events its frames take."""

        def _dispatch(self, event: pygame.event.Event) -> None:
            if measuring.is_set():
                events[pygame.event.event_name(event.type)] += 1
            super()._dispatch(event)

    class EventWaitApp(CountingApp):
        """The idle wait the App once had: ``pygame.event.wait(timeout)``, which polls every millisecond."""

        def _idle_wait(self, timeout: float) -> None:
            event = pygame.event.wait(max(1, round(timeout * 1000)))
            checks[0] += 1
            if event.type != pygame.NOEVENT:
                self._held.append(event)  # the next frame takes it first, as if it were still queued
            self._wake_flag.clear()

    peek = pygame.event.peek

    def counting_peek(*args: Any, **kwargs: Any) -> bool:
        checks[0] += 1
        return peek(*args, **kwargs)

    pygame.event.peek = counting_peek  # the App's idle wait looks for input with this
    cls = EventWaitApp if config["wait"] == "event-wait" else CountingApp
    figures: dict[str, Any] = {}

    with tempfile.TemporaryDirectory() as data, cls(userdata=UserData(data), settings=PlaySettings(seed=1)) as app:
        app.push(app.home())
        _open(app, config)
        pointer = "no window system"
        if config["pointer"] != "none":
            pointer = _place_pointer(pygame.display.get_wm_info()["window"], str(config["pointer"]))
        xserver = int(config.get("xserver_pid") or 0)
        start: dict[str, Any] = {}

        def begin() -> None:
            start.update(wall=time.monotonic(), cpu=time.process_time(), threads=_thread_cpu(), frames=app.frames,
                         xserver=_process_cpu(xserver) if xserver else 0.0)
            checks[0] = 0
            measuring.set()

        def end() -> None:
            measuring.clear()
            wall, cpu, threads = time.monotonic(), time.process_time(), _thread_cpu()
            before: dict[str, float] = start["threads"]
            span = wall - start["wall"]
            figures.update(
                wall_s=span,
                cpu_s=cpu - start["cpu"],
                frames=app.frames - start["frames"],
                checks=checks[0],
                events=dict(events),
                threads={k: round(100 * (v - before.get(k, 0.0)) / span, 2) for k, v in threads.items()
                         if v - before.get(k, 0.0) > 0},
                xserver_percent=(
                    round(100 * (_process_cpu(xserver) - start["xserver"]) / span, 2)
                    if xserver else None
                ),
                screen_name=app.screen.name if app.screen is not None else "none",
                pointer_at=pointer,
                video_driver=pygame.display.get_driver(),
                audio=os.environ.get("SDL_AUDIODRIVER", "default") if pygame.mixer.get_init() else "off",
            )
            app.quit()

        timers = [threading.Timer(SETTLE_SECONDS, begin), threading.Timer(SETTLE_SECONDS + seconds, end)]
        for timer in timers:
            timer.start()
        app.run()
        for timer in timers:
            timer.cancel()
    print(json.dumps(figures))


# The parent: Xvfb, children, figures -------------------------------------------------------------


class Xvfb:
    """An X server of our own on a free display number (from :99 up, so as not to take a usual one)."""

    def __init__(self) -> None:
        for number in range(99, 200):
            if Path(f"/tmp/.X{number}-lock").exists() or Path(f"/tmp/.X11-unix/X{number}").exists():
                continue
            self.display = f":{number}"
            self.proc = subprocess.Popen(
                ["Xvfb", self.display, "-screen", "0", f"{SCREEN_SIZE[0]}x{SCREEN_SIZE[1]}x24", "-nolisten", "tcp"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                if Path(f"/tmp/.X11-unix/X{number}").exists():
                    return
                time.sleep(0.05)
            self.stop()  # another server took the number meanwhile, or this one would not start
        raise RuntimeError("could not start Xvfb on any display from :99 to :199")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Host:
    """Our game server in its own process on loopback, with a data folder of its own, for the matchmaking screen."""

    def __init__(self) -> None:
        self._data = tempfile.TemporaryDirectory()
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "main.py"), "--serve", "--bind", "127.0.0.1", "--port", "0", "--data", self._data.name],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)),
        )
        self.address = ""
        assert self.proc.stderr is not None
        for line in self.proc.stderr:  # its log says where it listens (the port was the system's choice)
            m = re.search(r"listening on https?://([\d.]+:\d+)", line)
            if m:
                self.address = m.group(1)
                break
        if not self.address:
            self.stop()
            raise RuntimeError("the host did not start")
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for _line in self.proc.stderr:
            pass

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._data.cleanup()


def measure(
    driver: str, screen: str, wait: str, pointer: str, seconds: float, xvfb: Xvfb | None, extra_env: dict[str, str],
    host: Host | None = None,
) -> dict[str, Any]:
    env = dict(os.environ, SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1", PYTHONPATH=str(REPO), **extra_env)
    if driver == "x11":
        assert xvfb is not None
        env.update(SDL_VIDEODRIVER="x11", DISPLAY=xvfb.display)
    else:
        env["SDL_VIDEODRIVER"] = "dummy"
        env.pop("DISPLAY", None)
    config = {"seconds": seconds, "screen": screen, "wait": wait, "pointer": pointer,
              "xserver_pid": xvfb.proc.pid if driver == "x11" and xvfb is not None else 0,
              "server": host.address if host is not None else ""}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(config)],
        env=env, capture_output=True, text=True, timeout=seconds + SETTLE_SECONDS + 60,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"the {driver}/{screen}/{wait} child failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    percent = 100 * figures["cpu_s"] / figures["wall_s"]
    return {"driver": driver, "screen": screen, "wait": wait, "pointer": pointer,
            "cpu_percent": round(percent, 2), **{k: v for k, v in figures.items() if k != "cpu_s"},
            "wall_s": round(figures["wall_s"], 2)}


def _both(choice: str, options: tuple[str, ...]) -> list[str]:
    return list(options) if choice in ("both", "all") else [choice]


def _runs(drivers: list[str], screen: str, wait: str) -> list[tuple[str, str, str, str]]:
    """Every (driver, screen, pointer, wait) to measure, in order."""
    return [
        (driver, s, pointer, w)
        for driver in drivers
        for s in _both(screen, SCREENS)
        for pointer in (("on", "off") if driver == "x11" else ("none",))
        for w in _both(wait, WAITS)
    ]


def _print_run(r: dict[str, Any]) -> None:
    driver = r["driver"]
    xs = f", X server {r['xserver_percent']:.2f} %" if r.get("xserver_percent") is not None else ""
    threads = ", ".join(f"{k} {v:.2f}" for k, v in sorted(r["threads"].items(), key=lambda kv: -kv[1]))
    events = ", ".join(f"{k} {v}" for k, v in sorted(r["events"].items())) or "none"
    print(f"{driver:>5} {r['screen']:>11} pointer {r['pointer']:>4} {r['wait']:>10}: {r['cpu_percent']:5.2f} % of one core"
          f" over {r['wall_s']} s{xs}")
    print(f"      {r['frames']} frames, {r['checks']} input checks, events: {events}; "
          f"threads (%): {threads}" + (f"; pointer at {r['pointer_at']}" if driver == "x11" else ""))


def _window_system(drivers: list[str]) -> tuple[list[str], Xvfb | None, str]:
    """The drivers that can be measured here, an X server when one is needed, and a note when x11 cannot be."""
    if "x11" not in drivers:
        return drivers, None, ""
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        return ["dummy"], None, f"no real window: {' and '.join(missing)} not found, so only SDL's dummy driver is measured"
    return drivers, Xvfb(), ""


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["--child"]:
        child(json.loads(args_in[1]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each screen idles (default 10)")
    parser.add_argument("--driver", choices=["x11", "dummy", "both"], default="both")
    parser.add_argument("--screen", choices=[*SCREENS, "all", "both"], default="all",
                        help="the idle screen to measure (default: all; 'both' is kept as a synonym of all)")
    parser.add_argument("--wait", choices=[*WAITS, "both"], default="both")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the game's process, e.g. an SDL hint to try (repeatable)")
    args = parser.parse_args(args_in)
    if not 1 <= args.seconds <= 600:
        parser.error("--seconds 1..600")
    if any("=" not in item for item in args.env):
        parser.error("--env takes NAME=VALUE")
    extra_env = dict(item.split("=", 1) for item in args.env)

    drivers, xvfb, note = _window_system(_both(args.driver, ("x11", "dummy")))
    pygame_version = subprocess.run(
        [sys.executable, "-c", "import pygame; print(pygame.version.ver, 'SDL', '.'.join(map(str, pygame.get_sdl_version())))"],
        capture_output=True, text=True, env=dict(os.environ, PYGAME_HIDE_SUPPORT_PROMPT="1"),
    ).stdout.strip()
    sys.path.insert(0, str(REPO))
    from bench.machine import machine_line

    print(machine_line(f"pygame {pygame_version}"))
    if note:
        print(f"NOTE: {note}")
    elif xvfb is not None:
        print(f"X server: Xvfb on display {xvfb.display}, {SCREEN_SIZE[0]}x{SCREEN_SIZE[1]}")
    if extra_env:
        print("environment: " + " ".join(f"{k}={v}" for k, v in extra_env.items()))
    results = []
    runs = _runs(drivers, args.screen, args.wait)
    host = Host() if any(screen == "matchmaking" for _d, screen, _p, _w in runs) else None
    try:
        for driver, screen, pointer, wait in runs:
            r = measure(driver, screen, wait, pointer, args.seconds, xvfb, extra_env, host)
            results.append(r)
            _print_run(r)
    finally:
        if xvfb is not None:
            xvfb.stop()
        if host is not None:
            host.stop()
    # The target: the App's own wait, pointer resting on the window (or no window system at all).
    judged = [r for r in results if r["wait"] == "app" and r["pointer"] in ("on", "none")]
    worst = max(judged, key=lambda r: r["cpu_percent"], default=None)
    met = worst is not None and worst["cpu_percent"] < TARGET_PERCENT
    if worst is not None:
        print(f"target < {TARGET_PERCENT:g} % of one core, pointer on the window, any idle screen (the App's wait): "
              f"{'met' if met else 'MISSED'} (worst {worst['cpu_percent']:.2f} %: {worst['driver']} {worst['screen']})")
    if note:
        print(f"NOTE: {note}")
    print(json.dumps({"bench": "idle_cpu", "seconds": args.seconds, "target_percent": TARGET_PERCENT, "note": note,
                      "env": extra_env, "results": results}))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

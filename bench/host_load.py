"""Load test of the authoritative host: N pairs sign in, matchmake and play full games over loopback.

    python bench/host_load.py [--pairs 10] [--games 3] [--duration 60] [--think 1.0] [--ramp 0]
                              [--workers 1] [-- HOST OPTIONS]

The host runs headless in its own process (``python -m net.host.serve``, a fresh data
folder, options after ``--`` passed on), so its CPU and memory are its own; the players
run in ``--workers`` processes of asyncio clients. Each player signs in over HTTP, opens
a socket, asks the matchmaker for an opponent, joins, plays random legal moves after a
think time drawn around ``--think`` seconds (1 s: a brisk human), and asks for a rematch,
until ``--games`` games are played or ``--duration`` has passed; then it leaves. Pairs
arrive together, all at once or spread over ``--ramp`` seconds.

It prints games per second, the time from sending a move to receiving the state that
shows it (p50/p99, over all moves and over the moves made once every pair was
matched), sign-in and time-to-match latencies, errors (client side, and warnings or
errors in the host's log), and the host's CPU and peak RSS.

Loopback only, bounded in players, games and time: it always stops by itself. The
exit code is 0 only if nothing went wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KEY = "defaultkey"



# The players ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one worker measured (seconds), merged by the parent."""

    sign_in: list[float] = field(default_factory=list)
    to_match: list[float] = field(default_factory=list)
    move_to_state: list[tuple[float, float]] = field(default_factory=list)  # (sent at, seconds to the state)
    games: int = 0
    errors: list[str] = field(default_factory=list)
    first_match: float = float("inf")
    last_match: float = 0.0
    last_game: float = 0.0
    cpu: float = 0.0  # the load generator's own CPU seconds
    worst_lag: float = 0.0  # its event loop's worst delay: latency it adds to every figure


async def _sign_in(port: int, name: str, device: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    auth = base64.b64encode(f"{KEY}:".encode()).decode()
    writer.write(
        f"GET /v2/account/authenticate/device?create=true&username={name}&id={device} HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n".encode()
    )
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    if status != b"200":
        raise RuntimeError(f"sign-in answered {status.decode()}: {body[:100]!r}")
    return json.loads(body)["token"]


async def _player(port: int, n: int, args: argparse.Namespace, tally: Tally, gate: asyncio.Semaphore, stop_at: float) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    rng = random.Random(n)
    await asyncio.sleep(args.ramp * (n // 2) / max(1, args.pairs))  # the two players of a pair arrive together
    async with gate:
        t = time.perf_counter()
        token = await _sign_in(port, f"p{n}", f"bench-device-{n:08d}")
        tally.sign_in.append(time.perf_counter() - t)
        ws = await connect(
            f"ws://127.0.0.1:{port}/ws?token={token}&format=json", compression=None, ping_interval=None, open_timeout=60
        )
    try:
        t = time.perf_counter()
        await ws.send('{"cid":"1","matchmaker_add":{"min_count":2,"max_count":2,"query":"*"}}')
        match_id = ""
        while not match_id:
            env = json.loads(await ws.recv())
            if "matchmaker_matched" in env:
                match_id = env["matchmaker_matched"]["match_id"]
            elif "error" in env:
                raise RuntimeError(f"matchmaker: {env['error']}")
        now = time.perf_counter()
        tally.to_match.append(now - t)
        tally.first_match = min(tally.first_match, time.time())
        tally.last_match = max(tally.last_match, time.time())
        await ws.send(json.dumps({"cid": "2", "match_join": {"match_id": match_id}}))
        games = counted = 0
        sent_at: float | None = None
        sent_wall = 0.0
        async for text in ws:
            env = json.loads(text)
            if "error" in env:
                tally.errors.append(f"error {env['error']}")
                continue
            data = env.get("match_data")
            if data is None:
                continue
            op = int(data["op_code"])
            payload = base64.b64decode(data.get("data", ""))
            if op == 3:
                tally.errors.append(f"rejected {payload[:80]!r}")
                continue
            if op == 5:
                break  # the opponent is gone (it finished its games)
            if op != 2:
                continue
            if sent_at is not None:
                tally.move_to_state.append((sent_wall, time.perf_counter() - sent_at))
                sent_at = None
            msg = json.loads(payload)
            state = msg["state"]
            if state["winner"] or state["draw"]:
                if state["game"] == counted:
                    continue  # the rematch countdown repeating a result already counted
                counted = state["game"]
                games += 1
                if msg["you"] == 1:
                    tally.games += 1
                    tally.last_game = time.time()
                if games >= args.games or time.time() >= stop_at:
                    break
                await ws.send(json.dumps({"match_data_send": {"match_id": match_id, "op_code": 4, "data": "e30="}}))
            elif msg["your_turn"]:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)
                empty = [(r + 1, c + 1) for r, row in enumerate(state["cells"]) for c, v in enumerate(row) if v == -1]
                row, col = rng.choice(empty)
                move = base64.b64encode(f'{{"row":{row},"col":{col}}}'.encode()).decode()
                sent_at, sent_wall = time.perf_counter(), time.time()
                await ws.send(f'{{"match_data_send":{{"match_id":"{match_id}","op_code":1,"data":"{move}"}}}}')
        await ws.send(json.dumps({"cid": "3", "match_leave": {"match_id": match_id}}))
    except ConnectionClosed as exc:
        tally.errors.append(f"socket closed: {exc}")
    finally:
        await ws.close()


async def _watch_lag(tally: Tally) -> None:
    loop = asyncio.get_running_loop()
    while True:
        t = loop.time()
        await asyncio.sleep(0.02)
        tally.worst_lag = max(tally.worst_lag, loop.time() - t - 0.02)


async def _worker_main(port: int, first: int, count: int, args: argparse.Namespace) -> Tally:
    tally = Tally()
    watcher = asyncio.create_task(_watch_lag(tally))
    cpu0 = time.process_time()
    gate = asyncio.Semaphore(64)  # sign-ins and handshakes in flight at once
    stop_at = time.time() + args.ramp + args.duration
    tasks = [asyncio.create_task(_player(port, n, args, tally, gate, stop_at)) for n in range(first, first + count)]
    done, pending = await asyncio.wait(tasks, timeout=args.ramp + args.duration + 60)
    for t in pending:
        t.cancel()
        tally.errors.append("player still running at the time limit")
    for t in done:
        if t.exception() is not None:
            tally.errors.append(f"{type(t.exception()).__name__}: {t.exception()}")
    watcher.cancel()
    tally.cpu = time.process_time() - cpu0
    return tally


def run_worker(port: int, first: int, count: int, args: argparse.Namespace) -> Tally:
    _raise_fd_limit()
    return asyncio.run(_worker_main(port, first, count, args))


# The host process -----------------------------------------------------------------------------


class HostLog:
    """Reads the host's log on a thread: its port, its warnings and errors, its final count."""

    def __init__(self, proc: subprocess.Popen):
        self.problems: list[str] = []
        self.recorded = "?"
        self._port: int | None = None
        self._ready = threading.Event()
        self.reader = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.reader.start()

    def _read(self, proc: subprocess.Popen) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if self._port is None and (m := re.search(r"listening on ws://[^:]+:(\d+)", line)):
                self._port = int(m.group(1))
                self._ready.set()
            elif m := re.search(r"stopped \((\d+) games recorded\)", line):
                self.recorded = m.group(1)
            elif re.search(r" (WARNING|ERROR|CRITICAL) ", line) or line.startswith(("error:", "Traceback")):
                self.problems.append(line.strip())
        self._ready.set()

    def port(self) -> int:
        if not self._ready.wait(30) or self._port is None:
            raise RuntimeError(f"the host did not start: {self.problems or 'no log'}")
        return self._port


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10, help="concurrent pairs of players (default 10)")
    parser.add_argument("--games", type=int, default=3, help="games each pair plays (default 3)")
    parser.add_argument("--duration", type=float, default=60.0, help="stop starting games after this many seconds (default 60)")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a player thinks before moving (default 1)")
    parser.add_argument("--ramp", type=float, default=0.0, help="spread the pairs' arrivals over this many seconds (default 0: all at once)")
    parser.add_argument("--workers", type=int, default=1, help="load-generator processes (default 1)")
    parser.add_argument("host_args", nargs="*", help="extra options for the host, after -- (e.g. -- --turn-seconds 0)")
    args = parser.parse_args(argv)
    if not 1 <= args.pairs <= 5000 or not 1 <= args.games <= 1000 or not 0 < args.duration <= 3600:
        parser.error("pairs 1..5000, games 1..1000, duration up to 3600 s")
    if not 0 <= args.ramp <= 600 or not 0 <= args.think <= 60 or not 1 <= args.workers <= 16:
        parser.error("ramp 0..600 s, think 0..60 s, workers 1..16")
    _raise_fd_limit()
    players = 2 * args.pairs

    with tempfile.TemporaryDirectory(prefix="host-load-") as data:
        host = subprocess.Popen(
            [sys.executable, "-m", "net.host.serve", "--port", "0", "--data", data, *args.host_args],
            cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), stderr=subprocess.PIPE, text=True,
        )
        log = HostLog(host)
        try:
            port = log.port()
            cpu0, wall0 = _cpu_seconds(host.pid), time.time()
            workers = max(1, min(args.workers, players))
            share = [players // workers + (1 if i < players % workers else 0) for i in range(workers)]
            starts = [sum(share[:i]) for i in range(workers)]
            with ProcessPoolExecutor(workers) as pool:
                tallies = list(pool.map(run_worker, [port] * workers, starts, share, [args] * workers))
            cpu1, wall1 = _cpu_seconds(host.pid), time.time()
            host.send_signal(signal.SIGTERM)
            _, status, usage = os.wait4(host.pid, 0)
            host.returncode = os.waitstatus_to_exitcode(status)
            log.reader.join(10)
        finally:
            if host.poll() is None:
                host.kill()
                host.wait()

    t = Tally()
    for x in tallies:
        t.sign_in += x.sign_in
        t.to_match += x.to_match
        t.move_to_state += x.move_to_state
        t.games += x.games
        t.errors += x.errors
        t.first_match = min(t.first_match, x.first_match)
        t.last_match = max(t.last_match, x.last_match)
        t.last_game = max(t.last_game, x.last_game)
        t.cpu += x.cpu
        t.worst_lag = max(t.worst_lag, x.worst_lag)
    window = max(1e-9, t.last_game - t.first_match)
    problems = log.problems

    print(f"machine: {os.cpu_count()} CPUs, {_cpu_model()}, Python {platform.python_version()}")
    print(f"load: {args.pairs} pairs ({players} sockets), {args.games} games each, think {args.think:g} s, "
          f"arrivals over {args.ramp:g} s, {args.workers} load process(es)")
    print(f"games: {t.games} in {window:.1f} s = {t.games / window:.1f} games/s (host recorded {log.recorded})")
    every = [lat for _, lat in t.move_to_state]
    steady = [lat for sent, lat in t.move_to_state if sent >= t.last_match]
    print(f"moves: {len(every)}, move-to-state p50 {_pct(every, .5):.1f} ms, p99 {_pct(every, .99):.1f} ms, "
          f"max {_pct(every, 1.0):.1f} ms")
    print(f"  once everyone was matched ({len(steady)} moves): p50 {_pct(steady, .5):.1f} ms, "
          f"p99 {_pct(steady, .99):.1f} ms, max {_pct(steady, 1.0):.1f} ms")
    print(f"sign-in p50 {_pct(t.sign_in, .5):.1f} ms, p99 {_pct(t.sign_in, .99):.1f} ms; "
          f"time to match p50 {_pct(t.to_match, .5):.1f} ms, p99 {_pct(t.to_match, .99):.1f} ms")
    print(f"host: CPU {cpu1 - cpu0:.1f} s over {wall1 - wall0:.1f} s ({100 * (cpu1 - cpu0) / (wall1 - wall0):.0f}% of one core), "
          f"peak RSS {usage.ru_maxrss / 1024:.0f} MiB, exit code {host.returncode}")
    print(f"load generator: CPU {t.cpu:.1f} s, worst event-loop delay {t.worst_lag * 1000:.0f} ms "
          f"(included in the latencies above)")
    print(f"errors: {len(t.errors)} client-side, {len(problems)} host warnings/errors")
    for e in (t.errors[:5] + problems[:5]):
        print(f"  {e}")
    return 0 if not t.errors and not problems and host.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Load test of any server that speaks Nakama's protocol: N pairs sign in, matchmake and play as fast as it answers.

    python bench/nakama_load.py [--server 127.0.0.1:7350] [--pairs 500] [--duration 60] [--workers 2]
                                [--server-pid PID] [--db-pid PID] [--serve-ours] [--key defaultkey]

The same players run against our host (``--serve-ours`` starts one, or point ``--server``
at a running ``python main.py --serve``), Nakama with our module (``nakama/``) and
Nakama with Defold's stock XOXO module, so the three can be compared with one harness.

Each player signs in by device over HTTP (``POST /v2/account/authenticate/device``, the
server key as Basic; 64 sign-ins at a time per load process, over keep-alive
connections), opens the realtime socket (``/ws?token=...&format=json``), asks the
matchmaker for one opponent (query ``*``), joins the match it is given (declaring our
protocol in the join metadata, as the game does; the stock module ignores it) and plays
a random empty cell the moment the state says it is its turn. After a result it asks for
the next game (op 4; the stock module ignores that and starts the next game itself after
its countdown). At ``--duration`` seconds every player leaves and closes. The players
are ``bench/loadclient.py``'s: callbacks on uvloop, no task per player or message, each
frame they send built once, so that the load generator's CPU, which shares the machine
with the server, stays small (it is printed). It prints the time from sending a move to
the next state (p50/p99/max), time to match, games finished, errors (error envelopes, op
3 refusals, closed sockets, players never matched, moves left unanswered), and, for the
processes given with ``--server-pid`` (and ``--db-pid``, a PostgreSQL postmaster whose
backends are counted too), CPU seconds, CPU per finished game and peak memory (the
largest resident size sampled twice a second, and the kernel's high-water mark
``VmHWM``), plus hypervisor steal over the run (``/proc/stat``).

Starting a Nakama for it (3.x, built from source or Heroic Labs' image; loopback only,
telemetry off). With our module (its folder as the runtime path)::

    NAKAMA_TELEMETRY=0 nakama --name nakama1 --database.address postgres@127.0.0.1:5432/nakama \\
        --runtime.path nakama/ --socket.address 127.0.0.1 --socket.port 7350 \\
        --console.address 127.0.0.1 --console.port 7351 \\
        --matchmaker.interval_sec 1 --matchmaker.max_intervals 2 --matchmaker.rev_precision=true \\
        --session.token_expiry_sec 7200 > nakama.log 2>&1

and ``--runtime.path`` a folder holding only ``main.lua``, ``tictactoe_match.lua`` and
``tictactoe_state.lua`` of defold/game-xoxo-nakama-server for the stock module (never
both modules in one runtime path: Nakama keeps one matchmaker-matched hook). Nakama's
matchmaker runs every 15 s by default (``matchmaker.interval_sec``): left so, a
thousand players wait up to 15 s, which measures the interval rather than the server;
``--matchmaker.interval_sec 1`` is what ``nakama/config.yml`` sets. Without
``--matchmaker.rev_precision=true`` matching is one-way, which makes no difference to
``*`` queries but is what the game's friend codes need. A true/false option takes its
value after ``=``: written apart (``--matchmaker.rev_precision true``), the word
``true`` ends Nakama's option parsing, and every option after it is silently ignored.
Our module's settings can be given as ``--runtime.env xoxo_plus_tick_rate=1``. ``--metrics.prometheus_port
9100`` adds Prometheus metrics; ``/debug/pprof/`` on the console port (console user and
password as Basic) gives Go heap and CPU profiles. Then::

    python bench/nakama_load.py --pairs 500 --duration 60 --server-pid "$(pgrep -o -x nakama)"

Our host's per-socket message limit (20 a second) is lower than what players with no
think time send, and its limits per client address (connections, sign-ins a minute)
are meant for strangers, not for a thousand players on one loopback address; so
``--serve-ours`` runs a host of its own (default settings, a temporary data folder, a
free loopback port) with those limits lifted, as ``host_load.py --scenario rapid``
lifts the first.

Loopback only (the server address must be in 127.0.0.0/8), bounded in players (at most
5,000 pairs) and time (the duration plus a minute at most). The exit code is 0 only if
there was no error.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import ipaddress
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: bench.* from the root

from bench.loadclient import MatchPlayer, SignIns, arrivals, b64decode, connect, loads

REPO = Path(__file__).resolve().parents[1]

MAX_PAIRS = 5000
GRACE = 60.0  # seconds after --duration by which every player must be done
UNANSWERED = 2.0  # a move still waiting for a state this long when the run ends is an error


@dataclass
class Tally:
    """What one load process measured (seconds), merged by the parent."""

    sign_in: list[float] = field(default_factory=list)
    to_match: list[float] = field(default_factory=list)
    # (wall time sent, seconds to the state, whether that state ended the game: a server that writes its record
    # before it tells anyone answers those later)
    move_to_state: list[tuple[float, float, bool]] = field(default_factory=list)
    last_match: float = 0.0  # wall time the last player was matched
    results_seen: int = 0  # finished games as each player saw them: two per game
    unmatched: int = 0
    errors: list[str] = field(default_factory=list)
    cpu: float = 0.0
    loop_lag: list[float] = field(default_factory=list)


# The players ---------------------------------------------------------------------------------


class Player(MatchPlayer):
    """One player, driven by its socket's callbacks: matchmake, join, answer each state, leave at the end.

    A move the moment the state says it is this player's turn (a random empty cell); after
    a result, a request for the next game (op 4; the stock module ignores it and starts the
    next game itself after its countdown). Every frame sent once matched was built once.
    """

    def __init__(self, worker: Worker):
        super().__init__()
        self.w, self.tally = worker, worker.tally
        self.done = False  # left its match, or the time ran out
        self.over = False  # the last state showed a result

    def on_lost(self) -> None:
        if not self.done:
            self.done = True
            self.tally.errors.append(f"socket closed: closed ({self.close_code} {self.close_reason})".strip())
        self.w.gone(self)

    def on_text(self, payload: bytes) -> None:
        if self.done:
            return
        env = loads(payload)
        if "error" in env:
            if self.matched:
                self.tally.errors.append(f"error {env['error']}")
            else:
                self.tally.errors.append(f"RuntimeError: matchmaker: {env['error']}")
                self.finish(played=False)
            return
        if not self.matched:
            matched = env.get("matchmaker_matched")
            if isinstance(matched, dict):
                self._matched(str(matched["match_id"]))
            return
        data = env.get("match_data")
        if isinstance(data, dict):
            op, raw = int(data["op_code"]), b64decode(str(data.get("data", "")))
            if op == 2:
                self._state(loads(raw))
            elif op == 3:
                self.tally.errors.append(f"refused: {raw[:80]!r}")
            elif op == 5:
                self.finish()  # the opponent left (its run ended)

    def _matched(self, match_id: str) -> None:
        self.tally.to_match.append(time.perf_counter() - self.asked)
        self.tally.last_match = max(self.tally.last_match, time.time())
        self.join(match_id)

    def _state(self, msg: dict[str, Any]) -> None:
        state = msg["state"]
        ended = bool(state.get("winner") or state.get("draw"))
        if (answer := self.answered()) is not None:
            self.tally.move_to_state.append((*answer, ended))
        if ended:
            if not self.over:
                self.over = True
                self.tally.results_seen += 1
                self.send_frame(self.next_game)  # the next game, please (the stock module ignores it)
            return
        self.over = False
        if msg.get("your_turn") and not self.w.idle:
            self.move_at_random(state["cells"], self.w.rng)

    def finish(self, played: bool = True) -> None:
        """Done (the time is up or the opponent left): a move long unanswered is an error; leave and close."""
        if self.done:
            return
        self.done = True
        if not self.matched:
            self.tally.unmatched += 1
        elif self.sent_at is not None and time.perf_counter() - self.sent_at > UNANSWERED:
            self.tally.errors.append(f"a move had no answer for {time.perf_counter() - self.sent_at:.1f} s")
        self.leave_and_close(self.leave_frame if played else None)


class Worker:
    """One load process's players: they arrive over the ramp through 64 sign-in lanes, then run on callbacks."""

    def __init__(self, args: argparse.Namespace, first: int, count: int, stop_at: float):
        self.loop = asyncio.get_running_loop()
        self.args, self.first, self.count, self.stop_at = args, first, count, stop_at
        self.idle = bool(args.idle)
        self.tally = Tally()
        self.rng = random.Random(first)  # one for all its players (a generator is 2.5 KB)
        self.players: set[Player] = set()
        self._gone = 0
        self.done = asyncio.Event()

    def gone(self, player: Player | None = None) -> None:
        if player is not None:
            self.players.discard(player)
        self._gone += 1
        if self._gone == self.count:
            self.done.set()

    async def _arrive(self, sign_ins: SignIns, n: int) -> None:
        args = self.args
        t = time.perf_counter()
        token = await sign_ins.sign_in(f"{args.prefix}{n:05d}", f"nakama-load-{args.prefix}-{n:05d}")
        self.tally.sign_in.append(time.perf_counter() - t)
        player = await connect(lambda: Player(self), args.port, f"/ws?token={token}&format=json")
        self.players.add(player)
        if time.time() >= self.stop_at:
            player.finish()

    def _failed(self, n: int, exc: Exception) -> None:
        self.tally.errors.append(f"{type(exc).__name__}: {exc}")
        self.gone()

    def _time_up(self) -> None:
        for player in list(self.players):
            player.finish()

    async def run(self) -> Tally:
        watcher = asyncio.create_task(_watch_lag(self.tally.loop_lag))
        cpu0 = time.process_time()
        timer = self.loop.call_later(max(0.0, self.stop_at - time.time()), self._time_up)
        sign_ins = SignIns(self.args.port, self.args.key)
        try:
            await asyncio.wait_for(arrivals(self.first, self.count, self.args.pairs, self.args.ramp,
                                            lambda n: self._arrive(sign_ins, n), self._failed),
                                   max(1.0, self.stop_at - time.time()) + GRACE)
            sign_ins.close()
            await asyncio.wait_for(self.done.wait(), max(1.0, self.stop_at - time.time()) + GRACE)
        except TimeoutError:
            self.tally.errors += ["player still running at the time limit"] * (self.count - self._gone)
            for player in self.players:
                if player.transport is not None:
                    player.transport.abort()
        finally:
            timer.cancel()
            sign_ins.close()
            watcher.cancel()
        self.tally.cpu = time.process_time() - cpu0
        return self.tally


async def _watch_lag(lags: list[float]) -> None:
    """How late each 10 ms sleep of this loop wakes (perf_counter: uvloop's own clock moves in whole milliseconds)."""
    while True:
        due = time.perf_counter() + 0.01
        await asyncio.sleep(0.01)
        lags.append(max(0.0, time.perf_counter() - due))


def run_worker(args: argparse.Namespace, first: int, count: int, stop_at: float) -> Tally:
    """One load process: players ``first`` .. ``first + count - 1``."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    gc.disable()  # a full collection of thousands of sockets' objects would pause every player at once
    with asyncio.Runner(loop_factory=_fast_loop()) as runner:
        return runner.run(_worker_main(args, first, count, stop_at))


async def _worker_main(args: argparse.Namespace, first: int, count: int, stop_at: float) -> Tally:
    return await Worker(args, first, count, stop_at).run()


def _fast_loop() -> Any:
    """uvloop's event loop for the players where it is installed (their CPU is not the server's to pay); else None."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


# The server's processes ---------------------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_status(pid: int, key: str) -> int:
    """A ``kB`` field of /proc/PID/status (VmRSS, VmHWM) in bytes; 0 if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _family(pid: int) -> dict[int, float]:
    """CPU seconds of ``pid`` and each of its children (a postmaster and its backends)."""
    out = {pid: _proc_cpu(pid)}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                out[int(entry.name)] = _proc_cpu(int(entry.name))
    return out


def _machine() -> tuple[int, int, int]:
    """(all, busy, stolen) CPU ticks of the machine so far (/proc/stat): busy is everything but idle and iowait."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0, 0
    total = sum(fields[:8])
    return total, total - fields[3] - fields[4], fields[7] if len(fields) > 7 else 0


class Sampler:
    """Samples the server's resident size twice a second on a thread, keeping the largest."""

    def __init__(self, pid: int | None):
        self.pid, self.peak, self.peak_at, self.start = pid, 0, 0.0, time.time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while self.pid is not None and not self._stop.wait(0.5):
            rss = _proc_status(self.pid, "VmRSS")
            if rss > self.peak:
                self.peak, self.peak_at = rss, time.time() - self.start

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)


def _start_our_host(data: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Our host in a process of its own, its limits per socket and per address lifted; (process, port)."""
    code = (
        "import argparse, asyncio, dataclasses, logging, resource, sys\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))\n"
        "from net.host import serve\n"
        "p = argparse.ArgumentParser(); serve.add_serve_arguments(p)\n"
        "c = serve.config_from_args(p.parse_args(sys.argv[1:]))\n"
        "lift = {'messages_per_second': 1000.0, 'message_burst': 2000, 'max_connections_per_address': 0,\n"
        "        'sign_ins_per_minute': 0}\n"
        "names = {f.name for f in dataclasses.fields(c)}\n"
        "c = dataclasses.replace(c, **{k: v for k, v in lift.items() if k in names})\n"
        "logging.basicConfig(format='%(asctime)s %(levelname)s %(name)s: %(message)s', stream=sys.stderr)\n"
        "logging.getLogger('net.host').setLevel('INFO')\n"
        "asyncio.run(serve.serve_until_stopped(c))\n"
    )  # the host's own defaults and log level (INFO, as --serve), only its limits per socket and per address lifted
    log = data / "host.log"
    with open(log, "wb") as out:
        host = subprocess.Popen(
            [sys.executable, "-c", code, "--bind", "127.0.0.1", "--port", "0", "--data", str(data / "host")],
            cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), stderr=out, stdout=out,
        )
    deadline = time.time() + 30
    while time.time() < deadline and host.poll() is None:
        found = re.search(r"listening on (?:https?|wss?)://[^:]+:(\d+)", log.read_text(errors="replace"))
        if found:
            return host, int(found.group(1))
        time.sleep(0.1)
    host.kill()
    host.wait()
    raise RuntimeError(f"our host did not start: {log.read_text(errors='replace')[-300:]}")


# The run ---------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000


def _ms(values: list[float]) -> str:
    return f"p50 {_pct(values, .5):.1f} ms, p99 {_pct(values, .99):.1f} ms, max {_pct(values, 1.0):.1f} ms"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0], epilog="How to start a Nakama for it: see the top of this file.")
    parser.add_argument("--server", default="127.0.0.1:7350", help="HOST:PORT of the server (loopback only)")
    parser.add_argument("--key", default="defaultkey", help="the server key for sign-in (default defaultkey)")
    parser.add_argument("--pairs", type=int, default=500, help="concurrent pairs of players (default 500)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds the players play (default 60)")
    parser.add_argument("--ramp", type=float, default=0.0,
                        help="spread the pairs' arrivals over this many seconds (default 0: all at once)")
    parser.add_argument("--workers", type=int, default=2, help="load-generator processes (default 2)")
    parser.add_argument("--server-pid", type=int, help="the server's process: its CPU and peak memory are reported")
    parser.add_argument("--db-pid", type=int, help="a PostgreSQL postmaster: its and its backends' CPU are reported")
    parser.add_argument("--idle", action="store_true",
                        help="players join their match and never move: what the matches themselves cost")
    parser.add_argument("--serve-ours", action="store_true", help="start our own host for the run (ignores --server)")
    parser.add_argument("--label", default="", help="a name for the server in the report")
    parser.add_argument("--prefix", default="nl", help="player names are PREFIX + a 5-digit number (default nl)")
    args = parser.parse_args(argv)
    if not 1 <= args.pairs <= MAX_PAIRS:
        parser.error(f"--pairs must be 1 to {MAX_PAIRS}")
    if not 1 <= args.duration <= 600:
        parser.error("--duration must be 1 to 600 seconds")
    if not 0 <= args.ramp < args.duration:
        parser.error("--ramp must be 0 or more and shorter than --duration")
    host, _, port = args.server.rpartition(":")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
        args.port = int(port)
    except ValueError:
        loopback = False
    if not loopback:
        parser.error("--server must be a loopback address, 127.x.x.x:PORT")
    return args


def _run_players(args: argparse.Namespace) -> tuple[Tally, float]:
    players = 2 * args.pairs
    workers = max(1, min(args.workers, players))
    share = [players // workers + (1 if i < players % workers else 0) for i in range(workers)]
    starts = [sum(share[:i]) for i in range(workers)]
    stop_at = time.time() + args.duration
    with ProcessPoolExecutor(workers) as pool:
        tallies = list(pool.map(run_worker, [args] * workers, starts, share, [stop_at] * workers))
    total = Tally()
    for x in tallies:
        total.sign_in += x.sign_in
        total.to_match += x.to_match
        total.move_to_state += x.move_to_state
        total.results_seen += x.results_seen
        total.unmatched += x.unmatched
        total.last_match = max(total.last_match, x.last_match)
        total.errors += x.errors
        total.cpu += x.cpu
        total.loop_lag += x.loop_lag
    return total, stop_at


def _report(args: argparse.Namespace, t: Tally, start: float, wall: float, server: dict[str, float], steal: float) -> None:
    from bench.machine import machine_line

    print(machine_line())
    print(f"server: {args.label or args.server}; {args.pairs} pairs ({2 * args.pairs} sockets), {args.duration:g} s, "
          + ("idle players, " if args.idle else "") + (f"arriving over {args.ramp:g} s, " if args.ramp else "")
          + f"{args.workers} load process(es); hypervisor steal {steal:.1f} % of the CPUs' time during the run")
    games = t.results_seen // 2
    print(f"games finished: {games} ({games / max(1e-9, args.duration):.1f}/s)")
    every = [lat for _, lat, _ in t.move_to_state]
    steady = [lat for sent, lat, _ in t.move_to_state if sent >= t.last_match]
    ending = [lat for _, lat, ended in t.move_to_state if ended]
    print(f"moves answered: {len(every)}, move->state {_ms(every)}")
    print(f"  after the last pair was matched ({len(steady)} moves, from +{t.last_match - start:.1f} s): {_ms(steady)}")
    print(f"  moves that ended their game ({len(ending)}): {_ms(ending)}; the others: "
          f"{_ms([lat for _, lat, ended in t.move_to_state if not ended])}")
    print(f"time to match: {_ms(t.to_match)} ({len(t.to_match)} matched, {t.unmatched} never matched); "
          f"sign-in {_ms(t.sign_in)}")
    if "cpu" in server:
        per_game = 1000 * server["cpu"] / games if games else float("nan")
        print(f"server CPU: {server['cpu']:.1f} s over {wall:.0f} s ({100 * server['cpu'] / wall:.0f} % of one core), "
              f"{per_game:.2f} ms per finished game; peak memory {server['peak'] / 2**20:.0f} MiB resident "
              f"(sampled, at +{server['peak_at']:.0f} s), VmHWM {server['hwm'] / 2**20:.0f} MiB")
    if "db_cpu" in server:
        per_game = 1000 * server["db_cpu"] / games if games else float("nan")
        print(f"database CPU: {server['db_cpu']:.1f} s ({per_game:.2f} ms per finished game)")
    print(f"load generator: CPU {t.cpu:.1f} s ({1000 * t.cpu / games if games else float('nan'):.2f} ms per finished game), "
          f"its event-loop delay {_ms(t.loop_lag)} (part of every latency above)")
    others = server["machine_busy"] - server.get("cpu", 0.0) - server.get("db_cpu", 0.0) - t.cpu
    print(f"machine: {server['machine_busy']:.1f} CPU seconds busy of {wall * (os.cpu_count() or 1):.0f}; "
          f"{max(0.0, others):.1f} s of it neither the server, the database nor the load generator")
    errors = t.errors + [f"{t.unmatched} player(s) never matched"] * (t.unmatched > 0)
    print(f"errors: {len(t.errors) + t.unmatched}")
    for e in errors[:8]:
        print(f"  {e}")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    with tempfile.TemporaryDirectory(prefix="nakama-load-") as tmp:
        host = None
        if args.serve_ours:
            host, args.port = _start_our_host(Path(tmp))
            args.server, args.server_pid = f"127.0.0.1:{args.port}", host.pid
            args.label = args.label or "our host (--serve-ours)"
        try:
            sampler = Sampler(args.server_pid)
            cpu0 = _proc_cpu(args.server_pid) if args.server_pid else 0.0
            db0 = _family(args.db_pid) if args.db_pid else {}
            m0, wall0 = _machine(), time.time()
            tally, _ = _run_players(args)
            wall, m1 = time.time() - wall0, _machine()
            sampler.stop()
            server: dict[str, float] = {}
            if args.server_pid:
                server.update(cpu=_proc_cpu(args.server_pid) - cpu0, peak=float(sampler.peak), peak_at=sampler.peak_at,
                              hwm=float(_proc_status(args.server_pid, "VmHWM")))
            if args.db_pid:
                db1 = _family(args.db_pid)
                server["db_cpu"] = sum(v - db0.get(pid, 0.0) for pid, v in db1.items())
        finally:
            if host is not None:
                host.terminate()
                try:
                    host.wait(15)
                except subprocess.TimeoutExpired:
                    host.kill()
                    host.wait()
    tick = os.sysconf("SC_CLK_TCK")
    steal = 100 * (m1[2] - m0[2]) / max(1, m1[0] - m0[0])
    server["machine_busy"] = (m1[1] - m0[1]) / tick
    _report(args, tally, wall0, wall, server, steal)
    return 0 if not tally.errors and not tally.unmatched else 1


if __name__ == "__main__":
    sys.exit(main())

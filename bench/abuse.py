"""The host under abuse, at full size: each case of issue 18 run against ``python -m net.host.serve``.

Four scenarios, each printed with its target (loopback only, bounded in time and count):

* ``ping-flood``: signed-in sockets that send ping frames as fast as they can and never
  read, reconnecting whenever the host closes them, for ``--seconds``. Figure: the host's
  memory growth (RSS); target under 20 MiB (it grew by 408 MiB in 12 s before).
* ``pipeline``: ``--pairs`` pairs play (0.1 s to think) while one connection, in its own
  process, pipelines ``GET /healthcheck`` flat out (writing batches, reading every answer).
  Figure: the other players' move-to-state p99, against the same load without the
  pipeliner; target under 100 ms.
* ``descriptors``: a host with ``RLIMIT_NOFILE`` at 256 and idle connections held and
  reopened (300 from one address, then 300 from 30 addresses) while another address signs
  in every 0.2 s. Figures: sign-ins answered (200 or 503) within 2 s, the host's CPU and
  log growth; targets: all answered, CPU under 50 % of a core, log under 100 KiB.
* ``dropping``: ``main.py --online`` headless against a server that signs in and then
  drops every socket right after the upgrade. Figures: the client's attempts and its exit;
  target: exit code 1 with "The server keeps dropping the connection" after at most 10.

    python bench/abuse.py [--only NAME ...] [--seconds 10] [--pairs 50]

Exit code 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import multiprocessing
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.host_load import Closed, LeanSocket, Tally, _worker_main, sign_in
from bench.machine import machine_line

REPO = Path(__file__).resolve().parents[1]
KEY = "defaultkey"
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# The host in its own process ---------------------------------------------------------------------------


class Host:
    """``python -m net.host.serve`` on a free loopback port, its log in a file; RSS and CPU read from /proc."""

    def __init__(self, work: Path, *options: str, nofile: int | None = None):
        self.log = work / "host.log"

        def limit() -> None:
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "net.host.serve", "--bind", "127.0.0.1", "--port", "0", "--data",
                 str(work / "data"), *options],
                cwd=REPO, stdout=out, stderr=out, preexec_fn=limit,
            )
        deadline = time.monotonic() + 30
        while not (found := re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.log.read_text())):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the host did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)
        self.port = int(found.group(1))

    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(found.group(1)) / 1024 if found else float("nan")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.log.read_text(errors="replace")


@contextmanager
def host(*options: str, nofile: int | None = None) -> Iterator[Host]:
    with tempfile.TemporaryDirectory(prefix="abuse-") as work:
        h = Host(Path(work), *options, nofile=nofile)
        try:
            yield h
        finally:
            if h.process.poll() is None:
                h.stop()


def verdict(name: str, value: float, target: float, unit: str, *, above: bool = False) -> tuple[str, bool]:
    ok = value > target if above else value < target
    sign = ">" if above else "<"
    return f"{name}: {value:.1f} {unit} (target {sign} {target:g} {unit}) {'met' if ok else 'MISSED'}", ok


# 1. Ping flood -----------------------------------------------------------------------------------------------


async def _flood(port: int, token: str, stop_at: float, counts: dict[str, int]) -> None:
    while time.monotonic() < stop_at:
        try:
            ws = await LeanSocket.connect(port, f"/ws?token={token}&format=json", timeout=5)
        except (OSError, Closed, TimeoutError):
            await asyncio.sleep(0.05)
            continue
        assert ws.transport is not None
        ws.transport.pause_reading()  # never read a pong
        counts["sockets"] += 1
        try:
            while not ws.lost and time.monotonic() < stop_at:
                for _ in range(500):
                    ws.ping()
                counts["pings"] += 500
                await asyncio.sleep(0)
        except Closed:
            pass
        ws.transport.abort()


def ping_flood(seconds: float, sockets: int = 4) -> list[tuple[str, bool]]:
    with host() as h:
        before = h.rss_mib()
        peak = before
        counts = {"sockets": 0, "pings": 0}

        async def main() -> None:
            nonlocal peak
            token = await sign_in(h.port, "flooder", "abuse-device-flooder-0001")
            stop_at = time.monotonic() + seconds
            floods = [asyncio.create_task(_flood(h.port, token, stop_at, counts)) for _ in range(sockets)]
            while time.monotonic() < stop_at:
                await asyncio.sleep(0.25)
                peak = max(peak, h.rss_mib())
            await asyncio.gather(*floods)

        asyncio.run(main())
        after = h.rss_mib()
        log = h.stop()
    print(f"ping flood: {sockets} sockets at a time for {seconds:g} s, {counts['sockets']} sockets opened, "
          f"{counts['pings']} pings written; host RSS {before:.0f} MiB before, peak {peak:.0f}, after {after:.0f}; "
          f"closed for too many messages: {log.count('sent too many messages')} log lines (rate-limited)")
    return [verdict("ping flood: host memory growth (peak - before)", peak - before, 20, "MiB")]


# 2. Pipelining ------------------------------------------------------------------------------------------------


def _pipeliner(port: int, seconds: float, answered: Any) -> None:
    """In its own process: pipeline GET /healthcheck in batches of 500, reading every answer, for ``seconds``."""
    sock = socket.create_connection(("127.0.0.1", port))
    batch = b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n" * 500
    stop_at = time.monotonic() + seconds
    done = threading.Event()

    def read() -> None:
        got = 0
        tail = b""
        while not done.is_set():
            try:
                chunk = sock.recv(1 << 20)
            except OSError:
                break
            if not chunk:
                break
            data = tail + chunk
            got += data.count(b"HTTP/1.1 200")
            tail = data[-16:]
            answered.value = got

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while time.monotonic() < stop_at:
            sock.sendall(batch)
    except OSError:
        pass
    done.set()
    sock.close()


def _play(port: int, pairs: int, seconds: float, prefix: str) -> Tally:
    args = argparse.Namespace(pairs=pairs, games=10_000, think=0.1, duration=seconds, ramp=1.0, prefix=prefix)
    return asyncio.run(_worker_main(port, 0, 2 * pairs, args))


def pipeline(seconds: float, pairs: int) -> list[tuple[str, bool]]:
    with host("--sign-ins-per-minute", "0", "--max-connections-per-address", "0") as h:
        alone = _play(h.port, pairs, seconds, "calm")
        answered = multiprocessing.Value("q", 0)
        worker = multiprocessing.Process(target=_pipeliner, args=(h.port, seconds + 3, answered), daemon=True)
        worker.start()
        time.sleep(1.0)  # the pipeliner up to speed first
        busy = _play(h.port, pairs, seconds, "busy")
        worker.join(10)
        cpu = h.cpu_seconds()
        h.stop()
    calm = [lat * 1000 for _, lat in alone.move_to_state]
    loaded = [lat * 1000 for _, lat in busy.move_to_state]
    print(f"pipelining: {pairs} pairs thinking 0.1 s, {seconds:g} s each run; one connection pipelining "
          f"GET /healthcheck got {answered.value} answers ({answered.value / (seconds + 3):.0f}/s); host CPU {cpu:.1f} s")
    print(f"  move-to-state without the pipeliner: {len(calm)} moves, p50 {_pct(calm, .5):.1f} ms, "
          f"p99 {_pct(calm, .99):.1f} ms; with it: {len(loaded)} moves, p50 {_pct(loaded, .5):.1f} ms, "
          f"p99 {_pct(loaded, .99):.1f} ms, max {_pct(loaded, 1.0):.1f} ms")
    errors = alone.errors + busy.errors
    if errors:
        print(f"  player errors: {len(errors)}, e.g. {errors[:3]}")
    return [verdict("pipelining: other players' move-to-state p99", _pct(loaded, .99), 100, "ms")]


# 3. Descriptor exhaustion -----------------------------------------------------------------------------------


async def _hold(port: int, source: str, stop_at: float, opened: list[int]) -> None:
    """One idle connection from ``source``, reopened whenever the host closes it."""
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0)), 5)
        except (OSError, TimeoutError):
            await asyncio.sleep(0.1)
            continue
        opened[0] += 1
        try:
            await asyncio.wait_for(reader.read(), max(0.01, stop_at - time.monotonic()))
        except (OSError, TimeoutError):
            pass
        writer.transport.abort()
        await asyncio.sleep(0.1)


def _sign_in_status(port: int, n: int) -> int:
    body = json.dumps({"id": f"abuse-patient-device-{n:06d}"}).encode()
    auth = base64.b64encode(f"{KEY}:".encode()).decode()
    request = (f"POST /v2/account/authenticate/device?create=true&username=patient{n} HTTP/1.1\r\nHost: x\r\n"
               f"Authorization: Basic {auth}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
               "Connection: close\r\n\r\n").encode() + body
    with socket.socket() as sock:
        sock.settimeout(2.0)
        sock.bind(("127.0.0.3", 0))
        sock.connect(("127.0.0.1", port))
        sock.sendall(request)
        head = sock.recv(64)
    return int(head.split(b" ")[1])


async def _exhaust(port: int, sources: list[str], seconds: float, attackers: int) -> tuple[list[int | str], list[float], int]:
    """Hold ``attackers`` idle connections from ``sources`` while another address signs in every 0.2 s."""
    statuses: list[int | str] = []
    waits: list[float] = []
    opened = [0]
    stop_at = time.monotonic() + seconds
    holders = [asyncio.create_task(_hold(port, sources[i % len(sources)], stop_at, opened)) for i in range(attackers)]
    await asyncio.sleep(1.0)
    n = 0
    while time.monotonic() < stop_at - 0.5:
        t = time.perf_counter()
        try:
            statuses.append(await asyncio.to_thread(_sign_in_status, port, n))
            waits.append(time.perf_counter() - t)
        except OSError as exc:
            statuses.append(type(exc).__name__)
        n += 1
        await asyncio.sleep(0.2)
    await asyncio.gather(*holders)
    return statuses, waits, opened[0]


def descriptors(seconds: float, attackers: int = 300) -> list[tuple[str, bool]]:
    results: list[tuple[str, bool]] = []
    for label, sources in (("one address", ["127.0.0.2"]), ("30 addresses", [f"127.0.1.{i}" for i in range(1, 31)])):
        with host("--sign-ins-per-minute", "0", nofile=256) as h:
            cpu0, log0 = h.cpu_seconds(), h.log.stat().st_size
            statuses, waits, opened = asyncio.run(_exhaust(h.port, sources, seconds, attackers))
            cpu = (h.cpu_seconds() - cpu0) / seconds * 100
            log_kib = (h.log.stat().st_size - log0) / 1024
            text = h.stop()
        answered = [s for s in statuses if s in (200, 503)]
        share = 100 * len(answered) / max(1, len(statuses))
        print(f"descriptors ({label}): RLIMIT_NOFILE 256, {attackers} idle connections held and reopened "
              f"({opened} opened in {seconds:g} s); sign-ins from another address: {len(statuses)}, "
              f"answered {len(answered)} ({statuses.count(200)} x 200, {statuses.count(503)} x 503), "
              f"wait p50 {1000 * _pct(waits, .5):.0f} ms, max {1000 * _pct(waits, 1.0):.0f} ms; host CPU {cpu:.0f} %, "
              f"log +{log_kib:.0f} KiB, tracebacks in the log: {text.count('Traceback')}")
        results.append(verdict(f"descriptors ({label}): sign-ins answered", share, 99.9, "%", above=True))
        results.append(verdict(f"descriptors ({label}): host CPU", cpu, 50, "% of a core"))
        results.append(verdict(f"descriptors ({label}): log growth", log_kib, 100, "KiB"))
    return results


# 4. A server that drops every socket ---------------------------------------------------------------------------


def _jwt(uid: str, name: str) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"uid": uid, "usn": name, "tid": "t", "iat": now, "exp": now + 3600}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


async def _dropping_server(attempts: list[float]) -> asyncio.Server:
    """Signs anyone in, accepts every socket upgrade, and closes it with 1011 at once."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            target = head.split(" ", 2)[1]
            if target.startswith("/ws"):
                attempts.append(time.monotonic())
                key = re.search(r"(?im)^sec-websocket-key:\s*(\S+)", head)
                accept = base64.b64encode(hashlib.sha1(((key.group(1) if key else "") + _WS_GUID).encode()).digest())
                writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
                reason = b"dropped on purpose"
                writer.write(bytes((0x88, 2 + len(reason))) + (1011).to_bytes(2, "big") + reason)
            else:
                length = re.search(r"(?im)^content-length:\s*(\d+)", head)
                if length:
                    await reader.readexactly(int(length.group(1)))
                token = _jwt("dropped-user", "dropped")
                body = json.dumps({"created": False, "token": token, "refresh_token": token}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n%s" % (len(body), body))
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, IndexError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0)


def dropping(limit: float = 240.0) -> list[tuple[str, bool]]:
    attempts: list[float] = []

    async def main() -> tuple[int | None, str, float]:
        server = await _dropping_server(attempts)
        port = server.sockets[0].getsockname()[1]
        with tempfile.TemporaryDirectory(prefix="abuse-client-") as data:
            env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", TICTACTOE_DATA_DIR=data)
            started = time.monotonic()
            client = await asyncio.create_subprocess_exec(
                sys.executable, str(REPO / "main.py"), "--online", "--server", f"127.0.0.1:{port}", "--name", "dropped",
                "--auto", "easy", "--games", "1", cwd=REPO, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )
            try:
                _, err = await asyncio.wait_for(client.communicate(), limit)
            except TimeoutError:
                client.kill()
                _, err = await client.communicate()
            took = time.monotonic() - started
        server.close()
        await server.wait_closed()
        lines = err.decode(errors="replace").strip().splitlines()
        return client.returncode, lines[-1] if lines else "", took

    code, last, took = asyncio.run(main())
    print(f"dropping server: main.py --online made {len(attempts)} socket attempts in {took:.1f} s, exit code {code}; "
          f"its last line: {last!r}")
    ok = code == 1 and "keeps dropping the connection" in last
    return [verdict("dropping server: the client's attempts", len(attempts), 10.5, "attempts"),
            (f"dropping server: exits 1 with one sentence: {'met' if ok else 'MISSED'}", ok)]


# ---------------------------------------------------------------------------------------------------------------


SCENARIOS: dict[str, Callable[[argparse.Namespace], list[tuple[str, bool]]]] = {
    "ping-flood": lambda a: ping_flood(a.seconds),
    "pipeline": lambda a: pipeline(a.seconds, a.pairs),
    "descriptors": lambda a: descriptors(a.seconds),
    "dropping": lambda a: dropping(),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", nargs="+", choices=sorted(SCENARIOS), help="run these scenarios (default: all)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each timed run (default 10)")
    parser.add_argument("--pairs", type=int, default=50, help="pairs of players in the pipelining scenario (default 50)")
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 120 or not 1 <= args.pairs <= 500:
        parser.error("--seconds 1..120, --pairs 1..500")
    print(machine_line())
    checks: list[tuple[str, bool]] = []
    for name in args.only or list(SCENARIOS):
        checks += SCENARIOS[name](args)
    for text, _ in checks:
        print(f"target: {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

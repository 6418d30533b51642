"""The host's own CPU per finished game on its Python path, without the kernel: a steadier figure than a load run's.

    python bench/host_path.py [--pairs 50] [--games 40] [--loop uvloop|asyncio] [--profile FILE]

A real ``Host`` (its database in a temporary folder, ratings on, the limits of
``host_load.py --scenario rapid``) is started in this process; its players sign in over
loopback HTTP, then each player's connection is a ``FrontConnection`` on an in-memory
transport: the bytes a player sends go to ``data_received`` exactly as the event loop
would hand them over (the upgrade request, then masked frames), and what the host writes
is kept for the player to read. Everything from the front's ``data_received`` to its
``transport.write`` runs as it does under load (HTTP upgrade, WebSocket framing, codec,
dispatch, match handler, database writer thread, logging); what is left out is the
kernel's loopback work and the event loop's reading and writing of sockets.

The host's CPU is the process's CPU less the time the players' own code took (timed
around it); the writer thread's CPU is part of it. With ``--profile FILE`` the run is
also profiled with cProfile (slower; the cost split, not the figure) into FILE.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import gc
import json
import logging
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


class MemoryTransport(asyncio.Transport):
    """What the front writes goes to ``out``; nothing is ever buffered."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.out: list[bytes] = []
        self.ready = asyncio.Event()
        self.closed = False
        self._address = address

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return (self._address, 40000) if name == "peername" else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.out.append(bytes(data))
        self.ready.set()

    def get_write_buffer_size(self) -> int:
        return 0

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def can_write_eof(self) -> bool:
        return False


class Clock:
    """The players' own CPU, timed around their code."""

    def __init__(self) -> None:
        self.spent = 0.0


def _mask(payload: bytes) -> bytes:
    key = os.urandom(4)
    n = len(payload)
    head = bytes((0x81, 0x80 | n)) if n < 126 else bytes((0x81, 0x80 | 126)) + n.to_bytes(2, "big")
    masked = (int.from_bytes(payload, "little") ^ int.from_bytes((key * (n // 4 + 1))[:n], "little")).to_bytes(n, "little")
    return head + key + masked


def _frames(buf: bytearray) -> list[dict[str, Any]]:
    out = []
    while len(buf) >= 2:
        size, head = buf[1] & 0x7F, 2
        if size == 126:
            size, head = int.from_bytes(buf[2:4], "big"), 4
        if len(buf) < head + size:
            break
        if buf[0] & 0x0F == 1:
            out.append(json.loads(buf[head:head + size]))
        del buf[:head + size]
    return out


class Player:
    def __init__(self, front: Any, transport: MemoryTransport, clock: Clock) -> None:
        self.front, self.transport, self.clock = front, transport, clock
        self.buf = bytearray()
        self.inbox: list[dict[str, Any]] = []

    def send(self, obj: dict[str, Any]) -> None:
        t = time.thread_time()
        frame = _mask(json.dumps(obj, separators=(",", ":")).encode())
        self.clock.spent += time.thread_time() - t
        self.front.data_received(frame)

    async def recv(self) -> dict[str, Any]:
        while not self.inbox:
            if not self.transport.out:
                self.transport.ready.clear()
                await self.transport.ready.wait()
            t = time.thread_time()
            self.buf += b"".join(self.transport.out)
            self.transport.out.clear()
            self.inbox += _frames(self.buf)
            self.clock.spent += time.thread_time() - t
        return self.inbox.pop(0)


async def _open(host: Any, token: str, address: str, clock: Clock) -> Player:
    from net.host.front import front_factory

    assert host.guard is not None
    front = front_factory(host, host._front_limits(), None, host.guard)()
    transport = MemoryTransport(address)
    front.connection_made(transport)
    front.data_received(
        f"GET /ws?token={token}&format=json HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await transport.ready.wait()
    head = b"".join(transport.out)
    transport.out.clear()
    assert head.startswith(b"HTTP/1.1 101"), head[:80]
    return Player(front, transport, clock)


async def _seat(me: Player, match_id: str, games: int, rng: random.Random) -> None:
    seen = 0
    counted = 0
    while seen < games:
        env = await me.recv()
        data = env.get("match_data")
        if data is None or int(data["op_code"]) != 2:
            continue
        t = time.thread_time()
        msg = json.loads(base64.b64decode(data["data"]))
        state = msg["state"]
        move: dict[str, Any] | None = None
        if state["winner"] or state["draw"]:
            if state["game"] != counted:
                counted = state["game"]
                seen += 1
                if seen < games:
                    move = {"match_data_send": {"match_id": match_id, "op_code": 4, "data": "e30="}}
        elif msg["your_turn"]:
            empty = [(r + 1, c + 1) for r, row in enumerate(state["cells"]) for c, v in enumerate(row) if v == -1]
            row, col = rng.choice(empty)
            cell = base64.b64encode(f'{{"row":{row},"col":{col}}}'.encode()).decode()
            move = {"match_data_send": {"match_id": match_id, "op_code": 1, "data": cell}}
        me.clock.spent += time.thread_time() - t
        if move is not None:
            me.send(move)


async def _pair(host: Any, tokens: tuple[str, str], n: int, games: int, clock: Clock) -> None:
    from bench.loadclient import JOIN_METADATA

    a, b = [await _open(host, tok, f"127.0.0.{2 + (2 * n + i) % 200}", clock) for i, tok in enumerate(tokens)]
    for p in (a, b):
        p.send({"cid": "1", "matchmaker_add": {"min_count": 2, "max_count": 2, "query": "*"}})
    ids = []
    for p in (a, b):
        while "matchmaker_matched" not in (env := await p.recv()):
            pass
        ids.append(env["matchmaker_matched"]["match_id"])
        p.send({"cid": "2", "match_join": {"match_id": ids[-1], "metadata": JOIN_METADATA}})
    rng = random.Random(n)
    await asyncio.gather(_seat(a, ids[0], games, rng), _seat(b, ids[1], games, rng))
    for p in (a, b):
        p.send({"cid": "3", "match_leave": {"match_id": ids[0]}})
    await asyncio.sleep(0)
    for p in (a, b):  # the connections go, as when the players close them
        p.transport.closed = True
        p.front.connection_lost(None)


async def run(pairs: int, games: int, profile: str | None, thresholds: tuple[int, ...] = ()) -> None:
    from bench.loadclient import sign_in
    from net.host.config import HostConfig
    from net.host.serve import GC_THRESHOLDS
    from net.host.server import Host

    with tempfile.TemporaryDirectory() as folder:
        host = Host(HostConfig(bind="127.0.0.1", port=0, data_dir=Path(folder), messages_per_second=1000, message_burst=1000))
        await host.start()
        try:
            tokens = [
                await sign_in(host.port, f"p{n}", f"bench-device-{n:08d}", f"127.0.0.{2 + n % 200}") for n in range(2 * pairs)
            ]
            clock = Clock()
            gc.collect()
            gc.freeze()
            gc.set_threshold(*(thresholds or GC_THRESHOLDS))  # as net.host.serve sets them
            pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
            started: list[float] = []

            def watch(phase: str, info: dict[str, int]) -> None:
                if phase == "start":
                    started[:] = [time.thread_time()]
                elif started:
                    pauses[info["generation"]].append((time.thread_time() - started[0]) * 1000)

            gc.callbacks.append(watch)
            prof = cProfile.Profile() if profile else None
            writer = next(t for t in threading.enumerate() if t.name == "database-writer")
            writer_clock = time.pthread_getcpuclockid(writer.ident or 0)
            handler = _time_handler(host)
            writer0 = time.clock_gettime(writer_clock)
            cpu0, wall0, recorded0 = time.process_time(), time.perf_counter(), host.stats().games_recorded
            if prof is not None:
                prof.enable()
            await asyncio.gather(*(_pair(host, (tokens[2 * i], tokens[2 * i + 1]), i, games, clock) for i in range(pairs)))
            db = host.database
            assert db is not None
            await db.flush(5.0)
            if prof is not None and profile is not None:
                prof.disable()
                prof.dump_stats(profile)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            gc.callbacks.remove(watch)
            t = time.thread_time()
            cyclic = gc.collect()  # what the games left for the cycle collector (the frozen start-up left out)
            full_ms = (time.thread_time() - t) * 1000
            writer_cpu = time.clock_gettime(writer_clock) - writer0
            done = host.stats().games_recorded - recorded0
        finally:
            await host.stop()
    host_cpu = cpu - clock.spent
    print(f"{done} games in {wall:.2f} s; process CPU {cpu:.3f} s, players' {clock.spent:.3f} s, host's {host_cpu:.3f} s")
    for generation, times in pauses.items():
        if times:
            print(f"collections of generation {generation}: {len(times)}, longest {max(times):.1f} ms of CPU")
    print(f"then a full collection: {full_ms:.1f} ms of CPU, {cyclic} objects in cycles freed")
    per = 1000 / max(1, done)
    print(f"host CPU per finished game: {host_cpu * per:.3f} ms, of which the match handler's calls {handler[0] * per:.3f} ms"
          f" and the database writer thread {writer_cpu * per:.3f} ms")


def _time_handler(host: Any) -> list[float]:
    """Time every call into a match handler (the runtime's ``_guard``): the rest is the host around it."""
    spent = [0.0]
    runtime = host.runtime
    guard = runtime._guard

    def timed(live: Any, hook: Any, *args: object) -> None:
        def call() -> None:
            t = time.thread_time()
            try:
                hook(*args)
            finally:
                spent[0] += time.thread_time() - t

        call.__name__ = getattr(hook, "__name__", "hook")
        guard(live, call)

    runtime._guard = timed
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--games", type=int, default=40)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--log-level", default="INFO", help="the host's log level (default INFO, as served)")
    parser.add_argument("--gc", type=int, nargs=3, default=(), metavar=("YOUNG", "MIDDLE", "OLD"),
                        help="the collector's thresholds (default: net.host.serve's)")
    parser.add_argument("--profile", help="also write a cProfile of the run to this file")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    with open(os.devnull, "w") as sink:
        # The host logs formatted as when it is served (to nowhere here).
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sink)
        logging.getLogger("net.host").setLevel(args.log_level)
        asyncio.run(run(args.pairs, args.games, args.profile, tuple(args.gc)))


if __name__ == "__main__":
    main()

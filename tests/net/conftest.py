"""Fixtures for tests that talk to a real host over loopback (reuse them freely).

A host runs on its own event-loop thread, as the game's network thread runs it for LAN
play; test code runs its clients with ``asyncio.run`` inside ordinary sync tests
(pytest-asyncio is not used). Everything binds 127.0.0.1, port 0, with data in a
pytest tmp folder. Every host a test starts is stopped at teardown.

Fixtures
--------
``host_factory(**overrides) -> RunningHost``
    Start a host; overrides are ``HostConfig`` fields (``turn_seconds=1``,
    ``max_players=2``, ``data_dir=...``). Defaults: those of ``HostConfig`` except
    ``port=0``, ``data_dir=<tmp>/host`` and no per-address sign-in limit (tests sign in
    from one address far more often than players do; the limit's own tests set it).
``running_host -> RunningHost``
    ``host_factory()`` with the defaults.
``host_client -> type[HostClient]``
    The async test client class below (``await host_client.connect(port, "ann")``,
    ``await host_client.pair(port)``); run scenarios with ``host_client.run(coro)``
    (``asyncio.run`` that also closes every client the scenario opened).
``http_get -> (port, path, key="defaultkey", headers=None) -> HttpAnswer``
    A raw blocking GET (status, content type, body text, ``json()``).

``host_factory(manual_clock=True, ...)`` gives the host a ``ManualClock``: its game
time (turns, grace, countdowns, token life) stands still until the test moves it with
``await host.elapse(seconds)``, so no test of a deadline sleeps for real.

``RunningHost``: ``port``, ``url`` (``ws://127.0.0.1:PORT``), ``config``, ``data_dir``,
``stats()`` (a ``HostStats``), ``call(fn, *args)`` (run a function on the host's loop and
return its result), ``run(coro)`` (await a coroutine there), ``stop(notice)``,
``elapse(seconds)`` (with a manual clock).

``HostClient`` (one signed-in socket) keeps a backlog, so waiting for one envelope
never loses another:

* ``connect(port, username, *, device_id=None, key=..., token=None)`` signs in over
  HTTP (unless given a token) and opens ``/ws``; ``user_id``, ``username``, ``token``.
* ``send(obj_or_text_or_bytes)``, ``recv()``, ``expect(key_or_predicate)``,
  ``request(key, body)`` (adds a ``cid``, returns the answer carrying it),
  ``sync()`` (a ping round trip; returns whatever arrived before the pong, so "nothing
  was sent to me" is checked without sleeping), ``closed()`` -> (code, reason).
* Matches: ``find_match()``, ``join(match_id=None, token=None)``, ``move(row, col)``,
  ``rematch()``, ``send_data(op, payload)``, ``match_data(op)`` -> bytes,
  ``state()`` -> ``game.xoxo.MatchView`` (next op 2), ``rejected()`` -> (reason, message).
* ``pair(port, names=("ann", "bob"))`` -> (player1, player2): two clients matched,
  joined, and past their first state, player 1 (who moves first) first.

Every wait has a timeout (5 s by default), so a broken host fails a test, never hangs it.
"""

from __future__ import annotations

import asyncio
import base64
import heapq
import http.client
import itertools
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from game.xoxo import OP_MOVE, OP_REJECTED, OP_REMATCH, OP_STATE, MatchView, decode_rejected, decode_state, encode_move
from net.host import Host, HostConfig, HostStats
from net.host.serve import loop_factory

DEFAULT_KEY = "defaultkey"
WAIT = 5.0


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    content_type: str
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def basic_key(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def http_get_raw(port: int, path: str, key: str | None = DEFAULT_KEY, headers: dict[str, str] | None = None) -> HttpAnswer:
    """One GET to the host on 127.0.0.1 (``key`` None sends no Authorization)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        h = dict(headers or {})
        if key is not None:
            h.setdefault("Authorization", basic_key(key))
        conn.request("GET", path, headers=h)
        resp = conn.getresponse()
        return HttpAnswer(resp.status, resp.getheader("Content-Type") or "", resp.read().decode("utf-8", "replace"))
    finally:
        conn.close()


def sign_in_path(username: str, device_id: str) -> str:
    from urllib.parse import urlencode

    return "/v2/account/authenticate/device?" + urlencode({"create": "true", "username": username, "id": device_id})


class ManualTimer:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """A host ``Scheduler`` whose time moves only in ``advance`` (called on the host's loop)."""

    WALL_OFFSET = 1_800_000_000.0  # the wall clock (token times) is this far ahead of game time

    def __init__(self) -> None:
        self.now = 1000.0
        self._due: list[tuple[float, int, Callable[[], None], ManualTimer]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.WALL_OFFSET + self.now

    def call_at(self, when: float, callback: Callable[[], None]) -> ManualTimer:
        timer = ManualTimer()
        if when <= self.now:  # due already: soon, as the event loop would
            asyncio.get_running_loop().call_soon(lambda: None if timer.cancelled else callback())
        else:
            heapq.heappush(self._due, (when, next(self._order), callback, timer))
        return timer

    def advance(self, seconds: float) -> None:
        """Move time on by ``seconds``, running every timer that falls due on the way, in order."""
        target = self.now + seconds
        while self._due and self._due[0][0] <= target:
            when, _, callback, timer = heapq.heappop(self._due)
            self.now = max(self.now, when)
            if not timer.cancelled:
                callback()
        self.now = target


def new_host_loop(name: str | None = None) -> asyncio.AbstractEventLoop:
    """The event loop a test's host runs on: asyncio's, or uvloop's (``name``, or TICTACTOE_TEST_LOOP=uvloop for all)."""
    factory = loop_factory(name or os.environ.get("TICTACTOE_TEST_LOOP") or "asyncio")
    return factory() if factory is not None else asyncio.new_event_loop()


class RunningHost:
    """A Host on its own event-loop thread."""

    def __init__(self, config: HostConfig, clock: ManualClock | None = None, loop: str | None = None):
        self.config = config
        self.clock = clock
        self.loop = new_host_loop(loop)
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-host", daemon=True)
        self._thread.start()
        self.host = Host(config) if clock is None else Host(config, scheduler=clock, wall_clock=clock.wall)
        try:
            self.run(self.host.start())
        except BaseException:
            self.close()
            raise

    @property
    def port(self) -> int:
        return self.host.port

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def data_dir(self):
        return self.config.data_dir

    def run(self, coro: Any, timeout: float = 20.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        async def _call() -> Any:
            return fn(*args)

        return self.run(_call())

    def stats(self) -> HostStats:
        return self.call(self.host.stats)

    async def elapse(self, seconds: float) -> None:
        """Let ``seconds`` of game time pass on the host (a ``manual_clock`` host), from a test's own loop."""
        assert self.clock is not None, "start the host with manual_clock=True"

        async def advance() -> None:
            self.clock.advance(seconds)

        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(advance(), self.loop))

    def stop(self, notice: str = "Server shutting down") -> None:
        self.run(self.host.stop(notice))

    def close(self) -> None:
        if self.loop.is_closed():
            return
        try:
            self.run(self.host.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()


class HostClient:
    """One signed-in player socket, for tests (see the module docstring)."""

    _cids = itertools.count(1)
    opened: ClassVar[list[HostClient]] = []  # per test (the fixture hands out a fresh subclass)

    @classmethod
    def run(cls, coro: Any) -> Any:
        """``asyncio.run(coro)``, then close every client it opened (so hosts stop at once)."""

        async def main() -> Any:
            try:
                return await coro
            finally:
                clients, cls.opened[:] = list(cls.opened), []
                await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)

        return asyncio.run(main())

    def __init__(self, ws: ClientConnection, token: str, user_id: str, username: str):
        self.ws = ws
        self.token = token
        self.user_id = user_id
        self.username = username
        self.backlog: list[dict[str, Any]] = []
        self.match_id = ""
        self.matched: dict[str, Any] = {}
        self.session_id = ""

    # Connecting -------------------------------------------------------------------

    @staticmethod
    async def sign_in(port: int, username: str, device_id: str | None = None, key: str = DEFAULT_KEY) -> dict[str, Any]:
        """Sign in as ``username`` (or, if another account has that name, ``username`` and a number, as the game does)."""
        device_id = device_id or f"test-device-{uuid.uuid4()}"
        for n in itertools.count(1):
            name = username if n == 1 else f"{username}{n}"
            answer = await asyncio.to_thread(http_get_raw, port, sign_in_path(name, device_id), key)
            if answer.status != 409:
                break
        assert answer.status == 200, (answer.status, answer.body)
        return answer.json()

    @classmethod
    async def connect(
        cls,
        port: int,
        username: str = "player",
        *,
        device_id: str | None = None,
        key: str = DEFAULT_KEY,
        token: str | None = None,
    ) -> HostClient:
        if token is None:
            token = (await cls.sign_in(port, username, device_id, key))["token"]
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        ws = await connect(f"ws://127.0.0.1:{port}/ws?token={token}&format=json", open_timeout=WAIT, compression=None)
        client = cls(ws, token, claims["uid"], claims["usn"])
        cls.opened.append(client)
        return client

    @classmethod
    async def pair(cls, port: int, names: tuple[str, str] = ("ann", "bob")) -> tuple[HostClient, HostClient]:
        """Two players matched and joined, past their first state; player 1 first."""
        a = await cls.connect(port, names[0])
        b = await cls.connect(port, names[1])
        await a.find_match_start()
        await b.find_match_start()
        await a.find_match_end()
        await b.find_match_end()
        await a.join(a.match_id)
        await b.join(token=b.matched["token"])
        va, vb = await a.state(), await b.state()
        assert {va.you, vb.you} == {1, 2}
        await a.expect("match_presence_event")  # b's arrival
        return (a, b) if va.you == 1 else (b, a)

    # Frames ------------------------------------------------------------------------------

    async def send(self, obj: dict[str, Any] | str | bytes) -> None:
        await self.ws.send(obj if isinstance(obj, (str, bytes)) else json.dumps(obj))

    async def _read(self, timeout: float) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            text = await self.ws.recv()
        return json.loads(text)

    async def recv(self, timeout: float = WAIT) -> dict[str, Any]:
        if self.backlog:
            return self.backlog.pop(0)
        return await self._read(timeout)

    async def expect(self, what: str | Callable[[dict[str, Any]], bool], timeout: float = WAIT) -> dict[str, Any]:
        """The first envelope with key ``what`` (or matching a predicate); the others stay queued."""
        pred = (lambda e: what in e) if isinstance(what, str) else what
        for i, env in enumerate(self.backlog):
            if pred(env):
                return self.backlog.pop(i)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            env = await self._read(max(0.01, deadline - loop.time()))
            if pred(env):
                return env
            self.backlog.append(env)

    async def request(self, key: str, body: Any = None, timeout: float = WAIT) -> dict[str, Any]:
        """Send ``{cid, key: body}``; the answer carrying that cid."""
        cid = str(next(self._cids))
        await self.send({"cid": cid, key: {} if body is None else body})
        return await self.expect(lambda e: e.get("cid") == cid, timeout)

    async def sync(self) -> list[dict[str, Any]]:
        """A ping round trip: everything queued for us before the pong (backlog included), consumed."""
        cid = f"sync-{next(self._cids)}"
        await self.send({"cid": cid, "ping": {}})
        await self.expect(lambda e: e.get("cid") == cid and "pong" in e)
        got, self.backlog = self.backlog, []
        return got

    async def closed(self, timeout: float = WAIT) -> tuple[int | None, str]:
        """Wait for the server to close the socket (discarding what arrives); its code and reason."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.ws.recv()
        except ConnectionClosed:
            pass
        return self.ws.close_code, self.ws.close_reason or ""

    async def close(self) -> None:
        await self.ws.close()

    # Matchmaking and matches ---------------------------------------------------------------

    async def find_match_start(self) -> str:
        answer = await self.request("matchmaker_add", {"min_count": 2, "max_count": 2, "query": "*"})
        assert "matchmaker_ticket" in answer, answer
        return answer["matchmaker_ticket"]["ticket"]

    async def find_match_end(self) -> dict[str, Any]:
        self.matched = (await self.expect("matchmaker_matched"))["matchmaker_matched"]
        self.match_id = self.matched["match_id"]
        self.session_id = self.matched["self"]["presence"]["session_id"]
        return self.matched

    async def find_match(self) -> dict[str, Any]:
        await self.find_match_start()
        return await self.find_match_end()

    async def join(self, match_id: str | None = None, token: str | None = None) -> dict[str, Any]:
        body = {"match_id": match_id} if match_id else {"token": token}
        answer = await self.request("match_join", body)
        if "match" in answer:
            self.match_id = answer["match"]["match_id"]
            self.session_id = answer["match"]["self"]["session_id"]
        return answer

    async def send_data(self, op: int | str, payload: bytes | dict[str, Any], match_id: str | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        await self.send(
            {"match_data_send": {"match_id": match_id or self.match_id, "op_code": op, "data": base64.b64encode(data).decode()}}
        )

    async def move(self, row: Any, col: Any) -> None:
        if isinstance(row, int) and isinstance(col, int):
            await self.send_data(OP_MOVE, encode_move(row, col))
        else:
            await self.send_data(OP_MOVE, {"row": row, "col": col})

    async def rematch(self) -> None:
        await self.send_data(OP_REMATCH, b"{}")

    async def match_data(self, op: int, timeout: float = WAIT) -> bytes:
        env = await self.expect(lambda e: "match_data" in e and int(e["match_data"]["op_code"]) == op, timeout)
        return base64.b64decode(env["match_data"].get("data", ""))

    def view_of(self, envelope: dict[str, Any]) -> MatchView | None:
        """The state an envelope carries (op 2), as this player sees it; None for anything else."""
        data = envelope.get("match_data")
        if data is None or int(data["op_code"]) != OP_STATE:
            return None
        return decode_state(base64.b64decode(data.get("data", "")), self.user_id, self.session_id)

    async def state(self, timeout: float = WAIT) -> MatchView:
        return decode_state(await self.match_data(OP_STATE, timeout), self.user_id, self.session_id)

    async def rejected(self, timeout: float = WAIT) -> tuple[str, str]:
        return decode_rejected(await self.match_data(OP_REJECTED, timeout))


@pytest.fixture
def host_factory(tmp_path) -> Iterator[Callable[..., RunningHost]]:
    hosts: list[RunningHost] = []

    def start(*, manual_clock: bool = False, loop: str | None = None, **overrides: Any) -> RunningHost:
        overrides.setdefault("data_dir", tmp_path / f"host{len(hosts)}")
        overrides.setdefault("sign_ins_per_minute", 0)
        h = RunningHost(replace(HostConfig(port=0), **overrides), ManualClock() if manual_clock else None, loop)
        hosts.append(h)
        return h

    yield start
    for h in hosts:
        h.close()


@pytest.fixture
def running_host(host_factory) -> RunningHost:
    return host_factory()


@pytest.fixture
def host_client() -> type[HostClient]:
    return type("HostClient", (HostClient,), {"opened": []})


@pytest.fixture
def http_get() -> Callable[..., HttpAnswer]:
    return http_get_raw

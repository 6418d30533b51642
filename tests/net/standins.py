"""Stand-in servers for the client, session and bridge tests: real sockets on loopback.

* ``NakamaStandIn`` plays a *foreign* server the way a stock Nakama shows itself to a
  client (docs/PROTOCOL.md): sign-in is a ``POST`` with a JSON
  body, answered with Nakama-shaped JWTs; an existing device keeps its account's name
  whatever it asks, a new device asking a taken name gets 409, ``PUT /v2/account``
  renames (400 when taken); and ``/ws`` is a WebSocket whose behaviour each test
  scripts (answer, stall, send garbage, push data before the join's answer, ...).
* ``TcpRelay`` forwards a port to another one and can cut every connection through it
  at once (a dropped network) or stop listening (a server gone for good).
* ``LoopThread`` runs an asyncio loop on a thread, for tests whose body is synchronous
  (the bridge's tests: the UI side never runs a loop).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

T = TypeVar("T")

LOOPBACK = "127.0.0.1"


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A loopback TCP port that refuses every connection for the block's length.

    Its socket stays bound and never listens, so a connection is refused and no other
    program can take the port meanwhile (a port bound, released and named later could be).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        yield s.getsockname()[1]


@contextlib.contextmanager
def shared_udp_port() -> Iterator[int]:
    """A UDP port held for the block's length with SO_REUSEADDR and SO_REUSEPORT, as LAN discovery binds it.

    The game's discovery listeners, which set both options, bind the same port beside it
    (each gets its own copy of a broadcast); another program cannot take it meanwhile.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("0.0.0.0", 0))
        yield s.getsockname()[1]


def make_token(uid: str, usn: str, lifetime: int = 3600, now: float | None = None) -> str:
    """A JWT-shaped token with Nakama's claims (unsigned: the client does not check signatures)."""
    iat = int(time.time() if now is None else now)

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {"uid": uid, "usn": usn, "tid": "t", "iat": iat, "exp": iat + lifetime}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


def token_claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def b64(obj: Any) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.b64encode(raw).decode()


@dataclass
class HttpRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


SocketScript = Callable[["StandInSocket"], Awaitable[None]]


class StandInSocket:
    """One client's WebSocket on the stand-in, as a script sees it."""

    def __init__(self, ws: ServerConnection, claims: dict[str, Any]):
        self.ws = ws
        self.claims = claims
        self.received: list[dict[str, Any]] = []

    @property
    def user_id(self) -> str:
        return self.claims["uid"]

    async def recv(self, key: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
        """The next envelope from the client (skipping pings, answered) whose message is ``key``."""
        async with asyncio.timeout(timeout):
            while True:
                env = json.loads(await self.ws.recv())
                self.received.append(env)
                if "ping" in env:
                    await self.send({"cid": env.get("cid"), "pong": {}})
                    continue
                if key is None or key in env:
                    return env

    async def send(self, envelope: dict[str, Any] | str) -> None:
        await self.ws.send(envelope if isinstance(envelope, str) else json.dumps(envelope))

    async def answer_pings_forever(self) -> None:
        """Keep the connection alive (answer pings) until the client goes."""
        try:
            while True:
                await self.recv("__never__", timeout=3600)
        except ConnectionClosed:
            return


class NakamaStandIn:
    """A foreign server on one loopback port: Nakama's POST sign-in, and a scripted ``/ws``."""

    def __init__(
        self,
        script: SocketScript | None = None,
        *,
        key: str = "defaultkey",
        token_lifetime: int = 3600,
        handshake_refusal: tuple[int, str] | None = None,
    ):
        self.script = script
        self.key = key
        self.token_lifetime = token_lifetime
        self.handshake_refusal = handshake_refusal
        self.http_requests: list[HttpRequest] = []
        self.accounts: dict[str, tuple[str, str]] = {}  # device id -> (user id, username)
        self.sockets: list[StandInSocket] = []
        self.port = 0
        self._front: asyncio.Server | None = None
        self._ws_server: Any = None
        self._ws_port = 0
        self._links: set[asyncio.StreamWriter] = set()
        self._scripts: set[asyncio.Task[Any]] = set()
        self.script_errors: list[BaseException] = []  # raised again by stop(): a script that failed fails its test
        self.go = asyncio.Event()  # scripts may wait for the test's signal
        self.flowing = asyncio.Event()  # cleared by freeze(): the relay stops passing bytes on
        self.flowing.set()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    async def start(self) -> NakamaStandIn:
        self._ws_server = await serve(self._ws_handler, LOOPBACK, 0, process_request=self._check_handshake)
        self._ws_port = self._ws_server.sockets[0].getsockname()[1]
        self._front = await asyncio.start_server(self._accept, LOOPBACK, 0)
        self.port = self._front.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.flowing.set()
        if self._front is not None:
            self._front.close()
        for writer in list(self._links):
            writer.transport.abort()
        for task in list(self._scripts):
            task.cancel()
        if self._ws_server is not None:
            for conn in list(self._ws_server.connections):
                conn.transport.abort()
            self._ws_server.close()
            await self._ws_server.wait_closed()
        if self._front is not None:
            await self._front.wait_closed()
        if self.script_errors:
            raise AssertionError(f"a stand-in socket script failed: {self.script_errors!r}") from self.script_errors[0]

    async def __aenter__(self) -> NakamaStandIn:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # The HTTP front --------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._links.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            url = urlsplit(target)
            if url.path == "/ws":
                await self._relay(head, reader, writer)
                return
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request = HttpRequest(method, url.path, parse_qs(url.query), headers, body)
            self.http_requests.append(request)
            status, answer = self._api(request)
            payload = json.dumps(answer).encode()
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                f"Connection: close\r\n\r\n".encode() + payload
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            self._links.discard(writer)
            writer.close()

    def _api(self, request: HttpRequest) -> tuple[int, dict[str, Any]]:
        expected = "Basic " + base64.b64encode(f"{self.key}:".encode()).decode()
        if request.path == "/v2/account" and request.method == "PUT":
            return self._rename(request)
        missing = _stock_module_lacks(request.path)
        if missing is not None:
            return 404, {"error": missing, "code": 5, "message": missing}
        if request.method != "POST":
            return 501, {"code": 12, "message": "Method Not Allowed"}
        if request.headers.get("authorization") != expected:
            return 401, {"code": 16, "message": "Server key invalid"}
        try:
            body = json.loads(request.body)
        except ValueError:
            return 400, {"code": 3, "message": "Unable to parse request body"}
        if request.path == "/v2/account/authenticate/device":
            device = body.get("id", "")
            if not 10 <= len(device) <= 128:
                return 400, {"code": 3, "message": "Device ID invalid, must be 10-128 bytes."}
            if device in self.accounts:
                uid, name = self.accounts[device]  # the name asked for is ignored, as on Nakama
            else:
                name = request.query.get("username", [f"player{len(self.accounts)}"])[0]
                if any(n == name for _, n in self.accounts.values()):
                    return 409, {"code": 6, "message": "Username is already in use."}
                uid = f"user-{device}"
                self.accounts[device] = (uid, name)
        elif request.path == "/v2/account/session/refresh":
            claims = token_claims(body.get("token", "x.e30.x"))
            uid, name = claims.get("uid", ""), claims.get("usn", "")
            if not uid:
                return 401, {"code": 16, "message": "Refresh token invalid or expired."}
        else:
            return 404, {"code": 5, "message": "Not Found"}
        token = make_token(uid, name, self.token_lifetime)
        return 200, {"created": True, "token": token, "refresh_token": make_token(uid, name, 3600)}

    def _rename(self, request: HttpRequest) -> tuple[int, dict[str, Any]]:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            uid = token_claims(token)["uid"] if scheme == "Bearer" else ""
        except (ValueError, IndexError, KeyError):
            uid = ""
        device = next((d for d, (u, _) in self.accounts.items() if u == uid), None)
        if device is None:
            return 401, {"code": 16, "message": "Auth token invalid"}
        try:
            name = json.loads(request.body)["username"]
        except (ValueError, KeyError, TypeError):
            return 400, {"code": 3, "message": "Unable to parse request body"}
        if any(n == name and u != uid for u, n in self.accounts.values()):
            return 400, {"code": 3, "message": "rpc error: code = AlreadyExists desc = Username is already in use."}
        self.accounts[device] = (uid, name)
        return 200, {}

    async def _relay(self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Hand a WebSocket handshake (and everything after it) to the scripted server."""
        up_reader, up_writer = await asyncio.open_connection(LOOPBACK, self._ws_port)
        self._links.add(up_writer)
        up_writer.write(head)
        try:
            await asyncio.gather(_pipe(reader, up_writer, self.flowing), _pipe(up_reader, writer, self.flowing))
        finally:
            self._links.discard(up_writer)
            up_writer.close()

    # The WebSocket behind it ----------------------------------------------------------

    def _check_handshake(self, connection: ServerConnection, request: Any) -> Any:
        if self.handshake_refusal is not None:
            status, text = self.handshake_refusal
            return connection.respond(status, text)
        token = parse_qs(urlsplit(request.path).query).get("token", [""])[0]
        try:
            connection.claims = token_claims(token)  # type: ignore[attr-defined]
        except (ValueError, IndexError):
            return connection.respond(401, "Auth token invalid")
        return None

    async def _ws_handler(self, ws: ServerConnection) -> None:
        sock = StandInSocket(ws, ws.claims)  # type: ignore[attr-defined]
        self.sockets.append(sock)
        task = asyncio.current_task()
        assert task is not None
        self._scripts.add(task)
        try:
            if self.script is not None:
                await self.script(sock)
            await sock.answer_pings_forever()
        except ConnectionClosed:
            pass  # the client went away: the script ends with it
        except Exception as exc:  # noqa: BLE001 - kept for stop() to raise in the test's own frame
            self.script_errors.append(exc)
        finally:
            self._scripts.discard(task)

    def cut(self) -> None:
        """Drop every connection at once, as a broken network would."""
        for writer in list(self._links):
            writer.transport.abort()

    def freeze(self) -> None:
        """Stall every socket: connections stay open, nothing more gets through either way."""
        self.flowing.clear()


def _stock_module_lacks(path: str) -> str | None:
    """What Nakama answers (404, code 5) for what the stock XOXO module does not make: a leaderboard, an RPC."""
    if path.startswith("/v2/leaderboard/"):
        return "Leaderboard not found."
    if path.startswith("/v2/rpc/"):
        return "RPC function not found"
    return None


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, flowing: asyncio.Event | None = None) -> None:
    try:
        while data := await reader.read(65536):
            if flowing is not None:
                await flowing.wait()
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.transport.abort()


class TcpRelay:
    """Forwards connections on its own port to ``target_port``; ``cut()`` drops them all."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    async def start(self, port: int = 0) -> TcpRelay:
        self._server = await asyncio.start_server(self._accept, LOOPBACK, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(LOOPBACK, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except asyncio.CancelledError:
            # The loop is closing with this connection still up. Ending cancelled would make
            # asyncio 3.11's stream callback log a spurious error: drop the link and end quietly.
            writer.transport.abort()
            up_writer.transport.abort()
        finally:
            self._writers -= {writer, up_writer}

    def cut(self) -> None:
        """Drop every relayed connection at once (both ends see a reset)."""
        for writer in list(self._writers):
            writer.transport.abort()

    async def stop(self) -> None:
        """Stop listening and drop everything: the server is gone."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self.cut()
        await asyncio.sleep(0)


class LoopThread:
    """An asyncio loop on a daemon thread; ``run(coro)`` runs a coroutine there and waits for it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-loop", daemon=True)

    def __enter__(self) -> LoopThread:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        async def finish() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            self.run(finish())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
            self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)


@dataclass
class Recorder:
    """Collects a session's events (on its loop) and waits for the ones a test expects."""

    events: list[Any] = field(default_factory=list)
    cursor: int = 0
    _changed: asyncio.Event | None = None

    def __call__(self, event: Any) -> None:
        self.events.append(event)
        if self._changed is not None:
            self._changed.set()

    async def next(self, *types: type, timeout: float = 5.0) -> Any:
        """The next event (after the previous one returned) of one of ``types``; others are skipped."""
        if self._changed is None:
            self._changed = asyncio.Event()
        try:
            async with asyncio.timeout(timeout):
                while True:
                    while self.cursor < len(self.events):
                        event = self.events[self.cursor]
                        self.cursor += 1
                        if isinstance(event, types):
                            return event
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            names = ", ".join(t.__name__ for t in types)
            raise AssertionError(f"no {names} among the events: {self.events!r}") from None

    def of(self, *types: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, types)]

"""The load generators' shared client: sign-ins over keep-alive HTTP and a lean WebSocket, all callbacks.

``bench/host_load.py`` and ``bench/nakama_load.py`` drive thousands of sockets from one
core that the server under test does not use; every microsecond spent here per message is
a microsecond the measured figures could lose to a saturated generator. So:

* a socket is an ``asyncio.Protocol`` whose frames go straight to a callback
  (``on_text``): no task, queue or future per player or per message;
* frames in are cut out of the bytes as they arrive (one copy only when a frame is split
  over two reads), and their payloads handed on as bytes, undecoded;
* frames out are masked with one constant key (RFC 6455 requires a client to mask, and
  a random key per frame protects proxies from a hostile page's chosen bytes; a load
  generator talking to its own loopback server has no such page, so a fixed nonzero key
  is enough, and it lets a player build its handful of frames once);
* sign-ins go over a few keep-alive HTTP connections, one request after another on each,
  as many as there are sign-ins in flight, instead of a TCP connection per player.

``LeanSocket`` keeps the awaitable ``recv`` of the earlier client for the scripts that
read a socket step by step (``bench/abuse.py``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import os
import random
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from game.xoxo import join_metadata

try:  # a faster parser where installed: the load generator's CPU is not the server's to pay
    import orjson

    loads: Any = orjson.loads
except ImportError:
    loads = json.loads

KEY = "defaultkey"
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MASK = b"\x5a\xa5\x3c\xc3"  # the one masking key of every frame this client sends (see above)
_MASK_INT = int.from_bytes(MASK * 64, "little")  # the key repeated over 256 bytes, as one integer


def mask(data: bytes) -> bytes:
    """``data`` XOR the constant key repeated (RFC 6455 masking), as one big-integer XOR."""
    n = len(data)
    if n <= 256:
        key = _MASK_INT & ((1 << (8 * n)) - 1)
    else:
        key = int.from_bytes((MASK * (n // 4 + 1))[:n], "little")
    return (int.from_bytes(data, "little") ^ key).to_bytes(n, "little")


def frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One whole masked client frame (text by default) carrying ``payload``."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + MASK + mask(payload)


# What a player sends around its games, as Nakama's realtime envelopes (the frames built once).
MATCHMAKER_ADD = frame(b'{"cid":"1","matchmaker_add":{"min_count":2,"max_count":2,"query":"*"}}')
JOIN_METADATA = join_metadata()  # what the players declare in match_join: the game's own revision, as its client does


def match_data(match_id: str, op: int, data: bytes) -> bytes:
    """The frame of a ``match_data_send`` envelope (``data`` base64-encoded, as Nakama's clients send it)."""
    encoded = base64.b64encode(data).decode()
    return frame(f'{{"match_data_send":{{"match_id":"{match_id}","op_code":{op},"data":"{encoded}"}}}}'.encode())


def match_frames(match_id: str) -> tuple[bytes, list[bytes], bytes, bytes]:
    """A matched player's frames, built once: the join, the nine moves (cell by cell), the next game, the leave."""
    join = frame(json.dumps({"cid": "2", "match_join": {"match_id": match_id, "metadata": JOIN_METADATA}}).encode())
    moves = [match_data(match_id, 1, f'{{"row":{r + 1},"col":{c + 1}}}'.encode()) for r in range(3) for c in range(3)]
    leave = frame(json.dumps({"cid": "3", "match_leave": {"match_id": match_id}}).encode())
    return join, moves, match_data(match_id, 4, b"{}"), leave


def b64decode(data: str | bytes) -> bytes:
    """Standard base64 (what Nakama's ``match_data.data`` carries), without ``base64``'s Python wrapper."""
    return binascii.a2b_base64(data)


class Closed(Exception):
    """The socket is closed (with the server's close code and reason, when it sent them)."""


_ERRORS = (OSError, RuntimeError, TimeoutError, ValueError, KeyError)  # what a failed sign-in or upgrade raises


class WebSocket(asyncio.Protocol):
    """A WebSocket client as small as a load generator can afford, driven by callbacks.

    It speaks what the players need (RFC 6455): the upgrade (its ``Sec-WebSocket-Accept``
    checked), masked frames out, unfragmented frames in, pongs to pings, and the closing
    handshake. The server checks every frame it receives, so a mistake here shows up as an
    error there. Subclasses override ``on_open``, ``on_text`` and ``on_lost``.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[str] | None = None  # "" once the upgrade is accepted, else why it was not
        self._buffer = b""
        self._key = base64.b64encode(os.urandom(16))
        self._open = self._refused = False
        self._closing = False
        self.close_code: int | None = None
        self.close_reason = ""

    def upgrade(self, host: str, target: str) -> None:
        """Send the upgrade request (call once connected)."""
        assert self.transport is not None
        self.transport.write(
            b"GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (target.encode(), host.encode(), self._key)
        )

    # What subclasses override

    def on_open(self) -> None:
        """The upgrade was accepted."""

    def on_text(self, payload: bytes) -> None:
        """A text frame's payload (UTF-8 bytes, not decoded)."""

    def on_refused(self, why: str) -> None:
        """The upgrade was refused or the connection closed before it completed."""

    def on_lost(self) -> None:
        """The connection is gone (after ``on_open``)."""

    # asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is one, though not a subclass
        self.opened = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._open:
            self.on_lost()
        elif not self._refused:
            self._refuse(f"the connection closed during the handshake ({exc})")

    def _refuse(self, why: str) -> None:
        self._closing = self._refused = True
        if self.opened is not None and not self.opened.done():
            self.opened.set_result(why)
        self.on_refused(why)

    def data_received(self, data: bytes) -> None:
        if self._buffer:
            data = self._buffer + data
            self._buffer = b""
        if not self._open:
            data = self._handshake(data)
        if data:
            self._frames(data)

    def _frames(self, data: bytes) -> None:
        """Hand on every whole frame in ``data``; keep the rest for the next read."""
        at, end = 0, len(data)
        while end - at >= 2:
            first, second = data[at], data[at + 1]
            size, start = second & 0x7F, at + 2
            if size == 126:
                if end - at < 4:
                    break
                size, start = (data[at + 2] << 8) | data[at + 3], at + 4
            elif size == 127:
                if end - at < 10:
                    break
                size, start = int.from_bytes(data[at + 2:at + 10], "big"), at + 10
            stop = start + size
            if stop > end:
                break
            if first & 0x80 == 0 or second & 0x80:
                self.fail("a masked or fragmented frame from the server")
                return
            if first == 0x81:
                self.on_text(data[start:stop])
            else:
                self._control(first & 0x0F, data[start:stop])
            at = stop
        if at < end:
            self._buffer = data[at:]

    def _control(self, opcode: int, payload: bytes) -> None:
        if opcode == 0x9:  # ping
            self.write(frame(payload, 0xA))
        elif opcode == 0x8:  # close: answer with the same code; the server then closes the connection
            if len(payload) >= 2:
                self.close_code = int.from_bytes(payload[:2], "big")
                self.close_reason = payload[2:].decode("utf-8", "replace")
            if not self._closing:
                self._closing = True
                self.write(frame(payload[:2], 0x8))

    def _handshake(self, data: bytes) -> bytes:
        """The bytes after the server's answer to the upgrade, once it is whole and accepted; else b''."""
        end = data.find(b"\r\n\r\n")
        if end < 0:
            self._buffer = data
            return b""
        status, *lines = data[:end].decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        accept = base64.b64encode(hashlib.sha1(self._key + WS_GUID).digest()).decode()
        if status.split(" ")[1:2] != ["101"] or headers.get("sec-websocket-accept") != accept:
            self._refuse(f"the upgrade was refused: {status}")
            assert self.transport is not None
            self.transport.close()
            return b""
        self._open = True
        if self.opened is not None:
            self.opened.set_result("")
        self.on_open()
        return data[end + 4:] or b""

    # What players call

    def fail(self, why: str) -> None:
        """Drop the connection at once, saying why."""
        self.close_reason = why
        if self.transport is not None:
            self.transport.abort()

    def write(self, data: bytes) -> None:
        """Bytes of whole frames (built with ``frame``) to the server."""
        transport = self.transport
        if transport is None or transport.is_closing():
            raise Closed(f"closed ({self.close_code} {self.close_reason})")
        transport.write(data)

    def send_frame(self, data: bytes) -> None:
        """Bytes of whole frames to the server, from a callback: dropped if the connection is going (``on_lost`` tells)."""
        transport = self.transport
        if transport is not None and not transport.is_closing() and not self._closing:
            transport.write(data)

    def send(self, text: str) -> None:
        """One text frame."""
        if self._closing:
            raise Closed(f"closed ({self.close_code} {self.close_reason})")
        self.write(frame(text.encode("utf-8")))

    def ping(self, payload: bytes = b"") -> None:
        """A ping frame (its pong is answered by the server; this socket ignores pongs)."""
        self.write(frame(payload, 0x9))

    def start_close(self) -> None:
        """The closing handshake (1000): the server answers and closes the connection."""
        if self.transport is not None and not self._closing and not self.transport.is_closing():
            self._closing = True
            self.write(frame(b"\x03\xe8", 0x8))

    def leave_and_close(self, leave: bytes | None) -> None:
        """Send ``leave`` (a match's leave frame, if any), then the closing handshake; aborted if not closed in 5 s."""
        try:
            if leave:
                self.write(leave)
            self.start_close()
        except Closed:
            return
        assert self.transport is not None
        asyncio.get_running_loop().call_later(5.0, self.transport.abort)  # a no-op once the server has closed it


class MatchPlayer(WebSocket):
    """A player's part the load benches share: ask the matchmaker on open, join with frames built once, move at random.

    ``asked`` is when the matchmaker was asked and ``sent_at``/``sent_wall`` when the move
    still waiting for its state was sent (``perf_counter`` and wall time); ``answered``
    takes that move's round trip once its state comes.
    """

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0.0
        self.matched = False
        self.sent_at: float | None = None
        self.sent_wall = 0.0
        self.moves: list[bytes] = []  # the frame of the move to (row, col) at 3 * row + col (0-based)
        self.next_game = self.leave_frame = b""

    def on_open(self) -> None:
        self.asked = time.perf_counter()
        self.send_frame(MATCHMAKER_ADD)

    def join(self, match_id: str) -> None:
        """Matched: build this match's frames once and join it."""
        self.matched = True
        join, self.moves, self.next_game, self.leave_frame = match_frames(match_id)
        self.send_frame(join)

    def move_at_random(self, cells: list[list[int]], rng: random.Random) -> None:
        """Play a random empty cell of the state's ``cells`` (none: nothing), timing it until its state comes."""
        empty = [3 * r + c for r, row in enumerate(cells) for c, v in enumerate(row) if v == -1]
        if empty:
            self.sent_at, self.sent_wall = time.perf_counter(), time.time()
            self.send_frame(self.moves[rng.choice(empty)])

    def answered(self) -> tuple[float, float] | None:
        """The waiting move's (wall time sent, seconds to its state), once; None if no move was waiting."""
        if self.sent_at is None:
            return None
        took, self.sent_at = time.perf_counter() - self.sent_at, None
        return self.sent_wall, took


Socket = TypeVar("Socket", bound=WebSocket)
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)  # 24 on Linux, where a build lacks the name


async def tcp(local: str, port: int) -> socket.socket:
    """A non-blocking TCP socket from ``local`` connected to ``127.0.0.1:port``.

    On Linux the source port is chosen at connect time (``IP_BIND_ADDRESS_NO_PORT``) rather
    than when binding: binding to port 0 must find a port free for every destination,
    which gets slower with each of thousands of sockets already bound.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        if sys.platform == "linux":
            sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((local, 0))
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    except BaseException:
        sock.close()
        raise
    return sock


async def connect(factory: Callable[[], Socket], port: int, target: str, local: str = "127.0.0.1",
                  timeout: float = 60.0) -> Socket:
    """Connect ``factory()`` to ``127.0.0.1:port`` from ``local`` and upgrade it; raises ``Closed`` if refused."""
    _, sock = await asyncio.get_running_loop().create_connection(factory, sock=await tcp(local, port))
    assert sock.opened is not None and sock.transport is not None
    sock.upgrade(f"127.0.0.1:{port}", target)
    try:
        why = await asyncio.wait_for(asyncio.shield(sock.opened), timeout)
    except BaseException:
        sock.transport.abort()
        raise
    if why:
        raise Closed(why)
    return sock


async def arrivals(first: int, count: int, pairs: int, ramp: float, arrive: Callable[[int], Awaitable[None]],
                   failed: Callable[[int, Exception], None], lanes: int = 64) -> None:
    """Players ``first`` .. ``first + count - 1`` arrive, player n at ``ramp * (n // 2) / pairs`` s (a pair together).

    ``lanes`` of them at most are signing in or opening their socket at a time (``arrive(n)``);
    one that fails is handed to ``failed``. A few tasks, however many players.
    """
    loop = asyncio.get_running_loop()
    t0, queue = loop.time(), iter(range(first, first + count))

    async def lane() -> None:
        for n in queue:
            due = t0 + ramp * (n // 2) / max(1, pairs)
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            try:
                await arrive(n)
            except (*_ERRORS, Closed) as exc:
                failed(n, exc)

    await asyncio.gather(*(lane() for _ in range(min(lanes, count))))


class LeanSocket(WebSocket):
    """The ``WebSocket`` with an awaitable ``recv``, for scripts that read a socket step by step."""

    def __init__(self) -> None:
        super().__init__()
        self._inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self._lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @classmethod
    async def connect(cls, port: int, target: str, timeout: float = 60.0, local: str = "127.0.0.1") -> LeanSocket:
        return await connect(cls, port, target, local, timeout)

    def on_refused(self, why: str) -> None:
        self.on_lost()

    def on_lost(self) -> None:
        if not self._lost.done():
            self._lost.set_result(None)
        self._inbox.put_nowait(None)

    def on_text(self, payload: bytes) -> None:
        self._inbox.put_nowait(payload.decode("utf-8"))

    @property
    def lost(self) -> bool:
        """Whether the connection is gone."""
        return self._lost.done()

    async def recv(self) -> str:
        text = await self._inbox.get()
        if text is None:
            self._inbox.put_nowait(None)  # every later call sees the end too
            raise Closed(f"closed ({self.close_code} {self.close_reason})".strip())
        return text

    async def close(self) -> None:
        """The closing handshake (1000), then the server closes the connection; aborted after 5 s."""
        if self.transport is None:
            return
        self.start_close()
        try:
            await asyncio.wait_for(asyncio.shield(self._lost), 5.0)
        except TimeoutError:
            self.transport.abort()


# Sign-ins -------------------------------------------------------------------------------------


def sign_in_request(name: str, device: str, key: str = KEY, keep_alive: bool = True) -> bytes:
    """Nakama's device sign-in as its clients send it: POST, the device id in a JSON body, the key as Basic."""
    auth = base64.b64encode(f"{key}:".encode()).decode()
    body = json.dumps({"id": device}).encode()
    close = "" if keep_alive else "Connection: close\r\n"
    return (
        f"POST /v2/account/authenticate/device?create=true&username={name} HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{close}\r\n"
    ).encode() + body


def _token(status: bytes, answer: bytes) -> str:
    if status != b"200":
        raise RuntimeError(f"sign-in answered {status.decode()}: {answer[:100]!r}")
    return str(loads(answer)["token"])


async def sign_in(port: int, name: str, device: str, local: str = "127.0.0.1", key: str = KEY) -> str:
    """One sign-in on a connection of its own (closed after it); the session token."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0))
    writer.write(sign_in_request(name, device, key, keep_alive=False))
    raw = await reader.read()
    writer.close()
    head, _, answer = raw.partition(b"\r\n\r\n")
    return _token(head.split(b" ", 2)[1] if head else b"(nothing)", answer)


class _HttpConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection answering one request at a time (Content-Length or chunked bodies)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buffer = b""
        self._answer: asyncio.Future[tuple[bytes, bytes, bool]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._answer is not None and not self._answer.done():
            if self._buffer:  # an answer with neither length nor chunks ends with the connection
                head, _, body = self._buffer.partition(b"\r\n\r\n")
                self._answer.set_result((head, body, False))
            else:
                self._answer.set_exception(ConnectionError(f"the server closed the connection ({exc})"))

    def data_received(self, data: bytes) -> None:
        answer = self._answer
        if answer is None or answer.done():  # unasked (a 408 before closing an idle connection): not to be reused
            self.closed = True
            return
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self._buffer[:end]
        lower = head.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at >= 0:
            size = int((lower[at + 17:] + b"\r\n").split(b"\r\n", 1)[0])
            if len(self._buffer) - end - 4 < size:
                return
            body, self._buffer = self._buffer[end + 4:end + 4 + size], self._buffer[end + 4 + size:]
        elif b"\r\ntransfer-encoding: chunked" in lower:
            if not self._buffer.endswith(b"0\r\n\r\n"):
                return
            body, self._buffer = _dechunk(self._buffer[end + 4:]), b""
        else:
            return  # read to the end of the connection
        answer.set_result((head, body, b"\r\nconnection: close" not in lower))

    async def request(self, data: bytes) -> tuple[bytes, bytes, bool]:
        """Send ``data``; (the answer's head, its body, whether the connection stays open)."""
        assert self.transport is not None
        self._answer, self._buffer = asyncio.get_running_loop().create_future(), b""
        try:
            self.transport.write(data)
            return await self._answer
        except BaseException:
            self.transport.abort()
            raise


def _dechunk(data: bytes) -> bytes:
    out: list[bytes] = []
    at = 0
    while True:
        eol = data.index(b"\r\n", at)
        size = int(data[at:eol].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(data[eol + 2:eol + 2 + size])
        at = eol + 2 + size + 2


class SignIns:
    """Sign-ins over keep-alive connections: one at a time on each, reconnecting when the server closes one."""

    def __init__(self, port: int, key: str = KEY):
        self.port, self.key = port, key
        self._idle: list[_HttpConnection] = []

    async def sign_in(self, name: str, device: str, local: str = "127.0.0.1") -> str:
        """The session token of a device sign-in, on an idle connection (a new one from ``local`` if none).

        A kept connection the server closed just as the request went is retried once on a new
        one (as HTTP clients do; a device sign-in is the same sign-in if repeated).
        """
        request = sign_in_request(name, device, self.key)
        conn = None
        while self._idle and (conn is None or conn.closed):
            conn = self._idle.pop()
        if conn is not None and not conn.closed:
            try:
                return self._done(conn, *await conn.request(request))
            except ConnectionError:
                pass
        _, conn = await asyncio.get_running_loop().create_connection(_HttpConnection, sock=await tcp(local, self.port))
        return self._done(conn, *await conn.request(request))

    def _done(self, conn: _HttpConnection, head: bytes, body: bytes, keep: bool) -> str:
        if keep and not conn.closed:
            self._idle.append(conn)
        elif conn.transport is not None:
            conn.transport.close()
        return _token(head.split(b" ", 2)[1] if head else b"(nothing)", body)

    def close(self) -> None:
        """Close every idle connection."""
        for conn in self._idle:
            if conn.transport is not None:
                conn.transport.close()
        self._idle.clear()

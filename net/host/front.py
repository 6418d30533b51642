"""The host's front door: HTTP/1.1 and WebSockets on one TCP port, plain or TLS.

Every connection starts as HTTP/1.1, parsed by ``h11``: keep-alive, chunked bodies and
``Expect: 100-continue`` work as any client expects, and everything a client could do
wrong ends in a clear status or a closed connection within a bounded time (a body
over ``MAX_BODY`` bytes: 413; a head or body that does not arrive in
``REQUEST_SECONDS``: 408; a connection idle past ``IDLE_SECONDS``: closed; garbage:
400). A ``GET /ws`` upgrade that the host accepts is handed to ``websockets``' sans-I/O
``ServerProtocol``, which from then on frames every message; ``PlayerSocket`` drives
it (writes straight to the transport, pings, a close handshake with a deadline).

With a TLS context, the first byte a client sends tells a TLS handshake (0x16) from
plain HTTP: TLS is then handled by an ``ssl.SSLObject`` over memory buffers, so both
kinds of connection go through the same code; a plain request on a TLS port is
answered "400, this port expects TLS".

The front does no game logic: requests go to a ``Site`` (the host), which answers
HTTP requests, accepts or refuses sockets, and is told of each socket's frames and end.
"""

from __future__ import annotations

import asyncio
import email.utils
import http
import json
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import h11
from websockets.exceptions import InvalidHandshake
from websockets.frames import Frame, Opcode
from websockets.http11 import Request as WsRequest
from websockets.protocol import OPEN
from websockets.server import ServerProtocol

log = logging.getLogger("net.host")
_ws_log = logging.getLogger("net.host.websockets")  # the library's own chatter (one line per socket)
_ws_log.setLevel(logging.WARNING)

MAX_BODY = 4096  # bytes: the API's bodies are tiny JSON objects
MAX_HEAD = 16 * 1024  # bytes of request line and headers
REQUEST_SECONDS = 10.0  # a request's head and body must arrive within this
IDLE_SECONDS = 30.0  # a keep-alive connection with no request this long is closed
SERVER_NAME = "tictactoe-host"
TLS_EXPECTED = "This port expects TLS: use https:// (and wss://) to reach this server.\n"

# gRPC status codes Nakama puts in its HTTP error bodies, by HTTP status.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 408: 4, 409: 6, 413: 8, 500: 13, 503: 14}


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request as the site sees it: method, path, query, headers (names lower-cased), body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    remote: str

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass(frozen=True)
class ApiResponse:
    """One HTTP response: status, body and its type, and extra headers."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def json_response(status: int, obj: Any) -> ApiResponse:
    return ApiResponse(status, json.dumps(obj, separators=(",", ":")).encode())


def api_error(status: int, message: str, *, allow: str = "") -> ApiResponse:
    """An error of the HTTP API in Nakama's shape: ``{"error", "code", "message"}``."""
    extra = (("Allow", allow),) if allow else ()
    return ApiResponse(
        status,
        json.dumps({"error": message, "code": GRPC_CODES.get(status, 2), "message": message}, separators=(",", ":")).encode(),
        headers=extra,
    )


def text_response(status: int, message: str) -> ApiResponse:
    return ApiResponse(status, message.encode("utf-8"), "text/plain; charset=utf-8")


class Site(Protocol):
    """What the front asks of the host."""

    def http_request(self, request: ApiRequest) -> ApiResponse:
        """Answer an API request (anything but a socket upgrade)."""

    def socket_request(self, request: ApiRequest) -> ApiResponse | Any:
        """Check a ``/ws`` upgrade: an ApiResponse refuses it; anything else is the socket's owner (claims)."""

    def socket_opened(self, socket: PlayerSocket, owner: Any) -> None:
        """A socket is open; ``owner`` is what ``socket_request`` returned."""

    def socket_text(self, socket: PlayerSocket, text: str) -> None:
        """One text frame from the socket."""

    def socket_closed(self, socket: PlayerSocket) -> None:
        """The socket is gone (after ``socket_opened``)."""


@dataclass(frozen=True)
class FrontLimits:
    """The socket side's knobs (the host's configuration fills them in)."""

    max_frame: int = 4096
    send_buffer: int = 256 * 1024  # bytes waiting for a slow reader before it is dropped
    request_seconds: float = REQUEST_SECONDS
    idle_seconds: float = IDLE_SECONDS
    ping_interval: float | None = 15.0
    ping_timeout: float | None = 10.0
    close_timeout: float = 5.0


class _Tls:
    """TLS over memory buffers: ciphertext in and out, plaintext to and from the connection."""

    def __init__(self, context: ssl.SSLContext):
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._obj = context.wrap_bio(self._in, self._out, server_side=True)
        self.ready = False

    def receive(self, data: bytes) -> tuple[bytes, bool]:
        """Feed ciphertext; the plaintext that came out of it, and whether the peer closed TLS."""
        self._in.write(data)
        if not self.ready:
            try:
                self._obj.do_handshake()
            except ssl.SSLWantReadError:
                return b"", False
            self.ready = True
        chunks: list[bytes] = []
        while True:
            try:
                chunk = self._obj.read(65536)
            except ssl.SSLWantReadError:
                return b"".join(chunks), False
            except ssl.SSLZeroReturnError:
                return b"".join(chunks), True
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)

    def send(self, data: bytes) -> None:
        self._obj.write(data)

    def outgoing(self) -> bytes:
        return self._out.read()


class FrontConnection(asyncio.Protocol):
    """One TCP connection: HTTP requests until (perhaps) it becomes a player's socket."""

    def __init__(self, site: Site, limits: FrontLimits, tls_context: ssl.SSLContext | None):
        self._site = site
        self._limits = limits
        self._tls_context = tls_context
        self._tls: _Tls | None = None
        self._sniffed = tls_context is None  # plain hosts have nothing to tell apart
        self._transport: asyncio.Transport | None = None
        self._http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self._request: h11.Request | None = None
        self._body = bytearray()
        self._timer: asyncio.TimerHandle | None = None
        self.socket: PlayerSocket | None = None
        self.remote = "?"

    # asyncio callbacks ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        peer = transport.get_extra_info("peername")
        self.remote = str(peer[0]) if peer else "?"
        self._arm(self._limits.request_seconds)

    def data_received(self, data: bytes) -> None:
        if not self._sniffed:
            self._sniffed = True
            if data[:1] == b"\x16":
                assert self._tls_context is not None
                self._tls = _Tls(self._tls_context)
            else:
                self._refuse_plain()
                return
        if self._tls is not None:
            try:
                data, closed = self._tls.receive(data)
            except ssl.SSLError as exc:
                log.debug("TLS handshake with %s failed: %s", self.remote, exc)
                self._flush_tls()
                self._abort()
                return
            self._flush_tls()
            if closed:
                self.eof_received()
                return
            if not data:
                return
        if self.socket is not None:
            self.socket.receive(data)
        else:
            self._http.receive_data(data)
            self._serve_http()

    def eof_received(self) -> bool | None:
        if self.socket is not None:
            self.socket.receive_eof()
        else:
            self._http.receive_data(b"")
            self._serve_http()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self.socket is not None:
            self.socket.lost()

    # Writing -------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if self._tls is not None:
            try:
                self._tls.send(data)
            except ssl.SSLError:
                self._abort()
                return
            data = self._tls.outgoing()
        transport.write(data)

    def write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() if self._transport is not None else 0

    def close(self) -> None:
        """Close after what is written (a TLS close_notify is not waited for)."""
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.close()

    def _abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _flush_tls(self) -> None:
        assert self._tls is not None
        out = self._tls.outgoing()
        if out and self._transport is not None and not self._transport.is_closing():
            self._transport.write(out)

    def _refuse_plain(self) -> None:
        body = TLS_EXPECTED.encode()
        head = f"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        assert self._transport is not None
        self._transport.write(head.encode() + body)
        self.close()

    # Deadlines -------------------------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        """A request that did not arrive in time gets 408; an idle keep-alive connection is just closed."""
        self._timer = None
        if self.socket is not None:
            return
        if self._request is not None:
            log.info("a request from %s did not arrive in %g s", self.remote, self._limits.request_seconds)
            self._respond(text_response(408, "The request did not arrive in time.\n"), close=True)
        self.close()

    # HTTP -------------------------------------------------------------------------------------

    def _serve_http(self) -> None:
        """Handle every complete event h11 has; answer each request in turn."""
        while self.socket is None and self._transport is not None and not self._transport.is_closing():
            try:
                event = self._http.next_event()
            except h11.RemoteProtocolError as exc:
                self._bad_request(exc)
                return
            if event is h11.NEED_DATA:
                return
            if isinstance(event, h11.Request):
                self._begin(event)
            elif isinstance(event, h11.Data):
                self._body += event.data
                if len(self._body) > MAX_BODY:
                    self._respond(api_error(413, f"the body must be at most {MAX_BODY} bytes"), close=True)
                    return
            elif isinstance(event, h11.EndOfMessage):
                self._complete()
            else:  # the client closed, or said it will send nothing more
                self.close()
                return

    def _begin(self, request: h11.Request) -> None:
        self._request = request
        self._body = bytearray()
        self._arm(self._limits.request_seconds)
        if request.http_version not in (b"1.0", b"1.1"):
            self._respond(text_response(505, "This server speaks HTTP/1.1.\n"), close=True)
            return
        length = _header(request, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            self._respond(api_error(413, f"the body must be at most {MAX_BODY} bytes"), close=True)
            return
        if self._http.they_are_waiting_for_100_continue:
            self._send(h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue"))

    def _complete(self) -> None:
        request, self._request = self._request, None
        if request is None:
            return
        target = request.target.decode("latin-1")
        url = urlsplit(target)
        api = ApiRequest(
            method=request.method.decode("latin-1"),
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in request.headers},
            body=bytes(self._body),
            remote=self.remote,
        )
        if _is_upgrade(api):
            self._upgrade(request, api)
            return
        try:
            response = self._site.http_request(api)
        except Exception:  # a bug: the client gets a 500, the host goes on
            log.exception("the %s %s handler failed", api.method, api.path)
            response = api_error(500, "internal error")
        self._respond(response, close=False)

    def _respond(self, response: ApiResponse, *, close: bool) -> None:
        """Send ``response``; then start the next request, or close when HTTP says so (or ``close``)."""
        headers = [
            ("Date", email.utils.formatdate(usegmt=True)),
            ("Server", SERVER_NAME),
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(response.body))),
            ("Cache-Control", "no-store"),
            *response.headers,
        ]
        if close:
            headers.append(("Connection", "close"))
        try:
            phrase = http.HTTPStatus(response.status).phrase
        except ValueError:
            phrase = ""
        sent = self._send(h11.Response(status_code=response.status, headers=headers, reason=phrase.encode()))
        sent = sent and self._send(h11.Data(data=response.body)) and self._send(h11.EndOfMessage())
        # Close when asked to, when HTTP says so, or when answering before the whole body came (a refusal).
        if not sent or close or self._http.our_state is not h11.DONE or self._http.their_state is not h11.DONE:
            self.close()
            return
        self._http.start_next_cycle()
        self._arm(self._limits.idle_seconds)

    def _send(self, event: Any) -> bool:
        try:
            self.write(self._http.send(event) or b"")
        except h11.LocalProtocolError as exc:
            log.debug("cannot answer %s: %s", self.remote, exc)
            return False
        return True

    def _bad_request(self, exc: h11.RemoteProtocolError) -> None:
        log.info("bad HTTP from %s: %s", self.remote, exc)
        if self._http.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            status = exc.error_status_hint if 400 <= exc.error_status_hint < 600 else 400
            self._respond(text_response(status, f"{http.HTTPStatus(status).phrase}: {exc}\n"), close=True)
        self.close()

    # The upgrade to a player's socket ---------------------------------------------------------

    def _upgrade(self, request: h11.Request, api: ApiRequest) -> None:
        owner = self._site.socket_request(api)
        if isinstance(owner, ApiResponse):
            self._respond(owner, close=True)
            return
        protocol = ServerProtocol(max_size=self._limits.max_frame, logger=_ws_log)
        head = b"%s %s HTTP/1.1\r\n" % (request.method, request.target)
        head += b"".join(b"%s: %s\r\n" % (k, v) for k, v in request.headers.raw_items()) + b"\r\n"
        protocol.receive_data(head)
        events = protocol.events_received()
        handshake = events[0] if events and isinstance(events[0], WsRequest) else None
        response = protocol.accept(handshake) if handshake is not None else protocol.reject(400, "Bad handshake.\n")
        protocol.send_response(response)
        for data in protocol.data_to_send():
            self.write(data)
        if response.status_code != 101:
            self.close()
            return
        trailing, _ = self._http.trailing_data
        self._disarm()
        self.socket = PlayerSocket(self, protocol, self._site, self._limits)
        self._site.socket_opened(self.socket, owner)
        if trailing:
            self.socket.receive(bytes(trailing))


def _header(request: h11.Request, name: bytes) -> str | None:
    for key, value in request.headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _is_upgrade(request: ApiRequest) -> bool:
    return "websocket" in request.headers.get("upgrade", "").lower()


class PlayerSocket:
    """One player's WebSocket: frames in to the site, text frames out, pings, and a bounded close."""

    def __init__(self, conn: FrontConnection, protocol: ServerProtocol, site: Site, limits: FrontLimits):
        self._conn = conn
        self._protocol = protocol
        self._site = site
        self._limits = limits
        self.owner: Any = None  # the site's record of this socket (set in ``Site.socket_opened``)
        self._closing = False
        self._gone = False
        self._close_timer: asyncio.TimerHandle | None = None
        self._ping_timer: asyncio.TimerHandle | None = None
        self._last_heard = time.monotonic()
        self._schedule_ping()

    @property
    def remote(self) -> str:
        return self._conn.remote

    @property
    def open(self) -> bool:
        return not self._closing and self._protocol.state is OPEN

    @property
    def close_code(self) -> int | None:
        return self._protocol.close_code

    @property
    def close_reason(self) -> str:
        return self._protocol.close_reason or ""

    # Out ------------------------------------------------------------------------------------

    def send_text(self, frame: str) -> None:
        """Write one text frame now; a reader too slow to take what it is sent is dropped."""
        if not self.open:
            return
        self._protocol.send_text(frame.encode("utf-8"))
        self._flush()
        waiting = self._conn.write_buffer_size()
        if waiting > self._limits.send_buffer:
            log.warning("a player at %s is not reading (%d bytes waiting); dropping the socket", self.remote, waiting)
            self.abort()

    def close(self, code: int, reason: str) -> None:
        """Start the closing handshake; the connection is dropped if it does not end within the close timeout."""
        if self._closing or self._protocol.state is not OPEN:
            return
        self._closing = True
        self._protocol.send_close(code, _close_reason(reason))
        self._flush()
        self._expect_close()

    def abort(self) -> None:
        """Drop the connection at once."""
        self._closing = True
        self._conn._abort()

    # In -------------------------------------------------------------------------------------

    def receive(self, data: bytes) -> None:
        self._last_heard = time.monotonic()
        try:
            self._protocol.receive_data(data)
        except (EOFError, InvalidHandshake):
            self.abort()
            return
        for event in self._protocol.events_received():
            if self._gone:
                return
            if isinstance(event, Frame) and event.opcode is Opcode.TEXT and self.open:
                try:
                    self._site.socket_text(self, str(event.data, "utf-8"))
                except Exception:  # a bug must not take the connection down silently
                    log.exception("error handling a message from %s; closing that socket", self.remote)
                    self.close(1011, "internal error")
            elif isinstance(event, Frame) and event.opcode is Opcode.BINARY:
                self.close(1003, "binary frames are not supported: send JSON text frames")
        self._flush()
        if self._protocol.close_expected():
            self._expect_close()

    def receive_eof(self) -> None:
        self._protocol.receive_eof()
        self._flush()
        self._conn.close()

    def lost(self) -> None:
        """The TCP connection is gone: stop the timers and tell the site, once."""
        if self._gone:
            return
        self._gone = True
        for timer in (self._ping_timer, self._close_timer):
            if timer is not None:
                timer.cancel()
        self._site.socket_closed(self)

    # Internals ------------------------------------------------------------------------------

    def _flush(self) -> None:
        for data in self._protocol.data_to_send():
            if data:
                self._conn.write(data)
            else:  # the protocol's end of stream: close once written
                self._conn.close()

    def _expect_close(self) -> None:
        if self._close_timer is None and not self._gone:
            self._close_timer = asyncio.get_running_loop().call_later(self._limits.close_timeout, self._conn._abort)

    def _schedule_ping(self) -> None:
        if self._limits.ping_interval is not None:
            self._ping_timer = asyncio.get_running_loop().call_later(self._limits.ping_interval, self._ping)

    def _ping(self) -> None:
        """Ping; a peer that sent nothing for ``ping_interval + ping_timeout`` is dropped."""
        self._ping_timer = None
        if self._gone or self._protocol.state is not OPEN:
            return
        limits = self._limits
        silent_for = time.monotonic() - self._last_heard
        if limits.ping_timeout is not None and silent_for > (limits.ping_interval or 0) + limits.ping_timeout:
            log.info("a player at %s stopped answering pings; dropping the socket", self.remote)
            self.abort()
            return
        self._protocol.send_ping(b"")
        self._flush()
        self._schedule_ping()


def _close_reason(text: str) -> str:
    """``text`` cut to the 123 bytes a close frame allows."""
    raw = text.encode("utf-8")
    if len(raw) <= 123:
        return text
    return raw[:120].decode("utf-8", "ignore") + "..."


def front_factory(site: Site, limits: FrontLimits, tls_context: ssl.SSLContext | None) -> Callable[[], FrontConnection]:
    """What ``loop.create_server`` needs: a new FrontConnection per accepted connection."""
    return lambda: FrontConnection(site, limits, tls_context)

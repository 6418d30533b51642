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

Each connection is admitted by the host's ``Guard`` (connection caps, in all and per
client address) or answered 503 with ``Retry-After``. Its head is bounded (431 past
``MAX_HEAD`` bytes, ``MAX_HEADERS`` fields or a line of ``MAX_LINE`` bytes, whether it
comes in one write or many); a request with both Content-Length and Transfer-Encoding is
refused (400), as a proxy in front could read it differently. Pipelined requests are
answered in order, at most ``requests_per_turn`` a turn of the event loop, with reading
paused meanwhile; a connection whose answers are not read stops being read (the
transport's high-water mark, a quarter of ``send_buffer``), and is dropped if they cannot
drain for ``send_stall_seconds``.

The front does no game logic: requests go to a ``Site`` (the host), which answers
HTTP requests, accepts or refuses sockets, and is told of each socket's frames and end.

One job, and so more than the usual 450 lines: one connection's life at the front door, from
the first byte to the close, with every limit that bounds it.
"""

from __future__ import annotations

import asyncio
import email.utils
import http
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol, cast
from urllib.parse import parse_qs, urlsplit

import h11
from websockets.http11 import Request as WsRequest
from websockets.server import ServerProtocol

from net.host.guard import ADMITTED, Admission, Guard
from net.host.memtls import MemoryTls
from net.host.playersocket import PlayerSocket
from net.host.web import (
    MAX_HEAD,
    ApiRequest,
    ApiResponse,
    api_error,
    head_refusal,
    header,
    is_upgrade,
    json_response,
    text_response,
)

# The HTTP values live in net.host.web and the socket in net.host.playersocket; they are named
# here too, as the front's interface to the host.
__all__ = [
    "ApiRequest", "ApiResponse", "FrontConnection", "FrontLimits", "PlayerSocket", "Site",
    "api_error", "front_factory", "json_response", "text_response",
]

log = logging.getLogger("net.host")
_ws_log = logging.getLogger("net.host.websockets")  # the library's own chatter (one line per socket)
_ws_log.setLevel(logging.WARNING)

MAX_BODY = 4096  # bytes: the API's bodies are tiny JSON objects
REFUSAL_SECONDS = 2.0  # a TLS connection refused for want of room has this long to send a request to be answered
LINGER_SECONDS = 0.5  # a plain connection answered 503 at once is closed after this, or when the client closes
REQUEST_SECONDS = 10.0  # a request's head and body must arrive within this
IDLE_SECONDS = 30.0  # a keep-alive connection with no request this long is closed
SERVER_NAME = "tictactoe-host"
TLS_EXPECTED = "This port expects TLS: use https:// (and wss://) to reach this server.\n"

class Site(Protocol):
    """What the front asks of the host (the socket's part is ``net.host.playersocket.SocketSite``)."""

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
    """The front's knobs (the host's configuration fills them in)."""

    max_frame: int = 4096  # bytes of one WebSocket message, fragments and all
    send_buffer: int = 64 * 1024  # unsent bytes a connection may have before it is dropped
    send_stall_seconds: float = 10.0  # a connection whose answers cannot drain this long is dropped
    request_seconds: float = REQUEST_SECONDS
    idle_seconds: float = IDLE_SECONDS
    ping_interval: float | None = 15.0
    ping_timeout: float | None = 10.0
    close_timeout: float = 5.0
    messages_per_second: float = 20.0  # frames a socket may send, sustained...
    message_burst: int = 40  # ...and at once
    requests_per_turn: int = 8  # pipelined HTTP requests answered per turn of the loop
    frames_per_turn: int = 16  # WebSocket messages handled per turn of the loop


class FrontConnection(asyncio.Protocol):
    """One TCP connection: HTTP requests until (perhaps) it becomes a player's socket."""

    def __init__(self, site: Site, limits: FrontLimits, tls_context: ssl.SSLContext | None, guard: Guard):
        self._site = site
        self._limits = limits
        self._tls_context = tls_context
        self._guard = guard
        self._admission: Admission | None = None
        self._tls: MemoryTls | None = None
        self._sniffed = tls_context is None  # plain hosts have nothing to tell apart
        self._transport: asyncio.Transport | None = None
        self._http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self._request: h11.Request | None = None
        self._body = bytearray()
        self._timer: asyncio.TimerHandle | None = None
        self._stall: asyncio.TimerHandle | None = None
        self._next_turn: asyncio.Handle | None = None
        self._writing_paused = False
        self._drained_at = 0.0  # loop time the transport last had nothing left to send
        self._backlogged = False
        self._reading_paused = False
        self._lingering = False  # refused and answered: reading until the client closes (or a moment passes)
        self.socket: PlayerSocket | None = None
        self.peer = "?"  # the TCP peer's address
        self.remote = "?"  # the client's: the peer's, or what a trusted proxy says

    # asyncio callbacks ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's is one, though not a subclass
        self._transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = self.remote = str(peer[0]) if peer else "?"
        admission = self._admission = self._guard.admit(self.peer)
        if not admission.admitted:
            log.warning("refused a connection from %s: %s", self.peer, admission.reason)
            if not admission.answer:
                transport.abort()
                return
            if self._tls_context is None:  # plain HTTP can be answered before it asks: free the descriptor soon
                self._refuse_now(transport, admission.reason)
                return
        transport.set_write_buffer_limits(high=max(1024, self._limits.send_buffer // 4))
        self._arm(self._limits.request_seconds if admission.admitted else REFUSAL_SECONDS)

    def data_received(self, data: bytes) -> None:
        if self._lingering:  # answered already: what the client still sends is read and dropped
            return
        if not self._sniffed:
            self._sniffed = True
            if data[:1] == b"\x16":
                assert self._tls_context is not None
                self._tls = MemoryTls(self._tls_context)
            else:
                self._refuse_plain()
                return
        if self._tls is not None:
            data, closed = self._unwrap(data)
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
        if self._lingering:
            return None  # the transport closes
        if self.socket is not None:
            self.socket.receive_eof()
        else:
            self._http.receive_data(b"")
            self._serve_http()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        for handle in (self._stall, self._next_turn):
            if handle is not None:
                handle.cancel()
        admission, self._admission = self._admission, None
        if admission is not None:
            self._guard.release(self.peer, admission)
        if self.socket is not None:
            self.socket.lost()
            self.socket = None  # the socket holds this connection: no cycle left for the garbage collector

    def pause_writing(self) -> None:
        """The transport holds more than its high-water mark: stop reading, and give it a while to drain."""
        self._writing_paused = True
        self._update_reading()
        if self._stall is None:
            self._stall = asyncio.get_running_loop().call_later(self._limits.send_stall_seconds, self._stalled)

    def resume_writing(self) -> None:
        self._writing_paused = False  # the stall timer runs on until the transport is empty (see _stalled)
        self._update_reading()
        if self.socket is not None:
            self.socket.resume()
        elif self._next_turn is None:
            self._next_turn = asyncio.get_running_loop().call_soon(self._serve_http)

    # Writing and flow control ----------------------------------------------------------------

    @property
    def writing_paused(self) -> bool:
        return self._writing_paused

    def write(self, data: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if self._tls is not None:
            try:
                self._tls.send(data)
            except ssl.SSLError:
                self.abort()
                return
            data = self._tls.outgoing()
        if transport.get_write_buffer_size() == 0:
            self._drained_at = asyncio.get_running_loop().time()
        transport.write(data)

    def write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() if self._transport is not None else 0

    def limit_hit(self, kind: str) -> None:
        """A limit was hit on this connection (or its socket): counted for the metrics."""
        self._guard.hit(kind)

    def backlog(self, waiting: bool) -> None:
        """Work is waiting for a later turn (stop reading meanwhile), or none is."""
        self._backlogged = waiting
        self._update_reading()

    def close(self) -> None:
        """Close after what is written (a TLS close_notify is not waited for)."""
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _update_reading(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        pause = self._writing_paused or self._backlogged
        if pause != self._reading_paused:
            self._reading_paused = pause
            if pause:
                transport.pause_reading()
            else:
                transport.resume_reading()

    def _stalled(self) -> None:
        """Drop the connection if what it was sent has not all drained for ``send_stall_seconds``."""
        self._stall = None
        if self.write_buffer_size() == 0:
            return
        loop = asyncio.get_running_loop()
        stuck = loop.time() - self._drained_at
        if stuck < self._limits.send_stall_seconds:  # it drained meanwhile, and filled again
            self._stall = loop.call_later(self._limits.send_stall_seconds - stuck, self._stalled)
            return
        log.warning("a client at %s has not read its answers for %g s; dropping the connection",
                    self.remote, self._limits.send_stall_seconds)
        self._guard.hit("send_stall")
        if self.socket is not None:
            self.socket.abort()
        else:
            self.abort()

    def _unwrap(self, data: bytes) -> tuple[bytes, bool]:
        """Ciphertext in, plaintext out (and whether TLS was closed); a failed handshake drops the connection."""
        assert self._tls is not None
        try:
            data, closed = self._tls.receive(data)
        except ssl.SSLError as exc:
            log.debug("TLS handshake with %s failed: %s", self.remote, exc)
            self._flush_tls()
            self.abort()
            return b"", False
        self._flush_tls()
        return data, closed

    def _flush_tls(self) -> None:
        assert self._tls is not None
        out = self._tls.outgoing()
        if out and self._transport is not None and not self._transport.is_closing():
            self._transport.write(out)

    def _refuse_now(self, transport: asyncio.Transport, reason: str) -> None:
        """Answer 503 at once, say no more (FIN), and close when the client does, or after ``LINGER_SECONDS``.

        Reading on until then keeps a request already on its way from turning the close
        into a reset, which could destroy the answer before the client reads it.
        """
        body = f'{{"error":"Try again later: {reason}.","code":14,"message":"Try again later: {reason}."}}'.encode()
        head = (
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 5\r\nConnection: close\r\n\r\n"
        )
        self._lingering = True
        transport.write(head.encode() + body)
        try:
            if transport.can_write_eof():
                transport.write_eof()
        except OSError:  # the client has gone already
            transport.abort()
            return
        self._timer = asyncio.get_running_loop().call_later(LINGER_SECONDS, self.close)

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
        if self._request is not None and self._admitted:
            log.info("a request from %s did not arrive in %g s", self.remote, self._limits.request_seconds)
            self._guard.hit("request_time")
            self._respond(text_response(408, "The request did not arrive in time.\n"), close=True)
        self.close()

    @property
    def _admitted(self) -> bool:
        return self._admission is ADMITTED

    # HTTP -------------------------------------------------------------------------------------

    def _serve_http(self) -> None:
        """Handle the complete events h11 has, answering up to ``requests_per_turn`` requests this turn."""
        self._next_turn = None
        answered = 0
        while self.socket is None and self._transport is not None and not self._transport.is_closing():
            if self._writing_paused:  # resume_writing carries on
                return
            if answered >= self._limits.requests_per_turn:  # the others' turn; then this connection's again
                self._guard.hit("requests_per_turn")
                self._next_turn = asyncio.get_running_loop().call_soon(self._serve_http)
                self.backlog(True)
                return
            try:
                event = self._http.next_event()
            except h11.RemoteProtocolError as exc:
                self._bad_request(exc)
                return
            if event is h11.NEED_DATA:
                self.backlog(False)
                return
            answered += self._handle(event)

    def _handle(self, event: Any) -> int:
        """Act on one h11 event; 1 if it completed a request."""
        if isinstance(event, h11.Request):
            self._begin(event)
        elif isinstance(event, h11.Data):
            self._body += event.data
            if len(self._body) > MAX_BODY:
                self._guard.hit("body_size")
                self._respond(api_error(413, f"the body must be at most {MAX_BODY} bytes"), close=True)
        elif isinstance(event, h11.EndOfMessage):
            self._complete()
            return 1
        else:  # the client closed, or said it will send nothing more
            self.close()
        return 0

    def _begin(self, request: h11.Request) -> None:
        self._request = request
        self._body = bytearray()
        if self._admitted:
            self._arm(self._limits.request_seconds)
        refusal = head_refusal(request)
        if request.http_version not in (b"1.0", b"1.1"):
            refusal = text_response(505, "This server speaks HTTP/1.1.\n")
        if refusal is not None:
            log.info("refused a request from %s: %s", self.remote, refusal.body.decode(errors="replace").strip())
            if refusal.status == 431:
                self._guard.hit("head_size")
            self._respond(refusal, close=True)
            return
        length = header(request, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            self._guard.hit("body_size")
            self._respond(api_error(413, f"the body must be at most {MAX_BODY} bytes"), close=True)
            return
        if self._http.they_are_waiting_for_100_continue:
            self._send(h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue"))

    def _complete(self) -> None:
        request, self._request = self._request, None
        if request is None or self._transport is None or self._transport.is_closing():
            return
        if not self._admitted:
            assert self._admission is not None
            response = api_error(503, f"Try again later: {self._admission.reason}.")
            self._respond(replace(response, headers=(("Retry-After", "5"),)), close=True)
            return
        api = self._api_request(request)
        if is_upgrade(api):
            self._upgrade(request, api)
            return
        try:
            response = self._site.http_request(api)
        except Exception:  # a bug: the client gets a 500, the host goes on
            log.exception("the %s %s handler failed", api.method, api.path)
            response = api_error(500, "internal error")
        self._respond(response, close=False)

    def _api_request(self, request: h11.Request) -> ApiRequest:
        url = urlsplit(request.target.decode("latin-1"))
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in request.headers}
        self.remote = self._guard.client_address(self.peer, headers.get("x-forwarded-for"))
        return ApiRequest(
            method=request.method.decode("latin-1"),
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers=headers,
            body=bytes(self._body),
            remote=self.remote,
        )

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
        if exc.error_status_hint == 431:
            self._guard.hit("head_size")
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


def front_factory(
    site: Site, limits: FrontLimits, tls_context: ssl.SSLContext | None, guard: Guard
) -> Callable[[], FrontConnection]:
    """A new FrontConnection per accepted connection (what the acceptor needs)."""
    return lambda: FrontConnection(site, limits, tls_context, guard)

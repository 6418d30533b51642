"""The realtime socket: one ``ws[s]://HOST:PORT/ws?token=...&format=json`` connection of JSON envelopes.

Requests are matched to answers by ``cid`` with a timeout, pushes are handed over in
the order they arrived, an application ``ping`` goes out every ``ping_interval`` and
the connection is declared dead after ``dead_after`` seconds without a frame. It runs
on the network thread's asyncio loop; ``websockets`` does the WebSocket protocol, the
codec (``net.codec``) every envelope. Failures are ``net.errors`` types.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import ssl
import time
from collections.abc import Callable
from urllib.parse import quote, urlencode

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from game.phrase import Phrase, text_of
from net import httpclient, tls
from net.address import ServerAddress
from net.codec import Error, Message, Ping, Pong, ProtocolError, Unknown, decode_server, encode
from net.errors import (
    ClientError,
    ConnectionLostError,
    ServerError,
    ServerGoingAwayError,
    ServerProtocolError,
    ServerTimeoutError,
    TlsError,
    UnreachableError,
)
from net.signin import refusal

log = logging.getLogger(__name__)

MAX_SERVER_FRAME = 1024 * 1024
CLOSE_GOING_AWAY = 1001


PushHandler = Callable[["RealtimeSocket", Message], None]
CloseHandler = Callable[["RealtimeSocket", ClientError], None]


class RealtimeSocket:
    """One realtime connection to a server, open from ``open()`` until ``close()`` or a failure.

    ``on_push(socket, message)`` receives every server message without a ``cid`` of
    ours, in arrival order (unknown message keys included, as ``Unknown``).
    ``on_close(socket, error)`` is called once, soon after the connection ends by
    anything but ``close()`` or ``abort()``, with the reason: ConnectionLostError, or
    ServerProtocolError when the server sent a frame that is not an envelope (the
    connection is dropped then: that is not a server we can talk to).
    """

    def __init__(
        self,
        ws: ClientConnection,
        address: ServerAddress,
        *,
        on_push: PushHandler,
        on_close: CloseHandler | None = None,
        request_timeout: float = 10.0,
        ping_interval: float = 10.0,
        dead_after: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.address = address
        self._ws = ws
        self._on_push = on_push
        self._on_close = on_close
        self._request_timeout = request_timeout
        self._ping_interval = ping_interval
        self._dead_after = dead_after
        self._clock = clock
        self._cids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[Message]] = {}
        self._last_received = clock()
        self._closed = False
        self._error: ClientError | None = None
        loop = asyncio.get_running_loop()
        self._reader = loop.create_task(self._read(), name=f"ws-reader {address}")
        self._keepalive = loop.create_task(self._keep_alive(), name=f"ws-keepalive {address}")

    @classmethod
    async def open(
        cls,
        address: ServerAddress,
        token: str,
        *,
        on_push: PushHandler,
        on_close: CloseHandler | None = None,
        open_timeout: float = 10.0,
        request_timeout: float = 10.0,
        ping_interval: float = 10.0,
        dead_after: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
        tls_context: ssl.SSLContext | None = None,
    ) -> RealtimeSocket:
        """Connect (over TLS for a TLS address) and complete the WebSocket handshake with ``token``.

        Raises UnreachableError (TCP), TlsError, ServerTimeoutError (handshake), RefusedError
        and its GameFullError / UnauthorizedError (handshake refused, status and body in the
        message), ServerProtocolError (not a WebSocket server) or ConnectionLostError.
        """
        if address.tls and tls_context is None:
            raise ValueError("a TLS address needs a TLS context")
        try:
            sock = await httpclient.connect(address.host, address.port, open_timeout)
        except httpclient.ConnectError as exc:
            raise UnreachableError(address, text_of(exc), refused=exc.refused) from exc
        uri = f"{address.ws_url}/ws?" + urlencode({"token": token, "format": "json"}, quote_via=quote)
        ws: ClientConnection | None = None
        try:
            ws = await ws_connect(
                uri,
                sock=sock,
                ssl=tls_context if address.tls else None,
                server_hostname=address.host if address.tls else None,
                open_timeout=open_timeout,
                ping_interval=15,  # WebSocket pings, besides the application's own
                ping_timeout=20,
                close_timeout=1.0,
                max_size=MAX_SERVER_FRAME,
                user_agent_header=httpclient.USER_AGENT,
            )
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise TlsError(tls.explain(exc, str(address))) from exc
        except InvalidStatus as exc:
            response = exc.response
            body = " ".join(bytes(response.body).decode("utf-8", "replace").split())[:200] or response.reason_phrase
            raise refusal(Phrase("connection"), response.status_code, body) from exc
        except TimeoutError as exc:
            raise ServerTimeoutError(Phrase(
                "The server at {address} took the connection but did not answer within {seconds:g} s",
                address=str(address), seconds=open_timeout)) from exc
        except InvalidHandshake as exc:
            raise ServerProtocolError(Phrase("The server at {address} did not open a game connection ({reason})",
                                             address=str(address), reason=str(exc))) from exc
        except ValueError as exc:  # a redirect, which a connection on a given socket cannot follow
            raise ServerProtocolError(Phrase("The server at {address} sent us elsewhere ({reason})", address=str(address),
                                             reason=str(exc))) from exc
        except (OSError, ConnectionClosed) as exc:
            raise ConnectionLostError(Phrase("The server at {address} closed the connection while it opened",
                                             address=str(address))) from exc
        finally:
            if ws is None:
                sock.close()  # websockets has already closed it if it got that far; closing twice is harmless
        return cls(
            ws,
            address,
            on_push=on_push,
            on_close=on_close,
            request_timeout=request_timeout,
            ping_interval=ping_interval,
            dead_after=dead_after,
            clock=clock,
        )

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def error(self) -> ClientError | None:
        """Why the connection ended, if it ended by itself."""
        return self._error

    async def request(self, message: Message, timeout: float | None = None) -> Message:
        """Send ``message`` with a fresh ``cid`` and return the answer.

        Raises ServerError (an ``error`` answer), ServerTimeoutError (no answer in time)
        or ConnectionLostError.
        """
        limit = self._request_timeout if timeout is None else timeout
        cid = str(next(self._cids))
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[cid] = future  # before sending: the answer may be read while the send yields
        try:
            await self._send_text(encode(message, cid))
            try:
                async with asyncio.timeout(limit):
                    return await future
            except TimeoutError:
                raise ServerTimeoutError(Phrase("The server did not answer {request} within {seconds:g} s",
                                                request=message.KEY.replace("_", " "), seconds=limit)) from None
        finally:
            self._pending.pop(cid, None)
            if future.done() and not future.cancelled():
                future.exception()  # a failure we raised another way is retrieved here, never logged as lost
            else:
                future.cancel()

    async def send(self, message: Message) -> None:
        """Send ``message`` with no ``cid`` (no answer expected); ConnectionLostError if the socket is gone."""
        await self._send_text(encode(message))

    async def close(self) -> None:
        """Close the connection cleanly (bounded by the close timeout); on_close is not called."""
        if self._closed:
            return
        self._closed = True
        self._keepalive.cancel()
        try:
            with contextlib.suppress(Exception):
                await self._ws.close()
        finally:
            self._ws.transport.abort()
            self._fail_pending(ConnectionLostError(Phrase("The connection was closed")))
        await self._stop_reader()

    def abort(self) -> None:
        """Drop the connection at once, without a closing handshake; on_close is not called."""
        if self._closed:
            return
        self._closed = True
        self._keepalive.cancel()
        self._reader.cancel()
        self._ws.transport.abort()
        self._fail_pending(ConnectionLostError(Phrase("The connection was closed")))

    # Internals ------------------------------------------------------------------

    async def _send_text(self, text: str) -> None:
        if self._closed:
            raise self._error or ConnectionLostError(Phrase("The connection is closed"))
        try:
            async with asyncio.timeout(self._request_timeout):
                await self._ws.send(text)
        except TimeoutError:
            self._fail(ConnectionLostError(Phrase("The server stopped reading what we send")))
            raise self._error or ConnectionLostError(Phrase("The connection is closed")) from None
        except ConnectionClosed as exc:
            self._fail(self._closed_error(exc))
            raise self._error or ConnectionLostError(Phrase("The connection is closed")) from None

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                self._last_received = self._clock()
                self._dispatch(frame)
        except ConnectionClosed as exc:
            self._fail(self._closed_error(exc))
            return
        except ServerProtocolError as exc:
            self._fail(exc)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let the reader die silently
            log.exception("realtime reader failed")
            self._fail(ConnectionLostError(Phrase("The connection failed ({reason})", reason=str(exc))))
            return
        self._fail(self._closed_error(None))

    def _dispatch(self, frame: str | bytes) -> None:
        try:
            envelope = decode_server(frame)
        except ProtocolError as exc:
            if exc.fatal:
                raise ServerProtocolError(Phrase("The server at {address} sent something that is not a game message: {frame!r}",
                                                 address=str(self.address), frame=str(frame)[:80])) from exc
            log.warning("ignored a malformed %s from %s: %s", "answer" if exc.cid else "message", self.address, exc)
            future = self._pending.get(exc.cid) if exc.cid is not None else None
            if future is not None and not future.done():
                unreadable = Phrase("The server's answer cannot be read ({reason})", reason=exc.message)
                future.set_exception(ServerProtocolError(unreadable))
            return
        message, cid = envelope.message, envelope.cid
        if cid is not None:
            future = self._pending.get(cid)
            if future is None:
                log.debug("answer to a request nobody waits for (cid %s): %s", cid, type(message).__name__)
            elif not future.done():
                if isinstance(message, Error):
                    future.set_exception(ServerError(message.code, message.message))
                else:
                    future.set_result(message)
            return
        if isinstance(message, Ping):
            asyncio.get_running_loop().create_task(self._pong())
            return
        if isinstance(message, Unknown):
            log.debug("ignored %r from %s", message.key, self.address)
        try:
            self._on_push(self, message)
        except Exception:
            log.exception("the push handler failed on %s", type(message).__name__)

    async def _pong(self) -> None:
        with contextlib.suppress(ClientError):
            await self.send(Pong())

    async def _keep_alive(self) -> None:
        """Ping every ``ping_interval``; declare the connection dead after ``dead_after`` s of silence."""
        next_ping = self._clock() + self._ping_interval
        while not self._closed:
            now = self._clock()
            silent_until = self._last_received + self._dead_after
            if now >= silent_until:
                self._fail(ConnectionLostError(Phrase("The server stopped answering (nothing for {seconds:g} s)",
                                                      seconds=self._dead_after)))
                return
            if now >= next_ping:
                next_ping = now + self._ping_interval
                asyncio.get_running_loop().create_task(self._ping())
            await asyncio.sleep(max(0.0, min(next_ping, silent_until) - now) + 0.01)

    async def _ping(self) -> None:
        with contextlib.suppress(ClientError):
            await self.request(Ping(), timeout=self._dead_after)

    def _closed_error(self, exc: ConnectionClosed | None) -> ClientError:
        close = exc.rcvd if exc is not None else self._ws.protocol.close_rcvd
        if close is not None and close.code == CLOSE_GOING_AWAY:
            return ServerGoingAwayError(Phrase("The server closed the connection: {reason}",
                                               reason=close.reason or Phrase("it is going away")))
        if close is not None and close.reason:
            return ConnectionLostError(Phrase("The server closed the connection ({reason})", reason=close.reason))
        if close is not None:
            return ConnectionLostError(Phrase("The server closed the connection"))
        return ConnectionLostError(Phrase("The connection to the server was lost"))

    def _fail(self, error: ClientError) -> None:
        if self._closed:
            return
        self._closed = True
        self._error = error
        current = asyncio.current_task()
        for task in (self._keepalive, self._reader):
            if task is not current:
                task.cancel()
        self._ws.transport.abort()
        self._fail_pending(error)
        if self._on_close is not None:
            asyncio.get_running_loop().call_soon(self._report_close, error)

    def _report_close(self, error: ClientError) -> None:
        assert self._on_close is not None
        try:
            self._on_close(self, error)
        except Exception:
            log.exception("the close handler failed")

    def _fail_pending(self, error: ClientError) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._pending.clear()

    async def _stop_reader(self) -> None:
        if not self._reader.done():
            self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader

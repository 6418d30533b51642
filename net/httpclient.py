"""A small HTTP/1.1 client on asyncio streams: one request per connection, cancellable, bounded.

Signing in to a Nakama server (or our own host) takes one HTTP request before the
socket opens. This module does exactly that much: resolve the name without blocking
the loop, connect (with TLS when asked), send the request, and read one response
(``Content-Length``, chunked, or until the server closes). ``h11`` parses and writes
HTTP/1.1 (the host's front uses it too); each way it can go wrong is its own error
type, so the caller can tell "nothing listens there" from "it listened, then hung up
without a word".

Name resolution runs ``getaddrinfo`` in a daemon thread of its own rather than the
loop's executor: a resolver that stalls must never keep the network thread (or the
interpreter) from stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import h11

from game.phrase import Phrase

T = TypeVar("T")

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024
USER_AGENT = "tictactoe-desktop/2 (Python; h11)"


class HttpError(Exception):
    """Base of the errors below; ``str()`` is a short lower-case reason for a message."""


class ConnectError(HttpError):
    """No connection could be opened: refused, no route, unknown host, or no answer to the connect.

    ``refused``: the address answered that nothing listens on that port (nobody is there, for sure).
    """

    def __init__(self, reason: str, *, refused: bool = False):
        super().__init__(reason)
        self.refused = refused


class NoResponseError(HttpError):
    """The request went out and the server closed the connection without a byte of answer."""


class MalformedResponseError(HttpError):
    """The server answered with something that is not HTTP/1.x; ``head`` is the first bytes it sent."""

    def __init__(self, message: str, head: bytes = b""):
        super().__init__(message)
        self.head = head


class ResponseTimeoutError(HttpError):
    """Connected and sent, but the answer did not come in time."""


class TlsHandshakeError(HttpError):
    """The TLS handshake failed; ``error`` is the ``ssl`` exception, for ``net.tls`` to explain."""

    def __init__(self, error: ssl.SSLError | ssl.CertificateError):
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class HttpResponse:
    """One response: status, reason, headers (names lower-cased, in order) and the whole body."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def text(self, limit: int = 200) -> str:
        """The body as one line of text, shortened to ``limit`` characters, for messages."""
        text = " ".join(self.body.decode("utf-8", "replace").split())
        return text if len(text) <= limit else text[: limit - 1] + "…"


async def run_detached(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking ``fn(*args)`` in a daemon thread and await its result (cancellable)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def work() -> None:
        try:
            result: Any = fn(*args)
            ok = True
        except BaseException as exc:  # noqa: BLE001 - handed over to the awaiting task, which raises it
            result, ok = exc, False
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, ok, result)

    threading.Thread(target=work, name=f"detached-{getattr(fn, '__name__', 'call')}", daemon=True).start()
    return await future


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def resolve(host: str, port: int) -> list[tuple[int, Any]]:
    """(family, sockaddr) pairs for a TCP connection to ``host:port``; raises ConnectError."""
    if _is_ip(host):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return [(family, (host, port))]
    try:
        infos = await run_detached(socket.getaddrinfo, host, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectError(Phrase("no such host")) from exc
    except (OSError, UnicodeError) as exc:
        raise ConnectError(Phrase("cannot look the name up: {reason}", reason=str(exc))) from exc
    out: list[tuple[int, Any]] = [(info[0], info[4]) for info in infos]
    if not out:
        raise ConnectError(Phrase("no such host"))
    return out


def _reason(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return Phrase("connection refused")
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


async def connect(host: str, port: int, timeout: float) -> socket.socket:
    """A connected, non-blocking TCP socket to ``host:port``; raises ConnectError (a timeout too)."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            last: OSError | None = None
            for family, sockaddr in await resolve(host, port):
                sock = socket.socket(family, socket.SOCK_STREAM)
                try:
                    sock.setblocking(False)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    await loop.sock_connect(sock, sockaddr)
                except OSError as exc:
                    sock.close()
                    last = exc
                    continue
                except BaseException:
                    sock.close()
                    raise
                return sock
            if last is None:
                raise ConnectError(Phrase("no address to connect to"))
            raise ConnectError(_reason(last), refused=isinstance(last, ConnectionRefusedError))
    except TimeoutError:
        raise ConnectError(Phrase("no answer within {seconds:g} s", seconds=timeout)) from None



async def request(
    host: str,
    port: int,
    method: str,
    target: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 10.0,
    tls: ssl.SSLContext | None = None,
    max_body: int = MAX_BODY_BYTES,
) -> HttpResponse:
    """Send one request to ``host:port`` (over TLS with ``tls``) and return the response.

    ``timeout`` bounds connecting, the TLS handshake and, separately, the whole exchange
    after that. Raises ConnectError, TlsHandshakeError, NoResponseError,
    MalformedResponseError or ResponseTimeoutError.
    """
    sock = await connect(host, port, timeout)
    writer: asyncio.StreamWriter | None = None
    try:
        try:
            reader, writer = await asyncio.open_connection(
                sock=sock,
                ssl=tls,
                server_hostname=host if tls is not None else None,
                ssl_handshake_timeout=timeout if tls is not None else None,
                limit=MAX_HEAD_BYTES,
            )
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise TlsHandshakeError(exc) from exc
        except TimeoutError:
            raise ResponseTimeoutError(Phrase("no TLS handshake within {seconds:g} s", seconds=timeout)) from None
        conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
        host_header = f"[{host}]" if ":" in host else host
        if port != (443 if tls is not None else 80):
            host_header += f":{port}"
        fields = [("Host", host_header), ("User-Agent", USER_AGENT), *(headers or {}).items()]
        if body or method not in ("GET", "HEAD"):
            fields.append(("Content-Length", str(len(body))))
        fields.append(("Connection", "close"))
        try:
            async with asyncio.timeout(timeout):
                out = conn.send(h11.Request(method=method, target=target, headers=fields))
                out += conn.send(h11.Data(data=body)) if body else b""
                out += conn.send(h11.EndOfMessage())
                writer.write(out)
                await writer.drain()
                return await _read_response(conn, reader, max_body)
        except TimeoutError:
            raise ResponseTimeoutError(Phrase("no answer within {seconds:g} s", seconds=timeout)) from None
    except (ConnectionResetError, BrokenPipeError) as exc:
        raise NoResponseError(Phrase("the server closed the connection without answering")) from exc
    except (ssl.SSLError, ssl.CertificateError) as exc:
        raise TlsHandshakeError(exc) from exc
    except OSError as exc:
        raise ConnectError(_reason(exc), refused=isinstance(exc, ConnectionRefusedError)) from exc
    finally:
        if writer is not None:
            writer.transport.abort()  # one request per connection: no lingering close handshake
        else:
            sock.close()


async def _read_response(conn: h11.Connection, reader: asyncio.StreamReader, max_body: int) -> HttpResponse:
    response: h11.Response | None = None
    chunks: list[bytes] = []
    size = 0
    head = b""
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as exc:
            if not head:
                raise NoResponseError(Phrase("the server closed the connection without answering")) from None
            raise MalformedResponseError(Phrase("not an HTTP answer ({reason})", reason=str(exc)), head) from None
        if event is h11.NEED_DATA:
            try:
                data = await reader.read(65536)
            except ConnectionResetError:
                data = b""
            head = head or data[:16]
            conn.receive_data(data)
            continue
        if isinstance(event, h11.InformationalResponse):
            continue  # 100 Continue and the like
        if isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.Data):
            size += len(event.data)
            if size > max_body:
                raise MalformedResponseError(Phrase("the answer is larger than {size} bytes", size=max_body))
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            assert response is not None
            headers = tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in response.headers)
            return HttpResponse(response.status_code, response.reason.decode("latin-1"), headers, b"".join(chunks))
        elif isinstance(event, h11.ConnectionClosed):
            raise NoResponseError(Phrase("the server closed the connection without answering"))

"""A small HTTP/1.1 client on asyncio streams: one request per connection, cancellable, bounded.

Signing in to a Nakama server (or our own host) takes one HTTP request before the
socket opens. This module does exactly that much, with the standard library only:
resolve the name without blocking the loop, connect, send the request in one write,
read one response (``Content-Length``, chunked, or until the server closes), and
report each way it can go wrong as its own error type, so the caller can tell "nothing
listens there" from "it listened, then hung up without a word".

Name resolution runs ``getaddrinfo`` in a daemon thread of its own rather than the
loop's executor: a resolver that stalls must never keep the network thread (or the
interpreter) from stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import threading
from dataclasses import dataclass
from typing import Any, Callable, Mapping, TypeVar

T = TypeVar("T")

MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 100
MAX_BODY_BYTES = 1024 * 1024


class HttpError(Exception):
    """Base of the errors below; ``str()`` is a short lower-case reason for a message."""


class ConnectError(HttpError):
    """No connection could be opened: refused, no route, unknown host, or no answer to the connect."""


class NoResponseError(HttpError):
    """The request went out and the server closed the connection without a byte of answer."""


class MalformedResponseError(HttpError):
    """The server answered with something that is not HTTP/1.x."""


class ResponseTimeoutError(HttpError):
    """Connected and sent, but the answer did not come in time."""


@dataclass(frozen=True)
class HttpResponse:
    """One response: status, reason, headers (names lower-cased, in order) and the whole body."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

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
        except BaseException as exc:  # handed over to the awaiting task
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
        raise ConnectError("no such host") from exc
    except (OSError, UnicodeError) as exc:
        raise ConnectError(f"cannot look the name up: {exc}") from exc
    out = [(info[0], info[4]) for info in infos]
    if not out:
        raise ConnectError("no such host")
    return out


def _reason(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
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
            raise ConnectError(_reason(last) if last else "no address to connect to")
    except TimeoutError:
        raise ConnectError(f"no answer within {timeout:g} s") from None


def _head(method: str, target: str, host_header: str, headers: Mapping[str, str], body: bytes) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host_header}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(body)}")
    lines += ["Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


async def request(
    host: str,
    port: int,
    method: str,
    target: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 10.0,
    max_body: int = MAX_BODY_BYTES,
) -> HttpResponse:
    """Send one request to ``host:port`` and return the response.

    ``timeout`` bounds connecting and, separately, the whole exchange after that.
    Raises ConnectError, NoResponseError, MalformedResponseError or ResponseTimeoutError.
    """
    sock = await connect(host, port, timeout)
    writer: asyncio.StreamWriter | None = None
    try:
        reader, writer = await asyncio.open_connection(sock=sock, limit=MAX_HEAD_BYTES)
        host_header = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            async with asyncio.timeout(timeout):
                writer.write(_head(method, target, host_header, headers or {}, body) + body)
                await writer.drain()
                return await _read_response(reader, max_body)
        except TimeoutError:
            raise ResponseTimeoutError(f"no answer within {timeout:g} s") from None
    except (ConnectionResetError, BrokenPipeError) as exc:
        raise NoResponseError("the server closed the connection without answering") from exc
    except OSError as exc:
        raise ConnectError(_reason(exc)) from exc
    finally:
        if writer is not None:
            writer.close()
        else:
            sock.close()


async def _read_response(reader: asyncio.StreamReader, max_body: int) -> HttpResponse:
    try:
        status_line = await reader.readline()
    except ValueError:
        raise MalformedResponseError("status line too long") from None
    except ConnectionResetError:
        status_line = b""
    if not status_line:
        raise NoResponseError("the server closed the connection without answering")
    parts = status_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not (parts[1].isdigit() and len(parts[1]) == 3):
        raise MalformedResponseError(f"not an HTTP answer: {status_line[:60]!r}")
    status, reason = int(parts[1]), (parts[2] if len(parts) > 2 else "")
    headers: list[tuple[str, str]] = []
    while True:
        try:
            line = await reader.readline()
        except ValueError:
            raise MalformedResponseError("header line too long") from None
        except ConnectionResetError:
            raise MalformedResponseError("the connection was reset in the middle of the headers") from None
        if not line:
            raise MalformedResponseError("the connection closed in the middle of the headers")
        if line in (b"\r\n", b"\n"):
            break
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name.strip():
            raise MalformedResponseError(f"bad header line: {line[:60]!r}")
        headers.append((name.strip().lower(), value.strip()))
        if len(headers) > MAX_HEADERS:
            raise MalformedResponseError("too many headers")
    response = HttpResponse(status, reason, tuple(headers), b"")
    try:
        body = await _read_body(reader, response, max_body)
    except ConnectionResetError:
        raise MalformedResponseError("the connection was reset in the middle of the body") from None
    return HttpResponse(status, reason, tuple(headers), body)


async def _read_body(reader: asyncio.StreamReader, response: HttpResponse, max_body: int) -> bytes:
    if response.status in (204, 304) or 100 <= response.status < 200:
        return b""
    encoding = (response.header("transfer-encoding") or "").lower()
    if "chunked" in encoding:
        return await _read_chunked(reader, max_body)
    length = response.header("content-length")
    if length is not None:
        if not length.isdigit():
            raise MalformedResponseError(f"bad Content-Length {length[:20]!r}")
        if int(length) > max_body:
            raise MalformedResponseError(f"body of {length} bytes is too large")
        try:
            return await reader.readexactly(int(length))
        except asyncio.IncompleteReadError:
            raise MalformedResponseError("the connection closed in the middle of the body") from None
    body = await reader.read(max_body + 1)
    chunks = [body]
    while body:
        body = await reader.read(max_body + 1)
        chunks.append(body)
        if sum(map(len, chunks)) > max_body:
            raise MalformedResponseError("body too large")
    return b"".join(chunks)


async def _read_chunked(reader: asyncio.StreamReader, max_body: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    try:
        while True:
            size_line = (await reader.readline()).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise MalformedResponseError("bad chunk size") from None
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > max_body:
                raise MalformedResponseError("body too large")
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    except (asyncio.IncompleteReadError, ValueError):
        raise MalformedResponseError("the connection closed in the middle of the body") from None

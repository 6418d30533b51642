"""The Nakama client: sign in over HTTP, then one realtime socket of JSON envelopes.

Two parts, both on the network thread's asyncio loop:

* ``AuthClient`` signs in by device id and refreshes the session. A Nakama server takes
  ``POST`` with a JSON body; our own host (a ``websockets`` server, whose HTTP layer
  reads no request body) takes the same path as a ``GET`` with the fields in the query.
  The client tries the form it last saw work for that server (``POST`` first when it
  knows nothing) and switches to the other one only on the precise signs that the
  server did not understand the first: see ``wants_other_form``.
* ``RealtimeSocket`` is one ``ws://HOST:PORT/ws?token=...&format=json`` connection:
  requests are matched to answers by ``cid`` with a timeout, pushes are handed over in
  the order they arrived, an application ``ping`` goes out every ``ping_interval`` and
  the connection is declared dead after ``dead_after`` seconds without a frame.

Every failure is a ``ClientError`` subclass whose ``str()`` is a sentence a player can
read, naming the server's address where that helps.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import enum
import itertools
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import quote, urlencode

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from net import http
from net.codec import Error, Message, Ping, Pong, ProtocolError, Unknown, decode_server, encode

log = logging.getLogger(__name__)

DEFAULT_PORT = 7350
DEFAULT_SERVER_KEY = "defaultkey"
USER_AGENT = "xoxo-desktop/1 (Python; websockets)"
AUTHENTICATE_PATH = "/v2/account/authenticate/device"
REFRESH_PATH = "/v2/account/session/refresh"
DEFAULT_TOKEN_LIFETIME = 60.0  # Nakama's default, assumed when a token's times make no sense
MAX_SERVER_FRAME = 1024 * 1024


# Errors ------------------------------------------------------------------------


class ClientError(Exception):
    """Something the client could not do; ``str()`` says what in plain words."""


class UnreachableError(ClientError):
    """Nothing answers at the address: refused, unknown host, no route, or no answer to connect."""

    def __init__(self, address: "ServerAddress", reason: str):
        super().__init__(f"Can't reach the server at {address} ({reason})")
        self.address = address
        self.reason = reason


class ServerTimeoutError(ClientError):
    """The server took the connection or the request but did not answer in time."""


class BadKeyError(ClientError):
    """The server refused the server key (401 from the sign-in endpoint)."""

    def __init__(self, address: "ServerAddress"):
        super().__init__("The server key was refused")
        self.address = address


class RefusedError(ClientError):
    """The server answered with a refusal; ``status`` and ``body`` say which."""

    def __init__(self, what: str, status: int, body: str):
        detail = f"{status} {body}".strip()
        super().__init__(f"The server refused the {what}: {detail}")
        self.status = status
        self.body = body


class GameFullError(RefusedError):
    """The server refused us because its game is full."""


class UnauthorizedError(RefusedError):
    """The socket handshake was refused with 401: the session token is not (or no longer) accepted."""


class ServerProtocolError(ClientError):
    """The server sent something this game does not understand."""


class ServerError(ClientError):
    """An ``error`` envelope answering one of our requests."""

    def __init__(self, code: int, message: str):
        super().__init__(message or f"error {code}")
        self.code = code
        self.message = message


class ConnectionLostError(ClientError):
    """The realtime connection is gone (closed, reset, or silent for too long)."""


def refusal(what: str, status: int, body: str) -> RefusedError:
    """The RefusedError subclass that fits a refusal: full, unauthorised, or plain."""
    if "full" in body.lower():
        return GameFullError(what, status, body)
    if status == 401:
        return UnauthorizedError(what, status, body)
    return RefusedError(what, status, body)


# Addresses ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServerAddress:
    """Where a server listens: a host name or IP and a TCP port."""

    host: str
    port: int = DEFAULT_PORT

    @classmethod
    def parse(cls, text: str, default_port: int = DEFAULT_PORT) -> "ServerAddress":
        """``host``, ``host:port``, ``[v6]:port`` (a leading ``http://``/``ws://`` is tolerated); ValueError if not."""
        if not isinstance(text, str):
            raise ValueError("a server address must be text")
        s = text.strip()
        for scheme in ("http://", "ws://"):
            if s.lower().startswith(scheme):
                s = s[len(scheme):]
        s = s.split("/", 1)[0]
        if not s:
            raise ValueError("the server address is empty")
        port_text = ""
        if s.startswith("["):
            host, bracket, rest = s[1:].partition("]")
            if not bracket or (rest and not rest.startswith(":")):
                raise ValueError(f"{text.strip()!r} is not a server address")
            port_text = rest[1:]
        elif s.count(":") == 1:
            host, _, port_text = s.partition(":")
        else:
            host = s  # a name, an IPv4 address, or a bare IPv6 address
        if not host or any(c.isspace() or ord(c) < 32 for c in host) or any(c in host for c in "@?#"):
            raise ValueError(f"{text.strip()!r} is not a server address")
        port = default_port
        if port_text:
            if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
                raise ValueError(f"the port in {text.strip()!r} must be a number from 1 to 65535")
            port = int(port_text)
        return cls(host, port)

    @property
    def netloc(self) -> str:
        """``host:port`` as a URL writes it (IPv6 in brackets)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def __str__(self) -> str:
        return self.netloc


# Sessions ----------------------------------------------------------------------


def decode_token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, without checking its signature (a client cannot); ServerProtocolError if unreadable."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise ServerProtocolError("The server's session token is not a JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise ServerProtocolError("The server's session token cannot be read") from None
    if not isinstance(claims, dict):
        raise ServerProtocolError("The server's session token cannot be read")
    return claims


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


@dataclass(frozen=True)
class AuthSession:
    """A signed-in session: the tokens, who we are, and when the token runs out (on our clock)."""

    token: str
    refresh_token: str
    user_id: str
    username: str
    created: bool
    received_at: float  # the client's monotonic clock when the token arrived
    lifetime: float  # seconds the token lives from then

    @classmethod
    def from_answer(cls, answer: Any, now: float, wall_now: float, previous: "AuthSession | None" = None) -> "AuthSession":
        """Read ``{"token", "refresh_token", "created"}``; ServerProtocolError if it is not that."""
        if not isinstance(answer, dict) or not isinstance(answer.get("token"), str) or not answer["token"]:
            raise ServerProtocolError("The server's sign-in answer has no session token")
        claims = decode_token_claims(answer["token"])
        uid, usn, exp = claims.get("uid"), claims.get("usn"), _number(claims.get("exp"))
        if not isinstance(uid, str) or not uid or not isinstance(usn, str) or exp is None:
            raise ServerProtocolError("The server's session token lacks the user id, name or expiry")
        iat = _number(claims.get("iat"))
        # Measure the life on our own clock: the server's wall clock may differ from ours.
        lifetime = exp - iat if iat is not None and exp > iat else exp - wall_now
        if lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME
        refresh = answer.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            refresh = previous.refresh_token if previous is not None else ""
        created = answer.get("created") is True
        return cls(answer["token"], refresh, uid, usn, created, now, lifetime)

    @property
    def expires_at(self) -> float:
        return self.received_at + self.lifetime

    @property
    def refresh_at(self) -> float:
        """When to refresh: with 20% of the life (at least 15 s, at most half of it) left."""
        margin = min(max(15.0, 0.2 * self.lifetime), 0.5 * self.lifetime)
        return self.expires_at - margin

    def needs_refresh(self, now: float) -> bool:
        return now >= self.refresh_at


# Sign-in -----------------------------------------------------------------------


class SignInForm(enum.Enum):
    """How a server takes the sign-in and refresh calls."""

    POST_JSON = "post"  # Nakama: POST with a JSON body
    GET_QUERY = "get"  # our host: GET with the body's fields in the query string


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return obj if isinstance(obj, dict) else None


def wants_other_form(form: SignInForm, answer: http.HttpResponse | http.NoResponseError) -> bool:
    """True when ``answer`` shows that the server does not take sign-in calls in ``form``.

    POST: the ``websockets`` HTTP layer of our host refuses any request with a body by
    closing the connection without a byte of answer (it never reaches the host's
    code); a POST that does reach a GET-only endpoint is answered 405, and an HTTP
    layer that cannot take a body at all says 400 or 501 with a body that is not JSON
    (Nakama's errors are always JSON). GET: 404, 405 or 501, what a server that routes
    the path for POST only (Nakama's gateway) answers. Nothing else switches: a
    refused key, a bad device id or a server error is the answer, whatever the form.
    """
    if isinstance(answer, http.NoResponseError):
        return form is SignInForm.POST_JSON
    if form is SignInForm.POST_JSON:
        return answer.status == 405 or (answer.status in (400, 501) and _json_object(answer.body) is None)
    return answer.status in (404, 405, 501)


def _refusal_text(response: http.HttpResponse) -> str:
    obj = _json_object(response.body)
    if obj is not None and isinstance(obj.get("message"), str):
        return " ".join(obj["message"].split())[:200]
    return response.text() or response.reason


def check_device_id(device_id: str) -> None:
    """Nakama's rule for device ids (10 to 128 bytes, no spaces or control characters); ValueError if broken."""
    if not isinstance(device_id, str) or not 10 <= len(device_id.encode("utf-8")) <= 128:
        raise ValueError("a device id must be 10 to 128 bytes long")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in device_id):
        raise ValueError("a device id may not contain spaces or control characters")


class AuthClient:
    """Signs in to one server by device id and refreshes sessions, in whichever form the server takes.

    ``forms`` remembers, per server address, the form that last worked; share one dict
    between clients to keep that knowledge for the life of the program.
    """

    def __init__(
        self,
        address: ServerAddress,
        server_key: str,
        *,
        timeout: float = 10.0,
        forms: dict[str, SignInForm] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ):
        self.address = address
        self._auth = "Basic " + base64.b64encode(f"{server_key}:".encode("utf-8")).decode("ascii")
        self._timeout = timeout
        self._forms = forms if forms is not None else {}
        self._clock = clock
        self._wall = wall_clock

    @property
    def form(self) -> SignInForm | None:
        """The form this server is known to take, if known."""
        return self._forms.get(str(self.address))

    async def authenticate_device(self, device_id: str, username: str) -> AuthSession:
        """Sign in (creating the account if new) as ``username`` on this device.

        Raises UnreachableError, ServerTimeoutError, BadKeyError, RefusedError (GameFullError)
        or ServerProtocolError; ValueError for a device id Nakama would refuse.
        """
        check_device_id(device_id)
        query = {"create": "true", "username": username}
        response = await self._call(AUTHENTICATE_PATH, query, {"id": device_id}, "sign-in")
        if response.status == 401:
            raise BadKeyError(self.address)
        return self._session(response, "sign-in")

    async def refresh(self, session: AuthSession) -> AuthSession:
        """A new token for ``session`` from its refresh token; RefusedError when that is no longer accepted."""
        if not session.refresh_token:
            raise RefusedError("session refresh", 0, "no refresh token")
        response = await self._call(REFRESH_PATH, {}, {"token": session.refresh_token}, "session refresh")
        return self._session(response, "session refresh", session)

    def _session(self, response: http.HttpResponse, what: str, previous: AuthSession | None = None) -> AuthSession:
        if response.status != 200:
            raise refusal(what, response.status, _refusal_text(response))
        answer = _json_object(response.body)
        if answer is None:
            raise ServerProtocolError(
                f"The server at {self.address} answered the {what} with something that is not JSON: {response.text(80)!r}"
            )
        return AuthSession.from_answer(answer, self._clock(), self._wall(), previous)

    async def _call(self, path: str, query: Mapping[str, str], fields: Mapping[str, str], what: str) -> http.HttpResponse:
        known = self.form
        order = [known] if known is not None else []
        order += [f for f in (SignInForm.POST_JSON, SignInForm.GET_QUERY) if f is not known]
        for i, form in enumerate(order):
            last = i == len(order) - 1
            try:
                response = await self._send(form, path, query, fields)
            except http.NoResponseError as exc:
                if not last and wants_other_form(form, exc):
                    log.debug("%s %s: no answer to %s, trying %s", self.address, path, form.value, order[i + 1].value)
                    continue
                raise ServerProtocolError(
                    f"The server at {self.address} closed the connection without answering the {what}"
                ) from exc
            if not last and wants_other_form(form, response):
                log.debug("%s %s: %s answered %d, trying the other form", self.address, path, form.value, response.status)
                continue
            self._forms[str(self.address)] = form
            return response
        raise AssertionError("unreachable: the last form always returns or raises")

    async def _send(
        self, form: SignInForm, path: str, query: Mapping[str, str], fields: Mapping[str, str]
    ) -> http.HttpResponse:
        headers = {"Authorization": self._auth, "Accept": "application/json", "User-Agent": USER_AGENT}
        if form is SignInForm.POST_JSON:
            method, params, body = "POST", dict(query), json.dumps(dict(fields)).encode("utf-8")
            headers["Content-Type"] = "application/json"
        else:
            method, params, body = "GET", {**query, **fields}, b""
        target = path + ("?" + urlencode(params) if params else "")
        try:
            return await http.request(
                self.address.host, self.address.port, method, target, headers=headers, body=body, timeout=self._timeout
            )
        except http.ConnectError as exc:
            raise UnreachableError(self.address, str(exc)) from exc
        except http.ResponseTimeoutError as exc:
            raise ServerTimeoutError(
                f"The server at {self.address} did not answer within {self._timeout:g} s"
            ) from exc
        except http.MalformedResponseError as exc:
            raise ServerProtocolError(f"The server at {self.address} does not speak HTTP as expected ({exc})") from exc


# The realtime socket -----------------------------------------------------------------


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
    ) -> "RealtimeSocket":
        """Connect and complete the WebSocket handshake with ``token``.

        Raises UnreachableError (TCP), ServerTimeoutError (handshake), RefusedError and its
        GameFullError / UnauthorizedError (handshake refused, status and body in the
        message), ServerProtocolError (not a WebSocket server) or ConnectionLostError.
        """
        try:
            sock = await http.connect(address.host, address.port, open_timeout)
        except http.ConnectError as exc:
            raise UnreachableError(address, str(exc)) from exc
        uri = f"ws://{address.netloc}/ws?" + urlencode({"token": token, "format": "json"}, quote_via=quote)
        ws: ClientConnection | None = None
        try:
            ws = await ws_connect(
                uri,
                sock=sock,
                open_timeout=open_timeout,
                ping_interval=15,  # WebSocket pings, besides the application's own
                ping_timeout=20,
                close_timeout=1.0,
                max_size=MAX_SERVER_FRAME,
                user_agent_header=USER_AGENT,
            )
        except InvalidStatus as exc:
            response = exc.response
            body = " ".join(bytes(response.body).decode("utf-8", "replace").split())[:200] or response.reason_phrase
            raise refusal("connection", response.status_code, body) from exc
        except TimeoutError as exc:
            raise ServerTimeoutError(
                f"The server at {address} took the connection but did not answer within {open_timeout:g} s"
            ) from exc
        except InvalidHandshake as exc:
            raise ServerProtocolError(f"The server at {address} did not open a game connection ({exc})") from exc
        except ValueError as exc:  # a redirect, which a connection on a given socket cannot follow
            raise ServerProtocolError(f"The server at {address} sent us elsewhere ({exc})") from exc
        except (OSError, ConnectionClosed) as exc:
            raise ConnectionLostError(f"The server at {address} closed the connection while it opened") from exc
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
        self._pending[cid] = future
        try:
            await self._send_text(encode(message, cid))
            try:
                async with asyncio.timeout(limit):
                    return await future
            except TimeoutError:
                raise ServerTimeoutError(
                    f"The server did not answer {message.KEY.replace('_', ' ')} within {limit:g} s"
                ) from None
        finally:
            self._pending.pop(cid, None)

    async def send(self, message: Message) -> None:
        """Send ``message`` with no ``cid`` (no answer expected); ConnectionLostError if the socket is gone."""
        await self._send_text(encode(message))

    async def send_match_data(self, match_id: str, op_code: int, data: bytes) -> None:
        """``match_data_send`` the way stock clients write it: ``op_code`` a number, ``presences`` empty."""
        body = {
            "match_id": match_id,
            "op_code": op_code,
            "data": base64.b64encode(data).decode("ascii"),
            "presences": [],
        }
        await self._send_text(json.dumps({"match_data_send": body}, separators=(",", ":")))

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
            self._fail_pending(ConnectionLostError("The connection was closed"))
        await self._stop_reader()

    def abort(self) -> None:
        """Drop the connection at once, without a closing handshake; on_close is not called."""
        if self._closed:
            return
        self._closed = True
        self._keepalive.cancel()
        self._reader.cancel()
        self._ws.transport.abort()
        self._fail_pending(ConnectionLostError("The connection was closed"))

    # Internals ------------------------------------------------------------------

    async def _send_text(self, text: str) -> None:
        if self._closed:
            raise self._error or ConnectionLostError("The connection is closed")
        try:
            async with asyncio.timeout(self._request_timeout):
                await self._ws.send(text)
        except TimeoutError:
            self._fail(ConnectionLostError("The server stopped reading what we send"))
            raise self._error or ConnectionLostError("The connection is closed") from None
        except ConnectionClosed as exc:
            self._fail(self._closed_error(exc))
            raise self._error or ConnectionLostError("The connection is closed") from None

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
            self._fail(ConnectionLostError(f"The connection failed ({exc})"))
            return
        self._fail(self._closed_error(None))

    def _dispatch(self, frame: str | bytes) -> None:
        try:
            envelope = decode_server(frame)
        except ProtocolError as exc:
            if exc.fatal:
                raise ServerProtocolError(
                    f"The server at {self.address} sent something that is not a game message: {str(frame)[:80]!r}"
                ) from exc
            log.warning("ignored a malformed %s from %s: %s", "answer" if exc.cid else "message", self.address, exc)
            future = self._pending.get(exc.cid) if exc.cid is not None else None
            if future is not None and not future.done():
                future.set_exception(ServerProtocolError(f"The server's answer cannot be read ({exc.message})"))
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
                self._fail(ConnectionLostError(f"The server stopped answering (nothing for {self._dead_after:g} s)"))
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
        if close is not None and close.reason:
            return ConnectionLostError(f"The server closed the connection ({close.reason})")
        if close is not None:
            return ConnectionLostError("The server closed the connection")
        return ConnectionLostError("The connection to the server was lost")

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

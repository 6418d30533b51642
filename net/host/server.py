"""The authoritative host: sign-in over HTTP and the realtime socket, on one port.

``Host`` serves Nakama's contract (PROTOCOL.md) with ``websockets``: its
``process_request`` hook answers the sign-in and refresh endpoints and checks the
token of ``/ws``; each socket then gets a ``Connection`` that decodes frames with the
strict codec, hands requests to the ``MatchRuntime`` as they arrive, and writes
through a bounded queue drained by one writer task, so a slow reader never stalls
anyone else. Bad input from one socket is answered on that socket alone.

The host is embeddable: the game's network thread runs it on its own event loop for
LAN play, and ``net.host.serve`` runs it headless.
"""

from __future__ import annotations

import asyncio
import email.utils
import errno
import http
import json
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State

from game.xoxo import Presence
from net.codec import (
    MAX_CLIENT_FRAME,
    Envelope,
    Error,
    MatchDataSend,
    MatchJoin,
    MatchLeave,
    MatchmakerAdd,
    MatchmakerRemove,
    Ping,
    Pong,
    ProtocolError,
    decode_client,
    encode,
    error_envelope,
)
from net.host.auth import (
    AuthError,
    Claims,
    TokenIssuer,
    check_device_id,
    check_server_key,
    clean_username,
    load_or_create_secret,
    unique_name,
)
from net.host.config import HostConfig, HostError, PortInUseError
from net.host.runtime import MatchRuntime, RequestError, RuntimeSettings
from net.host.store import GameStore, StoreError

log = logging.getLogger("net.host")
_ws_log = logging.getLogger("net.host.websockets")  # the library's own chatter (one line per handshake)
_ws_log.setLevel(logging.WARNING)

SIGN_IN_PATH = "/v2/account/authenticate/device"
REFRESH_PATH = "/v2/account/session/refresh"
SOCKET_PATH = "/ws"
HEALTH_PATH = "/healthcheck"
GAME_FULL = "This game is full"
SHUTTING_DOWN = "Server shutting down"
MALFORMED = "received malformed payload"

# gRPC status codes Nakama puts in its HTTP error bodies, by HTTP status.
_GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 500: 13, 503: 14}

WRITE_BUFFER_HIGH = 2**15  # bytes waiting in the socket's buffer before frames queue up (websockets' write_limit)

CLOSE_MALFORMED = 1000  # Nakama closes a malformed payload with a normal closure
CLOSE_BINARY = 1003
CLOSE_POLICY = 1008
CLOSE_INTERNAL = 1011
CLOSE_GOING_AWAY = 1001


def _close_reason(text: str) -> str:
    """``text`` cut to the 123 bytes a close frame allows."""
    raw = text.encode("utf-8")
    if len(raw) <= 123:
        return text
    return raw[:120].decode("utf-8", "ignore") + "..."


def _first(query: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = query.get(name)
    return values[0] if values else default


def _response(status: int, body: bytes, content_type: str) -> Response:
    headers = Headers(
        [
            ("Date", email.utils.formatdate(usegmt=True)),
            ("Connection", "close"),
            ("Content-Length", str(len(body))),
            ("Content-Type", content_type),
            ("Cache-Control", "no-store"),
        ]
    )
    return Response(status, http.HTTPStatus(status).phrase, headers, body)


def json_response(status: int, obj: Any) -> Response:
    return _response(status, json.dumps(obj, separators=(",", ":")).encode(), "application/json")


def api_error(status: int, message: str) -> Response:
    """An error of the HTTP API, in Nakama's shape: ``{"error", "message", "code"}``."""
    return json_response(status, {"error": message, "message": message, "code": _GRPC_CODES.get(status, 2)})


def text_response(status: int, message: str) -> Response:
    return _response(status, message.encode("utf-8"), "text/plain; charset=utf-8")


@dataclass(frozen=True)
class HostStats:
    """A snapshot for operators and tests."""

    connected: int  # open sockets
    users: int  # distinct users with an open socket
    matches: int  # live matches
    tickets: int  # waiting matchmaker tickets
    games_recorded: int  # games written to the database since start
    record_failures: int  # games that could not be written


class _TokenBucket:
    """``rate`` messages a second on average, ``burst`` at once."""

    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: int, now: float):
        self.rate, self.burst, self.tokens, self.stamp = rate, float(burst), float(burst), now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class Connection:
    """One player's socket: decodes what arrives, queues what leaves, closes with a reason."""

    def __init__(self, host: "Host", ws: ServerConnection, presence: Presence, config: HostConfig):
        self.presence = presence
        self._host = host
        self._ws = ws
        self._limit = config.send_queue_frames
        self._out: deque[str] = deque()
        self._wake = asyncio.Event()
        self._closing: tuple[int, str] | None = None
        self._loop_time = asyncio.get_running_loop().time
        self._bucket = _TokenBucket(config.messages_per_second, config.message_burst, self._loop_time())
        self.writer: asyncio.Task[None] | None = None

    @property
    def remote(self) -> str:
        addr = self._ws.remote_address
        return str(addr[0]) if addr else "?"

    # Peer (what the runtime calls) -------------------------------------------------

    def send_text(self, frame: str) -> None:
        """Write ``frame`` now if the socket keeps up, else queue it for the writer task."""
        ws = self._ws
        if self._closing is not None or ws.state is not State.OPEN:
            return  # the socket is going away: nothing more will reach the player
        if not self._out and ws.transport.get_write_buffer_size() < WRITE_BUFFER_HIGH:
            broadcast((ws,), frame)  # a synchronous write: no task switch for the common case
            return
        if len(self._out) >= self._limit:
            log.warning("%s is not reading (%d frames waiting); dropping the connection", self.presence.username, len(self._out))
            self._closing = (CLOSE_POLICY, "send queue full")
            self._out.clear()
            self._ws.transport.abort()
            return
        self._out.append(frame)
        self._wake.set()

    def abort(self) -> None:
        """Drop the socket at once, without a close handshake."""
        self._closing = self._closing or (CLOSE_GOING_AWAY, "host stopped")
        self._out.clear()
        self._ws.transport.abort()

    def close(self, code: int, reason: str) -> None:
        if self._closing is None:
            self._closing = (code, _close_reason(reason))
            self._wake.set()

    # Reading ------------------------------------------------------------------------

    def on_frame(self, frame: str | bytes) -> None:
        """Handle one incoming frame completely: answer it, refuse it, or close the socket."""
        if self._closing is not None:
            return
        if not self._bucket.take(self._loop_time()):
            log.warning("%s sent too many messages; closing the socket", self.presence.username)
            self.close(CLOSE_POLICY, "too many messages")
            return
        if not isinstance(frame, str):
            log.info("%s sent a binary frame; closing the socket", self.presence.username)
            self.close(CLOSE_BINARY, "binary frames are not supported: send JSON text frames")
            return
        try:
            envelope = decode_client(frame)
        except ProtocolError as exc:
            if exc.fatal:
                log.info("%s sent a malformed payload (%s); closing the socket", self.presence.username, exc.message)
                reason = exc.message if exc.message.startswith(MALFORMED) else f"{MALFORMED}: {exc.message}"
                self.close(CLOSE_MALFORMED, reason)
            else:
                self.send_text(error_envelope(exc))
            return
        try:
            self._host._dispatch(self, envelope)
        except RequestError as exc:
            self.send_text(encode(Envelope(Error(exc.code, exc.message), envelope.cid)))

    # Writing ------------------------------------------------------------------------

    async def write_loop(self) -> None:
        """Write what the socket could not take at once, in order, then the close frame.

        While this queue holds anything, ``send_text`` queues behind it, so frames never
        overtake each other; it waits on the socket's flow control, so a slow reader
        fills its own queue (and is dropped) without holding up anyone else.
        """
        ws, out = self._ws, self._out
        try:
            while True:
                if out:
                    await ws.send(out.popleft())
                elif self._closing is not None:
                    await ws.close(*self._closing)
                    return
                else:
                    self._wake.clear()
                    await self._wake.wait()
        except ConnectionClosed:
            return


class Host:
    """The authoritative host: ``await start()``, serve, ``await stop()``."""

    def __init__(self, config: HostConfig = HostConfig(), *, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self._clock = clock
        self._server: Server | None = None
        self._store: GameStore | None = None
        self._issuer: TokenIssuer | None = None
        self.runtime: MatchRuntime | None = None
        self._connections: set[Connection] = set()
        self._pending: dict[str, float] = {}  # user id -> deadline: sockets past their handshake check
        self._ticker: asyncio.Task[None] | None = None
        self._stopping = False
        self.port = 0

    # Lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the data folder and the database, then listen. Raises HostError if it cannot."""
        if self._server is not None:
            raise HostError("the host is already running")
        cfg = self.config
        data_dir = Path(cfg.data_dir) if cfg.data_dir is not None else None
        try:
            if data_dir is not None:
                data_dir.mkdir(parents=True, exist_ok=True)
            secret = load_or_create_secret(data_dir)
        except (OSError, ValueError) as exc:
            raise HostError(f"cannot use the data folder {data_dir}: {exc}") from exc
        try:
            store = GameStore(data_dir)
        except StoreError as exc:
            raise HostError(str(exc)) from exc
        try:
            self._server = await serve(
                self._serve_socket,
                cfg.bind,
                cfg.port,
                process_request=self._process_request,
                compression=None,
                max_size=MAX_CLIENT_FRAME,
                max_queue=64,
                write_limit=WRITE_BUFFER_HIGH,
                ping_interval=cfg.ping_interval,
                ping_timeout=cfg.ping_timeout,
                close_timeout=cfg.close_timeout,
                open_timeout=10,
                server_header="xoxo-host",
                logger=_ws_log,
                backlog=1024,  # bursts of players arriving together are not turned away
            )
        except OSError as exc:
            store.close()
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(cfg.bind, cfg.port) from exc
            raise HostError(f"cannot listen on {cfg.bind} port {cfg.port}: {exc.strerror or exc}") from exc
        self._store = store
        self._issuer = TokenIssuer(secret, cfg.token_seconds, cfg.refresh_seconds)
        self.runtime = MatchRuntime(
            RuntimeSettings(
                turn_seconds=cfg.turn_seconds,
                grace_seconds=cfg.grace_seconds,
                rematch_seconds=cfg.rematch_seconds,
                join_timeout_seconds=cfg.join_timeout_seconds,
                node=cfg.node,
            ),
            store,
            self._clock,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._stopping = False
        self._ticker = asyncio.create_task(self._tick_loop(), name="xoxo-host tick")
        log.info(
            "listening on ws://%s:%d (data: %s; turn %gs, grace %gs, rematch %s)",
            cfg.bind, self.port, data_dir or "not kept", cfg.turn_seconds, cfg.grace_seconds,
            f"{cfg.rematch_seconds}s" if cfg.rematch_seconds is not None else "on request",
        )

    async def stop(self, notice: str = SHUTTING_DOWN) -> None:
        """Tell every match's players ``notice`` (plain text op 2), close every socket, close the database."""
        server = self._server
        if server is None or self._stopping:
            return
        self._stopping = True
        if self._ticker is not None:
            self._ticker.cancel()
        assert self.runtime is not None
        self.runtime.terminate_all(notice)
        for conn in list(self._connections):
            conn.close(CLOSE_GOING_AWAY, notice)
        writers = [c.writer for c in self._connections if c.writer is not None]
        if writers:
            await asyncio.wait(writers, timeout=self.config.close_timeout + 1)
        server.close()
        await server.wait_closed()
        if self._ticker is not None:
            try:
                await self._ticker
            except asyncio.CancelledError:
                pass
        if self._store is not None:
            self._store.close()
        self._server = None
        log.info("stopped (%d games recorded)", self.runtime.games_recorded)

    def abort(self) -> None:
        """Last resort, without waiting: stop listening and drop every socket (no notice, no goodbye)."""
        self._stopping = True
        if self._ticker is not None:
            self._ticker.cancel()
        for conn in list(self._connections):
            conn.abort()
        server, self._server = self._server, None
        if server is not None:
            server.close()
        if self._store is not None:
            self._store.close()

    def stats(self) -> HostStats:
        rt = self.runtime
        if rt is None:
            return HostStats(0, 0, 0, 0, 0, 0)
        return HostStats(
            connected=len(self._connections),
            users=len(rt.connected_users()),
            matches=len(rt.matches),
            tickets=len(rt.matchmaker),
            games_recorded=rt.games_recorded,
            record_failures=rt.record_failures,
        )

    @property
    def running(self) -> bool:
        return self._server is not None and not self._stopping

    async def _tick_loop(self) -> None:
        """Tick every match once a second, on the second, however long a tick takes."""
        loop = asyncio.get_running_loop()
        due = loop.time() + 1.0
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            due = max(due + 1.0, loop.time() + 0.5)
            assert self.runtime is not None
            try:
                self.runtime.tick()
            except Exception:  # a bug: log it, and keep every other match's clock running
                log.exception("the match tick failed")

    # HTTP ---------------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Answer the HTTP API, or check a socket's token; None lets the WebSocket handshake go on."""
        url = urlsplit(request.path)
        query = parse_qs(url.query, keep_blank_values=True)
        remote = connection.remote_address[0] if connection.remote_address else "?"
        if url.path == SOCKET_PATH:
            return self._check_socket(connection, request, query, remote)
        if url.path in (SIGN_IN_PATH, REFRESH_PATH, HEALTH_PATH):
            if request.method != "GET":
                return api_error(405, f"use GET for {url.path} on this host")
            if self._stopping:
                return api_error(503, SHUTTING_DOWN)
            if url.path == HEALTH_PATH:
                return json_response(200, {})
            try:
                if url.path == SIGN_IN_PATH:
                    return self._sign_in(request, query, remote)
                return self._refresh(request, query, remote)
            except AuthError as exc:
                log.info("refused %s from %s: %s", "sign-in" if url.path == SIGN_IN_PATH else "refresh", remote, exc.message)
                return api_error(exc.status, exc.message)
        return api_error(404, f"nothing at {url.path}")

    def _check_full(self, uid: str) -> None:
        limit = self.config.max_players
        if limit is None:
            return
        assert self.runtime is not None
        now = self._clock()
        self._pending = {u: t for u, t in self._pending.items() if t > now}
        present = set(self.runtime.connected_users()) | self.runtime.seated_users() | set(self._pending)
        if uid not in present and len(present) >= limit:
            raise AuthError(403, GAME_FULL)

    def _sign_in(self, request: Request, query: dict[str, list[str]], remote: str) -> Response:
        assert self._issuer is not None and self._store is not None and self.runtime is not None
        check_server_key(request.headers.get("Authorization"), self.config.server_key)
        device_id = check_device_id(_first(query, "id"))
        name = clean_username(_first(query, "username"))
        create = (_first(query, "create", "true") or "true").lower() not in ("false", "0")
        uid = self._issuer.user_id_for_device(device_id)
        self._check_full(uid)
        name = unique_name(name, lambda n: self.runtime.name_taken(n, uid))
        try:
            created = self._store.sign_in(uid, name, create)
        except KeyError:
            raise AuthError(404, "user account not found (sign in with create=true)") from None
        except StoreError:
            log.error("sign-in of %s not saved", uid, exc_info=True)
            created = False
        tokens = self._issuer.issue(uid, name)
        log.info("sign-in: %s (user %s, %s) from %s", name, uid, "new" if created else "returning", remote)
        return json_response(200, {"created": created, "token": tokens.token, "refresh_token": tokens.refresh_token})

    def _refresh(self, request: Request, query: dict[str, list[str]], remote: str) -> Response:
        assert self._issuer is not None
        check_server_key(request.headers.get("Authorization"), self.config.server_key)
        claims = self._issuer.verify_refresh(_first(query, "token") or "")
        self._check_full(claims.uid)
        tokens = self._issuer.issue(claims.uid, claims.usn)
        log.info("session refreshed: %s (user %s) from %s", claims.usn, claims.uid, remote)
        return json_response(200, {"created": False, "token": tokens.token, "refresh_token": tokens.refresh_token})

    def _check_socket(
        self, connection: ServerConnection, request: Request, query: dict[str, list[str]], remote: str
    ) -> Response | None:
        assert self._issuer is not None
        if self._stopping:
            return text_response(503, SHUTTING_DOWN)
        fmt = _first(query, "format", "json")
        if fmt != "json":
            return text_response(400, "only format=json is supported")
        token = _first(query, "token")
        if not token:
            scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else ""
        try:
            claims = self._issuer.verify_session(token)
            self._check_full(claims.uid)
        except AuthError as exc:
            log.info("refused socket from %s: %s", remote, exc.message)
            return text_response(exc.status, exc.message)
        if self.config.max_players is not None:
            self._pending[claims.uid] = self._clock() + 15.0
        connection.xoxo_claims = claims  # type: ignore[attr-defined]
        return None

    # Sockets -----------------------------------------------------------------------------

    async def _serve_socket(self, ws: ServerConnection) -> None:
        """The life of one socket: register, read until it closes, then leave everything cleanly."""
        claims: Claims = ws.xoxo_claims  # type: ignore[attr-defined]
        rt = self.runtime
        assert rt is not None
        self._pending.pop(claims.uid, None)
        name = unique_name(claims.usn, lambda n: rt.name_taken(n, claims.uid))
        presence = Presence(claims.uid, str(uuid.uuid4()), name, self.config.node)
        conn = Connection(self, ws, presence, self.config)
        if self._stopping:
            await ws.close(CLOSE_GOING_AWAY, SHUTTING_DOWN)
            return
        self._connections.add(conn)
        rt.connect(conn)
        conn.writer = asyncio.create_task(conn.write_loop())
        log.info("%s connected (user %s) from %s", presence.username, presence.user_id, conn.remote)
        try:
            async for frame in ws:
                try:
                    conn.on_frame(frame)
                except Exception:
                    log.exception("error handling a message from %s; closing that socket", presence.username)
                    conn.close(CLOSE_INTERNAL, "internal error")
        except ConnectionClosed:
            pass
        finally:
            rt.disconnect(conn)
            self._connections.discard(conn)
            conn.close(CLOSE_GOING_AWAY, "")
            if conn.writer is not None and not conn.writer.done():
                conn.writer.cancel()
                try:
                    await conn.writer
                except asyncio.CancelledError:
                    pass
            log.info(
                "%s disconnected (code %s%s)", presence.username, ws.close_code,
                f", {ws.close_reason}" if ws.close_reason else "",
            )

    def _dispatch(self, conn: Connection, env: Envelope) -> None:
        """Route one decoded request to the runtime (it answers on ``conn`` itself)."""
        rt = self.runtime
        assert rt is not None
        msg, cid = env.message, env.cid
        if isinstance(msg, MatchDataSend):
            rt.data(conn, msg)
        elif isinstance(msg, Ping):
            conn.send_text(encode(Envelope(Pong(), cid)))
        elif isinstance(msg, Pong):
            pass
        elif isinstance(msg, MatchmakerAdd):
            rt.matchmaker_add(conn, msg, cid)
        elif isinstance(msg, MatchmakerRemove):
            rt.matchmaker_remove(conn, msg, cid)
        elif isinstance(msg, MatchJoin):
            rt.join(conn, msg, cid)
        elif isinstance(msg, MatchLeave):
            rt.leave(conn, msg, cid)
        else:  # the codec only yields the client messages above
            raise RequestError(1, f"{type(msg).__name__} is not a request")

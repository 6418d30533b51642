"""The authoritative host: Nakama's HTTP API and realtime socket on one port, around ``MatchRuntime``.

``Host`` is the front's ``Site`` (``net.host.front``): it answers the HTTP API (device
sign-in and refresh by ``POST`` as Nakama's clients send them, or by ``GET`` as older
versions of this game did; renaming the account; the health check), checks the token
of each ``/ws`` upgrade, and turns each socket's frames into runtime calls with the
strict codec. Bad input from one socket is answered on that socket alone; a socket
that floods is closed.

Accounts are Nakama's: a device's account keeps the name it was created with whatever
a later sign-in asks for, a name belongs to one account (whatever its case), and
``PUT /v2/account`` renames. The host is embeddable: the game's network thread runs it
on its own event loop for LAN play, and ``net.host.serve`` runs it headless.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from game.match import MatchSettings
from game.xoxo import Presence
from net import tls
from net.codec import (
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
    made_up_username,
)
from net.host.config import HostConfig, HostError, PortInUseError
from net.host.front import (
    ApiRequest,
    ApiResponse,
    FrontLimits,
    PlayerSocket,
    api_error,
    front_factory,
    json_response,
    text_response,
)
from net.host.runtime import MatchRuntime, RequestError, Scheduler
from net.host.store import GameStore, NameInUse, StoreError

log = logging.getLogger("net.host")

SIGN_IN_PATH = "/v2/account/authenticate/device"
REFRESH_PATH = "/v2/account/session/refresh"
ACCOUNT_PATH = "/v2/account"
SOCKET_PATH = "/ws"
HEALTH_PATH = "/healthcheck"
GAME_FULL = "This game is full"
SHUTTING_DOWN = "Server shutting down"
NAME_IN_USE = "Username is already in use."
MALFORMED = "received malformed payload"
CHECKPOINT_SECONDS = 5.0  # how often the database's write-ahead log is copied back, off the event loop

CLOSE_MALFORMED = 1000  # Nakama closes a malformed payload with a normal closure
CLOSE_POLICY = 1008
CLOSE_GOING_AWAY = 1001

_METHODS = {SIGN_IN_PATH: "GET, POST", REFRESH_PATH: "GET, POST", ACCOUNT_PATH: "GET, PUT", HEALTH_PATH: "GET"}

# CORS as Nakama's HTTP gateway does it (gorilla/handlers CORS: any origin, these methods and
# headers), so a stock client in a browser page (nakama-js, a Defold HTML5 build) can sign in:
# its Authorization and JSON Content-Type headers make the browser ask with a preflight first.
CORS_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE"})
CORS_SIMPLE_METHODS = frozenset({"GET", "HEAD", "POST"})
CORS_HEADERS = frozenset({"authorization", "content-type", "user-agent"})
CORS_SIMPLE_HEADERS = frozenset({"accept", "accept-language", "content-language", "origin"})


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

    __slots__ = ("burst", "rate", "stamp", "tokens")

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
    """One player's socket as the runtime sees it (a ``Peer``): who, a way to send, a way out, a rate limit."""

    __slots__ = ("_bucket", "_clock", "presence", "socket")

    def __init__(self, socket: PlayerSocket, presence: Presence, config: HostConfig, clock: Callable[[], float]):
        self.presence = presence
        self.socket = socket
        self._clock = clock
        self._bucket = _TokenBucket(config.messages_per_second, config.message_burst, clock())

    def send_text(self, frame: str) -> None:
        self.socket.send_text(frame)

    def close(self, code: int, reason: str) -> None:
        self.socket.close(code, reason)

    def allowed(self) -> bool:
        """Take one message from the rate limit; False once the player sends faster than it allows."""
        return self._bucket.take(self._clock())


def _preflight(request: ApiRequest) -> ApiResponse:
    """A browser's CORS preflight, answered as Nakama's gateway answers it (any path, any origin)."""
    method = request.headers.get("access-control-request-method")
    if method is None:
        return ApiResponse(400)
    method = method.strip()
    if method not in CORS_METHODS:
        return ApiResponse(405)
    asked = [h.strip().lower() for h in request.headers.get("access-control-request-headers", "").split(",")]
    allowed = [h for h in asked if h and h not in CORS_SIMPLE_HEADERS]
    if any(h not in CORS_HEADERS for h in allowed):
        return ApiResponse(403)
    headers = [("Access-Control-Allow-Origin", "*")]
    if allowed:
        headers.append(("Access-Control-Allow-Headers", ",".join(allowed)))
    if method not in CORS_SIMPLE_METHODS:
        headers.append(("Access-Control-Allow-Methods", method))
    return ApiResponse(200, headers=tuple(headers))


def _json_body(request: ApiRequest) -> dict[str, Any]:
    """The request's JSON object body (``{}`` when empty); AuthError(400) if it is anything else."""
    if not request.body.strip():
        return {}
    try:
        obj = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise AuthError(400, "Unable to parse request body.") from None
    if not isinstance(obj, dict):
        raise AuthError(400, "Unable to parse request body: a JSON object is expected.")
    return obj


class Host:
    """The authoritative host: ``await start()``, serve, ``await stop()``."""

    def __init__(
        self,
        config: HostConfig = HostConfig(),
        *,
        scheduler: Scheduler | None = None,
        wall_clock: Callable[[], float] = time.time,
    ):
        self.config = config
        self._scheduler = scheduler  # None: the event loop's own clock and timers
        self._wall = wall_clock
        self._server: asyncio.Server | None = None
        self._store: GameStore | None = None
        self._issuer: TokenIssuer | None = None
        self.runtime: MatchRuntime | None = None
        self._sockets: dict[PlayerSocket, Connection] = {}
        self._no_sockets = asyncio.Event()  # set while no socket is open (stop waits on it)
        self._no_sockets.set()
        self._checkpoints: asyncio.Task[None] | None = None
        self._pending: dict[str, float] = {}  # user id -> deadline: sockets past their handshake check
        self._stopping = False
        self.port = 0
        self.tls = False

    @property
    def _clock(self) -> Callable[[], float]:
        assert self.runtime is not None
        return self.runtime.scheduler.time

    # Lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the data folder, the database and the TLS files, then listen. Raises HostError if it cannot."""
        if self._server is not None:
            raise HostError("the host is already running")
        cfg = self.config
        context: ssl.SSLContext | None = None
        if cfg.tls_cert is not None and cfg.tls_key is not None:
            try:
                context = tls.server_context(cfg.tls_cert, cfg.tls_key)
            except tls.TlsConfigError as exc:
                raise HostError(f"cannot serve TLS: {exc}") from exc
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
        loop = asyncio.get_running_loop()
        scheduler: Scheduler = self._scheduler if self._scheduler is not None else loop
        limits = FrontLimits(
            max_frame=4096,
            send_buffer=cfg.send_buffer_bytes,
            ping_interval=cfg.ping_interval,
            ping_timeout=cfg.ping_timeout,
            close_timeout=cfg.close_timeout,
            request_seconds=cfg.http_request_seconds,
            idle_seconds=cfg.http_idle_seconds,
        )
        try:
            self._server = await loop.create_server(
                front_factory(self, limits, context), cfg.bind, cfg.port, backlog=1024, reuse_address=True
            )
        except OSError as exc:
            store.close()
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(cfg.bind, cfg.port) from exc
            raise HostError(f"cannot listen on {cfg.bind} port {cfg.port}: {exc.strerror or exc}") from exc
        self._store = store
        if store.path is not None:
            self._checkpoints = loop.create_task(self._checkpoint_every(store, CHECKPOINT_SECONDS), name="checkpoints")
        self._issuer = TokenIssuer(secret, cfg.token_seconds, cfg.refresh_seconds, clock=self._wall)
        self.runtime = MatchRuntime(
            MatchSettings(
                turn_seconds=cfg.turn_seconds,
                grace_seconds=cfg.grace_seconds,
                rematch_seconds=cfg.rematch_seconds,
                join_timeout_seconds=cfg.join_timeout_seconds,
            ),
            store,
            scheduler,
            node=cfg.node,
            wall_clock=self._wall,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self.tls = context is not None
        self._stopping = False
        log.info(
            "listening on %s://%s:%d (data: %s; turn %gs, grace %gs, rematch %s)",
            "https" if self.tls else "http", cfg.bind, self.port, data_dir or "not kept", cfg.turn_seconds,
            cfg.grace_seconds, f"{cfg.rematch_seconds}s" if cfg.rematch_seconds is not None else "on request",
        )

    async def stop(self, notice: str = SHUTTING_DOWN) -> None:
        """Tell every match's players ``notice`` (plain text op 2), close every socket (1001), close the database."""
        server = self._server
        if server is None or self._stopping:
            return
        self._stopping = True
        assert self.runtime is not None
        self.runtime.terminate_all(notice)
        server.close()  # no new connections
        for socket in list(self._sockets):
            socket.close(CLOSE_GOING_AWAY, notice)
        try:
            await asyncio.wait_for(self._no_sockets.wait(), self.config.close_timeout + 1)
        except TimeoutError:
            pass  # the sockets still open are dropped below
        for socket in list(self._sockets):
            socket.abort()
        await server.wait_closed()
        await self._stop_checkpoints()
        if self._store is not None:
            self._store.close()
        self._server = None
        log.info("stopped (%d games recorded)", self.runtime.games_recorded)

    def abort(self) -> None:
        """Last resort, without waiting: stop listening and drop every socket (no notice, no goodbye)."""
        self._stopping = True
        for socket in list(self._sockets):
            socket.abort()
        server, self._server = self._server, None
        if server is not None:
            server.close()
        if self._checkpoints is not None:
            self._checkpoints.cancel()  # a checkpoint under way finishes before the store closes (its lock)
            self._checkpoints = None
        if self._store is not None:
            self._store.close()

    @staticmethod
    async def _checkpoint_every(store: GameStore, seconds: float) -> None:
        """Copy the database's write-ahead log back every ``seconds``, on a worker thread."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(seconds)
            try:
                await loop.run_in_executor(None, store.checkpoint)
            except StoreError as exc:
                log.warning("%s", exc)

    async def _stop_checkpoints(self) -> None:
        task, self._checkpoints = self._checkpoints, None
        if task is None:
            return
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)  # its cancellation, not ours

    def stats(self) -> HostStats:
        rt = self.runtime
        if rt is None:
            return HostStats(0, 0, 0, 0, 0, 0)
        return HostStats(
            connected=len(self._sockets),
            users=len(rt.connected_users()),
            matches=len(rt.matches),
            tickets=len(rt.matchmaker),
            games_recorded=rt.games_recorded,
            record_failures=rt.record_failures,
        )

    @property
    def running(self) -> bool:
        return self._server is not None and not self._stopping

    # HTTP ----------------------------------------------------------------------------------

    def http_request(self, request: ApiRequest) -> ApiResponse:
        """Answer the HTTP API: sign-in, refresh, the account, the health check; CORS as Nakama does."""
        if "origin" not in request.headers:
            return self._http_request(request)
        if request.method == "OPTIONS":
            return _preflight(request)
        response = self._http_request(request)
        return replace(response, headers=(*response.headers, ("Access-Control-Allow-Origin", "*")))

    def _http_request(self, request: ApiRequest) -> ApiResponse:
        path = request.path
        if path == SOCKET_PATH:
            return text_response(426, "Upgrade Required: /ws is the realtime socket (a WebSocket).\n")
        allowed = _METHODS.get(path)
        if allowed is None:
            return api_error(404, f"Nothing at {path[:100]}")
        if request.method not in allowed.split(", "):
            return api_error(405, f"Use {allowed.replace(', ', ' or ')} for {path}", allow=allowed)
        if path == HEALTH_PATH:
            return json_response(200, {})
        if self._stopping:
            return api_error(503, SHUTTING_DOWN)
        what = {SIGN_IN_PATH: "sign-in", REFRESH_PATH: "refresh", ACCOUNT_PATH: "account"}[path]
        try:
            if path == SIGN_IN_PATH:
                return self._sign_in(request)
            if path == REFRESH_PATH:
                return self._refresh(request)
            return self._account(request)
        except AuthError as exc:
            log.info("refused %s from %s: %s", what, request.remote, exc.message)
            return api_error(exc.status, exc.message)
        except StoreError:
            log.error("the %s of %s could not use the database", what, request.remote, exc_info=True)
            return api_error(500, "The server could not reach its database; try again.")

    def _sign_in(self, request: ApiRequest) -> ApiResponse:
        """Device sign-in: ``POST`` with ``{"id": DEVICE_ID}`` (Nakama's form), or ``GET`` with ``id`` in the query."""
        assert self._issuer is not None and self._store is not None
        check_server_key(request.headers.get("authorization"), self.config.server_key)
        device_id = _json_body(request).get("id") if request.method == "POST" else request.param("id")
        device_id = check_device_id(device_id)
        asked = clean_username(request.param("username"))
        create = (request.param("create", "true") or "true").lower() not in ("false", "0")
        uid = self._issuer.user_id_for_device(device_id)
        self._check_full(uid)
        name = self._store.account(uid)
        created = name is None
        if name is None:
            if not create:
                raise AuthError(404, "User account not found.")
            name = asked or made_up_username(self._store.name_taken)
            try:
                self._store.create_account(uid, name)
            except NameInUse:
                raise AuthError(409, NAME_IN_USE) from None
        else:
            self._store.seen(uid)  # an existing account keeps its name, as on Nakama: rename with PUT /v2/account
        tokens = self._issuer.issue(uid, name)
        log.info("sign-in: %s (user %s, %s) from %s", name, uid, "new" if created else "returning", request.remote)
        return json_response(200, {"created": created, "token": tokens.token, "refresh_token": tokens.refresh_token})

    def _refresh(self, request: ApiRequest) -> ApiResponse:
        """Refresh: ``POST`` with ``{"token": REFRESH_TOKEN}``, or ``GET`` with ``token`` in the query."""
        assert self._issuer is not None and self._store is not None
        check_server_key(request.headers.get("authorization"), self.config.server_key)
        token = _json_body(request).get("token") if request.method == "POST" else request.param("token")
        claims = self._issuer.verify_refresh(token if isinstance(token, str) else "")
        self._check_full(claims.uid)
        name = self._store.account(claims.uid) or claims.usn  # a rename since is carried by the new token
        tokens = self._issuer.issue(claims.uid, name)
        log.info("session refreshed: %s (user %s) from %s", name, claims.uid, request.remote)
        return json_response(200, {"created": False, "token": tokens.token, "refresh_token": tokens.refresh_token})

    def _account(self, request: ApiRequest) -> ApiResponse:
        """``GET`` the account, or ``PUT`` ``{"username": NAME}`` to rename it, with the session token as Bearer."""
        assert self._issuer is not None and self._store is not None
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        claims = self._issuer.verify_session(token.strip() if scheme.lower() == "bearer" else "")
        name = self._store.account(claims.uid)
        if name is None:
            raise AuthError(404, "User account not found.")
        if request.method == "GET":
            return json_response(200, {"user": {"id": claims.uid, "username": name}})
        wanted = clean_username(_json_body(request).get("username"))
        if wanted is not None and wanted != name:
            try:
                self._store.rename(claims.uid, wanted)
            except NameInUse:
                raise AuthError(400, NAME_IN_USE) from None
            log.info("renamed: %s is now %s (user %s)", name, wanted, claims.uid)
        return json_response(200, {})

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

    # Sockets ------------------------------------------------------------------------------

    def socket_request(self, request: ApiRequest) -> ApiResponse | Claims:
        """Check a ``/ws`` upgrade's token (and format); the claims let it in, a response refuses it."""
        assert self._issuer is not None
        if request.path != SOCKET_PATH:
            return text_response(404, f"Nothing at {request.path[:100]}")
        if self._stopping:
            return text_response(503, SHUTTING_DOWN)
        if request.param("format", "json") != "json":
            return text_response(400, "only format=json is supported")
        token = request.param("token")
        if not token:
            scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else ""
        try:
            claims = self._issuer.verify_session(token)
            self._check_full(claims.uid)
        except AuthError as exc:
            log.info("refused socket from %s: %s", request.remote, exc.message)
            return text_response(exc.status, exc.message)
        if self.config.max_players is not None:
            self._pending[claims.uid] = self._clock() + 15.0
        return claims

    def socket_opened(self, socket: PlayerSocket, owner: Any) -> None:
        claims: Claims = owner
        rt = self.runtime
        assert rt is not None
        self._pending.pop(claims.uid, None)
        if self._stopping:
            socket.close(CLOSE_GOING_AWAY, SHUTTING_DOWN)
            return
        presence = Presence(claims.uid, str(uuid.uuid4()), claims.usn, self.config.node)
        conn = Connection(socket, presence, self.config, self._clock)
        socket.owner = conn
        self._sockets[socket] = conn
        self._no_sockets.clear()
        rt.connect(conn)
        log.info("%s connected (user %s) from %s", presence.username, presence.user_id, socket.remote)

    def socket_text(self, socket: PlayerSocket, text: str) -> None:
        """Handle one frame completely: answer it, refuse it, or close the socket."""
        conn = self._sockets.get(socket)
        if conn is None:
            return
        if not conn.allowed():
            log.warning("%s sent too many messages; closing the socket", conn.presence.username)
            socket.close(CLOSE_POLICY, "too many messages")
            return
        try:
            envelope = decode_client(text)
        except ProtocolError as exc:
            if exc.fatal:
                log.info("%s sent a malformed payload (%s); closing the socket", conn.presence.username, exc.message)
                reason = exc.message if exc.message.startswith(MALFORMED) else f"{MALFORMED}: {exc.message}"
                socket.close(CLOSE_MALFORMED, reason)
            else:
                socket.send_text(error_envelope(exc))
            return
        try:
            self._dispatch(conn, envelope)
        except RequestError as exc:
            socket.send_text(encode(Envelope(Error(exc.code, exc.message), envelope.cid)))

    def socket_closed(self, socket: PlayerSocket) -> None:
        conn = self._sockets.pop(socket, None)
        if conn is None:
            return
        if not self._sockets:
            self._no_sockets.set()
        assert self.runtime is not None
        self.runtime.disconnect(conn)
        log.info(
            "%s disconnected (code %s%s)", conn.presence.username, socket.close_code,
            f", {socket.close_reason}" if socket.close_reason else "",
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

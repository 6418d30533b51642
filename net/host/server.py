"""The authoritative host's lifecycle: Nakama's HTTP API and realtime socket on one port, around ``MatchRuntime``.

``Host`` opens the data folder, the database, the token secret and the TLS files, listens,
and on the way out tells every player and closes every socket. It is the front's ``Site``
(``net.host.front``) and hands each request to the part that answers it: the HTTP API
(``net.host.api``: sign-in, refresh, the account, the health check) or the realtime side
(``net.host.dispatch``: ``/ws`` upgrades and their frames). The host is embeddable: the
game's network thread runs it on its own event loop for LAN play, and ``net.host.serve``
runs it headless.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from game.match import MatchSettings
from net import tls
from net.host import leaderboard, logfilter, seat_rpc, stats
from net.host.acceptor import Acceptor
from net.host.activity import Activity
from net.host.api import REFRESH_PATH, SHUTTING_DOWN, SIGN_IN_PATH, HttpApi
from net.host.auth import Claims, TokenIssuer, load_or_create_secret
from net.host.bans import Bans
from net.host.config import HostConfig, HostError, PortInUseError
from net.host.database import Database, StoreError
from net.host.dispatch import CLOSE_GOING_AWAY, Realtime
from net.host.front import FrontLimits, front_factory
from net.host.guard import Guard
from net.host.playersocket import PlayerSocket
from net.host.runtime import MatchRuntime, Scheduler
from net.host.seats import Seats
from net.host.web import ApiRequest, ApiResponse, api_error

log = logging.getLogger("net.host")
LOGGERS = ("net.host", "net.host.websockets")  # the host's own, whose repeated lines are rate-limited

FLUSH_SECONDS = 2.0  # at stop, how long games just finished may take to be written before players are told goodbye


@dataclass(frozen=True)
class HostStats:
    """A snapshot for operators and tests."""

    connected: int  # open sockets
    users: int  # distinct users with an open socket
    matches: int  # live matches
    tickets: int  # waiting matchmaker tickets
    games_recorded: int  # games written to the database since start (or kept in its spill file)
    record_failures: int  # games that could be neither written nor spilled (each logged as GAME NOT SAVED)


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
        self._server: Acceptor | None = None
        self.guard: Guard | None = None
        self._log_filter = logfilter.RepeatFilter()  # this host's repeated log lines, rate-limited while it listens
        self._db: Database | None = None
        self.runtime: MatchRuntime | None = None
        self._api: HttpApi | None = None
        self._realtime: Realtime | None = None
        self._stopping = False
        self.port = 0
        self.tls = False
        self.activity = Activity()  # what the host has done, counted for the admin listener's metrics
        self.bans = Bans(None, clock=wall_clock)  # read from the data folder at start

    # Lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the data folder, the database and the TLS files, then listen. Raises HostError if it cannot."""
        if self._server is not None:
            raise HostError("the host is already running")
        cfg = self.config
        context = self._tls_context()
        data_dir = Path(cfg.data_dir) if cfg.data_dir is not None else None
        try:
            if data_dir is not None:
                data_dir.mkdir(parents=True, exist_ok=True)
            secret = load_or_create_secret(data_dir)
            self.bans = Bans.load(data_dir, self._wall)
        except (OSError, ValueError) as exc:
            raise HostError(f"cannot use the data folder {data_dir}: {exc}") from exc
        try:
            db = await Database.open(data_dir, wall_clock=self._wall)
        except StoreError as exc:
            raise HostError(str(exc)) from exc
        loop = asyncio.get_running_loop()
        scheduler: Scheduler = self._scheduler if self._scheduler is not None else loop
        try:
            self._server = await self._listen(context)
        except OSError as exc:
            await db.close()
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(cfg.bind, cfg.port) from exc
            raise HostError(f"cannot listen on {cfg.bind} port {cfg.port}: {exc.strerror or exc}") from exc
        self._db = db
        self._serve(db, TokenIssuer(secret, cfg.token_seconds, cfg.refresh_seconds, clock=self._wall), scheduler)
        self.port = self._server.port
        self.tls = context is not None
        db.announce(f"{'https' if self.tls else 'http'}://{cfg.bind}:{self.port}")
        self._stopping = False
        log.info(
            "listening on %s://%s:%d (data: %s; turn %gs, grace %gs, rematch %s)",
            "https" if self.tls else "http", cfg.bind, self.port, data_dir or "not kept", cfg.turn_seconds,
            cfg.grace_seconds, f"{cfg.rematch_seconds}s" if cfg.rematch_seconds is not None else "on request",
        )

    def _tls_context(self) -> ssl.SSLContext | None:
        cfg = self.config
        if cfg.tls_cert is None or cfg.tls_key is None:
            return None
        try:
            return tls.server_context(cfg.tls_cert, cfg.tls_key)
        except tls.TlsConfigError as exc:
            raise HostError(f"cannot serve TLS: {exc}") from exc

    async def _listen(self, context: ssl.SSLContext | None) -> Acceptor:
        """Listen on the configured address and port; OSError if it cannot."""
        for name in LOGGERS:
            logging.getLogger(name).addFilter(self._log_filter)
        self.guard = guard = Guard(self.config)
        acceptor = Acceptor(front_factory(self, self._front_limits(), context, guard))
        await acceptor.listen(self.config.bind, self.config.port)
        return acceptor

    def _detach_log_filter(self) -> None:
        for name in LOGGERS:
            logging.getLogger(name).removeFilter(self._log_filter)

    def _front_limits(self) -> FrontLimits:
        cfg = self.config
        return FrontLimits(
            max_frame=4096,
            send_buffer=cfg.send_buffer_bytes,
            send_stall_seconds=cfg.send_stall_seconds,
            messages_per_second=cfg.messages_per_second,
            message_burst=cfg.message_burst,
            ping_interval=cfg.ping_interval,
            ping_timeout=cfg.ping_timeout,
            close_timeout=cfg.close_timeout,
            request_seconds=cfg.http_request_seconds,
            idle_seconds=cfg.http_idle_seconds,
        )

    def _serve(self, db: Database, issuer: TokenIssuer, scheduler: Scheduler) -> None:
        """Make the runtime and the two sides that answer requests."""
        cfg = self.config
        runtime = MatchRuntime(
            MatchSettings(
                turn_seconds=cfg.turn_seconds,
                grace_seconds=cfg.grace_seconds,
                rematch_seconds=cfg.rematch_seconds,
                join_timeout_seconds=cfg.join_timeout_seconds,
                idle_seconds=cfg.idle_seconds,
            ),
            db,
            scheduler,
            node=cfg.node,
            wall_clock=self._wall,
            ledger=db.ratings if cfg.ratings else None,
        )
        seats = Seats(cfg.max_players, runtime, scheduler.time)
        runtime.activity = self.activity
        seats.bans = self.bans
        self.runtime = runtime
        self._api = HttpApi(cfg, issuer, db.accounts, seats, self._is_stopping)
        self._api.route(leaderboard.PREFIX, leaderboard.LeaderboardApi(issuer, db.ratings).handle)
        rpc = seat_rpc.RpcApi(issuer, runtime, runtime.recent)
        rpc.register(stats.STATS_RPC, stats.StatsRpc(runtime, scheduler.time), stats.PAYLOAD_SHAPE)
        self._api.route(seat_rpc.PREFIX, rpc.handle)
        self._realtime = Realtime(cfg, issuer, runtime, seats, self._is_stopping, db.accounts)

    def _is_stopping(self) -> bool:
        return self._stopping

    async def stop(self, notice: str = SHUTTING_DOWN) -> None:
        """Tell every match's players ``notice`` (plain text op 2), close every socket (1001), close the database."""
        server = self._server
        if server is None or self._stopping:
            return
        self._stopping = True
        assert self.runtime is not None and self._realtime is not None and self._db is not None
        await self._db.flush(FLUSH_SECONDS)  # a game just finished: its row first, then its result, then the notice
        self.runtime.terminate_all(notice)
        server.close()  # no new connections
        self._detach_log_filter()
        sockets = self._realtime.sockets
        for socket in list(sockets):
            socket.close(CLOSE_GOING_AWAY, notice)
        try:
            await asyncio.wait_for(self._realtime.none_open.wait(), self.config.close_timeout + 1)
        except TimeoutError:
            pass  # the sockets still open are dropped below
        for socket in list(sockets):
            socket.abort()
        await server.wait_closed()
        await self._db.close()
        self._server = None
        log.info("stopped (%d games recorded)", self._db.games_kept)

    def abort(self) -> None:
        """Last resort, without waiting: stop listening and drop every socket (no notice, no goodbye)."""
        self._stopping = True
        if self._realtime is not None:
            for socket in list(self._realtime.sockets):
                socket.abort()
        server, self._server = self._server, None
        if server is not None:
            server.close()
        self._detach_log_filter()
        if self._db is not None:
            self._db.abort()  # its writer thread still writes what it holds, then closes the database

    def stats(self) -> HostStats:
        rt, db = self.runtime, self._db
        if rt is None or self._realtime is None or db is None:
            return HostStats(0, 0, 0, 0, 0, 0)
        return HostStats(
            connected=len(self._realtime.sockets),
            users=len(rt.connected_users()),
            matches=len(rt.matches),
            tickets=len(rt.matchmaker),
            games_recorded=db.games_kept,
            record_failures=db.games_lost,
        )

    @property
    def running(self) -> bool:
        return self._server is not None and not self._stopping

    # What the admin listener reads (net.host.admin, net.host.metrics) -----------------------------

    @property
    def realtime(self) -> Realtime | None:
        return self._realtime

    @property
    def database(self) -> Database | None:
        return self._db

    @property
    def acceptor(self) -> Acceptor | None:
        return self._server

    @property
    def log_filter(self) -> logfilter.RepeatFilter:
        return self._log_filter

    def wall_clock(self) -> float:
        return self._wall()

    # The front's Site: each request to the side that answers it ---------------------------------

    def http_request(self, request: ApiRequest) -> ApiResponse:
        response = self._answer_http(request)
        self.activity.http(request.path, response.status, response.body)
        return response

    def _answer_http(self, request: ApiRequest) -> ApiResponse:
        assert self._api is not None and self.guard is not None
        if request.path in (SIGN_IN_PATH, REFRESH_PATH) and request.method in ("GET", "POST"):
            wait = self.guard.sign_in(request.remote)
            if wait:
                log.warning("refused a sign-in from %s: more than %d a minute", request.remote, self.guard.sign_ins_per_minute)
                response = api_error(429, "Too many sign-ins from this address; try again in a minute.")
                return ApiResponse(429, response.body, headers=(("Retry-After", str(round(wait))),))
        return self._api.handle(request)

    def socket_request(self, request: ApiRequest) -> ApiResponse | Claims:
        assert self._realtime is not None
        answer = self._realtime.socket_request(request)
        if isinstance(answer, ApiResponse):
            self.activity.upgrade_refused(answer.status)
        return answer

    def socket_opened(self, socket: PlayerSocket, owner: Any) -> None:
        assert self._realtime is not None and isinstance(owner, Claims)
        self._realtime.socket_opened(socket, owner)

    def socket_text(self, socket: PlayerSocket, text: str) -> None:
        assert self._realtime is not None
        self._realtime.socket_text(socket, text)

    def socket_closed(self, socket: PlayerSocket) -> None:
        assert self._realtime is not None
        self._realtime.socket_closed(socket)

"""The admin listener: a second port of the host, for operators only, on the host's own event loop.

It reuses the host's front (``net.host.front``: h11 for HTTP/1.1, TLS told apart by the
first byte, every request bounded in size and time) and accept loop
(``net.host.acceptor``), with a ``Site`` of its own (``net.host.admin.site``) and a
``Guard`` of its own with small caps, rather than a second HTTP stack: the same parser,
limits and timeouts the players' port is tested with, and no thread. It is off unless
asked for, binds to loopback unless told otherwise, serves TLS with the host's own
certificate when the host has one, and refuses to start without a password of
``MIN_PASSWORD`` characters or more (``net.host.admin.access``).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import ssl
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from net import tls
from net.host.acceptor import Acceptor
from net.host.admin.access import MIN_PASSWORD, Access, AdminConfigError
from net.host.admin.audit import AUDIT_FILE, AuditLog
from net.host.admin.games import read_games
from net.host.admin.site import AdminSite, LeaderboardSource
from net.host.config import HostConfig, HostError
from net.host.front import FrontConnection, FrontLimits
from net.host.guard import Guard
from net.host.metrics import HostMetrics

if TYPE_CHECKING:
    from net.host.server import Host

log = logging.getLogger("net.host")

DEFAULT_BIND = "127.0.0.1"
MAX_CONNECTIONS = 64  # the admin listener's own caps: a few browsers and a scraper
MAX_PER_ADDRESS = 32


@dataclass(frozen=True)
class AdminSettings:
    """Where the admin listener listens and its password (kept out of ``repr``)."""

    port: int
    password: str = field(repr=False)
    bind: str = DEFAULT_BIND

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise AdminConfigError(f"the admin port must be 0 to 65535, not {self.port}")
        if len(self.password) < MIN_PASSWORD:
            raise AdminConfigError(f"the admin password must be at least {MIN_PASSWORD} characters")


class AdminListener:
    """``await start()`` after the host's, ``await stop()`` before it."""

    def __init__(self, host: Host, settings: AdminSettings, *, leaderboard: LeaderboardSource | None = None):
        self.host = host
        self.settings = settings
        self.leaderboard = leaderboard
        self.port = 0
        self.tls = False
        self.site: AdminSite | None = None
        self._acceptor: Acceptor | None = None
        self._metrics: HostMetrics | None = None
        self._connections: weakref.WeakSet[FrontConnection] = weakref.WeakSet()

    async def start(self) -> None:
        """Listen; HostError if it cannot (a port taken, a certificate unreadable). The host must be running."""
        host = self.host
        if not host.running:
            raise HostError("the admin listener needs a running host")
        context = self._tls_context()
        data_dir = host.config.data_dir
        audit = AuditLog(data_dir / AUDIT_FILE if data_dir is not None else None, host.wall_clock)
        await audit.load()
        database = host.database
        earlier = await asyncio.to_thread(read_games, database.path if database is not None else None)
        metrics = HostMetrics(host)
        site = AdminSite(host, Access(self.settings.password), metrics, audit, earlier, secure=context is not None,
                         leaderboard=self.leaderboard)
        guard = Guard(HostConfig(max_connections=MAX_CONNECTIONS, max_connections_per_address=MAX_PER_ADDRESS,
                                 sign_ins_per_minute=0))
        limits = FrontLimits()

        def connection() -> FrontConnection:
            conn = FrontConnection(site, limits, context, guard)
            self._connections.add(conn)
            return conn

        acceptor = Acceptor(connection)
        bind, port = self.settings.bind, self.settings.port
        try:
            await acceptor.listen(bind, port)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise HostError(f"the admin port {port} is already in use on {bind}") from exc
            raise HostError(f"cannot listen on {bind} port {port} for the admin listener: {exc.strerror or exc}") from exc
        self._acceptor, self._metrics, self.site = acceptor, metrics, site
        self.port = acceptor.port
        self.tls = context is not None
        metrics.start()
        scheme = "https" if self.tls else "http"
        log.info("admin listener on %s://%s:%d (metrics at /metrics, console at /console)", scheme, bind, self.port)

    def _tls_context(self) -> ssl.SSLContext | None:
        cfg = self.host.config
        if cfg.tls_cert is None or cfg.tls_key is None:
            return None
        try:
            return tls.server_context(cfg.tls_cert, cfg.tls_key)
        except tls.TlsConfigError as exc:
            raise HostError(f"cannot serve TLS on the admin listener: {exc}") from exc

    async def stop(self) -> None:
        """Stop listening, drop the open connections, and wait for the bans and the audit log to be on disk."""
        acceptor, self._acceptor = self._acceptor, None
        if acceptor is None:
            return
        acceptor.close()
        await acceptor.wait_closed()
        for conn in list(self._connections):
            conn.abort()
        if self._metrics is not None:
            await self._metrics.stop()
        await self.host.bans.flush()
        if self.site is not None:
            await self.site.audit.flush()
        log.info("admin listener stopped")

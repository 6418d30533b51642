"""The host's settings and the errors it raises when it cannot start."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from net.address import DEFAULT_PORT, DEFAULT_SERVER_KEY


class HostError(OSError):
    """The host cannot start (port taken, data folder unusable, ...); the message says why."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "the host cannot start"


class PortInUseError(HostError):
    """Another program already listens on the host's port."""

    def __init__(self, bind: str, port: int):
        super().__init__(f"port {port} is already in use on {bind}")
        self.bind = bind
        self.port = port


@dataclass(frozen=True)
class HostConfig:
    """Everything a host needs to know; the defaults are those of ``python main.py --serve``."""

    bind: str = "127.0.0.1"
    port: int = DEFAULT_PORT  # 0 picks a free port (see Host.port)
    server_key: str = DEFAULT_SERVER_KEY
    data_dir: Path | None = None  # None: nothing persisted (in-memory database, a fresh secret per run)
    turn_seconds: float = 30.0  # 0 turns the turn timer off
    grace_seconds: float = 20.0  # how long a dropped player's seat is held
    rematch_seconds: int | None = 10  # None: the next game starts only when both ask (op 4)
    max_players: int | None = None  # LAN games set 2: a third player is refused with HTTP 403
    token_seconds: int = 7200
    refresh_seconds: int = 86400
    join_timeout_seconds: float = 30.0  # a matched player who never joins ends the match
    idle_seconds: float | None = 300.0  # after a game between two revision-3 clients, how long the next may wait
    ratings: bool = True  # games of players paired by "Find an opponent" (no friend code) are rated (LAN games: False)
    node: str = "host"  # suffix of match ids ("<uuid>.host") and presences' node
    messages_per_second: float = 20.0  # frames per socket (pings and pongs too), sustained...
    message_burst: int = 40  # ...and in a burst; beyond that the socket is closed (1008)
    send_buffer_bytes: int = 64 * 1024  # unsent bytes a connection may have before it is dropped (a reader too slow)
    send_stall_seconds: float = 10.0  # a connection whose unsent data cannot drain this long is dropped
    max_connections: int | None = None  # open TCP connections; None: derived from the descriptor limit (see below)
    max_connections_per_address: int = 64  # open connections from one client address; 0: no limit
    sign_ins_per_minute: int = 30  # sign-ins and refreshes from one client address (a burst of as many); 0: no limit
    trusted_proxies: tuple[str, ...] = ()  # proxies whose X-Forwarded-For names the client (addresses or networks)
    ping_interval: float | None = 15.0  # WebSocket pings; a peer silent for interval + timeout is dropped
    ping_timeout: float | None = 10.0
    close_timeout: float = 5.0
    http_request_seconds: float = 10.0  # an HTTP request's head and body must arrive within this (else 408)
    http_idle_seconds: float = 30.0  # a keep-alive connection idle this long is closed
    tls_cert: Path | None = None  # with tls_key: serve HTTPS and WSS on the same port
    tls_key: Path | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0 to 65535, not {self.port}")
        if not self.server_key:
            raise ValueError("the server key must not be empty")
        if self.turn_seconds < 0 or self.grace_seconds < 0 or self.join_timeout_seconds <= 0:
            raise ValueError("turn_seconds and grace_seconds must be 0 or more, join_timeout_seconds more than 0")
        if self.rematch_seconds is not None and self.rematch_seconds < 0:
            raise ValueError("rematch_seconds must be 0 or more (or None)")
        if self.max_players is not None and self.max_players < 2:
            raise ValueError("max_players must be at least 2 (or None for no limit)")
        if self.token_seconds <= 0 or self.refresh_seconds <= 0:
            raise ValueError("token lifetimes must be positive")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("TLS needs both a certificate file and a key file")
        if "." in self.node or not self.node:
            raise ValueError("node must be a non-empty name without dots")
        self._check_limits()

    def _check_limits(self) -> None:
        if self.messages_per_second <= 0 or self.message_burst < 1 or self.send_buffer_bytes < 1:
            raise ValueError("message limits must be positive")
        if self.send_stall_seconds <= 0:
            raise ValueError("send_stall_seconds must be positive")
        if self.max_connections is not None and self.max_connections < 1:
            raise ValueError("max_connections must be at least 1 (or None to derive it from the descriptor limit)")
        if self.max_connections_per_address < 0 or self.sign_ins_per_minute < 0:
            raise ValueError("per-address limits must be 0 (none) or more")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"a trusted proxy must be an IP address or network, not {proxy!r}") from None

    def connection_limit(self) -> int:
        """``max_connections``, or what this process's descriptor limit leaves room for."""
        if self.max_connections is not None:
            return self.max_connections
        return connections_for_descriptors(descriptor_limit())


def descriptor_limit() -> int | None:
    """This process's soft limit on open descriptors (RLIMIT_NOFILE); None where there is none to read."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY or soft <= 0 else soft


def connections_for_descriptors(soft_limit: int | None) -> int:
    """Connections a host may hold open under a descriptor limit, keeping a quarter (24 to 128) for everything else.

    The rest: the database and its journal, log files, the listening sockets, the event
    loop's own, LAN discovery, and connections being refused while the host is full.
    Without a limit to read, 4096.
    """
    if soft_limit is None:
        return 4096
    headroom = max(24, min(128, soft_limit // 4))  # 24: uvloop holds six more than asyncio
    return max(1, soft_limit - headroom)

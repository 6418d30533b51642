"""The host's settings and the errors it raises when it cannot start."""

from __future__ import annotations

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
    node: str = "host"  # suffix of match ids ("<uuid>.host") and presences' node
    messages_per_second: float = 20.0  # per socket, sustained...
    message_burst: int = 40  # ...and in a burst; beyond that the socket is closed (1008)
    send_buffer_bytes: int = 256 * 1024  # bytes waiting for a slow reader before it is dropped
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
        if self.messages_per_second <= 0 or self.message_burst < 1 or self.send_buffer_bytes < 1:
            raise ValueError("message limits must be positive")
        if "." in self.node or not self.node:
            raise ValueError("node must be a non-empty name without dots")

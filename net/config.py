"""The network thread's knobs: timeouts, keepalive, backoff, LAN hosting (tests shrink them)."""

from __future__ import annotations

from dataclasses import dataclass

from net.host.config import HostConfig


@dataclass(frozen=True)
class SessionConfig:
    """Timeouts, keepalive, backoff and LAN hosting knobs."""

    http_timeout: float = 10.0  # sign-in, refresh and rename requests
    open_timeout: float = 10.0  # TCP connect, then the TLS and WebSocket handshakes
    request_timeout: float = 10.0  # a realtime request without an answer by then fails
    ping_interval: float = 10.0  # application pings
    dead_after: float = 20.0  # a connection silent this long is dead
    backoff_first: float = 0.5  # first reconnection delay, doubling...
    backoff_max: float = 8.0  # ...up to this
    backoff_jitter: float = 0.25  # each delay scaled by a random factor in 1 +/- this
    reconnect_attempts: int = 8  # tries in a row; a connection that drops within ``stable_after`` s counts as one
    stable_after: float = 5.0  # a connection that stays up this long resets the reconnection budget
    close_timeout: float = 0.5  # how long a clean close (socket, host) may take on the way out
    refresh_retry: float = 5.0  # after a failed token refresh, try again this much later
    name_tries: int = 10  # names tried when the one asked for is taken
    match_timeout: float | None = None  # a search with no match ends after this long (None: it waits on)
    hold_seconds: float = 20.0  # a match found while the player plays the bot waits this long for them (servers: 30 s)
    # The template of the embedded LAN host (bind, port, key and max_players are set per HostLan).
    lan_host: HostConfig = HostConfig(close_timeout=1.0)
    lan_port_tries: int = 10  # ports tried upwards from HostLan.port when it is taken
    lan_announce_interval: float = 1.0
    lan_expiry: float = 3.0  # a LAN game silent this long leaves the list

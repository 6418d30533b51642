"""LAN discovery, the finder's side: list the games whose beacons are heard, forget the silent ones.

The ``Listener`` keeps a table of games keyed by (sender address, advertised port),
forgets a game after ``expiry`` seconds of silence, and hands immutable snapshots to
``on_change``. Hosts announce with ``net.announcer``; the beacon's codec and values are
in ``net.beacon``, the machine's interfaces in ``net.interfaces``.

Listeners bind with SO_REUSEADDR and SO_REUSEPORT, so several games and finders on one
machine share the discovery port. Every listener receives a *broadcast* datagram; a
*unicast* one (``broadcast="127.0.0.1"``) reaches only one of them, so prefer a broadcast
address, even on loopback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from game.phrase import Phrase
from net.address import DEFAULT_DISCOVERY_PORT
from net.beacon import (
    DEFAULT_EXPIRY,
    BeaconError,
    BeaconTooLargeError,
    DiscoveredGame,
    decode_beacon,
)
from net.interfaces import is_ipv4

log = logging.getLogger(__name__)


class DiscoveryBindError(OSError):
    """The discovery port could not be bound (taken without address reuse, or a bad address)."""


@dataclass(frozen=True)
class ListenerStats:
    """What a listener has received: all datagrams, beacons listed, and what it ignored and why."""

    datagrams: int = 0
    beacons: int = 0
    incompatible: int = 0
    invalid: int = 0
    oversized: int = 0
    dropped: int = 0  # valid beacons refused because the table was full


Snapshot = tuple[DiscoveredGame, ...]


class Listener:
    """Listens on the discovery port and keeps the list of games heard recently.

    ``on_change`` is called on the loop's thread with the new snapshot whenever a game
    appears, disappears or changes (not when it merely announces itself again). A game
    is forgotten ``expiry`` seconds after its last beacon, measured with ``clock``
    (injectable; ``expire()`` applies it at once). Anything that is not a readable
    beacon is counted in ``stats`` and otherwise ignored.
    """

    def __init__(
        self,
        *,
        port: int = DEFAULT_DISCOVERY_PORT,
        bind_address: str = "0.0.0.0",
        expiry: float = DEFAULT_EXPIRY,
        on_change: Callable[[Snapshot], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sweep_interval: float = 0.5,
        max_games: int = 64,
    ) -> None:
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be from 0 to 65535, not {port!r}")
        if not is_ipv4(bind_address):
            raise ValueError(f"bind_address must be an IPv4 address, not {bind_address!r}")
        if not expiry > 0 or not sweep_interval > 0 or max_games < 1:
            raise ValueError("expiry and sweep_interval must be positive, max_games at least 1")
        self._port = port
        self._bind_address = bind_address
        self._expiry = expiry
        self._on_change = on_change
        self._clock = clock
        self._sweep_interval = sweep_interval
        self._max_games = max_games
        self._table: dict[tuple[str, int], DiscoveredGame] = {}
        self._snapshot: Snapshot = ()
        self._stats = ListenerStats()
        self._transport: asyncio.DatagramTransport | None = None
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The discovery port: the one bound once started (useful with port=0)."""
        return self._port

    @property
    def games(self) -> Snapshot:
        """The games listed now, compatible ones first, by host name."""
        return self._snapshot

    @property
    def stats(self) -> ListenerStats:
        return self._stats

    @property
    def running(self) -> bool:
        return self._transport is not None

    async def start(self) -> None:
        """Bind the discovery port and start listening; raises DiscoveryBindError if it cannot be bound."""
        if self._transport is not None:
            return
        sock = self._bind()
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(lambda: _ListenerProtocol(self._receive), sock=sock)
        except BaseException:
            sock.close()
            raise
        self._transport = transport
        self._sweeper = loop.create_task(self._sweep(), name="lan-listener-expiry")

    async def stop(self) -> None:
        """Stop listening, close the socket and clear the list (without calling on_change)."""
        sweeper, self._sweeper = self._sweeper, None
        if sweeper is not None:
            sweeper.cancel()
            try:
                await sweeper
            except asyncio.CancelledError:
                pass
        transport, self._transport = self._transport, None
        if transport is not None:
            protocol = transport.get_protocol()
            transport.close()
            if isinstance(protocol, _ListenerProtocol):
                await protocol.closed  # the socket is really closed only once the loop has run connection_lost
        self._table.clear()
        self._snapshot = ()

    def abort(self) -> None:
        """Stop at once, without waiting for the socket's close to be confirmed."""
        sweeper, self._sweeper = self._sweeper, None
        if sweeper is not None:
            sweeper.cancel()
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
        self._table.clear()
        self._snapshot = ()

    async def __aenter__(self) -> Listener:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def expire(self) -> None:
        """Forget the games silent for longer than ``expiry`` now, and report the change if any."""
        now = self._clock()
        stale = [key for key, game in self._table.items() if now - game.last_seen > self._expiry]
        for key in stale:
            del self._table[key]
        if stale:
            self._publish()

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                except OSError:  # declared but unsupported (some kernels, WSL1)
                    pass
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            sock.bind((self._bind_address, self._port))
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            error = DiscoveryBindError(
                exc.errno or 0,
                Phrase("cannot listen for LAN games on UDP {address}:{port}: {reason}", address=self._bind_address,
                       port=self._port, reason=str(exc.strerror or exc)),
            )
            raise error from exc
        self._port = sock.getsockname()[1]
        return sock

    def _receive(self, data: bytes, addr: tuple[str, int]) -> None:
        stats = self._stats
        stats = replace(stats, datagrams=stats.datagrams + 1)
        try:
            beacon = decode_beacon(data, addr)
        except BeaconTooLargeError:
            self._stats = replace(stats, oversized=stats.oversized + 1)
            return
        except BeaconError as exc:
            self._stats = replace(stats, invalid=stats.invalid + 1)
            log.debug("ignored datagram from %s: %s", addr, exc)
            return
        key = (beacon.address, beacon.port)
        if key not in self._table and len(self._table) >= self._max_games:
            self.expire()
            if len(self._table) >= self._max_games:
                self._stats = replace(stats, dropped=stats.dropped + 1)
                return
        self._stats = replace(stats, beacons=stats.beacons + 1, incompatible=stats.incompatible + (not beacon.compatible))
        game = DiscoveredGame(
            address=beacon.address,
            port=beacon.port,
            game=beacon.game,
            host=beacon.host,
            state=beacon.state,
            compatible=beacon.compatible,
            version=beacon.version,
            last_seen=self._clock(),
        )
        old = self._table.get(key)
        self._table[key] = game
        self._publish(notify=old is None or replace(old, last_seen=game.last_seen) != game)

    def _publish(self, notify: bool = True) -> None:
        self._snapshot = tuple(sorted(self._table.values(), key=_listing_order))
        if not notify or self._on_change is None:
            return
        try:
            self._on_change(self._snapshot)
        except Exception:  # a broken callback must not stop discovery
            log.exception("LAN discovery on_change callback failed")

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_interval)
            self.expire()


def _listing_order(game: DiscoveredGame) -> tuple[Any, ...]:
    return (not game.compatible, game.host.casefold(), game.game.casefold(),
            ipaddress.IPv4Address(game.address), game.port)


class _ListenerProtocol(asyncio.DatagramProtocol):
    """Hands each datagram to the listener; ICMP errors on a listening socket mean nothing here."""

    def __init__(self, receive: Callable[[bytes, tuple[str, int]], None]) -> None:
        self._receive = receive
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._receive(data, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("LAN discovery socket error: %s", exc)

"""The LAN host's side of discovery: its beacon, broadcast about once a second.

The announcer sends the beacon (``net.beacon``) to 255.255.255.255 and to each
interface's directed broadcast address (``net.interfaces``); one ``broadcast=`` setting,
or the ``TICTACTOE_BROADCAST`` environment variable, replaces all of them with a single
target, which tests set to 127.255.255.255. Finders listen with ``net.discovery``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, replace

from net.address import DEFAULT_DISCOVERY_PORT
from net.beacon import (
    DEFAULT_GAME_NAME,
    DEFAULT_GAME_PORT,
    DEFAULT_INTERVAL,
    LIMITED_BROADCAST,
    Beacon,
    HostState,
    encode_beacon,
)
from net.interfaces import Interface, ipv4_interfaces, is_ipv4

log = logging.getLogger(__name__)

BROADCAST_ENV = "TICTACTOE_BROADCAST"  # when set, every LAN announcement goes to this one address instead


def announce_targets(
    interfaces: Iterable[Interface], discovery_port: int, broadcast: str | None = None
) -> tuple[tuple[str, int], ...]:
    """Where an announcer sends: only ``broadcast`` when set, else the limited broadcast and each up interface's directed one."""
    if broadcast is not None:
        return ((broadcast, discovery_port),)
    addresses = [LIMITED_BROADCAST]
    addresses += sorted(
        {i.broadcast for i in interfaces if i.is_up and not i.is_loopback and i.broadcast},
        key=lambda a: ipaddress.IPv4Address(a),
    )
    return tuple((a, discovery_port) for a in dict.fromkeys(addresses))


@dataclass(frozen=True)
class AnnouncerStats:
    """How an announcer's sends went: datagrams sent, sends refused, and the last refusal."""

    sent: int = 0
    errors: int = 0
    last_error: str = ""


class Announcer:
    """Broadcasts a host's beacon about once a second on the running asyncio loop.

    ``broadcast`` (or, above it, the environment variable ``TICTACTOE_BROADCAST``)
    replaces every target with that one IPv4 address (tests use
    127.255.255.255 so nothing leaves the machine); without it the announcer sends to
    255.255.255.255 and to each interface's directed broadcast address, re-reading the
    interfaces every ``interface_refresh`` seconds. A refused send (no route, interface
    gone) is counted in ``stats`` and the announcer carries on.
    """

    def __init__(
        self,
        *,
        host: str,
        game: str = DEFAULT_GAME_NAME,
        port: int = DEFAULT_GAME_PORT,
        state: HostState = HostState.WAITING,
        discovery_port: int = DEFAULT_DISCOVERY_PORT,
        broadcast: str | None = None,
        interval: float = DEFAULT_INTERVAL,
        interface_refresh: float = 10.0,
    ) -> None:
        self._beacon = Beacon(game=game, host=host, port=port, state=state)
        self._datagram = encode_beacon(self._beacon)
        if not isinstance(discovery_port, int) or isinstance(discovery_port, bool) or not 1 <= discovery_port <= 65535:
            raise ValueError(f"discovery_port must be from 1 to 65535, not {discovery_port!r}")
        broadcast = os.environ.get(BROADCAST_ENV) or broadcast  # one switch for trying the game on a shared network
        if broadcast is not None and not is_ipv4(broadcast):
            raise ValueError(f"broadcast must be an IPv4 address, not {broadcast!r}")
        if not interval > 0 or not interface_refresh > 0:
            raise ValueError("interval and interface_refresh must be positive")
        self._discovery_port = discovery_port
        self._broadcast = broadcast
        self._interval = interval
        self._interface_refresh = interface_refresh
        self._targets: tuple[tuple[str, int], ...] = ()
        self._sock: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None
        self._stats = AnnouncerStats()

    @property
    def beacon(self) -> Beacon:
        """What is being announced now."""
        return self._beacon

    @property
    def targets(self) -> tuple[tuple[str, int], ...]:
        """The (address, port) pairs each announcement goes to; empty until started."""
        return self._targets

    @property
    def stats(self) -> AnnouncerStats:
        return self._stats

    @property
    def running(self) -> bool:
        return self._task is not None

    def update(
        self,
        *,
        state: HostState | None = None,
        host: str | None = None,
        game: str | None = None,
        port: int | None = None,
    ) -> None:
        """Change what is announced (typically the state) and, if running, announce it at once.

        Raises BeaconFieldError for a value a finder would refuse; the old beacon stays.
        Call it on the loop's thread.
        """
        old = self._beacon
        beacon = replace(
            old,
            state=old.state if state is None else state,
            host=old.host if host is None else host,
            game=old.game if game is None else game,
            port=old.port if port is None else port,
        )
        self._datagram = encode_beacon(beacon)
        self._beacon = beacon
        if self._sock is not None:
            self._send()

    async def start(self) -> None:
        """Open the sending socket, find the targets, announce once now and then every ``interval``."""
        if self._task is not None:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            sock.setblocking(False)
            sock.bind(("0.0.0.0", 0))
            self._targets = await self._find_targets()
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._send()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="lan-announcer")

    async def stop(self) -> None:
        """Stop announcing and close the socket; finders forget the game after their expiry."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def abort(self) -> None:
        """Stop at once, without waiting for the announcing task to finish."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    async def __aenter__(self) -> Announcer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _find_targets(self) -> tuple[tuple[str, int], ...]:
        if self._broadcast is not None:
            return announce_targets((), self._discovery_port, self._broadcast)
        interfaces = await asyncio.to_thread(ipv4_interfaces)
        return announce_targets(interfaces, self._discovery_port)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_refresh = loop.time() + self._interface_refresh
        while True:
            await asyncio.sleep(self._interval)
            if self._broadcast is None and loop.time() >= next_refresh:
                self._targets = await self._find_targets()
                next_refresh = loop.time() + self._interface_refresh
            self._send()

    def _send(self) -> None:
        assert self._sock is not None
        for target in self._targets:
            try:
                self._sock.sendto(self._datagram, target)
            except OSError as exc:  # no route, interface going down, buffer full: try again next time
                self._stats = replace(self._stats, errors=self._stats.errors + 1, last_error=f"{target[0]}: {exc}")
                log.debug("LAN beacon to %s failed: %s", target, exc)
            else:
                self._stats = replace(self._stats, sent=self._stats.sent + 1)

"""LAN discovery: hosts announce their game by UDP broadcast, finders list what they hear.

Two parts (the beacon codec and its values are in ``net.beacon``, without sockets):

* Interface discovery (``ipv4_interfaces``, ``lan_addresses``): the machine's IPv4
  addresses and their directed broadcast addresses, read from ``ip -j addr`` or, failing
  that, from the Linux ``SIOCGIFCONF`` ioctls. Nothing is ever sent to find them.
* ``Announcer`` and ``Listener``: asyncio components for the network thread's loop. The
  announcer sends the beacon about once a second to 255.255.255.255 and to each
  interface's directed broadcast address (one ``broadcast=`` setting replaces all of
  them with a single target, which tests set to 127.255.255.255). The listener keeps a
  table of games keyed by (sender address, advertised port), forgets a game after
  ``expiry`` seconds of silence, and hands immutable snapshots to ``on_change``.

Listeners bind with SO_REUSEADDR and SO_REUSEPORT, so several games and finders on one
machine share the discovery port. Every listener receives a *broadcast* datagram; a
*unicast* one (``broadcast="127.0.0.1"``) reaches only one of them, so prefer a broadcast
address, even on loopback.
"""

from __future__ import annotations

import array
import asyncio
import ipaddress
import json
import logging
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeGuard

from net.address import DEFAULT_DISCOVERY_PORT
from net.beacon import (
    DEFAULT_EXPIRY,
    DEFAULT_GAME_NAME,
    DEFAULT_GAME_PORT,
    DEFAULT_INTERVAL,
    LIMITED_BROADCAST,
    Beacon,
    BeaconError,
    BeaconTooLargeError,
    DiscoveredGame,
    HostState,
    decode_beacon,
    encode_beacon,
)

log = logging.getLogger(__name__)

BROADCAST_ENV = "TICTACTOE_BROADCAST"  # when set, every LAN announcement goes to this one address instead

# ------------------------------------------------------------------- interfaces


@dataclass(frozen=True)
class Interface:
    """One IPv4 address of a network interface, with its directed broadcast address if it has one."""

    name: str
    address: str
    prefixlen: int
    broadcast: str | None
    is_up: bool
    is_loopback: bool


def parse_ip_addr_json(text: str) -> list[Interface]:
    """The IPv4 addresses in the output of ``ip -j addr show``; unreadable input gives []."""
    try:
        links = json.loads(text)
    except ValueError:
        return []
    if not isinstance(links, list):
        return []
    out: list[Interface] = []
    for link in links:
        if not isinstance(link, dict) or not isinstance(link.get("ifname"), str):
            continue
        raw_flags = link.get("flags")
        flags: list[Any] = raw_flags if isinstance(raw_flags, list) else []
        is_up = "UP" in flags
        is_loopback = "LOOPBACK" in flags or link.get("link_type") == "loopback"
        can_broadcast = "BROADCAST" in flags
        raw_infos = link.get("addr_info")
        infos: list[Any] = raw_infos if isinstance(raw_infos, list) else []
        for info in infos:
            if not isinstance(info, dict) or info.get("family") != "inet":
                continue
            address, prefixlen, broadcast = info.get("local"), info.get("prefixlen"), info.get("broadcast")
            if not _is_ipv4(address) or not isinstance(prefixlen, int) or not 0 <= prefixlen <= 32:
                continue
            out.append(Interface(
                name=str(info.get("label") or link["ifname"]),
                address=address,
                prefixlen=prefixlen,
                broadcast=broadcast if can_broadcast and _is_ipv4(broadcast) else None,
                is_up=is_up,
                is_loopback=is_loopback or ipaddress.IPv4Address(address).is_loopback,
            ))
    return out


def ip_command_interfaces() -> list[Interface] | None:
    """Interfaces as iproute2's ``ip -j -4 addr show`` lists them; None when ``ip`` is missing or fails."""
    ip = shutil.which("ip")
    if ip is None:
        return None
    try:
        done = subprocess.run([ip, "-j", "-4", "addr", "show"], capture_output=True, text=True, timeout=3, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0 or not done.stdout.strip():
        return None
    return parse_ip_addr_json(done.stdout)


_SIOCGIFCONF = 0x8912
_SIOCGIFFLAGS = 0x8913
_SIOCGIFBRDADDR = 0x8919
_SIOCGIFNETMASK = 0x891B
_IFF_UP, _IFF_BROADCAST, _IFF_LOOPBACK = 0x1, 0x2, 0x8
_IFNAMSIZ = 16


def ioctl_interfaces() -> list[Interface] | None:
    """Interfaces from the Linux SIOCGIFCONF family of ioctls; None off Linux or when they fail."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import fcntl
    except ImportError:
        return None
    ifreq_size = 40 if struct.calcsize("P") == 8 else 32  # struct ifreq: name[16] + a 24 or 16 byte union
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            records = _ifconf(sock, fcntl, ifreq_size)
            out = []
            for name, address in records:
                request = name.encode()[:_IFNAMSIZ].ljust(ifreq_size, b"\0")
                flags = struct.unpack_from("H", fcntl.ioctl(sock.fileno(), _SIOCGIFFLAGS, request), _IFNAMSIZ)[0]
                netmask = socket.inet_ntoa(fcntl.ioctl(sock.fileno(), _SIOCGIFNETMASK, request)[20:24])
                broadcast = None
                if flags & _IFF_BROADCAST:
                    broadcast = socket.inet_ntoa(fcntl.ioctl(sock.fileno(), _SIOCGIFBRDADDR, request)[20:24])
                    if broadcast == "0.0.0.0":
                        broadcast = None
                out.append(Interface(
                    name=name,
                    address=address,
                    prefixlen=ipaddress.IPv4Network(f"0.0.0.0/{netmask}").prefixlen,
                    broadcast=broadcast,
                    is_up=bool(flags & _IFF_UP),
                    is_loopback=bool(flags & _IFF_LOOPBACK) or ipaddress.IPv4Address(address).is_loopback,
                ))
            return out
    except (OSError, ValueError, struct.error):
        return None


def _ifconf(sock: socket.socket, fcntl: Any, ifreq_size: int) -> list[tuple[str, str]]:
    """(interface label, IPv4 address) pairs from SIOCGIFCONF, growing the buffer until all fit."""
    count = 32
    while True:
        buf = array.array("B", bytes(count * ifreq_size))
        pointer, _ = buf.buffer_info()
        ifconf = struct.pack("iP", len(buf), pointer)  # struct ifconf { int ifc_len; char *ifc_buf; }
        length = struct.unpack("iP", fcntl.ioctl(sock.fileno(), _SIOCGIFCONF, ifconf))[0]
        if length < len(buf) or count >= 4096:
            break
        count *= 4
    data = buf.tobytes()[:length]
    pairs = []
    for offset in range(0, length - ifreq_size + 1, ifreq_size):
        name = data[offset:offset + _IFNAMSIZ].split(b"\0", 1)[0].decode(errors="replace")
        # the union holds a sockaddr_in: family (2 bytes), port (2), address (4)
        pairs.append((name, socket.inet_ntoa(data[offset + 20:offset + 24])))
    return pairs


def ipv4_interfaces() -> list[Interface]:
    """The machine's IPv4 addresses with their interfaces; [] when neither ``ip`` nor the ioctls work.

    Blocking (it may run ``ip`` for a few milliseconds): call it off the render thread.
    """
    for method in (ip_command_interfaces, ioctl_interfaces):
        found = method()
        if found is not None:
            return found
    return []


def lan_addresses() -> list[str]:
    """The non-loopback IPv4 addresses of interfaces that are up: what others on the LAN can type to join.

    Sends nothing. Off Linux (no ``ip``, no ioctls) it falls back to what the machine's
    own host name resolves to.
    """
    interfaces = ip_command_interfaces()
    if interfaces is None:
        interfaces = ioctl_interfaces()
    if interfaces is not None:
        addresses = [i.address for i in interfaces if i.is_up and not i.is_loopback]
    else:
        addresses = _hostname_addresses()
    return list(dict.fromkeys(a for a in addresses if not ipaddress.IPv4Address(a).is_loopback))


def _hostname_addresses() -> list[str]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET, socket.SOCK_DGRAM)
    except OSError:
        return []
    return [str(info[4][0]) for info in infos if _is_ipv4(info[4][0])]


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


def _is_ipv4(value: Any) -> TypeGuard[str]:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------- announcer


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
        if broadcast is not None and not _is_ipv4(broadcast):
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


# ---------------------------------------------------------------------- listener


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
        if not _is_ipv4(bind_address):
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
                f"cannot listen for LAN games on UDP {self._bind_address}:{self._port}: {exc.strerror or exc}",
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

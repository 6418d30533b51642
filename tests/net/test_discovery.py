"""LAN discovery: the beacon codec, interface discovery, and announcers and listeners over real UDP.

Every announcer here targets 127.255.255.255: Linux delivers a datagram sent there to
every socket bound to 0.0.0.0 on that port with SO_BROADCAST, so nothing leaves loopback.
Listeners bind port 0 and announcers are pointed at the port the kernel chose.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from net.address import DEFAULT_DISCOVERY_PORT
from net.announcer import Announcer, announce_targets
from net.beacon import (
    LIMITED_BROADCAST,
    MAGIC,
    MAX_BEACON_SIZE,
    PROTOCOL_VERSION,
    Beacon,
    BeaconError,
    BeaconFieldError,
    BeaconHeaderError,
    BeaconJSONError,
    BeaconMagicError,
    BeaconTooLargeError,
    DiscoveredGame,
    HostState,
    decode_beacon,
    encode_beacon,
)
from net.discovery import DiscoveryBindError, Listener
from net.interfaces import (
    Interface,
    ioctl_interfaces,
    ip_command_interfaces,
    ipv4_interfaces,
    lan_addresses,
    parse_ip_addr_json,
)

LOOPBACK_BROADCAST = "127.255.255.255"
SENDER = ("192.168.1.5", 40000)

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


def raw(body: object, version: int = PROTOCOL_VERSION) -> bytes:
    """A datagram with our header and ``body`` as JSON, for crafting bad beacons."""
    return MAGIC + str(version).encode() + b"\n" + json.dumps(body).encode()


GOOD = {"version": 1, "game": "Tic-tac-toe", "host": "Alice", "port": 7350, "state": "waiting"}


def with_(**changes: object) -> dict[str, object]:
    body = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            del body[key]
        else:
            body[key] = value
    return body


# ------------------------------------------------------------------------ codec


@pytest.mark.parametrize("state", list(HostState))
def test_beacon_round_trips_with_the_sender_address(state: HostState) -> None:
    beacon = Beacon(game="Tic-tac-toe", host="Zoë 🎲", port=40123, state=state)
    decoded = decode_beacon(encode_beacon(beacon), SENDER)
    assert decoded == replace(beacon, address="192.168.1.5")
    assert decoded.compatible


def test_beacon_wire_format_is_magic_version_newline_json() -> None:
    data = encode_beacon(Beacon(game="Tic-tac-toe", host="Alice"))
    head, _, body = data.partition(b"\n")
    assert head == b"XOXO-LAN/1"
    assert json.loads(body) == GOOD
    assert decode_beacon(data, "10.0.0.7").address == "10.0.0.7"


@settings(max_examples=200, deadline=None)
@given(
    game=st.text(st.characters(min_codepoint=0xA0, max_codepoint=0x10FFFF, exclude_categories=("Cs",)), max_size=64),
    host=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=64),
    port=st.integers(1, 65535),
    state=st.sampled_from(list(HostState)),
)
def test_any_valid_beacon_round_trips_within_the_size_cap(game: str, host: str, port: int, state: HostState) -> None:
    beacon = Beacon(game=game, host=host, port=port, state=state)
    data = encode_beacon(beacon)
    assert len(data) <= MAX_BEACON_SIZE
    assert decode_beacon(data, "10.1.2.3") == replace(beacon, address="10.1.2.3")


@pytest.mark.parametrize(
    "beacon",
    [
        Beacon(game="x" * 65, host="Alice"),
        Beacon(game="Tic-tac-toe", host="Al\nice"),
        Beacon(game="Tic-tac-toe", host="Al\x85ice"),
        Beacon(game="Tic-tac-toe", host=None),  # type: ignore[arg-type]
        Beacon(game="Tic-tac-toe", host="Alice", port=0),
        Beacon(game="Tic-tac-toe", host="Alice", port=65536),
        Beacon(game="Tic-tac-toe", host="Alice", port=True),
        Beacon(game="Tic-tac-toe", host="Alice", state="waiting"),  # type: ignore[arg-type]
        Beacon(game="Tic-tac-toe", host="Alice", state=None),
        Beacon(game="Tic-tac-toe", host="Alice", version=2),
    ],
)
def test_encode_refuses_what_a_finder_would_refuse(beacon: Beacon) -> None:
    with pytest.raises(BeaconFieldError):
        encode_beacon(beacon)


GARBAGE = [
    (b"", BeaconMagicError),
    (b"M-SEARCH * HTTP/1.1\r\n", BeaconMagicError),
    (b"xoxo-lan/1\n{}", BeaconMagicError),
    (MAGIC, BeaconHeaderError),
    (MAGIC + b"1", BeaconHeaderError),
    (MAGIC + b"1" + json.dumps(GOOD).encode(), BeaconHeaderError),
    (MAGIC + b"one\n{}", BeaconHeaderError),
    (MAGIC + b"-1\n{}", BeaconHeaderError),
    (MAGIC + b" 1\n{}", BeaconHeaderError),
    (MAGIC + b"1234567\n{}", BeaconHeaderError),
    (MAGIC + b"1\n", BeaconJSONError),
    (MAGIC + b"1\n{\"game\": ", BeaconJSONError),
    (MAGIC + b"1\n\xff\xfe{}", BeaconJSONError),
    (MAGIC + b"1\n[1, 2]", BeaconJSONError),
    (MAGIC + b"1\nnull", BeaconJSONError),
    (MAGIC + b"1\n" + b"[" * 1000, BeaconJSONError),
    (raw(with_(port=...)), BeaconFieldError),
    (raw(with_(port="7350")), BeaconFieldError),
    (raw(with_(port=7350.0)), BeaconFieldError),
    (raw(with_(port=True)), BeaconFieldError),
    (raw(with_(port=0)), BeaconFieldError),
    (raw(with_(port=65536)), BeaconFieldError),
    (raw(with_(game=5)), BeaconFieldError),
    (raw(with_(game=...)), BeaconFieldError),
    (raw(with_(host=None)), BeaconFieldError),
    (raw(with_(host="A" * 65)), BeaconFieldError),
    (raw(with_(host="Bob\x1b[31m")), BeaconFieldError),
    (raw(with_(state="lost")), BeaconFieldError),
    (raw(with_(state=1)), BeaconFieldError),
    (raw(with_(state=...)), BeaconFieldError),
    (raw(with_(version=...)), BeaconFieldError),
    (raw(with_(version=2)), BeaconFieldError),
    (raw(with_(version=True)), BeaconFieldError),
    (raw(with_(version="1")), BeaconFieldError),
    (raw(with_(host="x" * 1100)), BeaconTooLargeError),
    (encode_beacon(Beacon(game="Tic-tac-toe", host="Alice")).ljust(MAX_BEACON_SIZE + 1), BeaconTooLargeError),
]


@pytest.mark.parametrize(("data", "error"), GARBAGE)
def test_garbage_raises_a_precise_beacon_error(data: bytes, error: type[BeaconError]) -> None:
    with pytest.raises(error) as caught:
        decode_beacon(data, SENDER)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value)


def test_unknown_fields_of_our_version_are_ignored() -> None:
    beacon = decode_beacon(raw(with_(players=1, motd="hi")), SENDER)
    assert (beacon.host, beacon.port, beacon.state) == ("Alice", 7350, HostState.WAITING)


def test_another_version_decodes_as_incompatible_with_what_it_says() -> None:
    body = {"version": 2, "game": "Tic-tac-toe 2", "host": "Bob", "port": 9000, "state": "full", "new": [1]}
    beacon = decode_beacon(raw(body, version=2), SENDER)
    assert not beacon.compatible
    assert beacon == Beacon(game="Tic-tac-toe 2", host="Bob", port=9000, state=HostState.FULL, version=2,
                            address="192.168.1.5")


@pytest.mark.parametrize("body", [b"", b"\x00binary\xff", b"[]", json.dumps({"port": "x", "host": 3, "state": "?"}).encode()])
def test_another_version_with_an_unreadable_body_is_still_listed_as_incompatible(body: bytes) -> None:
    beacon = decode_beacon(MAGIC + b"7\n" + body, SENDER)
    assert beacon == Beacon(game="", host="", port=0, state=None, version=7, address="192.168.1.5")
    assert not beacon.compatible


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=1200), st.binary(max_size=200).map(lambda b: MAGIC + b),
                 st.binary(max_size=200).map(lambda b: MAGIC + b"1\n" + b)))
def test_decode_never_fails_other_than_with_a_beacon_error(data: bytes) -> None:
    try:
        beacon = decode_beacon(data, SENDER)
    except BeaconError:
        return
    assert isinstance(beacon, Beacon)


# ------------------------------------------------------------------- interfaces

IP_JSON = json.dumps([
    {"ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"], "link_type": "loopback",
     "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8, "scope": "host", "label": "lo"}]},
    {"ifindex": 2, "ifname": "wlan0", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "link_type": "ether",
     "addr_info": [
         {"family": "inet", "local": "192.168.1.5", "prefixlen": 24, "broadcast": "192.168.1.255", "label": "wlan0"},
         {"family": "inet", "local": "10.9.0.5", "prefixlen": 16, "broadcast": "10.9.255.255", "label": "wlan0:1"},
         {"family": "inet6", "local": "fe80::1", "prefixlen": 64},
     ]},
    {"ifindex": 3, "ifname": "eth1", "flags": ["BROADCAST", "MULTICAST"], "link_type": "ether",
     "addr_info": [{"family": "inet", "local": "172.16.0.2", "prefixlen": 12, "broadcast": "172.31.255.255"}]},
    {"ifindex": 4, "ifname": "tun0", "flags": ["POINTOPOINT", "NOARP", "UP"], "link_type": "none",
     "addr_info": [{"family": "inet", "local": "10.8.0.2", "prefixlen": 32, "address": "10.8.0.1"}]},
    {"ifindex": 5, "ifname": "eth2", "flags": ["BROADCAST", "UP"], "addr_info": []},
    {"ifindex": 6, "ifname": "odd", "flags": ["BROADCAST", "UP"],
     "addr_info": [{"family": "inet", "local": "not an ip", "prefixlen": 24}, {"family": "inet", "local": "10.0.0.1"}]},
    "garbage",
    {"ifname": 7},
])


def test_ip_json_output_is_parsed_into_interfaces() -> None:
    assert parse_ip_addr_json(IP_JSON) == [
        Interface("lo", "127.0.0.1", 8, None, is_up=True, is_loopback=True),
        Interface("wlan0", "192.168.1.5", 24, "192.168.1.255", is_up=True, is_loopback=False),
        Interface("wlan0:1", "10.9.0.5", 16, "10.9.255.255", is_up=True, is_loopback=False),
        Interface("eth1", "172.16.0.2", 12, "172.31.255.255", is_up=False, is_loopback=False),
        Interface("tun0", "10.8.0.2", 32, None, is_up=True, is_loopback=False),
    ]


@pytest.mark.parametrize("text", ["", "not json", "{}", "[1, 2]", "null"])
def test_unreadable_ip_output_gives_no_interfaces(text: str) -> None:
    assert parse_ip_addr_json(text) == []


def test_announcer_targets_are_the_limited_and_each_directed_broadcast() -> None:
    targets = announce_targets(parse_ip_addr_json(IP_JSON), 7351)
    # eth1 is down, tun0 has no broadcast, lo is loopback
    assert targets == ((LIMITED_BROADCAST, 7351), ("10.9.255.255", 7351), ("192.168.1.255", 7351))
    assert announce_targets([], 7351) == ((LIMITED_BROADCAST, 7351),)


def test_one_broadcast_setting_replaces_every_target() -> None:
    assert announce_targets(parse_ip_addr_json(IP_JSON), 9, broadcast=LOOPBACK_BROADCAST) == ((LOOPBACK_BROADCAST, 9),)


def test_lan_addresses_are_this_machines_up_non_loopback_ipv4_addresses() -> None:
    addresses = lan_addresses()
    expected = [i.address for i in ipv4_interfaces() if i.is_up and not i.is_loopback]
    assert addresses == list(dict.fromkeys(expected))
    for address in addresses:
        assert not ipaddress.IPv4Address(address).is_loopback


def test_the_ip_command_and_the_ioctls_agree_on_up_interfaces() -> None:
    from_ip, from_ioctl = ip_command_interfaces(), ioctl_interfaces()
    if from_ip is None or from_ioctl is None:
        pytest.skip("needs both iproute2's ip and the Linux interface ioctls")

    def up(interfaces: list[Interface]) -> set[tuple[str, int, str | None, bool]]:
        return {(i.address, i.prefixlen, i.broadcast, i.is_loopback) for i in interfaces if i.is_up}

    assert up(from_ioctl) <= up(from_ip)  # the ioctls do not see unlabelled secondary addresses


def test_announcer_refuses_bad_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TICTACTOE_BROADCAST", raising=False)  # it would stand in for the broadcast given
    with pytest.raises(ValueError):
        Announcer(host="Alice", broadcast="everyone")
    with pytest.raises(ValueError):
        Announcer(host="Alice", discovery_port=0)
    with pytest.raises(ValueError):
        Announcer(host="Alice", interval=0)
    with pytest.raises(BeaconFieldError):
        Announcer(host="x" * 100)
    with pytest.raises(ValueError):
        Listener(port=70000)
    with pytest.raises(ValueError):
        Listener(bind_address="localhost")  # a name would need a lookup: addresses only
    assert Listener().port == DEFAULT_DISCOVERY_PORT


# ------------------------------------------------------------ real UDP, loopback


class Watch:
    """An on_change callback that records snapshots and lets a test wait for one it expects."""

    def __init__(self) -> None:
        self.snapshots: list[tuple[DiscoveredGame, ...]] = []
        self._changed = asyncio.Event()

    def __call__(self, snapshot: tuple[DiscoveredGame, ...]) -> None:
        self.snapshots.append(snapshot)
        self._changed.set()

    async def until(self, predicate: Callable[[tuple[DiscoveredGame, ...]], bool],
                    limit: float = 10.0) -> tuple[DiscoveredGame, ...]:
        """The first snapshot satisfying ``predicate``; ``limit`` only guards against a hang."""
        async with asyncio.timeout(limit):
            while True:
                if self.snapshots and predicate(self.snapshots[-1]):
                    return self.snapshots[-1]
                self._changed.clear()
                await self._changed.wait()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def announcer(listener: Listener, **kwargs: object) -> Announcer:
    kwargs.setdefault("host", "Alice")
    kwargs.setdefault("interval", 0.05)
    return Announcer(discovery_port=listener.port, broadcast=LOOPBACK_BROADCAST, **kwargs)  # type: ignore[arg-type]


def send_raw(port: int, *datagrams: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        for datagram in datagrams:
            sock.sendto(datagram, (LOOPBACK_BROADCAST, port))


def test_one_host_is_found() -> None:
    async def scenario() -> None:
        watch = Watch()
        async with Listener(port=0, on_change=watch) as listener:
            host = announcer(listener, host="Alice", game="Tic-tac-toe", port=7350)
            async with host:
                assert host.targets == ((LOOPBACK_BROADCAST, listener.port),)
                (game,) = await watch.until(lambda s: len(s) == 1)
            assert (game.address, game.port, game.game, game.host) == ("127.0.0.1", 7350, "Tic-tac-toe", "Alice")
            assert game.state is HostState.WAITING and game.compatible and game.joinable
            assert game.endpoint == "127.0.0.1:7350"
            assert [replace(g, last_seen=game.last_seen) for g in listener.games] == [game]
            assert host.stats.sent >= 1 and host.stats.errors == 0
            assert listener.stats.invalid == 0

    run(scenario())


def test_two_hosts_on_different_ports_are_both_listed() -> None:
    async def scenario() -> None:
        watch = Watch()
        async with (
            Listener(port=0, on_change=watch) as listener,
            announcer(listener, host="Bob", port=7360),
            announcer(listener, host="alice", port=7350),
        ):
            games = await watch.until(lambda s: len(s) == 2)
        assert [(g.host, g.port) for g in games] == [("alice", 7350), ("Bob", 7360)]

    run(scenario())


def test_a_state_change_reaches_the_listener() -> None:
    async def scenario() -> None:
        watch = Watch()
        async with (
            Listener(port=0, on_change=watch) as listener,
            announcer(listener, interval=60) as host,  # only the first beacon and the update
        ):
            await watch.until(lambda s: len(s) == 1 and s[0].state is HostState.WAITING)
            host.update(state=HostState.FULL)
            (game,) = await watch.until(lambda s: len(s) == 1 and s[0].state is HostState.FULL)
            assert not game.joinable
            assert host.beacon.state is HostState.FULL
            with pytest.raises(BeaconFieldError):
                host.update(host="\x00")
            assert host.beacon.host == "Alice"

    run(scenario())


def test_a_silent_host_is_dropped_after_the_expiry() -> None:
    async def scenario() -> None:
        watch, clock = Watch(), FakeClock()
        async with Listener(port=0, on_change=watch, clock=clock, expiry=3.0) as listener:
            async with announcer(listener) as ann:
                await watch.until(lambda s: len(s) == 1)
            async with asyncio.timeout(10):  # every beacon sent is read (all at fake time 0) before time moves
                while listener.stats.datagrams < ann.stats.sent:
                    await asyncio.sleep(0.01)
            changes = len(watch.snapshots)
            clock.now = 2.9
            listener.expire()
            assert len(listener.games) == 1 and len(watch.snapshots) == changes
            clock.now = 3.1
            listener.expire()
            assert listener.games == ()
            assert watch.snapshots[-1] == ()

    run(scenario())


def test_repeated_beacons_keep_a_host_without_reporting_a_change() -> None:
    async def scenario() -> None:
        watch, clock = Watch(), FakeClock()
        async with Listener(port=0, on_change=watch, clock=clock) as listener:
            send_raw(listener.port, encode_beacon(Beacon(game="G", host="Alice")))
            await watch.until(lambda s: len(s) == 1)
            clock.now = 2.0
            send_raw(listener.port, encode_beacon(Beacon(game="G", host="Alice")),
                     encode_beacon(Beacon(game="G", host="Zed", port=9)))
            await watch.until(lambda s: len(s) == 2)
            clock.now = 4.0
            listener.expire()  # Alice was heard at 2.0, so she stays
            assert [g.host for g in listener.games] == ["Alice", "Zed"]
            assert [len(s) for s in watch.snapshots] == [1, 2]

    run(scenario())


def test_garbage_is_ignored_and_another_version_is_listed_as_incompatible() -> None:
    async def scenario() -> None:
        watch = Watch()
        async with Listener(port=0, on_change=watch) as listener:
            foreign = raw({"version": 9, "game": "Tic-tac-toe 9", "host": "Future", "port": 7400, "state": "waiting"},
                          version=9)
            send_raw(
                listener.port,
                encode_beacon(Beacon(game="Tic-tac-toe", host="Alice", port=7350)),
                b"SOMEOTHERGAME/1\n{}",
                MAGIC + b"1\n{broken json",
                raw(with_(port="7350")),
                encode_beacon(Beacon(game="Tic-tac-toe", host="Mallory")).ljust(4000),
                foreign,
                encode_beacon(Beacon(game="Tic-tac-toe", host="Bob", port=7360)),  # last: all before it were read
            )
            games = await watch.until(lambda s: any(g.host == "Bob" for g in s))
            assert [(g.host, g.port, g.compatible) for g in games] == [
                ("Alice", 7350, True), ("Bob", 7360, True), ("Future", 7400, False)]
            assert not games[2].joinable and games[2].version == 9
            stats = listener.stats
            assert (stats.datagrams, stats.beacons, stats.invalid, stats.oversized, stats.incompatible) == (7, 3, 3, 1, 1)

    run(scenario())


def test_the_table_is_capped() -> None:
    async def scenario() -> None:
        watch = Watch()
        async with Listener(port=0, on_change=watch, max_games=2) as listener:
            send_raw(listener.port, *(encode_beacon(Beacon(game="G", host=f"H{p}", port=p)) for p in (1, 2, 3, 4)),
                     encode_beacon(Beacon(game="G", host="H1", port=1, state=HostState.PLAYING)))
            await watch.until(lambda s: any(g.state is HostState.PLAYING for g in s))
            assert [g.port for g in listener.games] == [1, 2]
            assert listener.stats.dropped == 2

    run(scenario())


def test_two_listeners_on_one_port_both_see_the_beacon() -> None:
    async def scenario() -> None:
        first, second = Watch(), Watch()
        async with Listener(port=0, on_change=first) as one, Listener(port=one.port, on_change=second) as two:
            assert two.port == one.port
            async with announcer(one, host="Alice"):
                (a,) = await first.until(lambda s: len(s) == 1)
                (b,) = await second.until(lambda s: len(s) == 1)
        assert a.host == b.host == "Alice"

    run(scenario())


def test_a_port_taken_without_reuse_gives_a_clear_bind_error() -> None:
    async def scenario() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
            squatter.bind(("0.0.0.0", 0))
            port = squatter.getsockname()[1]
            listener = Listener(port=port)
            with pytest.raises(DiscoveryBindError) as caught:
                await listener.start()
            assert isinstance(caught.value, OSError)
            assert str(port) in str(caught.value) and "LAN games" in str(caught.value)
            assert not listener.running

    run(scenario())


def test_stop_closes_the_sockets_and_components_restart() -> None:
    async def scenario() -> None:
        watch = Watch()
        listener = Listener(port=0, on_change=watch)
        await listener.start()
        port = listener.port
        host = announcer(listener)
        await host.start()
        await watch.until(lambda s: len(s) == 1)
        await host.stop()
        await host.stop()  # stopping twice is harmless
        assert not host.running
        await listener.stop()
        assert not listener.running and listener.games == ()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as exclusive:
            exclusive.bind(("0.0.0.0", port))  # fails if the listener still held the port
        watch.snapshots.clear()
        await listener.start()
        await host.start()
        await watch.until(lambda s: len(s) == 1)
        await host.stop()
        await listener.stop()

    run(scenario())


def test_a_failing_on_change_callback_does_not_stop_discovery() -> None:
    async def scenario() -> None:
        calls: list[int] = []

        def broken(snapshot: tuple[DiscoveredGame, ...]) -> None:
            calls.append(len(snapshot))
            raise RuntimeError("UI queue gone")

        async with Listener(port=0, on_change=broken) as listener:
            send_raw(listener.port, encode_beacon(Beacon(game="G", host="A", port=1)))
            send_raw(listener.port, encode_beacon(Beacon(game="G", host="B", port=2)))
            async with asyncio.timeout(10):
                while len(listener.games) < 2:
                    await asyncio.sleep(0.01)
        assert calls == [1, 2]

    run(scenario())

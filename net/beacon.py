"""LAN beacons: what a host announces about its game, as bytes and as values (pure: no sockets).

A beacon is one UDP datagram of at most ``MAX_BEACON_SIZE`` bytes::

    XOXO-LAN/1\\n{"version":1,"game":"Tic-tac-toe","host":"Alice","port":7350,"state":"waiting"}

The header (magic and protocol version) is the stable part. A beacon of another
protocol version still decodes, best effort, into a ``Beacon`` whose ``compatible`` is
False, so a finder can show "incompatible version" instead of hiding the game.
``DiscoveredGame`` is a game as a finder lists it; screens import these values
without the sockets of ``net.announcer`` and ``net.discovery``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from net.address import DEFAULT_PORT

PROTOCOL_VERSION = 1
MAGIC = b"XOXO-LAN/"
MAX_BEACON_SIZE = 1024
MAX_NAME_LENGTH = 64
DEFAULT_GAME_PORT = DEFAULT_PORT
DEFAULT_GAME_NAME = "Tic-tac-toe"
DEFAULT_INTERVAL = 1.0
DEFAULT_EXPIRY = 3.0
LIMITED_BROADCAST = "255.255.255.255"

_MAX_VERSION_DIGITS = 6


class HostState(enum.StrEnum):
    """What a host's game is doing, as its beacon says."""

    WAITING = "waiting"  # one player waits for an opponent: joinable
    PLAYING = "playing"  # both seats taken, a game under way
    FULL = "full"  # both seats taken, between games


# ---------------------------------------------------------------------------- codec


class BeaconError(ValueError):
    """A datagram on the discovery port that is not a beacon we can read."""


class BeaconTooLargeError(BeaconError):
    """The datagram is longer than MAX_BEACON_SIZE bytes."""


class BeaconMagicError(BeaconError):
    """The datagram does not start with our magic: another program's traffic."""


class BeaconHeaderError(BeaconError):
    """Our magic, but no readable protocol version after it."""


class BeaconJSONError(BeaconError):
    """The body is not UTF-8 JSON text holding an object."""


class BeaconFieldError(BeaconError):
    """A field is missing, of the wrong type or out of range."""


@dataclass(frozen=True)
class Beacon:
    """One host's announcement: its game, its name, where to connect, and whether it waits.

    ``address`` is the sender's IP, filled in by ``decode_beacon`` (never sent: the
    receiver trusts the datagram's source). ``state`` is None only in a beacon of another
    protocol version that did not say it in a form we read.
    """

    game: str
    host: str
    port: int = DEFAULT_GAME_PORT
    state: HostState | None = HostState.WAITING
    version: int = PROTOCOL_VERSION
    address: str = ""

    @property
    def compatible(self) -> bool:
        """True when the host speaks our protocol version, so we can join it."""
        return self.version == PROTOCOL_VERSION


def encode_beacon(beacon: Beacon) -> bytes:
    """The datagram announcing ``beacon``; raises BeaconFieldError for a value a finder would refuse."""
    if beacon.version != PROTOCOL_VERSION:
        raise BeaconFieldError(f"can only encode protocol version {PROTOCOL_VERSION}, not {beacon.version!r}")
    _check_name("game", beacon.game)
    _check_name("host", beacon.host)
    _check_port(beacon.port)
    if not isinstance(beacon.state, HostState):
        raise BeaconFieldError(f"state must be a HostState, not {beacon.state!r}")
    body = {
        "version": PROTOCOL_VERSION,
        "game": beacon.game,
        "host": beacon.host,
        "port": beacon.port,
        "state": beacon.state.value,
    }
    data = _header(PROTOCOL_VERSION) + json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    if len(data) > MAX_BEACON_SIZE:  # unreachable with the name limits, kept as the wire's promise
        raise BeaconTooLargeError(f"beacon of {len(data)} bytes exceeds {MAX_BEACON_SIZE}")
    return data


def decode_beacon(data: bytes, addr: str | tuple[str, int]) -> Beacon:
    """The beacon in datagram ``data`` from ``addr`` (an IP or a recvfrom address); raises a BeaconError subclass."""
    address = addr if isinstance(addr, str) else str(addr[0])
    if len(data) > MAX_BEACON_SIZE:
        raise BeaconTooLargeError(f"datagram of {len(data)} bytes exceeds {MAX_BEACON_SIZE}")
    if not data.startswith(MAGIC):
        raise BeaconMagicError("not a XOXO LAN beacon (wrong magic)")
    head, newline, body = data[len(MAGIC):].partition(b"\n")
    if not newline or not head.isdigit() or len(head) > _MAX_VERSION_DIGITS:
        raise BeaconHeaderError("beacon header must be the magic, a version number and a newline")
    version = int(head)
    if version != PROTOCOL_VERSION:
        return _decode_foreign(version, body, address)
    obj = _json_object(body)
    if obj.get("version") != version or isinstance(obj.get("version"), bool):
        raise BeaconFieldError(f"body version {obj.get('version')!r} does not match header version {version}")
    game = _field(obj, "game")
    host = _field(obj, "host")
    _check_name("game", game)
    _check_name("host", host)
    port = _field(obj, "port")
    _check_port(port)
    raw_state = _field(obj, "state")
    try:
        state = HostState(raw_state)
    except ValueError:
        raise BeaconFieldError(f"state must be one of {[s.value for s in HostState]}, not {raw_state!r}") from None
    return Beacon(game=game, host=host, port=port, state=state, version=version, address=address)


def _header(version: int) -> bytes:
    return MAGIC + str(version).encode() + b"\n"


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BeaconJSONError(f"beacon body is not UTF-8 JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise BeaconJSONError(f"beacon body must be a JSON object, not {type(obj).__name__}")
    return obj


def _field(obj: Mapping[str, Any], key: str) -> Any:
    if key not in obj:
        raise BeaconFieldError(f"beacon has no {key!r}")
    return obj[key]


def _check_name(key: str, value: Any) -> str:
    """``value`` if it can be a beacon's name field; BeaconFieldError saying why not."""
    if not isinstance(value, str):
        raise BeaconFieldError(f"{key} must be a string, not {type(value).__name__}")
    if len(value) > MAX_NAME_LENGTH:
        raise BeaconFieldError(f"{key} is longer than {MAX_NAME_LENGTH} characters")
    if any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in value):
        raise BeaconFieldError(f"{key} contains control characters")
    return value


def _check_port(value: Any) -> int:
    """``value`` if it is a port number; BeaconFieldError if not."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        raise BeaconFieldError(f"port must be an integer from 1 to 65535, not {value!r}")
    return value


def _decode_foreign(version: int, body: bytes, address: str) -> Beacon:
    """Another protocol version: keep whatever we can read, so the game shows as incompatible."""
    try:
        obj: Mapping[str, Any] = _json_object(body)
    except BeaconJSONError:
        obj = {}

    def name(key: str) -> str:
        try:
            return _check_name(key, obj.get(key))
        except BeaconFieldError:
            return ""

    try:
        port = _check_port(obj.get("port"))
    except BeaconFieldError:
        port = 0
    state_word = obj.get("state")
    try:
        state = HostState(state_word) if isinstance(state_word, str) else None
    except ValueError:
        state = None
    return Beacon(game=name("game"), host=name("host"), port=port, state=state, version=version, address=address)


@dataclass(frozen=True)
class DiscoveredGame:
    """A game heard on the LAN, as a finder lists it. ``last_seen`` is in the listener's clock's seconds."""

    address: str
    port: int
    game: str
    host: str
    state: HostState | None
    compatible: bool
    version: int
    last_seen: float

    @property
    def joinable(self) -> bool:
        """True when we speak its protocol and its host waits for an opponent."""
        return self.compatible and self.state is HostState.WAITING

    @property
    def endpoint(self) -> str:
        """'address:port', as a player would type it."""
        return f"{self.address}:{self.port}"

"""Who may take the host's resources, and how much: open connections, per address and in all, and sign-ins.

The host holds at most ``HostConfig.connection_limit()`` connections (by default what
the descriptor limit leaves room for) and at most ``max_connections_per_address`` from
one client address, as nginx's ``limit_conn`` would; sign-ins and refreshes from one
address are limited to ``sign_ins_per_minute`` (a burst of as many, refilled evenly), as
``limit_req`` would. A connection over a cap is still answered (503, ``Retry-After``)
rather than dropped in silence, as long as the connections being refused stay few; past
that the host sheds them at once. A client's address is the TCP peer's, or, when that
peer is one of ``trusted_proxies``, the right-most address of ``X-Forwarded-For`` that is
not a trusted proxy itself.
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from net.host.config import HostConfig

MAX_REFUSING = 64  # connections at once being answered 503; past that, new ones over a cap are closed unanswered
MAX_ADDRESSES = 10_000  # addresses whose sign-in rate is remembered (the least recently seen are forgotten)

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class TokenBucket:
    """``rate`` events a second on average, ``burst`` at once."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int, now: float):
        self.rate, self.burst, self.tokens, self.stamp = rate, float(burst), float(burst), now

    def take(self, now: float) -> bool:
        """Spend one token; False (and nothing spent) when there is none."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True

    def wait(self) -> float:
        """Seconds until the next token (0 when one is there)."""
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate


@dataclass(frozen=True)
class Admission:
    """What a new connection is told: admitted, refused with an answer (503), or dropped unanswered."""

    admitted: bool
    answer: bool = True  # a refused connection is answered 503 (False: it is closed at once)
    reason: str = ""


ADMITTED = Admission(True)


class Guard:
    """The host's connection and sign-in accounting (one per running host, used on its event loop)."""

    def __init__(self, config: HostConfig, clock: Callable[[], float] = time.monotonic):
        self.limit = config.connection_limit()
        self.per_address = config.max_connections_per_address
        self.sign_ins_per_minute = config.sign_ins_per_minute
        self.proxies: tuple[IpNetwork, ...] = tuple(ipaddress.ip_network(p, strict=False) for p in config.trusted_proxies)
        self._clock = clock
        self.open = 0  # admitted connections now open
        self.refusing = 0  # connections over a cap, being answered 503
        self.limits_hit: dict[str, int] = {}  # kind -> times hit, for the metrics (net.host.metrics.LIMIT_KINDS)
        self._by_address: dict[str, int] = {}
        self._sign_ins: OrderedDict[str, TokenBucket] = OrderedDict()

    def admit(self, peer: str) -> Admission:
        """A connection from ``peer`` was accepted: let it in, or say how to refuse it. Pair with ``release``."""
        if self.open >= self.limit:
            why = f"the server is full ({self.limit} connections)"
            self.hit("connections")
        elif self.per_address and not self.trusted(peer) and self._by_address.get(peer, 0) >= self.per_address:
            why = f"too many connections from {peer} ({self.per_address})"
            self.hit("connections_per_address")
        else:
            self.open += 1
            self._by_address[peer] = self._by_address.get(peer, 0) + 1
            return ADMITTED
        if self.refusing >= MAX_REFUSING:
            return Admission(False, answer=False, reason=why)
        self.refusing += 1
        return Admission(False, reason=why)

    def release(self, peer: str, admission: Admission) -> None:
        """The connection ``admit`` was asked about has closed."""
        if not admission.admitted:
            if admission.answer:
                self.refusing -= 1
            return
        self.open -= 1
        left = self._by_address.get(peer, 0) - 1
        if left > 0:
            self._by_address[peer] = left
        else:
            self._by_address.pop(peer, None)

    def hit(self, kind: str) -> None:
        """Count one time a limit was hit (the front and the sockets call it too)."""
        self.limits_hit[kind] = self.limits_hit.get(kind, 0) + 1

    def connections_from(self, peer: str) -> int:
        return self._by_address.get(peer, 0)

    def sign_in(self, client: str) -> float:
        """Count a sign-in (or refresh) from ``client``: 0 if allowed, else the seconds until one would be."""
        if not self.sign_ins_per_minute:
            return 0.0
        now = self._clock()
        bucket = self._sign_ins.get(client)
        if bucket is None:
            bucket = TokenBucket(self.sign_ins_per_minute / 60.0, self.sign_ins_per_minute, now)
            self._sign_ins[client] = bucket
            if len(self._sign_ins) > MAX_ADDRESSES:
                self._sign_ins.popitem(last=False)
        else:
            self._sign_ins.move_to_end(client)
        if bucket.take(now):
            return 0.0
        self.hit("sign_ins_per_address")
        return max(1.0, bucket.wait())

    def trusted(self, peer: str) -> bool:
        """Whether ``peer`` is one of the trusted proxies."""
        if not self.proxies:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.proxies)

    def client_address(self, peer: str, forwarded_for: str | None) -> str:
        """The client a request comes from: ``peer``, or what a trusted proxy says in ``X-Forwarded-For``."""
        if forwarded_for is None or not self.trusted(peer):
            return peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
            try:
                address = str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a hop we cannot read: trust nothing before it
            if not self.trusted(address):
                return address
        return peer

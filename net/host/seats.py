"""Who may come in when the host has a player limit (LAN games: two).

A player counts as present while they have an open socket, hold a seat in a live match
(also within their grace period), or have just passed a socket upgrade's check and not
yet opened it. Sign-in, refresh and the upgrade all ask the same question here, so a
third player is refused the same way at each door (HTTP 403, "This game is full").
"""

from __future__ import annotations

from collections.abc import Callable

from net.host.auth import AuthError
from net.host.bans import Bans
from net.host.runtime import MatchRuntime

GAME_FULL = "This game is full"
HANDSHAKE_SECONDS = 15.0  # how long a checked upgrade holds its place before the socket opens


class Seats:
    """The player limit (``None``: none) over the runtime's view of who is here."""

    def __init__(self, limit: int | None, runtime: MatchRuntime, clock: Callable[[], float]):
        self.limit = limit
        self._runtime = runtime
        self._clock = clock
        self._pending: dict[str, float] = {}  # user id -> deadline: upgrades past their check
        self.bans: Bans | None = None  # the host's bans: a banned account is refused at every door too

    def check(self, uid: str) -> None:
        """AuthError(403) if ``uid`` is banned (the sentence says why), or is not here yet and the host is full."""
        banned = self.bans.refusal(uid) if self.bans is not None else None
        if banned is not None:
            raise AuthError(403, banned)
        if self.limit is None:
            return
        now = self._clock()
        self._pending = {u: t for u, t in self._pending.items() if t > now}
        rt = self._runtime
        present = set(rt.connected_users()) | rt.seated_users() | set(self._pending)
        if uid not in present and len(present) >= self.limit:
            raise AuthError(403, GAME_FULL)

    def hold(self, uid: str) -> None:
        """An upgrade passed its check: keep its place until the socket opens (or a deadline)."""
        if self.limit is not None:
            self._pending[uid] = self._clock() + HANDSHAKE_SECONDS

    def release(self, uid: str) -> None:
        """The socket opened: the runtime now counts it."""
        self._pending.pop(uid, None)

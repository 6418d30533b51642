"""The RPC ``xoxo_stats``: who is around, as the online screens show it ("12 players online · 3 games").

``POST /v2/rpc/xoxo_stats`` with the session token, in Nakama's RPC shape (``net.host.seat_rpc``
answers the path; the payload is ignored), answers ``{"payload": "{\\"online\\":12,\\"games\\":3}"}``:

* ``online``: players with a socket open to the server (each counted once, whatever their sessions);
* ``games``: matches with both players in them, connected (playing, or between two games), as Nakama counts a
  match's size; ended ones left out.

Clients ask every few seconds while a screen shows the figures, so the answer is computed at
most once a second (``CACHE_SECONDS``) however many ask. The Nakama module registers the same
function (``nakama/xoxo_plus_main.lua``); a server without it answers 404 (code 5) and the
client shows nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the runtime is the server's; this module only reads it
    from net.host.runtime import MatchRuntime

STATS_RPC = "xoxo_stats"
PAYLOAD_SHAPE = "xoxo_stats takes no payload, or a JSON object"
CACHE_SECONDS = 1.0


def stats_answer(runtime: MatchRuntime) -> dict[str, Any]:
    """The figures now: players online, games with both players in them."""
    online = len(runtime.connected_users())
    games = sum(1 for live in runtime.matches.values() if not live.match.ended and len(live.match.connected_presences()) == 2)
    return {"online": online, "games": games}


class StatsRpc:
    """``xoxo_stats`` for ``RpcApi.register``: the figures, kept for ``CACHE_SECONDS``."""

    def __init__(self, runtime: MatchRuntime, clock: Callable[[], float]):
        self._runtime = runtime
        self._clock = clock
        self._answer: dict[str, Any] | None = None
        self._until = 0.0

    def __call__(self, user_id: str, payload: str) -> dict[str, Any] | None:
        """The figures; None (refused) for a payload other than nothing or a JSON object."""
        if not _empty(payload):
            return None
        now = self._clock()
        if self._answer is None or now >= self._until:
            self._answer = stats_answer(self._runtime)
            self._until = now + CACHE_SECONDS
        return dict(self._answer)


def _empty(payload: str) -> bool:
    """Nothing, or a JSON object (whose fields mean nothing here)."""
    if not payload.strip():
        return True
    try:
        return isinstance(json.loads(payload), dict)
    except (ValueError, RecursionError):
        return False

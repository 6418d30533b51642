"""Who is around on a server: the RPC ``xoxo_stats`` as values; no I/O.

``POST /v2/rpc/xoxo_stats`` (Nakama's RPC shape: the payload a JSON *string*, the answer
``{"payload": "<json>"}``) answers ``{"online": N, "games": M}`` on our host and on Nakama
with our module (docs/PROTOCOL.md, "Who is around"). A server without the function (the
stock XOXO module) answers 404 with code 5: the screens then show nothing.
"""

from __future__ import annotations

import json
from typing import Any

from net.messages import StatsLoaded

STATS_RPC = "xoxo_stats"
PATH = f"/v2/rpc/{STATS_RPC}"
REFRESH_SECONDS = 5.0  # how often a screen showing the figures asks again
MAX_COUNT = 10_000_000  # a figure above this is not one a server means


def request_body() -> bytes:
    """The RPC's HTTP body: the empty payload ``{}`` as a JSON string."""
    return json.dumps("{}").encode()


def read_answer(body: bytes) -> StatsLoaded | None:
    """The figures from ``{"payload": "{\\"online\\": N, \\"games\\": M}"}``; None if they are not there."""
    try:
        outer = json.loads(body)
        payload = json.loads(outer["payload"]) if isinstance(outer, dict) and isinstance(outer.get("payload"), str) else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    online, games = _count(payload.get("online")), _count(payload.get("games"))
    if online is None or games is None:
        return None
    return StatsLoaded(online, games)


def _count(value: Any) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        return None
    return value

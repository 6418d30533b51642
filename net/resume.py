"""Coming back to a game after a crash: the RPC ``xoxo_seat`` and its answers, as values; no I/O.

A client that was killed mid-game remembers (in the UI's per-user data) the server, the
account, the match id and the game. After a relaunch it asks the server about that seat
(docs/PROTOCOL.md, "Coming back to a game") with Nakama's RPC over HTTP, ``POST
/v2/rpc/xoxo_seat``, whose body is the payload as a JSON *string* and whose answer's
``payload`` is one too. ``read_answer`` turns the answer into a ``SeatAnswer``:

* ``HELD``: the seat is held ``seconds_left`` more; a ``match_join`` by the id resumes the game;
* ``SEATED``: the player is in that match right now, from another session;
* ``OVER``: the game ended, with the player's result, the reason and any rating change;
* ``UNKNOWN``: the server knows nothing of it (History keeps it as abandoned);
* ``UNSUPPORTED``: the server has no such RPC (the stock XOXO module): try the join once.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from game.rating import format_change
from game.rules import Termination

SEAT_RPC = "xoxo_seat"
PATH = f"/v2/rpc/{SEAT_RPC}"


class SeatStatus(enum.StrEnum):
    HELD = "held"
    SEATED = "seated"
    OVER = "over"
    UNKNOWN = "unknown"
    UNSUPPORTED = "unsupported"  # ours: the server has no xoxo_seat


class SeatResult(enum.StrEnum):
    """The player's result in a game that is over."""

    WIN = "win"
    LOSS = "loss"
    DRAW = "draw"
    ABORTED = "aborted"


@dataclass(frozen=True)
class SeatAnswer:
    """What the server says of a seat the player held."""

    status: SeatStatus
    game: int = 0
    seconds_left: float = 0.0  # HELD: what is left of the hold
    opponent_id: str = ""
    opponent: str = ""  # the opponent's name
    result: SeatResult | None = None  # OVER
    reason: Termination | None = None  # OVER: why the game ended
    rating_before: int | None = None  # OVER, in a rated game: the shown ratings and the change
    rating_after: int | None = None

    @property
    def delta(self) -> int | None:
        if self.rating_before is None or self.rating_after is None:
            return None
        return self.rating_after - self.rating_before

    @property
    def delta_text(self) -> str:
        """``+8``, ``\u22127`` or ``\u00b10`` ("" without a rating change)."""
        delta = self.delta
        return format_change(delta) if delta is not None else ""


def request_body(match_id: str, game: int) -> bytes:
    """The RPC's HTTP body: the payload ``{"match_id", "game"}`` as a JSON string (Nakama's RPC shape)."""
    return json.dumps(json.dumps({"match_id": match_id, "game": game}, separators=(",", ":"))).encode()


def read_answer(body: bytes) -> SeatAnswer:
    """The answer ``{"payload": "<json>"}``; anything unreadable is UNKNOWN."""
    try:
        outer = json.loads(body)
        payload = json.loads(outer["payload"]) if isinstance(outer, dict) and isinstance(outer.get("payload"), str) else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        return SeatAnswer(SeatStatus.UNKNOWN)
    return read_payload(payload)


def read_payload(obj: dict[str, Any]) -> SeatAnswer:
    word = obj.get("status")
    if word not in {s.value for s in SeatStatus}:
        return SeatAnswer(SeatStatus.UNKNOWN)
    status = SeatStatus(str(word))
    opponent = obj.get("opponent")
    opponent = opponent if isinstance(opponent, dict) else {}
    rating = obj.get("rating")
    rating = rating if isinstance(rating, dict) else {}
    seconds = obj.get("seconds_left")
    return SeatAnswer(
        status=status,
        game=_whole(obj.get("game")) or 0,
        seconds_left=float(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else 0.0,
        opponent_id=_text(opponent.get("user_id")),
        opponent=_text(opponent.get("username"))[:64],
        result=_enum(SeatResult, obj.get("result")),
        reason=_termination(obj.get("reason")),
        rating_before=_whole(rating.get("shown_before")),
        rating_after=_whole(rating.get("shown_after")),
    )


def _whole(value: Any) -> int | None:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _enum(kind: type[SeatResult], value: Any) -> SeatResult | None:
    try:
        return kind(value)
    except ValueError:
        return None


def _termination(value: Any) -> Termination | None:
    try:
        return Termination(value)
    except ValueError:
        return None

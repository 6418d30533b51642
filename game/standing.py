"""A player's standing on the server's leaderboard: the Glicko-2 rating and the rated record.

Pure: values and JSON, no I/O. A standing is what the server keeps per player in the
leaderboard ``xoxo_rating`` (docs/PROTOCOL.md, "Ratings and the leaderboard"): the rating,
deviation and volatility (``game.rating``), rated wins, losses and draws, how many games in
a row the player aborted by never making a first move, and the last game applied (so a
write that is tried again can be told from a new one). Our host keeps it in its
database; the Nakama module keeps it as the record's metadata, a JSON object; both write
the same JSON (``metadata_json``).

Numbers keep their exact doubles through JSON (Python and Go both write the shortest text
that reads back as the same double), so a game rated from a stored standing starts from
exactly the numbers the previous game left.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from game.rating import Rating, RatingError, Result

LEADERBOARD_ID = "xoxo_rating"
SAFE_INTEGER = 2**53  # whole doubles below this print as integers (Go's encoding of a whole Lua number)


def json_number(value: float) -> int | float:
    """``value`` as JSON should carry it: a whole float as an integer (``1500``, not ``1500.0``).

    Nakama's Lua runtime hands whole Lua numbers to Go as integers, so the module writes
    ``1500``; writing the same here makes the host's and the module's payloads equal byte for byte.
    """
    if isinstance(value, float) and value.is_integer() and abs(value) < SAFE_INTEGER:
        return int(value)
    return value


def canonical_json(obj: Any) -> str:
    """Compact JSON with sorted keys and whole floats as integers: what the host and the module both write."""
    return json.dumps(_wholes(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _wholes(obj: Any) -> Any:
    if isinstance(obj, float):
        return json_number(obj)
    if isinstance(obj, Mapping):
        return {k: _wholes(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_wholes(v) for v in obj]
    return obj


@dataclass(frozen=True)
class Standing:
    """One player's standing: a rating, the rated record, aborts in a row, the last game applied."""

    rating: Rating = field(default_factory=Rating)
    wins: int = 0
    losses: int = 0
    draws: int = 0
    aborts_in_a_row: int = 0
    last_game: str = ""  # "MATCH_ID/GAME" of the last game applied ("" for none)

    @property
    def games(self) -> int:
        """Rated games played (the leaderboard's subscore)."""
        return self.wins + self.losses + self.draws

    @property
    def score(self) -> int:
        """The leaderboard's score: the shown rating, never below 0 (Nakama refuses a negative score from Lua)."""
        return max(0, self.rating.shown)

    def after_game(self, result: Result | None, rating: Rating, aborts_in_a_row: int, last_game: str) -> Standing:
        """The standing after a game: ``result`` counted (None: not counted, an abort), the new rating and count."""
        # Every field anew, so built directly rather than through dataclasses.replace (twice a rated game).
        return type(self)(
            rating,
            self.wins + (result is Result.WIN),
            self.losses + (result is Result.LOSS),
            self.draws + (result is Result.DRAW),
            aborts_in_a_row,
            last_game,
        )

    def metadata(self) -> dict[str, Any]:
        """The leaderboard record's metadata object."""
        r = self.rating
        return {
            "aborts_in_a_row": self.aborts_in_a_row,
            "deviation": r.deviation,
            "draws": self.draws,
            "last_game": self.last_game,
            "losses": self.losses,
            "rating": r.rating,
            "volatility": r.volatility,
            "wins": self.wins,
        }

    def metadata_json(self) -> str:
        return canonical_json(self.metadata())

    @classmethod
    def from_metadata(cls, obj: Any) -> Standing:
        """A standing from a record's metadata (an object, or its JSON text); what cannot be read is the default.

        A rating that is not a valid Glicko-2 state (a missing or non-positive deviation,
        say) starts again from the defaults rather than stopping the game that reads it.
        """
        if isinstance(obj, (str, bytes)):
            try:
                obj = json.loads(obj) if obj else {}
            except (ValueError, RecursionError):
                obj = {}
        if not isinstance(obj, Mapping):
            return cls()
        default = Rating()
        try:
            rating = Rating(
                _real(obj.get("rating"), default.rating),
                _real(obj.get("deviation"), default.deviation),
                _real(obj.get("volatility"), default.volatility),
            )
        except RatingError:
            rating = default
        last = obj.get("last_game")
        return cls(
            rating,
            _count(obj.get("wins")),
            _count(obj.get("losses")),
            _count(obj.get("draws")),
            _count(obj.get("aborts_in_a_row")),
            last if isinstance(last, str) else "",
        )


def _real(value: Any, default: float) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return default


def _count(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return 0


@dataclass(frozen=True)
class StandingChange:
    """Both players' standings before and after one game of a rated match (index 0 is player 1).

    ``rated`` is False for an aborted game: nothing but the count of aborts changed, and
    nobody is sent a rating change.
    """

    before: tuple[Standing, Standing]
    after: tuple[Standing, Standing]
    rated: bool = True

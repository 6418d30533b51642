"""The leaderboard as the client reads it: typed values from Nakama's leaderboard API, no I/O.

Our host and Nakama with our module both keep the leaderboard ``xoxo_rating`` and answer
Nakama's ``GET /v2/leaderboard/{id}`` and ``GET /v2/leaderboard/{id}/owner/{user}``
(docs/PROTOCOL.md, "Ratings and the leaderboard"), so one reader serves both. A record's
score is the shown rating, its subscore the rated games played, its metadata the player's
``game.standing.Standing``; 64-bit numbers come as strings, fields at zero are left out.
A server without the board (the stock XOXO module) answers 404 with gRPC code 5: that
server keeps no ratings (``NO_RATINGS``).

The requests are made by ``net.online`` with the session token; this module says what to
ask (``top_request``, ``around_request``) and reads the answers (``read_page``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from game.phrase import Phrase
from game.standing import LEADERBOARD_ID, Standing

TOP = 50  # records the Leaderboard screen lists
NEIGHBOURS = 5  # records around the player when they are not among the top
NOT_FOUND_CODE = 5  # gRPC NOT_FOUND: Nakama's answer for a leaderboard (or an RPC) it does not have
NO_RATINGS = Phrase("This server keeps no ratings")
PATH = f"/v2/leaderboard/{LEADERBOARD_ID}"


class LeaderboardFormatError(ValueError):
    """An answer that is not a leaderboard record list."""


@dataclass(frozen=True)
class LeaderboardEntry:
    """One player's record: place, name, rating, rated games, and the standing behind them."""

    user_id: str
    username: str
    rank: int  # 0 when the server did not say
    score: int  # the shown rating
    games: int  # rated games played
    standing: Standing

    @property
    def label(self) -> str:
        """The rating as shown beside a name: ``1508?`` while provisional."""
        return self.standing.rating.label

    @property
    def record(self) -> str:
        """Wins, losses and draws, as ``12-3-5``."""
        s = self.standing
        return f"{s.wins}-{s.losses}-{s.draws}"


@dataclass(frozen=True)
class LeaderboardPage:
    """One answer: a page of records, the listed owners' own records, cursors, how many are ranked."""

    records: tuple[LeaderboardEntry, ...] = ()
    owner_records: tuple[LeaderboardEntry, ...] = ()
    next_cursor: str = ""
    prev_cursor: str = ""
    rank_count: int = 0

    def find(self, user_id: str) -> LeaderboardEntry | None:
        """The user's record in this answer (a page's or an owner's), if it is there."""
        return next((e for e in (*self.owner_records, *self.records) if e.user_id == user_id), None)


@dataclass(frozen=True)
class Leaderboard:
    """What the Leaderboard screen shows: the top, the player's own record, and their neighbours if not in the top."""

    top: tuple[LeaderboardEntry, ...]
    me: LeaderboardEntry | None  # None: the player has no rated game yet
    around: tuple[LeaderboardEntry, ...] = ()  # the player's neighbours (themselves included), when below the top
    ranked: int = 0  # how many players have a record

    @property
    def in_top(self) -> bool:
        return self.me is not None and any(e.user_id == self.me.user_id for e in self.top)


def top_request(user_id: str, limit: int = TOP) -> tuple[str, list[tuple[str, str]]]:
    """The path and query of the top ``limit`` records with the player's own (always with a limit: see PROTOCOL.md)."""
    return PATH, [("limit", str(limit)), ("owner_ids", user_id)]


def around_request(user_id: str, limit: int = NEIGHBOURS) -> tuple[str, list[tuple[str, str]]]:
    """The path and query of the records around the player."""
    return f"{PATH}/owner/{quote(user_id, safe='')}", [("limit", str(limit))]


def read_error(body: bytes) -> tuple[int, str]:
    """(gRPC code, message) of an error answer; (0, "") if it is not one."""
    obj = _object(body)
    if obj is None:
        return 0, ""
    code, message = obj.get("code"), obj.get("message")
    return (code if isinstance(code, int) and not isinstance(code, bool) else 0,
            " ".join(message.split())[:200] if isinstance(message, str) else "")


def read_page(body: bytes) -> LeaderboardPage:
    """A ``LeaderboardRecordList`` as Nakama's gateway writes it; LeaderboardFormatError if it is not one.

    Records that cannot be read (no owner id) are left out; numbers may come as strings or numbers.
    """
    obj = _object(body)
    if obj is None:
        raise LeaderboardFormatError("the leaderboard answer is not a JSON object")
    return LeaderboardPage(
        records=_entries(obj.get("records")),
        owner_records=_entries(obj.get("owner_records")),
        next_cursor=_text(obj.get("next_cursor")),
        prev_cursor=_text(obj.get("prev_cursor")),
        rank_count=_int(obj.get("rank_count")),
    )


def combine(top: LeaderboardPage, around: LeaderboardPage | None, user_id: str) -> Leaderboard:
    """The screen's view from the top page (with the player's own record) and, if asked, the page around them."""
    me = top.find(user_id) or (around.find(user_id) if around is not None else None)
    board = Leaderboard(top.records, me, (), top.rank_count)
    if around is not None and not board.in_top:
        return Leaderboard(top.records, me, around.records, max(top.rank_count, around.rank_count))
    return board


def _object(body: bytes) -> Mapping[str, Any] | None:
    try:
        obj = json.loads(body) if body else {}
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def _entries(value: Any) -> tuple[LeaderboardEntry, ...]:
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        return ()
    out = []
    for item in value:
        if not isinstance(item, Mapping) or not isinstance(item.get("owner_id"), str) or not item["owner_id"]:
            continue
        out.append(LeaderboardEntry(
            user_id=item["owner_id"],
            username=_text(item.get("username"))[:64],
            rank=_int(item.get("rank")),
            score=_int(item.get("score")),
            games=_int(item.get("subscore")),
            standing=Standing.from_metadata(item.get("metadata") or "{}"),
        ))
    return tuple(out)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    """An int64 as the gateway writes it (a string) or as a number; 0 for anything else."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,19}", value):
        return int(value)
    return 0

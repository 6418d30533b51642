"""The host's leaderboard over HTTP, answered as Nakama's gateway answers it, so one client reads both servers.

``GET /v2/leaderboard/xoxo_rating`` (``limit``, ``cursor``, ``owner_ids``) lists a page of
records and the listed owners' own records; ``GET /v2/leaderboard/xoxo_rating/owner/{id}``
(``limit``, ``cursor``) lists the records around one owner. The answers follow Nakama
3.x (``server/api_leaderboard.go`` and ``core_leaderboard.go``):

* JSON as the gateway writes a ``LeaderboardRecordList``: proto field names, fields at
  their zero value left out, 64-bit integers (score, subscore, rank, rank_count) as
  strings, 32-bit ones as numbers, times in RFC 3339 to the second, ``metadata`` a JSON
  string (``game.standing.Standing``'s).
* Order: score, then subscore, then owner id, descending. A page's ranks count from its
  cursor (1, 2, 3 ...: equal scores do not share a rank); an owner's record carries its
  rank on the board.
* Cursors are opaque: base64url of JSON saying which way, where, and the rank there. A page
  reached without a cursor has no ``prev_cursor``.
* The window around an owner is chosen as Nakama's ``getLeaderboardRecordsHaystack`` does.
* Errors are Nakama's words, status and gRPC code: an unknown leaderboard is 404 code 5,
  a limit out of range, a cursor that cannot be read or an owner id that is not a UUID
  400 code 3; the board is authoritative, so a client's write or delete is 403 code 7.

The records come from ``net.host.rating_store.RatingBook``, in memory: nothing here waits
for the database.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from game.standing import LEADERBOARD_ID
from net.host.api import bearer
from net.host.auth import AuthError, TokenIssuer
from net.host.rating_store import Key, RatingBook, RatingEntry
from net.host.web import ApiRequest, ApiResponse, api_error, json_response

PREFIX = "/v2/leaderboard/"
MAX_NUM_SCORE = 1_000_000  # Nakama's column default: how many writes a record may take
MAX_LIST_LIMIT = 1000  # Nakama 3.40's bounds for a page...
MAX_AROUND_LIMIT = 100  # ...and for the records around an owner

NOT_FOUND = "Leaderboard not found."
BAD_CURSOR = "Cursor is invalid or expired."
BAD_OWNERS = "One or more owner IDs are invalid."
BAD_OWNER = "Invalid owner ID provided."
NO_TOKEN = "Auth token required"
BAD_TOKEN = "Auth token invalid"
NO_WRITES = "Leaderboard only allows authoritative score submissions."
NO_DELETES = "Leaderboard only allows authoritative score deletions."


class LeaderboardError(Exception):
    """A request answered with an error: HTTP status and Nakama's message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Cursor:
    """Where a listing goes on from: the record at its edge (key and rank) and which way."""

    is_next: bool
    score: int
    subscore: int
    owner_id: str
    rank: int

    @classmethod
    def at(cls, entry: RatingEntry, rank: int, is_next: bool) -> Cursor:
        score, subscore, owner = entry.key
        return cls(is_next, score, subscore, owner, rank)

    @property
    def key(self) -> Key:
        return (self.score, self.subscore, self.owner_id)

    def encode(self) -> str:
        obj = {"leaderboard_id": LEADERBOARD_ID, "is_next": self.is_next, "score": self.score,
               "subscore": self.subscore, "owner_id": self.owner_id, "rank": self.rank}
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode("ascii")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """A cursor this host wrote; LeaderboardError 400 for anything else."""
        try:
            obj = json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
        except (ValueError, UnicodeError, binascii.Error, RecursionError):
            raise LeaderboardError(400, BAD_CURSOR) from None
        if not isinstance(obj, dict) or obj.get("leaderboard_id") != LEADERBOARD_ID:
            raise LeaderboardError(400, BAD_CURSOR)
        is_next, score, subscore, owner, rank = (obj.get(k) for k in ("is_next", "score", "subscore", "owner_id", "rank"))
        if (
            isinstance(is_next, bool) and isinstance(owner, str) and isinstance(score, int) and isinstance(subscore, int)
            and isinstance(rank, int) and not any(isinstance(v, bool) for v in (score, subscore, rank))
        ):
            return cls(is_next, score, subscore, owner, rank)
        raise LeaderboardError(400, BAD_CURSOR)


def _rfc3339(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


def record_json(entry: RatingEntry, rank: int) -> dict[str, Any]:
    """One ``LeaderboardRecord`` as the gateway writes it (zero values left out, int64 as strings)."""
    s = entry.standing
    out: dict[str, Any] = {"leaderboard_id": LEADERBOARD_ID, "owner_id": entry.user_id, "username": entry.username}
    if s.score:
        out["score"] = str(s.score)
    if s.games:
        out["subscore"] = str(s.games)
    out["num_score"] = entry.num_score
    out["metadata"] = s.metadata_json()
    out["create_time"] = _rfc3339(entry.created_at)
    out["update_time"] = _rfc3339(entry.updated_at)
    if rank:
        out["rank"] = str(rank)
    out["max_num_score"] = MAX_NUM_SCORE
    return out


def _record_list(
    book: RatingBook,
    records: Sequence[tuple[RatingEntry, int]],
    owners: Sequence[tuple[RatingEntry, int]] = (),
    next_cursor: Cursor | None = None,
    prev_cursor: Cursor | None = None,
) -> dict[str, Any]:
    """A ``LeaderboardRecordList``, empty fields left out."""
    out: dict[str, Any] = {}
    if records:
        out["records"] = [record_json(e, r) for e, r in records]
    if owners:
        out["owner_records"] = [record_json(e, r) for e, r in owners]
    if next_cursor is not None:
        out["next_cursor"] = next_cursor.encode()
    if prev_cursor is not None:
        out["prev_cursor"] = prev_cursor.encode()
    if len(book):
        out["rank_count"] = str(len(book))
    return out


def list_records(book: RatingBook, limit: int | None, cursor: str = "", owner_ids: Sequence[str] = ()) -> dict[str, Any]:
    """``ListLeaderboardRecords``: a page of ``limit`` records (none when ``limit`` is None), and the owners' records."""
    page: list[tuple[RatingEntry, int]] = []
    next_c = prev_c = None
    if limit is not None:
        where = Cursor.decode(cursor) if cursor else None
        if where is None or where.is_next:
            page, next_c, prev_c = _page_down(book, limit, where)
        else:
            page, next_c, prev_c = _page_up(book, limit, where)
    owners: list[tuple[RatingEntry, int]] = []
    for owner in dict.fromkeys(owner_ids):
        entry = book.entry(owner)
        rank = book.rank_of(owner)
        if entry is not None and rank is not None:
            owners.append((entry, rank))
    owners.sort(key=lambda er: er[1])
    return _record_list(book, page, owners, next_c, prev_c)


Page = tuple[list[tuple[RatingEntry, int]], Cursor | None, Cursor | None]  # records with ranks, next, previous


def _page_down(book: RatingBook, limit: int, where: Cursor | None) -> Page:
    """The first page, or the page after ``where``: ranks go on from the cursor's."""
    keys = book.keys
    top = len(keys) - 1 if where is None else bisect.bisect_left(keys, where.key) - 1  # ascending index of the first
    rank = 0 if where is None else where.rank
    page = []
    for index in range(top, max(top - limit, -1), -1):
        rank += 1
        page.append((book.entry_at(index), rank))
    next_c = Cursor.at(*page[-1], is_next=True) if page and top - limit >= 0 else None
    prev_c = Cursor.at(*page[0], is_next=False) if page and where is not None else None
    return page, next_c, prev_c


def _page_up(book: RatingBook, limit: int, where: Cursor) -> Page:
    """The page before ``where``, read upwards from it and turned over, its cursors swapped (as Nakama does)."""
    keys = book.keys
    low = bisect.bisect_right(keys, where.key)  # ascending index of the nearest record above the cursor
    rank = where.rank
    scanned = []
    for index in range(low, min(low + limit, len(keys))):
        rank -= 1
        scanned.append((book.entry_at(index), rank))
    more = low + limit < len(keys)
    next_c = Cursor.at(*scanned[0], is_next=True) if scanned else None
    prev_c = Cursor.at(*scanned[-1], is_next=False) if scanned and more else None
    return scanned[::-1], next_c, prev_c


def records_around(book: RatingBook, owner_id: str, limit: int, cursor: str = "") -> dict[str, Any]:
    """``ListLeaderboardRecordsAroundOwner``: the owner's record among its neighbours (a cursor: a plain page)."""
    if cursor:
        return list_records(book, limit, cursor)
    entry = book.entry(owner_id)
    if entry is None:
        return {}
    keys = book.keys
    n = len(keys)
    mine = bisect.bisect_left(keys, entry.key)
    above = list(range(mine + 1, min(mine + limit + 2, n)))  # nearest first, one more than needed
    set_prev = len(above) > limit
    above = above[:limit][::-1]
    below_limit = limit // 2
    if len(above) < below_limit:
        below_limit = limit - len(above)
    below = list(range(mine - 1, max(mine - below_limit - 2, -1), -1))
    set_next = len(below) > below_limit
    below = below[:below_limit]
    window = [*above, mine, *below]
    start = len(window) - limit
    if start < 0 or len(above) < below_limit:
        start = 0
    if start > 0:
        set_prev = True
    window = window[start:start + limit]
    records = [(book.entry_at(i), n - i) for i in window]
    prev_c = Cursor.at(*records[0], is_next=False) if set_prev else None
    next_c = Cursor.at(*records[-1], is_next=True) if set_next else None
    return _record_list(book, records, (), next_c, prev_c)


class LeaderboardApi:
    """Answers ``/v2/leaderboard/...`` for the host's one board, ``xoxo_rating``."""

    def __init__(self, issuer: TokenIssuer, book: RatingBook):
        self._issuer = issuer
        self._book = book

    def handle(self, request: ApiRequest) -> ApiResponse:
        try:
            return json_response(200, self._answer(request))
        except LeaderboardError as exc:
            return api_error(exc.status, exc.message)

    def _answer(self, request: ApiRequest) -> dict[str, Any]:
        self._authorize(request)
        parts = [unquote(p) for p in request.path[len(PREFIX):].split("/")]
        board = parts[0]
        if not board:
            raise LeaderboardError(400, "Invalid leaderboard ID.")
        if len(parts) == 3 and parts[1] == "owner" and request.method == "GET":
            self._exists(board)
            return self._around(request, parts[2])
        if len(parts) != 1:
            raise LeaderboardError(404, "Not Found")
        if request.method in ("POST", "PUT"):
            self._exists(board)
            raise LeaderboardError(403, NO_WRITES)
        if request.method == "DELETE":
            self._exists(board)
            raise LeaderboardError(403, NO_DELETES)
        if request.method != "GET":
            raise LeaderboardError(405, "Method Not Allowed")
        self._exists(board)
        return self._list(request)

    def _authorize(self, request: ApiRequest) -> None:
        if "authorization" not in request.headers:
            raise LeaderboardError(401, NO_TOKEN)
        try:
            self._issuer.verify_session(bearer(request))
        except AuthError:
            raise LeaderboardError(401, BAD_TOKEN) from None

    @staticmethod
    def _exists(board: str) -> None:
        if board != LEADERBOARD_ID:
            raise LeaderboardError(404, NOT_FOUND)

    def _list(self, request: ApiRequest) -> dict[str, Any]:
        limit = _limit(request, MAX_LIST_LIMIT)
        cursor = request.param("cursor", "") or ""
        owners = request.query.get("owner_ids", [])
        if limit is None and (not owners or cursor):
            limit = 1  # Nakama's default page; with owners only (and no cursor) it lists no page at all
        try:
            owner_ids = [str(uuid.UUID(o)) for o in owners]
        except ValueError:
            raise LeaderboardError(400, BAD_OWNERS) from None
        return list_records(self._book, limit, cursor, owner_ids)

    def _around(self, request: ApiRequest, owner: str) -> dict[str, Any]:
        limit = _limit(request, MAX_AROUND_LIMIT)
        if not owner:
            raise LeaderboardError(400, "Owner ID must be provided for a haystack query.")
        try:
            owner_id = str(uuid.UUID(owner))
        except ValueError:
            raise LeaderboardError(400, BAD_OWNER) from None
        return records_around(self._book, owner_id, limit if limit is not None else 1, request.param("cursor", "") or "")


def _limit(request: ApiRequest, most: int) -> int | None:
    """The ``limit`` asked for (None if none), or LeaderboardError 400 as Nakama words it."""
    text = request.param("limit")
    if text is None or text == "":
        return None
    if not re.fullmatch(r"[+-]?[0-9]{1,18}", text):
        raise LeaderboardError(
            400, f'type mismatch, parameter: limit, error: strconv.ParseInt: parsing "{text[:40]}": invalid syntax'
        )
    limit = int(text)
    if not 1 <= limit <= most:
        raise LeaderboardError(400, f"Invalid limit - limit must be between 1 and {most}.")
    return limit

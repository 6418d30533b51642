"""The RPC ``xoxo_seat``: where a player whose client went away stands in a match, in Nakama's RPC shape.

A client that crashed or was killed mid-game asks, after its relaunch, about the match it
remembers (``{"match_id", "game"}``). The answer (docs/PROTOCOL.md, "Coming back to a
game") is one of:

* ``held``: the seat is held for the player (``seconds_left`` of the hold), so a
  ``match_join`` by the match id now gives it back exactly as it was;
* ``seated``: the player is in the match right now, from another session;
* ``over``: that game is over, with the player's ``result`` (``win``, ``loss``, ``draw``,
  ``aborted``), the ``reason`` (a termination), the opponent, and in a rated game the rating
  change;
* ``unknown``: no such match or game, or not this player's.

Nakama's HTTP shape (``server/api_rpc.go``): ``POST /v2/rpc/xoxo_seat`` with the session
token, the payload a JSON *string* as the body (raw with ``?unwrap``), the answer
``{"payload": "<json>"}`` (raw with ``?unwrap``); an unknown RPC is 404 code 5. The host
answers from its live matches and from the games it finished lately (``net.host.recent``):
a game finished before a restart is ``unknown``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from game.rules import Outcome, other
from game.xoxo import Presence
from net.host.api import bearer
from net.host.auth import AuthError, TokenIssuer
from net.host.recent import RecentGames
from net.host.web import ApiRequest, ApiResponse, api_error, json_response

if TYPE_CHECKING:  # the runtime keeps the recent games: it imports this module
    from net.host.runtime import MatchRuntime

PREFIX = "/v2/rpc/"
SEAT_RPC = "xoxo_seat"
PAYLOAD_SHAPE = 'xoxo_seat wants a payload like {"match_id": "...", "game": 3}'

# Nakama's words (server/api_rpc.go).
NO_AUTH = "Auth token or HTTP key required"
BAD_TOKEN = "Auth token invalid"
BAD_HTTP_KEY = "HTTP key invalid"
NO_ID = "RPC ID must be set"
NO_FUNCTION = "RPC function not found"
NOT_A_STRING = "json: cannot unmarshal object into Go value of type string"


def _who(p: Presence | None) -> dict[str, str]:
    return {"user_id": p.user_id, "username": p.username} if p is not None else {"user_id": "", "username": ""}


def seat_answer(runtime: MatchRuntime, recent: RecentGames, user_id: str, match_id: str, game: int) -> dict[str, Any]:
    """What ``xoxo_seat`` says to ``user_id`` about game ``game`` of match ``match_id``."""
    live = runtime.matches.get(match_id)
    if live is not None:
        match = live.match
        status, seconds_left = match.seat_status(user_id)
        index = match.seat_of(Presence(user_id, "", ""))
        if status == "held":
            return {"status": "held", "seconds_left": round(seconds_left, 2), "game": match.game,
                    "opponent": _who(match.players[other(index) - 1])}
        if status == "seated":
            return {"status": "seated", "game": match.game}
    rec = recent.get(match_id, game)
    if rec is None:
        return {"status": "unknown"}
    mine = next((i for i, p in enumerate(rec.players, start=1) if p.user_id == user_id), 0)
    if not mine:
        return {"status": "unknown"}
    counts = rec.termination.counts
    result = Outcome(rec.termination, rec.winner).result_for(mine).value if counts else "aborted"
    answer: dict[str, Any] = {"status": "over", "game": rec.game, "result": result, "reason": rec.termination.value,
                              "opponent": _who(rec.players[other(mine) - 1])}
    change = rec.standings
    if change is not None and change.rated:
        before, after = change.before[mine - 1].rating.shown, change.after[mine - 1].rating.shown
        answer["rating"] = {"shown_before": before, "shown_after": after, "delta": after - before}
    return answer


RpcFunction = Callable[[str, str], dict[str, Any] | None]
"""An RPC's work: (the caller's user id, the payload) -> the answer, or None if the payload is not the function's."""


class RpcApi:
    """Answers ``/v2/rpc/{id}``: ``xoxo_seat``, and the functions ``register``ed beside it (``xoxo_stats``)."""

    def __init__(self, issuer: TokenIssuer, runtime: MatchRuntime, recent: RecentGames):
        self._issuer = issuer
        self._runtime = runtime
        self._recent = recent
        self._functions: dict[str, tuple[RpcFunction, str]] = {SEAT_RPC: (self._seat, PAYLOAD_SHAPE)}

    def register(self, rpc: str, function: RpcFunction, shape: str) -> None:
        """Answer ``/v2/rpc/{rpc}`` (lower case, as Nakama keeps ids) with ``function``; ``shape`` says what a
        payload it refuses should look like (400)."""
        self._functions[rpc.lower()] = (function, shape)

    def _seat(self, user_id: str, payload: str) -> dict[str, Any] | None:
        ask = _read_ask(payload)
        return seat_answer(self._runtime, self._recent, user_id, *ask) if ask is not None else None

    def handle(self, request: ApiRequest) -> ApiResponse:
        if request.method not in ("GET", "POST"):
            return api_error(405, f"Use GET or POST for {request.path[:100]}", allow="GET, POST")
        user_id = self._authorize(request)
        if isinstance(user_id, ApiResponse):
            return user_id
        rpc = unquote(request.path[len(PREFIX):]).lower()
        if not rpc:
            return api_error(400, NO_ID)
        entry = self._functions.get(rpc)
        if entry is None:
            return api_error(404, NO_FUNCTION)
        function, shape = entry
        unwrap = "unwrap" in request.query
        payload = self._payload(request, unwrap)
        if payload is None:
            return api_error(400, NOT_A_STRING)
        result = function(user_id, payload)
        if result is None:
            return api_error(400, shape)
        answer = json.dumps(result, separators=(",", ":"))
        if unwrap:
            return ApiResponse(200, answer.encode(), request.headers.get("content-type", "text/plain"))
        return json_response(200, {"payload": answer})

    def _authorize(self, request: ApiRequest) -> str | ApiResponse:
        """The caller's user id, or the 401 Nakama answers (this host has no HTTP key: only session tokens)."""
        if request.param("http_key") is not None:
            return api_error(401, BAD_HTTP_KEY)
        header = request.headers.get("authorization")
        if header is None:
            return api_error(401, NO_AUTH)
        if header.lower().startswith("basic "):
            return api_error(401, BAD_HTTP_KEY)
        try:
            return self._issuer.verify_session(bearer(request)).uid
        except AuthError:
            return api_error(401, BAD_TOKEN)

    @staticmethod
    def _payload(request: ApiRequest, unwrap: bool) -> str | None:
        """The function's payload: the body, read as a JSON string unless ``unwrap`` (None if it is not one)."""
        if request.method != "POST" or not request.body:
            return ""
        try:
            text = request.body.decode("utf-8")
            value = text if unwrap else json.loads(text)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None
        return value if isinstance(value, str) else None


def _read_ask(payload: str) -> tuple[str, int] | None:
    """(match id, game) from ``{"match_id": "...", "game": N}``; the game may be left out (0: none)."""
    try:
        obj = json.loads(payload) if payload else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("match_id"), str):
        return None
    game = obj.get("game", 0)
    if isinstance(game, float) and game.is_integer():
        game = int(game)
    if not isinstance(game, int) or isinstance(game, bool):
        return None
    return obj["match_id"][:200], game

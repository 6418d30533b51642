"""The module's ratings on their own: Glicko-2 in Lua to the last bit, the leaderboard, and the RPC xoxo_seat."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from game.rating import Rating, rate_game
from game.rating import Result as RatingResult
from tests.game.test_rating import EXACT_AFTER_THREE_ROUNDS, ROUND, hexes
from tests.nakama.standin import PRESENCE_DISCONNECT, NakamaRuntime, Presence, new_id

SCORES = {RatingResult.WIN: 1.0, RatingResult.DRAW: 0.5, RatingResult.LOSS: 0.0}
RUNTIME = NakamaRuntime()  # one VM for the arithmetic: the module is pure there
LUA_RATE = RUNTIME.lua.eval('function(...) return require("xoxo_plus_match").glicko("rate", ...) end')


def lua_rate_game(first: Rating, second: Rating, result: RatingResult) -> tuple[Rating, Rating]:
    a = LUA_RATE(first.rating, first.deviation, first.volatility, second.rating, second.deviation, SCORES[result])
    b = LUA_RATE(second.rating, second.deviation, second.volatility, first.rating, first.deviation,
                 SCORES[result.opposite])
    return Rating(*a), Rating(*b)


def test_the_pinned_series_comes_out_of_lua_to_the_last_bit():
    players = {name: Rating() for name in ("ann", "bob", "cat")}
    for first, second, result in ROUND * 3:
        players[first], players[second] = lua_rate_game(players[first], players[second], result)
    assert {name: hexes(r) for name, r in players.items()} == EXACT_AFTER_THREE_ROUNDS


ratings = st.builds(Rating, st.floats(0, 3000), st.floats(30, 350), st.floats(0.02, 0.12))


@settings(max_examples=300, deadline=None)
@given(ratings, ratings, st.sampled_from(list(RatingResult)))
def test_any_game_is_rated_by_lua_exactly_as_by_python(first, second, result):
    game = rate_game(first, second, result)
    assert lua_rate_game(first, second, result) == (game.first.after, game.second.after)


# The RPC xoxo_seat on the stand-in --------------------------------------------------------------------


def person(name: str) -> Presence:
    return Presence(new_id(), new_id(), name)


def rated_match(env: dict[str, str] | None = None):
    rt = NakamaRuntime(env={"xoxo_plus_tick_rate": "10", "xoxo_plus_grace_seconds": "2", **(env or {})})
    ann, bob = person("ann"), person("bob")
    match = rt.matches[rt.matchmaker_matched([ann, bob])]
    for p in (ann, bob):
        assert match.join_attempt(p, {"protocol": "3"}) == (True, "")
    return rt, match, ann, bob


def seat(rt: NakamaRuntime, user: Presence, match_id: str, game: int = 1) -> dict:
    ok, answer = rt.rpc("xoxo_seat", json.dumps({"match_id": match_id, "game": game}), user.user_id)
    assert ok, answer
    return json.loads(answer)


def test_the_seat_rpc_says_seated_held_then_over_with_the_rating():
    rt, match, ann, bob = rated_match()
    assert seat(rt, bob, match.match_id) == {"status": "seated", "game": 1}
    match.leave(bob, PRESENCE_DISCONNECT)
    for _ in range(5):
        match.loop()
    held = seat(rt, bob, match.match_id)
    assert held == {"status": "held", "seconds_left": 1.5, "game": 1,
                    "opponent": {"user_id": ann.user_id, "username": "ann"}}
    for _ in range(20):
        match.loop()
    assert match.stopped
    over = seat(rt, bob, match.match_id)
    assert over == {"status": "over", "game": 1, "result": "loss", "reason": "opponent_left",
                    "opponent": {"user_id": ann.user_id, "username": "ann"},
                    "rating": {"shown_before": 1500, "shown_after": 1338, "delta": -162}}
    assert seat(rt, ann, match.match_id)["result"] == "win"
    assert seat(rt, person("eve"), match.match_id) == {"status": "unknown"}
    assert seat(rt, ann, match.match_id, 2) == {"status": "unknown"}
    assert seat(rt, ann, "00000000-0000-4000-8000-000000000000.nakama1") == {"status": "unknown"}
    record = rt.records[("xoxo_rating", bob.user_id)]
    assert (record["score"], record["subscore"], record["num_score"]) == (1338, 1, 1)
    assert json.loads(record["metadata"])["losses"] == 1


def test_the_seat_rpc_refuses_a_payload_it_cannot_read_and_answers_an_http_key_call_unknown():
    rt, match, ann, _ = rated_match()
    assert rt.rpc("xoxo_seat", "[1]", ann.user_id) == (
        False, ('xoxo_seat wants a payload like {"match_id": "...", "game": 3}', 3))
    assert rt.rpc("xoxo_seat", json.dumps({"match_id": match.match_id, "game": 1.5}), ann.user_id)[1][1] == 3
    assert rt.rpc("xoxo_seat", json.dumps({"match_id": match.match_id}), "") == (True, '{"status":"unknown"}')
    assert rt.rpc("no_such_rpc", "{}", ann.user_id) == (False, ("RPC function not found", 5))


def test_a_failed_rating_write_makes_the_next_game_read_the_board_and_a_missing_board_falls_back_to_new_players():
    rt, match, ann, bob = rated_match()
    rt.leaderboards.clear()  # as if the board were gone after the first game's read: the game goes on
    for who, (r, c) in zip([ann, bob, ann, bob, ann], [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)], strict=True):
        match.send(who, 1, json.dumps({"row": r, "col": c}).encode())
        match.loop()
    assert not match.stopped and match.errors == []
    assert any("RATING NOT SAVED" in m for m in rt.errors())
    # the result's read failed too (logged), so the game was rated from what the match read at its start
    assert sum("cannot read the ratings" in m for m in rt.errors()) == 1
    for who in (ann, bob):  # the next game reads the board again, as the writes failed, and says it cannot
        match.send(who, 4, b"")
    match.loop()
    assert match.lua_state()[b"game"] == 2 and match.errors == []
    assert sum("cannot read the ratings" in m for m in rt.errors()) == 2

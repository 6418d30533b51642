"""Revision 3 on a real host over loopback: rated games and the record, the leaderboard API, ``xoxo_seat``,
claims, aborts and the open rematch, as two declared clients meet them."""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import sqlite3
from typing import Any
from urllib.parse import quote, urlencode

from game.rating import Rating, rate_game
from game.rating import Result as RatingResult
from game.rules import Termination
from game.standing import Standing
from game.xoxo import (
    OP_CLAIM,
    OP_OPPONENT_GONE,
    OP_RATING,
    Claim,
    GoneReason,
    MatchLabel,
    decode_rating_news,
    encode_claim,
)
from tests.net.conftest import WAIT

WIN = [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)]  # the first mover completes the top row
REV3 = {"protocol": "3"}


# Helpers -------------------------------------------------------------------------------------------


async def pair3(host_client, port: int, names=("ann", "bob"), code: str = "", metadata=(REV3, REV3)):
    """Two players matched (with a friend code, if given), joined declaring ``metadata``; player 1 first, labels kept."""
    a = await host_client.connect(port, names[0])
    b = await host_client.connect(port, names[1])
    ticket = {"min_count": 2, "max_count": 2, "query": "*"}
    if code:
        ticket = {**ticket, "query": f"+properties.code:{code}", "string_properties": {"code": code}}
    for p in (a, b):
        assert "matchmaker_ticket" in await p.request("matchmaker_add", ticket)
    for p in (a, b):
        await p.find_match_end()
    labels = []
    for p, meta in zip((a, b), metadata, strict=True):
        answer = await p.request("match_join", {"match_id": p.match_id, "metadata": meta})
        p.session_id = answer["match"]["self"]["session_id"]
        labels.append(MatchLabel.decode(answer["match"]["label"]))
    va, _vb = await a.state(), await b.state()
    return ((a, b) if va.you == 1 else (b, a)), labels[0]


async def play(p1, p2, moves):
    players = {1: p1, 2: p2}
    turn = 1
    for row, col in moves:
        await players[turn].move(row, col)
        v1, v2 = await p1.state(), await p2.state()
        turn = v1.board.to_move
    return v1, v2


def get(port: int, path: str, token: str | None, method: str = "GET", body: bytes = b"") -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, json.loads(data) if data else None
    finally:
        conn.close()


async def aget(port: int, path: str, token: str | None, method: str = "GET", body: bytes = b"") -> tuple[int, Any]:
    return await asyncio.to_thread(get, port, path, token, method, body)


def board_path(**query: Any) -> str:
    pairs = [(k, v) for k, vs in query.items() for v in (vs if isinstance(vs, list) else [vs])]
    return "/v2/leaderboard/xoxo_rating" + ("?" + urlencode(pairs) if pairs else "")


async def seat(port: int, token: str, payload: dict[str, Any]) -> dict[str, Any]:
    status, answer = await aget(port, "/v2/rpc/xoxo_seat", token, "POST", json.dumps(json.dumps(payload)).encode())
    assert status == 200, answer
    return json.loads(answer["payload"])


def games_rows(data_dir) -> list[dict[str, Any]]:
    db = sqlite3.connect(str(data_dir / "host.sqlite3"))
    try:
        cur = db.execute("SELECT match_id, game, player1_id, player2_id, winner, termination FROM games ORDER BY id")
        return [dict(zip([d[0] for d in cur.description], row, strict=True)) for row in cur.fetchall()]
    finally:
        db.close()


# Rated games and the record -----------------------------------------------------------------------------


def test_a_game_found_through_the_matchmaker_is_rated_and_lands_on_the_leaderboard(host_factory, host_client):
    host = host_factory()

    async def scenario():
        (p1, p2), label = await pair3(host_client, host.port)
        assert label.rated and label.protocol >= 3
        await play(p1, p2, WIN[:-1])
        await p1.move(*WIN[-1])
        news = decode_rating_news(await p2.match_data(OP_RATING))
        final = await p2.state()
        assert final.result == "loss" and [r.label for r in final.ratings] == ["1500?", "1500?"]
        expected = rate_game(Rating(), Rating(), RatingResult.WIN)
        mine = news.of(p2.user_id)
        assert mine.after.rating == expected.second.after and mine.delta == expected.second.delta < 0
        assert news.of(p1.user_id).after.wins == 1 and news.game == 1
        status, page = await aget(host.port, board_path(limit=50, owner_ids=p2.user_id), p1.token)
        assert status == 200 and page["rank_count"] == "2"
        top, second = page["records"]
        assert (top["owner_id"], top["rank"], top["username"]) == (p1.user_id, "1", "ann")
        assert top["score"] == str(expected.first.after.shown) and top["subscore"] == "1" and top["num_score"] == 1
        assert Standing.from_metadata(top["metadata"]).rating == expected.first.after
        assert second["rank"] == "2" and page["owner_records"] == [second]
        assert top["max_num_score"] == 1000000 and top["create_time"].endswith("Z")

    host_client.run(scenario())


def test_a_friend_code_game_is_not_rated(host_factory, host_client):
    host = host_factory()

    async def scenario():
        (p1, p2), label = await pair3(host_client, host.port, code="K7QXM")
        assert not label.rated
        v1, _ = await play(p1, p2, WIN)
        assert v1.ratings == (None, None)
        got = await p1.sync() + await p2.sync()
        assert not [e for e in got if "match_data" in e and int(e["match_data"]["op_code"]) == OP_RATING]
        assert await aget(host.port, board_path(limit=10), p1.token) == (200, {})

    host_client.run(scenario())


def test_a_stock_client_gets_neither_ratings_nor_op_7_but_its_game_is_rated(host_factory, host_client):
    host = host_factory()

    async def scenario():
        (p1, p2), _label = await pair3(host_client, host.port, metadata=({}, REV3))
        stock = p1 if p1.username == "ann" else p2  # ann joined declaring nothing
        v1, v2 = await play(p1, p2, WIN)
        stock_view = v1 if stock is p1 else v2
        assert stock_view.ratings == (None, None)
        got = await stock.sync()
        assert not [e for e in got if "match_data" in e and int(e["match_data"]["op_code"]) == OP_RATING]
        status, page = await aget(host.port, board_path(limit=10), p1.token)
        assert status == 200 and len(page["records"]) == 2

    host_client.run(scenario())


def test_ratings_outlive_a_restart_and_the_next_game_starts_from_them_exactly(host_factory, host_client, tmp_path):
    folder = tmp_path / "kept"

    async def one_game(host) -> tuple[str, str]:
        (p1, p2), _ = await pair3(host_client, host.port)
        await play(p1, p2, WIN)
        await p1.sync()
        for p in (p1, p2):
            await p.close()
        return p1.user_id, p2.user_id

    first = host_factory(data_dir=folder)
    host_client.run(one_game(first))
    first.close()
    second = host_factory(data_dir=folder)

    async def check():
        ann = await host_client.connect(second.port, "ann", device_id=None)
        status, page = await aget(second.port, board_path(limit=5), ann.token)
        assert status == 200 and page["rank_count"] == "2" and page["records"][0]["num_score"] == 1

    host_client.run(check())


def test_leaving_and_aborting_are_recorded_as_a_loss_and_as_aborted(host_factory, host_client):
    host = host_factory(manual_clock=True, turn_seconds=10)

    async def scenario():
        (p1, p2), _ = await pair3(host_client, host.port)
        await host.elapse(10)  # player 1 never opens: aborted
        aborted = await p2.state()
        assert aborted.termination is Termination.ABORTED and aborted.aborted_by == 1
        for p in (p1, p2):
            await p.rematch()
        v = await p2.state()
        while v.game != 2 or v.board.is_over:
            v = await p2.state()
        mover = p2 if v.your_turn else p1
        await mover.move(2, 2)
        await p1.sync()
        await mover.request("match_leave", {"match_id": mover.match_id})
        gone = json.loads(await (p1 if mover is p2 else p2).match_data(OP_OPPONENT_GONE))
        assert gone["reason"] == "left"
        return p1, p2, mover

    _p1, p2, leaver = host_client.run(scenario())
    host.close()
    rows = games_rows(host.data_dir)
    assert [(r["game"], r["termination"], r["winner"]) for r in rows] == [
        (1, "aborted", None), (2, "opponent_left", 1 if leaver is p2 else 2)]


# The leaderboard API's edges ------------------------------------------------------------------------------


def test_the_leaderboard_answers_errors_as_nakama_does(running_host, host_client):
    async def scenario():
        ann = await host_client.connect(running_host.port, "ann")
        port, token = running_host.port, ann.token
        cases = [
            ("/v2/leaderboard/other?limit=5", token, "GET", 404, 5, "Leaderboard not found."),
            (board_path(limit=0), token, "GET", 400, 3, "Invalid limit - limit must be between 1 and 1000."),
            (board_path(limit=1001), token, "GET", 400, 3, "Invalid limit - limit must be between 1 and 1000."),
            (board_path(limit=5, cursor="nope"), token, "GET", 400, 3, "Cursor is invalid or expired."),
            (board_path(limit=5, owner_ids="not-a-uuid"), token, "GET", 400, 3, "One or more owner IDs are invalid."),
            (board_path(limit=5), None, "GET", 401, 16, "Auth token required"),
            (board_path(limit=5), "forged", "GET", 401, 16, "Auth token invalid"),
            (board_path(), token, "POST", 403, 7, "Leaderboard only allows authoritative score submissions."),
            ("/v2/leaderboard/xoxo_rating/owner/x?limit=5", token, "GET", 400, 3, "Invalid owner ID provided."),
            (f"/v2/leaderboard/xoxo_rating/owner/{ann.user_id}?limit=101", token, "GET", 400, 3,
             "Invalid limit - limit must be between 1 and 100."),
            ("/v2/leaderboard/other/owner/" + ann.user_id, token, "GET", 404, 5, "Leaderboard not found."),
        ]
        for path, auth, method, status, code, message in cases:
            got = await aget(port, path, auth, method)
            assert got == (status, {"error": message, "code": code, "message": message}), path
        assert await aget(port, f"/v2/leaderboard/xoxo_rating/owner/{ann.user_id}", token) == (200, {})
        assert await aget(port, board_path(owner_ids=ann.user_id), token) == (200, {})

    host_client.run(scenario())


# xoxo_seat ---------------------------------------------------------------------------------------------------


def test_the_seat_rpc_says_held_then_over_with_the_rating(host_factory, host_client):
    host = host_factory(manual_clock=True, grace_seconds=20)

    async def scenario():
        (p1, p2), _ = await pair3(host_client, host.port)
        match_id = p1.match_id
        assert await seat(host.port, p2.token, {"match_id": match_id, "game": 1}) == {"status": "seated", "game": 1}
        await p2.close()
        await p1.state()  # bob is away
        await host.elapse(6)
        held = await seat(host.port, p2.token, {"match_id": match_id, "game": 1})
        assert held == {"status": "held", "seconds_left": 14.0, "game": 1,
                        "opponent": {"user_id": p1.user_id, "username": p1.username}}
        await host.elapse(14)
        assert json.loads(await p1.match_data(OP_OPPONENT_GONE))["reason"] == "disconnected"
        over = await seat(host.port, p2.token, {"match_id": match_id, "game": 1})
        assert over["status"] == "over" and over["result"] == "loss" and over["reason"] == "opponent_left"
        assert over["rating"]["delta"] == over["rating"]["shown_after"] - 1500 < 0
        assert await seat(host.port, p1.token, {"match_id": match_id, "game": 1}) | {"rating": None} == {
            **over, "result": "win", "opponent": {"user_id": p2.user_id, "username": p2.username}, "rating": None}
        assert await seat(host.port, p1.token, {"match_id": "nope.host", "game": 1}) == {"status": "unknown"}
        assert await seat(host.port, p1.token, {"match_id": match_id, "game": 2}) == {"status": "unknown"}

    host_client.run(scenario())


def test_the_seat_rpc_speaks_nakamas_rpc_shape(running_host, host_client):
    async def scenario():
        ann = await host_client.connect(running_host.port, "ann")
        port, token = running_host.port, ann.token
        body = json.dumps({"match_id": "m.host", "game": 1}).encode()
        status, raw = await asyncio.to_thread(_raw_post, port, "/v2/rpc/xoxo_seat?unwrap", token, body)
        assert (status, json.loads(raw)) == (200, {"status": "unknown"})
        cases = [
            ("/v2/rpc/xoxo_seat", token, body, 400, 3, "json: cannot unmarshal object into Go value of type string"),
            ("/v2/rpc/no_such_rpc", token, b'"{}"', 404, 5, "RPC function not found"),
            ("/v2/rpc/xoxo_seat", None, b'"{}"', 401, 16, "Auth token or HTTP key required"),
            ("/v2/rpc/xoxo_seat", "forged", b'"{}"', 401, 16, "Auth token invalid"),
            ("/v2/rpc/xoxo_seat", token, b'"[1]"', 400, 3, 'xoxo_seat wants a payload like {"match_id": "...", "game": 3}'),
        ]
        for path, auth, data, code_http, code, message in cases:
            got = await aget(port, path, auth, "POST", data)
            assert got == (code_http, {"error": message, "code": code, "message": message}), path
        assert (await aget(port, "/v2/rpc/XOXO_SEAT", token, "POST", json.dumps(body.decode()).encode()))[0] == 200

    host_client.run(scenario())


def _raw_post(port: int, path: str, token: str, body: bytes) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        conn.request("POST", path, body=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


# Claims and the open rematch on the host ------------------------------------------------------------------


def test_a_claim_on_the_host_after_half_the_hold(host_factory, host_client):
    host = host_factory(manual_clock=True, grace_seconds=20)

    async def scenario():
        (p1, p2), _ = await pair3(host_client, host.port)
        await p1.move(2, 2)
        await p1.state()
        await p2.close()
        away = await p1.state()
        assert away.away is not None and away.away.claim_seconds_left == 10.0
        await p1.send_data(OP_CLAIM, encode_claim(Claim.WIN))
        assert (await p1.rejected())[0] == "claim_too_early"
        await host.elapse(9.9)
        assert [e for e in await p1.sync() if p1.view_of(e)] == []
        await host.elapse(0.1)
        assert (await p1.state()).away.claimable
        await p1.send_data(OP_CLAIM, encode_claim(Claim.WIN))
        await p1.match_data(OP_RATING)
        final = await p1.state()
        assert final.termination is Termination.CLAIMED and final.result == "win"

    host_client.run(scenario())


def test_the_host_ends_an_idle_match_after_its_limit(host_factory, host_client):
    host = host_factory(manual_clock=True, idle_seconds=300)

    async def scenario():
        (p1, p2), _ = await pair3(host_client, host.port)
        v1, _ = await play(p1, p2, WIN)
        assert v1.rematch_countdown is None and v1.rematch_mode.value == "open"
        await host.elapse(299)
        assert [e for e in await p1.sync() if p1.view_of(e)] == []
        await host.elapse(1)
        last = await p1.state()
        assert last.match_over is not None and last.match_over.reason is GoneReason.IDLE
        assert json.loads(await p2.match_data(OP_OPPONENT_GONE))["reason"] == "idle"

    host_client.run(scenario())


def test_a_leaderboard_path_with_escapes_is_read_unescaped(running_host, host_client):
    async def scenario():
        ann = await host_client.connect(running_host.port, "ann")
        path = "/v2/leaderboard/" + quote("xoxo_rating", safe="") + "/owner/" + quote(ann.user_id)
        assert await aget(running_host.port, path, ann.token) == (200, {})

    host_client.run(scenario())


def test_cursors_are_base64url(running_host):
    from net.host.leaderboard import Cursor

    text = Cursor(True, 1500, 3, "x", 7).encode()
    assert json.loads(base64.urlsafe_b64decode(text))["rank"] == 7 and Cursor.decode(text).rank == 7

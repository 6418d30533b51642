"""The client's readers of the leaderboard API and of ``xoxo_seat``: Nakama's JSON in, typed values out."""

from __future__ import annotations

import json

import pytest

from game.rating import Rating
from game.rules import Termination
from game.standing import Standing
from net.leaderboard import (
    LeaderboardFormatError,
    around_request,
    combine,
    read_error,
    read_page,
    top_request,
)
from net.resume import SeatAnswer, SeatResult, SeatStatus, read_answer, request_body

ANN = "6f1d3c1e-0000-4000-8000-000000000001"
BOB = "6f1d3c1e-0000-4000-8000-000000000002"


def record(owner: str, name: str, rank: int, standing: Standing) -> dict:
    return {"leaderboard_id": "xoxo_rating", "owner_id": owner, "username": name, "score": str(standing.score),
            "subscore": str(standing.games), "num_score": 3, "metadata": standing.metadata_json(),
            "create_time": "2026-07-16T12:28:59Z", "update_time": "2026-07-16T13:02:11Z", "rank": str(rank),
            "max_num_score": 1000000}


def test_a_page_is_read_with_int64_strings_and_the_standing_behind_each_record():
    veteran = Standing(Rating(1623.4, 80.0, 0.06), 9, 2, 1)
    body = json.dumps({"records": [record(BOB, "bob", 1, veteran)], "owner_records": [record(ANN, "ann", 7, Standing())],
                       "next_cursor": "abc", "rank_count": "57"}).encode()
    page = read_page(body)
    (bob,) = page.records
    assert (bob.rank, bob.score, bob.games, bob.label, bob.record) == (1, 1623, 12, "1623", "9-2-1")
    assert bob.standing == veteran and page.next_cursor == "abc" and page.rank_count == 57 and page.prev_cursor == ""
    assert page.find(ANN).rank == 7 and page.find(ANN).label == "1500?"


def test_left_out_fields_read_as_zero_and_broken_records_are_skipped():
    page = read_page(json.dumps({"records": [{"owner_id": ANN}, {"username": "no id"}, 3]}).encode())
    (ann,) = page.records
    assert (ann.rank, ann.score, ann.games, ann.username) == (0, 0, 0, "") and ann.standing == Standing()
    assert read_page(b"{}") == read_page(b"")
    with pytest.raises(LeaderboardFormatError):
        read_page(b"[1]")


def test_the_requests_always_send_a_limit():
    assert top_request(ANN) == ("/v2/leaderboard/xoxo_rating", [("limit", "50"), ("owner_ids", ANN)])
    assert around_request(ANN, 5) == (f"/v2/leaderboard/xoxo_rating/owner/{ANN}", [("limit", "5")])
    assert read_error(b'{"error":"Leaderboard not found.","code":5,"message":"Leaderboard not found."}') == (
        5, "Leaderboard not found.")
    assert read_error(b"<html>") == (0, "")


def test_the_screen_gets_the_neighbours_only_when_the_player_is_below_the_top():
    mine = record(ANN, "ann", 60, Standing())
    top = read_page(json.dumps({"records": [record(BOB, "bob", 1, Standing())], "owner_records": [mine]}).encode())
    around = read_page(json.dumps({"records": [record(BOB, "x", 59, Standing()), mine]}).encode())
    board = combine(top, around, ANN)
    assert not board.in_top and board.me.rank == 60 and [e.rank for e in board.around] == [59, 60]
    in_top = combine(read_page(json.dumps({"records": [mine], "owner_records": [mine]}).encode()), around, ANN)
    assert in_top.in_top and in_top.around == ()
    assert combine(read_page(b"{}"), None, ANN).me is None


def test_the_seat_rpc_body_is_a_json_string_and_its_answers_are_read():
    assert json.loads(json.loads(request_body("m.host", 3))) == {"match_id": "m.host", "game": 3}
    held = {"status": "held", "seconds_left": 14.2, "game": 3, "opponent": {"user_id": BOB, "username": "bob"}}
    answer = read_answer(json.dumps({"payload": json.dumps(held)}).encode())
    assert answer == SeatAnswer(SeatStatus.HELD, 3, 14.2, BOB, "bob")
    over = {"status": "over", "game": 3, "result": "loss", "reason": "opponent_left",
            "opponent": {"user_id": BOB, "username": "bob"}, "rating": {"shown_before": 1500, "shown_after": 1493, "delta": -7}}
    answer = read_answer(json.dumps({"payload": json.dumps(over)}).encode())
    assert (answer.result, answer.reason, answer.delta, answer.delta_text) == (
        SeatResult.LOSS, Termination.OPPONENT_LEFT, -7, "\u22127")


UNREADABLE = [b"", b"{}", b'{"payload": 3}', b'{"payload": "[]"}', b'{"payload": "{\\"status\\": \\"odd\\"}"}']


@pytest.mark.parametrize("body", UNREADABLE)
def test_an_unreadable_seat_answer_is_unknown(body):
    assert read_answer(body).status is SeatStatus.UNKNOWN and read_answer(body).delta_text == ""

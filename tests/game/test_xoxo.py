"""XOXO match payloads: what our host sends, what a stock server sends, and what neither should."""

import json

import pytest

from game.rules import Board
from game.xoxo import (
    NOT_A_COORDINATE,
    PayloadError,
    PlainTextPayload,
    Presence,
    decode_move,
    decode_state,
    encode_move,
    encode_state,
)

ANN = Presence("u-ann", "s-ann", "ann")
BOB = Presence("u-bob", "s-bob", "bob")


def won_board():
    board = Board.new()
    for cell in [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)]:
        board = board.play(*cell)
    return board


def test_state_has_the_xoxo_shape_for_each_player():
    board = Board.new().play(2, 2)
    for you, turn in ((1, False), (2, True)):
        payload = json.loads(encode_state(board, (ANN, BOB), you=you))
        assert payload["your_turn"] is turn
        assert payload["state"]["cells"][1][1] == 1
        assert payload["state"]["player_turn"] == 2
        assert payload["active_player"]["user_id"] == "u-bob"
        assert payload["other_player"]["user_id"] == "u-ann"
        assert set(payload["state"]["players"][0]) >= {"user_id", "session_id", "username", "node", "reason"}


def test_results_come_from_the_state_for_each_side():
    board = won_board()
    ann = decode_state(encode_state(board, (ANN, BOB), you=1, rematch_countdown=10))
    bob = decode_state(encode_state(board, (ANN, BOB), you=2, rematch_countdown=10))
    assert (ann.result, bob.result) == ("win", "loss")
    assert ann.line == ((1, 1), (1, 2), (1, 3))
    assert ann.rematch_countdown == 10
    assert not ann.your_turn and not bob.your_turn


def test_stock_state_without_you_finds_us_by_user_id():
    # What the reference server sends: no "you", zero fields left out, winner 2.
    stock = {
        "state": {
            "cells": [[2, 2, 2], [1, 1, -1], [1, -1, -1]],
            "players": [ANN.to_json(full=True), BOB.to_json(full=True)],
            "player_turn": 1,
            "winner": 2,
            "rematch_countdown": 10,
        },
        "your_turn": False,
    }
    data = json.dumps(stock).encode()
    assert decode_state(data, my_user_id="u-bob").result == "win"
    assert decode_state(data, my_user_id="u-ann").result == "loss"
    assert decode_state(data, my_user_id="someone-else").result is None  # never guessed


def test_plain_text_op2_is_a_server_message():
    with pytest.raises(PlainTextPayload) as info:
        decode_state(b"Server shutting down in 10 seconds")
    assert info.value.text == "Server shutting down in 10 seconds"


@pytest.mark.parametrize(
    "data",
    [b"{}", b"[]", b'{"state": 3}', b'{"state": {"cells": "x"}}', b'{"state": {"cells": [[-1]]}}'],
)
def test_json_that_is_not_a_state_is_a_payload_error(data):
    with pytest.raises(PayloadError):
        decode_state(data)


def test_move_round_trip_and_garbage():
    assert decode_move(encode_move(1, 3)) == (1, 3)
    for bad in [b"", b"row=1", b"[1, 3]", b'{"row": 1}', b"\xff\xfe"]:
        with pytest.raises(PayloadError):
            decode_move(bad)


def test_a_move_reads_as_two_whole_numbers_whatever_was_sent():
    assert decode_move(b'{"row": 2.0, "col": 3e0}') == (2, 3)
    for value in (b"true", b'"1"', b"1.5", b"[1]", b"null", b"1e400"):
        row, col = decode_move(b'{"row": ' + value + b', "col": 1}')
        assert (row, col) == (NOT_A_COORDINATE, 1) and type(row) is int
    assert decode_move(b'{"row": 7, "col": -2}') == (7, -2)  # whole numbers as sent: the rules judge the range


def test_deeply_nested_json_is_a_payload_error_not_a_crash():
    with pytest.raises(PayloadError):
        decode_move(b"[" * 5000)
    with pytest.raises(PayloadError):
        decode_state(b"[" * 5000)

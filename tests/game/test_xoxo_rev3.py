"""Revision 3's payloads and values: the label's ``rated``, claims (op 6), the rating change (op 7),
the new state fields, standings as leaderboard metadata, and the terminations a state can carry."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.rating import Rating, rate_game
from game.rating import Result as RatingResult
from game.rules import Board, Termination, from_state, to_state
from game.standing import Standing, canonical_json, json_number
from game.xoxo import (
    PROTOCOL,
    AwayClock,
    Claim,
    Gone,
    GoneReason,
    MatchLabel,
    PayloadError,
    PlayerRating,
    Presence,
    RatingNews,
    ShownRating,
    decode_claim,
    decode_rating_news,
    decode_state,
    encode_claim,
    encode_rating_news,
    encode_state,
    join_metadata,
)

ANN = Presence("u-ann", "s-ann", "ann")
BOB = Presence("u-bob", "s-bob", "bob")


def test_our_client_declares_revision_4():
    assert PROTOCOL == 4 and join_metadata() == {"protocol": "4"}


def test_the_label_carries_rated_and_older_labels_read_as_unrated():
    label = MatchLabel(3, open=False, game=2, rated=True)
    assert label.encode() == '{"protocol":3,"open":0,"game":2,"rated":1}'
    assert MatchLabel.decode(label.encode()) == label and label.claims
    assert MatchLabel.decode('{"protocol":2,"open":1,"game":0}') == MatchLabel(2, True, 0, False)
    assert not MatchLabel.decode('{"protocol":2}').claims
    assert MatchLabel.decode('{"protocol":3,"rated":true}').rated is False  # a bool is not 0 or 1


def test_claims_round_trip_and_anything_else_is_a_bad_payload():
    for claim in Claim:
        assert decode_claim(encode_claim(claim)) is claim
    assert decode_claim(b'{"claim": "draw", "x": 1}') is Claim.DRAW
    for bad in (b"", b"{}", b'{"claim": "Win"}', b'{"claim": 1}', b"[1]", b'"win"', b'{"claim": NaN}', b"\xff",
                b'{"claim": "win"}' + b" " * 120):
        with pytest.raises(PayloadError):
            decode_claim(bad)


def test_terminations_without_a_result_and_called_draws_survive_the_state():
    board = Board.new().play(2, 2)
    for termination, winner in ((Termination.ABORTED, None), (Termination.DRAW_CALLED, None), (Termination.CLAIMED, 2)):
        finished = board.finish(termination, winner)
        state = to_state(finished, [])
        assert state["draw"] is (termination is Termination.DRAW_CALLED)
        assert from_state({**state, "reason": termination.value}).outcome == finished.outcome
    assert not Termination.ABORTED.counts and Termination.CLAIMED.counts


def test_a_winner_beside_a_reason_without_one_reads_as_the_opponent_left():
    state = to_state(Board.new().finish(Termination.CLAIMED, 1), [])
    assert from_state({**state, "reason": "aborted"}).outcome.termination is Termination.OPPONENT_LEFT


def test_the_state_carries_ratings_the_away_clock_an_abort_and_the_end_of_the_match():
    running = Board.new().play(1, 1)
    data = encode_state(running, (ANN, BOB), 1, turn_seconds_left=None,
                        ratings=(ShownRating(1508, True), ShownRating(1623, False)),
                        away=AwayClock(13.6049, 20.0, -1.0), opponent_connected=False)
    view = decode_state(data)
    assert [r.label for r in view.ratings] == ["1508?", "1623"] and view.rating_of(2) == ShownRating(1623, False)
    assert view.away == AwayClock(13.6, 20.0, 0.0) and view.away.claimable
    over = running.finish(Termination.ABORTED, None)
    view = decode_state(encode_state(over, (ANN, BOB), 2, aborted_by=2, match_over=Gone(GoneReason.IDLE)))
    assert view.aborted_by == 2 and view.match_over == Gone(GoneReason.IDLE) and view.result is None
    assert view.away is None


def test_stock_and_older_states_read_with_the_new_fields_empty():
    view = decode_state(encode_state(Board.new(), (ANN, BOB), 1))
    assert (view.ratings, view.away, view.aborted_by, view.match_over) == ((None, None), None, 0, None)
    state = json.loads(encode_state(Board.new(), (ANN, BOB), 1))["state"]
    assert not {"ratings", "opponent_away_seconds_left", "aborted_by", "match_over"} & set(state)


def test_unreadable_ratings_are_left_out_one_by_one():
    data = json.loads(encode_state(Board.new(), (ANN, BOB), 1))
    data["state"]["ratings"] = [{"shown": "1500"}, {"shown": 1499.0, "provisional": False}]
    assert decode_state(json.dumps(data).encode()).ratings == (None, ShownRating(1499, False))


def news() -> RatingNews:
    veteran = Standing(Rating(1700.0, 80.0, 0.059), wins=20, losses=5, draws=9)
    change = rate_game(Rating(), veteran.rating, RatingResult.DRAW)
    return RatingNews(3, (
        PlayerRating("u-ann", "ann", Standing(), Standing(change.first.after, draws=1)),
        PlayerRating("u-bob", "bob", veteran, Standing(change.second.after, 20, 5, 10)),
    ))


def test_the_rating_change_writes_sorted_keys_and_whole_numbers_as_integers():
    data = encode_rating_news(news())
    text = data.decode()
    assert text.startswith('{"game":3,"players":[{"after":{') and '"before":{"deviation":350,"rating":1500,' in text
    assert '"delta":' in text and "1500.0" not in text
    again = decode_rating_news(data)
    for read, sent in zip(again.players, news().players, strict=True):  # op 7 carries the record after the game only
        assert (read.user_id, read.username, read.before.rating, read.after) == (sent.user_id, sent.username,
                                                                                 sent.before.rating, sent.after)
    ann = again.of("u-ann")
    assert ann.provisional and ann.delta == ann.after.rating.shown - 1500 and again.opponent_of("u-ann").username == "bob"


@pytest.mark.parametrize("bad", [b"[]", b'{"players": []}', b'{"players": [{}, {}]}',
                                 b'{"players": [{"user_id": "a", "username": "a", "before": {}, "after": {}}, 1]}'])
def test_an_unreadable_rating_change_is_a_payload_error(bad):
    with pytest.raises(PayloadError):
        decode_rating_news(bad)


def test_standings_round_trip_through_their_metadata_exactly():
    standing = Standing(Rating(1662.3108939062977, 290.31896371798047, 0.05999967537233814), 3, 1, 2, 1, "m/4")
    text = standing.metadata_json()
    assert list(json.loads(text)) == sorted(json.loads(text))
    assert Standing.from_metadata(text) == standing and Standing.from_metadata(json.loads(text)) == standing
    assert standing.games == 6 and standing.score == 1662


@pytest.mark.parametrize("bad", ["", "not json", "[1]", '{"deviation": -1}', '{"wins": -3, "rating": "x"}', b"\xff"])
def test_unreadable_metadata_starts_from_the_defaults(bad):
    standing = Standing.from_metadata(bad)
    assert standing.rating == Rating() and standing.games == 0


def test_a_standing_never_scores_below_zero():
    assert Standing(Rating(-40.0)).score == 0


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15))
def test_json_numbers_keep_their_value(x):
    assert json.loads(canonical_json({"x": x}))["x"] == x
    assert isinstance(json_number(x), int) == x.is_integer()

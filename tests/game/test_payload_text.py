"""Op 2 and op 7 written piece by piece are byte for byte the payloads their encoders document.

``encode_state`` (op 2, through ``StateText``) and ``encode_rating_news`` (op 7) once built
each payload as a dict and dumped it; they now write the text directly (issue 24: the
host's CPU per game). The references below are those dicts, dumped as before; Hypothesis
varies every field, with names that need escaping, numbers of every shape (whole floats,
integers where floats are expected, exponents, tiny and huge values) and both players
present or not, and the two must be the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from game import fastjson
from game.rating import Rating
from game.rules import Board, Termination, reachable_positions, to_state
from game.standing import Standing, canonical_json
from game.xoxo import (
    AwayClock,
    Gone,
    GoneReason,
    PlayerRating,
    Presence,
    RatingNews,
    RematchMode,
    ShownRating,
    StateText,
    encode_rating_news,
    encode_state,
)


def reference(
    board: Board,
    players: tuple[Presence | None, Presence | None],
    you: int,
    *,
    game: int = 1,
    rematch_countdown: int | None = None,
    rematch_asked: tuple[bool, bool] = (False, False),
    rematch_mode: RematchMode = RematchMode.AUTO,
    turn_seconds_left: float | None = None,
    turn_seconds: float | None = None,
    opponent_connected: bool = True,
    ratings: tuple[ShownRating, ShownRating] | None = None,
    away: AwayClock | None = None,
    aborted_by: int = 0,
    match_over: Gone | None = None,
    reactions: bool = False,
) -> bytes:
    """encode_state as it was written before issue 24: the payload as a dict, dumped."""
    full = [p.to_json(full=True) if p is not None else None for p in players]
    extra: dict[str, Any] = {"game": game, "opponent_connected": opponent_connected}
    out = board.outcome
    if out is not None:
        extra["reason"] = out.termination.value
        if out.line is not None:
            extra["line"] = [list(c) for c in out.line]
        if rematch_countdown is not None:
            extra["rematch_countdown"] = rematch_countdown
        extra["rematch_asked"] = list(rematch_asked)
        extra["rematch_mode"] = rematch_mode.value
        if aborted_by:
            extra["aborted_by"] = aborted_by
        if match_over is not None:
            extra["match_over"] = {"user_id": match_over.user_id, "username": match_over.username,
                                   "reason": match_over.reason.value}
    else:
        if turn_seconds_left is not None:
            extra["turn_seconds_left"] = round(max(0.0, turn_seconds_left), 2)
            extra["turn_seconds"] = turn_seconds
        if away is not None:
            extra["opponent_away_seconds_left"] = round(max(0.0, away.seconds_left), 2)
            extra["opponent_away_seconds"] = away.seconds
            extra["claim_seconds_left"] = round(max(0.0, away.claim_seconds_left), 2)
    if reactions:
        extra["reactions"] = True
    if ratings is not None:
        extra["ratings"] = [{"shown": r.shown, "provisional": r.provisional} for r in ratings]
    state = to_state(board, full, **extra)
    payload = {
        "state": state,
        "active_player": full[board.to_move - 1],
        "other_player": full[2 - board.to_move],
        "your_turn": out is None and board.to_move == you,
        "you": you,
    }
    return fastjson.dumps(payload)


POSITIONS = reachable_positions(1, finished=True) + reachable_positions(2, finished=True)
FINISHES = [(t, w) for t in Termination for w in (None, 1, 2) if t not in (Termination.LINE, Termination.DRAW)]


@st.composite
def boards(draw: Any) -> Board:
    board = draw(st.sampled_from(POSITIONS))
    if board.outcome is None and draw(st.booleans()):
        termination, winner = draw(st.sampled_from(FINISHES))
        board = board.finish(termination, winner)
    return board


names = st.text(alphabet=st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from('"\\/\n\x00\u2028é名😀:1e5,')),
                max_size=12)
presences = st.builds(Presence, names, names, names, names)
# Every shape of number the fields may carry: whole and fractional floats, integers, exponents either way.
seconds = st.one_of(st.floats(min_value=-5, max_value=90000, allow_nan=False), st.integers(min_value=0, max_value=86400),
                    st.sampled_from([0.0, 1e-05, 0.004, 0.005, 30.0, 1e16, 1.5e300, 5e-324, 29.995, -0.0]))
wholes = st.integers(min_value=-3, max_value=10**20)
ratings = st.tuples(st.builds(ShownRating, wholes, st.booleans()), st.builds(ShownRating, wholes, st.booleans()))
gones = st.builds(Gone, st.sampled_from(list(GoneReason)), names, names)


@settings(max_examples=400, deadline=None)
@given(board=boards(), players=st.tuples(st.none() | presences, st.none() | presences), you=st.sampled_from([1, 2]),
       game=wholes, countdown=st.none() | st.integers(min_value=0, max_value=3600),
       asked=st.tuples(st.booleans(), st.booleans()), mode=st.sampled_from(list(RematchMode)),
       left=st.none() | seconds, turn=st.none() | seconds, connected=st.booleans(), shown=st.none() | ratings,
       away=st.none() | st.builds(AwayClock, seconds, seconds, seconds), aborted_by=st.sampled_from([0, 1, 2]),
       over=st.none() | gones, reactions=st.booleans())
def test_the_state_is_the_documented_payload_byte_for_byte(
    board: Board, players: tuple[Presence | None, Presence | None], you: int, game: int, countdown: int | None,
    asked: tuple[bool, bool], mode: RematchMode, left: float | None, turn: float | None, connected: bool,
    shown: tuple[ShownRating, ShownRating] | None, away: AwayClock | None, aborted_by: int, over: Gone | None,
    reactions: bool,
) -> None:
    shared: dict[str, Any] = dict(game=game, rematch_countdown=countdown, rematch_asked=asked, rematch_mode=mode,
                                  turn_seconds_left=left, turn_seconds=turn, aborted_by=aborted_by)
    own: dict[str, Any] = dict(opponent_connected=connected, ratings=shown, away=away, match_over=over,
                               reactions=reactions)
    expected = reference(board, players, you, **shared, **own)
    assert encode_state(board, players, you, **shared, **own) == expected
    # One StateText serves both players, each with their own fields (and the other's in between).
    text = StateText(board, players, **shared)
    assert text.payload(3 - you) == reference(board, players, 3 - you, **shared)
    assert text.payload(you, **own) == expected
    assert json.loads(expected)["you"] == you


def test_a_state_in_a_game_reads_as_before() -> None:
    """One payload spelled out, so that a reader sees what the writer writes."""
    board = Board.new(1).play(2, 2)
    ann, bob = Presence("u1", "s1", "ann", "n"), Presence("u2", "s2", 'b"ob', "n")
    data = encode_state(board, (ann, bob), 2, game=3, turn_seconds_left=29.996, turn_seconds=30.0,
                        ratings=(ShownRating(1500), ShownRating(1623, False)), reactions=True)
    assert data == (
        b'{"state":{"cells":[[-1,-1,-1],[-1,1,-1],[-1,-1,-1]],"players":[{"user_id":"u1","session_id":"s1",'
        b'"username":"ann","node":"n","reason":0},{"user_id":"u2","session_id":"s2","username":"b\\"ob","node":"n",'
        b'"reason":0}],"player_turn":2,"winner":false,"draw":false,"game":3,"opponent_connected":true,'
        b'"turn_seconds_left":30.0,"turn_seconds":30.0,"reactions":true,"ratings":[{"shown":1500,"provisional":true},'
        b'{"shown":1623,"provisional":false}]},"active_player":{"user_id":"u2","session_id":"s2","username":"b\\"ob",'
        b'"node":"n","reason":0},"other_player":{"user_id":"u1","session_id":"s1","username":"ann","node":"n",'
        b'"reason":0},"your_turn":true,"you":2}'
    )


# Ratings of every shape a standing may hold: whole and fractional, past 2**53, tiny volatilities written with an exponent.
reals = st.one_of(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(-5000, 5000).map(float),
                  st.sampled_from([1500.0, 2.0**53, 2.0**53 + 2.0, 1e300, 0.5, 1e-7]))
positives = st.one_of(st.floats(min_value=1e-9, max_value=1e6), st.sampled_from([350.0, 0.06, 1e-05, 2.0**60]))
standings = st.builds(Standing, st.builds(Rating, reals, positives, positives), st.integers(0, 10**6),
                      st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 3), names)
player_ratings = st.builds(PlayerRating, names, names, standings, standings)


@settings(max_examples=300, deadline=None)
@given(game=st.integers(min_value=0, max_value=10**20), players=st.tuples(player_ratings, player_ratings))
def test_op_7_is_the_canonical_json_of_the_news(game: int, players: tuple[PlayerRating, PlayerRating]) -> None:
    news = RatingNews(game, players)
    expected = canonical_json({"game": news.game, "players": [p.to_json() for p in news.players]}).encode()
    assert encode_rating_news(news) == expected

"""Revision 4: quick reactions (op 8) in the match handler, on a manual clock, and their payloads.

A reaction goes to the opponent alone, only between players who declared 4, at most
three in any ten seconds a player; the state says whether the opponent sees them.
"""

from __future__ import annotations

import json

import pytest

from game.match import LeaveReason, MatchMessage, MatchSettings, XoxoMatch
from game.xoxo import (
    MAX_MOVE_BYTES,
    OP_REACTION,
    OP_REJECTED,
    PayloadError,
    Presence,
    Reaction,
    RelayedReaction,
    decode_reaction,
    decode_relayed_reaction,
    decode_state,
    encode_reaction,
    encode_relayed_reaction,
)
from tests.game.test_match import ANN, BOB, EVE, WIN, Clock, Recorder, play

HAIR = 0.001


def match4(protocols: tuple[str | None, str | None] = ("4", "4"), **settings) -> tuple[XoxoMatch, Recorder, Clock]:
    """A match whose players joined declaring ``protocols`` (None: a stock client); game 1 on, the log empty."""
    clock = Clock()
    rec = Recorder()
    match = XoxoMatch("m1", rec, MatchSettings(**settings), clock=clock, wall_clock=clock)
    for p, protocol in zip((ANN, BOB), protocols, strict=True):
        assert match.join_attempt(p, {"protocol": protocol} if protocol else None) is None
        match.join(p)
    rec.take()
    return match, rec, clock


def react(match: XoxoMatch, who: Presence, reaction: Reaction | bytes) -> None:
    data = encode_reaction(reaction) if isinstance(reaction, Reaction) else reaction
    match.handle(MatchMessage(who, OP_REACTION, data))


def sent(rec: Recorder) -> list[tuple[int, tuple[str, ...], dict]]:
    """(op, recipients' session ids, payload) of everything sent since the last look."""
    return [(e[1], e[3], json.loads(e[2])) for e in rec.take() if e[0] == "send"]


def test_a_reaction_goes_to_the_opponent_alone_naming_its_sender():
    match, rec, _ = match4()
    react(match, ANN, Reaction.GOOD_GAME)
    assert sent(rec) == [(OP_REACTION, ("s-bob",), {"reaction": "good_game", "user_id": "u-ann", "username": "ann"})]
    react(match, BOB, Reaction.HELLO)
    assert sent(rec) == [(OP_REACTION, ("s-ann",), {"reaction": "hello", "user_id": "u-bob", "username": "bob"})]


def test_reactions_are_sent_between_games_too_and_change_nothing_in_the_game():
    match, rec, _ = match4()
    play(match, WIN)
    board = match.board
    rec.take()
    react(match, BOB, Reaction.WELL_PLAYED)
    assert [(op, to) for op, to, _ in sent(rec)] == [(OP_REACTION, ("s-ann",))]
    assert match.board is board and match.game == 1


def test_three_reactions_in_ten_seconds_then_a_refusal_to_the_sender_until_the_first_is_ten_seconds_old():
    match, rec, clock = match4()
    for reaction in (Reaction.HELLO, Reaction.OOPS, Reaction.THINKING):
        react(match, ANN, reaction)
        clock.now += 1
    assert [to for _, to, _ in sent(rec)] == [("s-bob",)] * 3
    clock.now = 1000.0 + 10 - HAIR  # the first went at 1000.0
    react(match, ANN, Reaction.REMATCH)
    ((op, to, refusal),) = sent(rec)
    assert (op, to, refusal["reason"]) == (OP_REJECTED, ("s-ann",), "too_many_reactions")
    assert refusal["message"] == "at most 3 reactions in 10 s: try again in 1 s"
    react(match, BOB, Reaction.HELLO)  # the limit is each player's own
    assert [to for _, to, _ in sent(rec)] == [("s-ann",)]
    clock.now = 1000.0 + 10
    react(match, ANN, Reaction.REMATCH)
    assert [(op, to) for op, to, _ in sent(rec)] == [(OP_REACTION, ("s-bob",))]
    react(match, ANN, Reaction.REMATCH)  # the second went at 1001.0: still inside its window
    assert [p["reason"] for op, _, p in sent(rec) if op == OP_REJECTED] == ["too_many_reactions"]


def test_the_limit_holds_across_a_reconnection():
    match, rec, _ = match4()
    for _ in range(3):
        react(match, ANN, Reaction.HELLO)
    match.leave(ANN, LeaveReason.DISCONNECTED)
    again = Presence("u-ann", "s-ann-2", "ann")
    assert match.join_attempt(again, {"protocol": "4"}) is None
    match.join(again)
    rec.take()
    react(match, again, Reaction.HELLO)
    assert [p["reason"] for op, _, p in sent(rec) if op == OP_REJECTED] == ["too_many_reactions"]


@pytest.mark.parametrize("protocols", [("4", "3"), ("4", None), ("4", "2")])
def test_an_opponent_who_did_not_declare_4_never_gets_one(protocols):
    match, rec, _ = match4(protocols)
    react(match, ANN, Reaction.GOOD_GAME)
    assert sent(rec) == []  # nothing relayed, nothing refused


@pytest.mark.parametrize("protocols", [("3", "4"), (None, "4")])
def test_a_sender_who_did_not_declare_4_is_told_the_op_means_nothing(protocols):
    match, rec, _ = match4(protocols)
    react(match, ANN, Reaction.GOOD_GAME)
    assert [(op, to, p["reason"]) for op, to, p in sent(rec)] == [(OP_REJECTED, ("s-ann",), "unknown_op")]


def test_an_absent_opponent_misses_the_reaction_and_it_still_counts():
    match, rec, _ = match4()
    match.leave(BOB, LeaveReason.DISCONNECTED)
    rec.take()
    for _ in range(3):
        react(match, ANN, Reaction.THINKING)
    assert sent(rec) == []
    react(match, ANN, Reaction.THINKING)
    assert [p["reason"] for _, _, p in sent(rec)] == ["too_many_reactions"]


def test_before_the_opponent_joins_there_is_nobody_to_react_to():
    clock, rec = Clock(), Recorder()
    match = XoxoMatch("m1", rec, MatchSettings(), clock=clock, wall_clock=clock)
    assert match.join_attempt(ANN, {"protocol": "4"}) is None
    match.join(ANN)
    react(match, ANN, Reaction.HELLO)
    assert [(op, p["reason"]) for op, _, p in sent(rec)] == [(OP_REJECTED, "not_started")]


def test_strangers_and_stale_sessions_are_ignored():
    match, rec, _ = match4()
    react(match, EVE, Reaction.HELLO)
    react(match, Presence("u-ann", "s-old", "ann"), Reaction.HELLO)
    assert sent(rec) == []


@pytest.mark.parametrize("data", [
    b'{"reaction": "lol"}', b'{"reaction": "HELLO"}', b'{"reaction": 1}', b'{"reactions": "hello"}', b"[]", b"hello",
    b'{"reaction": "hello", "x": NaN}', b"\xff", b'{"reaction": "hello", "pad": "' + b"x" * MAX_MOVE_BYTES + b'"}',
])
def test_a_reaction_that_is_not_one_of_the_six_is_refused_and_never_echoed(data):
    match, rec, _ = match4()
    react(match, ANN, data)
    ((op, to, refusal),) = sent(rec)
    assert (op, to, refusal["reason"]) == (OP_REJECTED, ("s-ann",), "bad_payload")
    assert "lol" not in refusal["message"] and "pad" not in refusal["message"]
    react(match, ANN, Reaction.HELLO)  # a refused one does not count towards the limit
    react(match, ANN, Reaction.HELLO)
    react(match, ANN, Reaction.HELLO)
    assert [op for op, _, _ in sent(rec)] == [OP_REACTION] * 3


@pytest.mark.parametrize(("protocols", "ann_sees", "bob_sees"), [
    (("4", "4"), True, True), (("4", "3"), False, False), ((None, "4"), False, False),
])
def test_the_state_says_whether_the_opponent_sees_reactions(protocols, ann_sees, bob_sees):
    match, rec, _ = match4(protocols)
    match.handle(MatchMessage(ANN, 1, b'{"row": 2, "col": 2}'))
    log = rec.take()
    (ann_raw,), (bob_raw,) = ([e[2] for e in log if e[0] == "send" and e[3] == (p.session_id,)] for p in (ANN, BOB))
    assert (decode_state(ann_raw).reactions, decode_state(bob_raw).reactions) == (ann_sees, bob_sees)
    if not ann_sees:
        assert "reactions" not in json.loads(ann_raw)["state"]  # a stock client, or ours at 3, never sees the field


def test_payloads_round_trip():
    for reaction in Reaction:
        assert decode_reaction(encode_reaction(reaction)) is reaction
        relayed = decode_relayed_reaction(encode_relayed_reaction(reaction, ANN))
        assert relayed == RelayedReaction(reaction, "u-ann", "ann")
    assert len(Reaction) == 6
    assert decode_reaction(b'{"reaction":"oops","extra":1}') is Reaction.OOPS
    with pytest.raises(PayloadError):
        decode_relayed_reaction(b'{"reaction": "shout"}')
    with pytest.raises(PayloadError):
        decode_relayed_reaction(b"not json")
    odd = decode_relayed_reaction(b'{"reaction": "hello", "user_id": 5, "username": ["x"]}')
    assert odd == RelayedReaction(Reaction.HELLO)


def test_a_state_without_the_field_reads_as_no_reactions():
    match, rec, _ = match4(("4", "4"))
    match.handle(MatchMessage(ANN, 1, b'{"row": 1, "col": 1}'))
    raw = next(e[2] for e in rec.log if e[0] == "send" and e[3] == ("s-bob",))
    obj = json.loads(raw)
    del obj["state"]["reactions"]
    assert not decode_state(json.dumps(obj).encode()).reactions

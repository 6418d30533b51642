"""The host's pure parts: the matchmaker's rules, queries and properties, and the codec's fast match_data path."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.xoxo import Presence
from net.codec import Envelope, MatchData, decode_server, encode
from net.host.matchmaker import Matchmaker, MatchmakerError, Query


def p(user: str, session: str | None = None) -> Presence:
    return Presence(f"u-{user}", f"s-{session or user}", user)


def test_two_users_are_paired_the_moment_the_second_arrives():
    mm = Matchmaker()
    first, pair = mm.add(p("ann"), 2, 2, "*")
    assert pair is None and len(mm) == 1
    second, pair = mm.add(p("bob"), 2, 2, "")
    assert pair == (first, second) and len(mm) == 0


def test_oldest_other_user_first_and_never_oneself():
    mm = Matchmaker()
    a1, _ = mm.add(p("ann", "a1"), 2, 2, "*")
    a2, _ = mm.add(p("ann", "a2"), 2, 2, "*")
    assert len(mm) == 2
    b, pair = mm.add(p("bob"), 2, 2, "*")
    assert pair == (a1, b)
    c, pair = mm.add(p("cat"), 2, 4, "*")
    assert pair == (a2, c)


@pytest.mark.parametrize("counts", [(1, 2), (0, 0), (3, 2), (3, 3), (2, 1)])
def test_counts_are_checked(counts):
    with pytest.raises(MatchmakerError):
        Matchmaker().add(p("ann"), *counts, "*")


@pytest.mark.parametrize("query", ["region:eu", "+properties.region:>3", "properties.region", "*x", "+properties.a:b OR c"])
def test_queries_outside_the_supported_forms_are_refused(query):
    with pytest.raises(MatchmakerError, match="query"):
        Matchmaker().add(p("ann"), 2, 2, query)


def test_query_forms():
    eu = {"region": "eu"}
    assert Query.parse("*").accepts({}, {}) and Query.parse("").accepts(eu, {})
    assert Query.parse("+properties.region:eu").accepts(eu, {})
    assert not Query.parse("+properties.region:eu").accepts({}, {})
    assert not Query.parse("-properties.region:eu").accepts(eu, {})
    assert Query.parse("-properties.region:eu").accepts({"region": "us"}, {})
    assert Query.parse('+properties.name:"two words"').accepts({"name": "two words"}, {})
    assert Query.parse("+properties.level:3").accepts({}, {"level": 3.0})
    assert Query.parse("properties.a:1 properties.b:2").accepts({"b": "2"}, {})  # one optional term is enough
    assert not Query.parse("properties.a:1 properties.b:2").accepts({"c": "3"}, {})


def test_friends_with_a_code_meet_each_other_and_strangers_meet_strangers():
    mm = Matchmaker()
    code = "+properties.code:K7QX"
    friend_a, pair = mm.add(p("ann"), 2, 2, code, {"code": "K7QX"})
    assert pair is None
    stranger_1, pair = mm.add(p("sam"), 2, 2, "*")
    assert pair is None  # matching is mutual: ann's query wants the code, sam has none
    _other_code, pair = mm.add(p("oli"), 2, 2, "+properties.code:ZZZZ", {"code": "ZZZZ"})
    assert pair is None
    friend_b, pair = mm.add(p("bob"), 2, 2, code, {"code": "K7QX"})
    assert pair == (friend_a, friend_b)
    stranger_2, pair = mm.add(p("tom"), 2, 2, "*")
    assert pair == (stranger_1, stranger_2)
    assert len(mm) == 1  # oli still waits for the friend with ZZZZ


def test_three_tickets_a_session_and_removal():
    mm = Matchmaker()
    tickets = [mm.add(p("ann"), 2, 2, "*")[0] for _ in range(3)]
    with pytest.raises(MatchmakerError, match="3"):
        mm.add(p("ann"), 2, 2, "*")
    mm.add(p("ann", "other-session"), 2, 2, "*")  # the limit is per session
    with pytest.raises(MatchmakerError):
        mm.remove("s-other-session", tickets[0].ticket)  # not that session's ticket
    mm.remove("s-ann", tickets[0].ticket)
    with pytest.raises(MatchmakerError):
        mm.remove("s-ann", tickets[0].ticket)
    assert mm.remove_session("s-ann") == 2 and len(mm) == 1


@pytest.mark.parametrize("data", [b"", b"x", b'{"state":{"cells":[]}}', bytes(range(256))])
@pytest.mark.parametrize("match_id", ["4f1e.host", 'we"ird\\id', "ünï.host", ""])
def test_the_codecs_fast_match_data_path_writes_exactly_the_generic_frame(match_id, data):
    for op in (0, 2, 5, 2**63 - 1, -1):
        message = MatchData(match_id, op, data)
        assert encode(message) == encode(Envelope(message))  # the fast path against the generic one


@given(st.text(max_size=30), st.integers(-(2**63), 2**63 - 1), st.binary(max_size=100))
def test_fast_frame_decodes_back(match_id, op, data):
    assert decode_server(encode(MatchData(match_id, op, data))).message == MatchData(match_id, op, data)

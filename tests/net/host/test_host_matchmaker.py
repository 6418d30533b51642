"""The host's matchmaker: Nakama's query language (required, optional, forbidden, boosted, ranges) and who meets whom.

Most tests drive net.host.matchmaker directly (no sockets); the last one goes through a real host on loopback.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.xoxo import Presence
from net.host.matchmaker import MAX_TERMS, Matchmaker, MatchmakerError, Query, Term


def p(user: str, session: str | None = None) -> Presence:
    return Presence(f"u-{user}", f"s-{session or user}", user)


# Pairing, counts and tickets ------------------------------------------------------------


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


# The query language ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "region:eu",  # only properties.KEY terms
        "properties.region",
        "*x",
        "+properties.a:b OR c",
        "properties.a:b~2",  # fuzzy
        "properties.a:K*",  # wildcard
        "properties.a:/re/",  # regular expression
        "properties.a:b:c",
        "properties.a:=3",
        "properties.a:-x",
        "properties.rating:>=1e3",  # Bleve's numbers have no exponent
        "properties.rating:>abc",
        'properties.day:>"2021-12-25"',  # date ranges
        "properties.rating:>= 1400",
        "properties.a:b^x",
        "properties.a:b^-1",
        "properties.a:b^2x",
        "properties.a:b^99999999",
        "+ properties.a:b",
    ],
)
def test_queries_outside_the_supported_forms_are_refused(query):
    with pytest.raises(MatchmakerError, match="query"):
        Matchmaker().add(p("ann"), 2, 2, query)


def test_terms_are_parsed_with_their_occurrence_range_and_boost():
    terms = Query.parse(
        '+properties.code:K7QX -properties.region:"far away" properties.rating:>=1400^3 properties.rating:<-2.5^ '
        "properties.level:3^0.5 properties.x:y^.25"
    ).terms
    assert terms == (
        Term("code", "K7QX", "+"),
        Term("region", "far away", "-"),
        Term("rating", "", "", ">=", 1400.0, 3.0),
        Term("rating", "", "", "<", -2.5, 1.0),  # a bare ^ is a boost of 1, as in Bleve
        Term("level", "3", "", boost=0.5),
        Term("x", "y", "", boost=0.25),
    )
    with pytest.raises(MatchmakerError, match=str(MAX_TERMS)):
        Query.parse(" ".join(["properties.a:b"] * (MAX_TERMS + 1)))


def test_query_forms():
    eu = {"region": "eu"}
    assert Query.parse("*").accepts({}, {}) and Query.parse("").accepts(eu, {})
    assert Query.parse("+properties.region:eu").accepts(eu, {})
    assert not Query.parse("+properties.region:eu").accepts({}, {})
    assert not Query.parse("-properties.region:eu").accepts(eu, {})
    assert Query.parse("-properties.region:eu").accepts({"region": "us"}, {})
    assert Query.parse("-properties.region:eu").accepts({}, {})  # forbidden terms alone: anyone else
    assert Query.parse('+properties.name:"two words"').accepts({"name": "two words"}, {})
    assert Query.parse("+properties.level:3").accepts({}, {"level": 3.0})
    assert Query.parse("+properties.level:3.0").accepts({}, {"level": 3.0})
    assert Query.parse("+properties.level:3").accepts({"level": "3"}, {})  # a number also matches the string
    assert not Query.parse("+properties.level:3abc").accepts({}, {"level": 3.0})


def test_numeric_ranges():
    def holds(query: str, rating: float) -> bool:
        return Query.parse(query).accepts({}, {"rating": rating})

    assert holds("+properties.rating:>=1400", 1400.0) and not holds("+properties.rating:>1400", 1400.0)
    assert holds("+properties.rating:<=1600", 1600.0) and not holds("+properties.rating:<1600", 1600.0)
    assert holds("+properties.rating:>=1400 +properties.rating:<=1600", 1500.0)
    assert not holds("+properties.rating:>=1400 +properties.rating:<=1600", 1600.5)
    assert holds("+properties.rating:>-10.5", -10.0)
    assert not holds("-properties.rating:<1000", 999.0)
    assert not Query.parse("+properties.rating:>=0").accepts({"rating": "1500"}, {})  # a string is not a number
    assert not Query.parse("+properties.rating:>=0").accepts({}, {})  # no rating, no range


def test_a_number_wins_over_a_string_of_the_same_key_as_on_nakama():
    query = Query.parse("+properties.level:high")
    assert query.accepts({"level": "high"}, {}) and not query.accepts({"level": "high"}, {"level": 3.0})


def test_optional_terms_rank_but_hold_nobody_back_once_a_term_is_required():
    query = Query.parse("+properties.mode:rated properties.rating:>=1400^2 properties.rating:<=1600^2")
    near, far = ({"mode": "rated"}, {"rating": 1500.0}), ({"mode": "rated"}, {"rating": 2300.0})
    assert query.accepts(*near) and query.accepts(*far)  # optional: both acceptable
    assert query.score(*near) == 4.0 and query.score(*far) == 2.0  # but the near one ranks higher
    assert not query.accepts({}, {"rating": 1500.0})  # the required term still decides


def test_a_query_of_optional_terms_alone_needs_one_of_them_as_in_bleve():
    query = Query.parse("properties.rating:>=1450 properties.rating:<=1550")
    assert query.accepts({}, {"rating": 3000.0}) and query.accepts({}, {"rating": 0.0})  # one side always holds
    assert not query.accepts({}, {})  # a ticket without a rating meets neither
    assert Query.parse("properties.a:1 properties.b:2").accepts({"b": "2"}, {})
    assert not Query.parse("properties.a:1 properties.b:2").accepts({"c": "3"}, {})
    assert not Query.parse("-properties.c:3 properties.a:1").accepts({}, {})  # a forbidden term does not make it optional


# Ranking: near ratings first, nobody held back ---------------------------------------------


def bands(rating: int) -> str:
    """The kind of query a rated client sends: optional bands around its rating, the inner ones boosted."""
    return (
        f"properties.rating:>={rating - 50}^3 properties.rating:<={rating + 50}^3 "
        f"properties.rating:>={rating - 200} properties.rating:<={rating + 200}"
    )


def test_the_nearest_rating_is_taken_when_several_wait():
    mm = Matchmaker()
    # Two players who exclude each other by required windows wait; a newcomer fits both.
    far, _ = mm.add(p("ann"), 2, 2, "+properties.rating:>=1300 +properties.rating:<=1550", {}, {"rating": 1400})
    near, pair = mm.add(p("bob"), 2, 2, "+properties.rating:>=1500 +properties.rating:<=1700", {}, {"rating": 1560})
    assert pair is None and len(mm) == 2
    newcomer, pair = mm.add(p("cat"), 2, 2, bands(1540), {}, {"rating": 1540})
    assert pair == (near, newcomer)  # bob is 20 away, ann 140: bob, though ann waited longer
    assert list(mm._waiting.values()) == [far]


def test_the_waiting_players_preferences_count_too():
    mm = Matchmaker()
    a, _ = mm.add(p("ann"), 2, 2, "+properties.side:b " + bands(1200), {}, {"rating": 1200})
    b, _ = mm.add(p("bob"), 2, 2, "+properties.side:b " + bands(1800), {}, {"rating": 1800})
    newcomer, pair = mm.add(p("cat"), 2, 2, "*", {"side": "b"}, {"rating": 1750})  # cat ranks nobody
    assert pair == (b, newcomer)
    assert len(mm) == 1 and a in mm._waiting.values()


def test_equal_ranks_go_to_the_oldest_ticket():
    mm = Matchmaker()
    older, _ = mm.add(p("ann"), 2, 2, "+properties.side:b", {}, {"rating": 1450})
    mm.add(p("bob"), 2, 2, "+properties.side:b", {}, {"rating": 1650})
    newcomer, pair = mm.add(p("cat"), 2, 2, bands(1550), {"side": "b"}, {"rating": 1550})
    assert pair == (older, newcomer)  # 100 below and 100 above score alike


def test_nobody_is_held_back_for_a_better_match():
    mm = Matchmaker()
    lone, _ = mm.add(p("ann"), 2, 2, bands(2400), {}, {"rating": 2400})
    newcomer, pair = mm.add(p("bob"), 2, 2, bands(1000), {}, {"rating": 1000})
    assert pair == (lone, newcomer)  # 1400 apart, no band in common: paired at once anyway
    required = "+properties.mode:rated properties.rating:>=1450^5 properties.rating:<=1550^5"
    lone, _ = mm.add(p("cat"), 2, 2, required, {"mode": "rated"}, {"rating": 1500})
    newcomer, pair = mm.add(p("dan"), 2, 2, required, {"mode": "rated"}, {"rating": 900})
    assert pair == (lone, newcomer)  # fails every optional term, meets the required one: paired


def test_tickets_without_a_rating_keep_meeting_as_before():
    mm = Matchmaker()
    stock, _ = mm.add(p("ann"), 2, 2, "*")
    rated, pair = mm.add(p("bob"), 2, 2, bands(1500), {}, {"rating": 1500})
    assert pair is None  # bob's optional-only query needs a rating: Bleve's rule, as on Nakama
    other_stock, pair = mm.add(p("cat"), 2, 2, "*")
    assert pair == (stock, other_stock)
    assert list(mm._waiting.values()) == [rated]


def window(centre: int, half: int) -> str:
    return f"+properties.rating:>={centre - half} +properties.rating:<={centre + half}"


def test_the_tickets_counts_can_be_queried_as_on_nakama():
    assert Query.parse("+min_count:2 -max_count:>3").terms == (
        Term("min_count", "2", "+", counted=True),
        Term("max_count", "", "-", ">", 3.0, counted=True),
    )
    counts = {"min_count": 2.0, "max_count": 2.0}
    assert Query.parse("+min_count:2").accepts({}, {}, counts)
    assert not Query.parse("+max_count:>=3").accepts({}, {}, counts)
    assert not Query.parse("+min_count:2").accepts({}, {"min_count": 2.0})  # a property is not the count
    assert Query.parse("+properties.min_count:2").accepts({}, {"min_count": 2.0}, {"min_count": 5.0})


def test_a_rated_query_with_a_required_count_still_meets_stock_tickets_last():
    """``+min_count:2`` holds for every ticket, so the rating bands only rank: a stock ``*`` ticket is taken when alone."""
    rated = "+min_count:2 " + bands(1500)
    mm = Matchmaker()
    stock, _ = mm.add(p("ann"), 2, 2, "*")
    newcomer, pair = mm.add(p("bob"), 2, 2, rated, {}, {"rating": 1500})
    assert pair == (stock, newcomer)  # alone: paired at once, though it has no rating
    mm.add(p("cat"), 2, 2, "+properties.side:b", {}, {})
    near, _ = mm.add(p("dan"), 2, 2, "+properties.side:b", {}, {"rating": 1490})
    newcomer, pair = mm.add(p("eve"), 2, 2, rated, {"side": "b"}, {"rating": 1500})
    assert pair == (near, newcomer)  # with a choice, the rated and near one first


ratings = st.integers(800, 2400)
tickets = st.tuples(
    st.sampled_from(["ann", "bob", "cat", "dan", "eve"]),
    ratings,
    st.one_of(
        st.just("*"),
        ratings.map(bands),
        ratings.map(lambda r: "+min_count:2 " + bands(r)),
        st.builds(window, ratings, st.integers(0, 400)),
        st.tuples(ratings, ratings).map(lambda c: f"+properties.rating:>={c[0]} {bands(c[1])}"),
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(tickets, max_size=12))
def test_a_ticket_that_fits_a_waiting_one_never_waits(arrivals):
    """After every arrival no two waiting tickets fit each other, and every pair made fits."""
    mm = Matchmaker()
    for n, (user, rating, query) in enumerate(arrivals):
        ticket, pair = mm.add(p(user, f"{user}-{n}"), 2, 2, query, {}, {"rating": rating})
        if pair is not None:
            assert pair[1] == ticket and pair[0].fits(ticket)
            chosen = ticket.preference(pair[0])
            assert all(ticket.preference(t) <= chosen for t in mm._waiting.values() if ticket.fits(t))
        waiting = list(mm._waiting.values())
        assert not any(a.fits(b) for i, a in enumerate(waiting) for b in waiting[i + 1 :])


# Through a real host ------------------------------------------------------------------------


def test_a_real_host_pairs_the_nearest_rating(running_host, host_client):
    async def scenario():
        ann = await host_client.connect(running_host.port, "ann")
        bob = await host_client.connect(running_host.port, "bob")
        cat = await host_client.connect(running_host.port, "cat")

        async def add(client, query, rating):
            body = {"min_count": 2, "max_count": 2, "query": query, "numeric_properties": {"rating": rating}}
            answer = await client.request("matchmaker_add", body)
            assert "matchmaker_ticket" in answer, answer
            return answer["matchmaker_ticket"]["ticket"]

        await add(ann, "+properties.rating:>=1300 +properties.rating:<=1550", 1400)
        bob_ticket = await add(bob, "+properties.rating:>=1500 +properties.rating:<=1700", 1560)
        assert await ann.sync() == [] and await bob.sync() == []  # they exclude each other
        cat_ticket = await add(cat, bands(1540), 1540)
        for client, ticket in ((bob, bob_ticket), (cat, cat_ticket)):
            matched = await client.find_match_end()
            assert matched["ticket"] == ticket
            assert {u["presence"]["username"] for u in matched["users"]} == {"bob", "cat"}
            assert {u["numeric_properties"]["rating"] for u in matched["users"]} == {1560, 1540}
        assert await ann.sync() == []
        assert running_host.stats().tickets == 1  # ann still waits
        refused = await ann.request("matchmaker_add", {"min_count": 2, "max_count": 2, "query": "properties.a:K*"})
        assert refused["error"]["code"] == 3 and "query" in refused["error"]["message"]

    host_client.run(scenario())

"""The Nakama module's RPC xoxo_stats on the stand-in: who is online, how many games, as our host answers it."""

from __future__ import annotations

import json

from tests.nakama.standin import NakamaRuntime, Presence, new_id


def person(name: str) -> Presence:
    return Presence(new_id(), new_id(), name)


def stats(rt: NakamaRuntime, payload: str = "{}") -> dict[str, int]:
    ok, answer = rt.rpc("xoxo_stats", payload, user_id=new_id())
    assert ok, answer
    return json.loads(answer)


def later(rt: NakamaRuntime, ms: int = 1000) -> None:
    rt.clock_ms += ms  # the figures are worked out at most once a second


def test_a_session_counts_online_once_it_queued_or_joined_and_until_it_closes():
    rt = NakamaRuntime()
    ann, bob, eve = person("ann"), person("bob"), person("eve")
    for p in (ann, bob, eve):
        rt.connect(p)
    assert stats(rt) == {"online": 0, "games": 0}  # signed in, nothing asked of the matchmaker yet
    envelope = rt.realtime("MatchmakerAdd", ann, {"matchmaker_add": {"min_count": 2, "max_count": 2, "query": "*"}})
    assert envelope[b"matchmaker_add"][b"query"] == b"*"  # the message goes on unchanged
    rt.realtime("MatchmakerAdd", ann, {"matchmaker_add": {}})  # twice: still one
    rt.realtime("MatchJoin", bob, {"match_join": {"match_id": "m"}})
    later(rt)
    assert stats(rt) == {"online": 2, "games": 0}
    rt.disconnect(ann)
    assert stats(rt)["online"] == 2  # kept for a second
    later(rt)
    assert stats(rt) == {"online": 1, "games": 0}
    assert rt.logs == []


def test_games_are_the_matches_with_two_players_in_them():
    rt = NakamaRuntime()
    ann, bob, cat, dan = (person(n) for n in ("ann", "bob", "cat", "dan"))
    first = rt.matches[rt.matchmaker_matched([ann, bob])]
    second = rt.matches[rt.matchmaker_matched([cat, dan])]
    for match, players in ((first, (ann, bob)), (second, (cat,))):
        for p in players:
            assert match.join_attempt(p, {"protocol": "4"}) == (True, "")
    assert stats(rt)["games"] == 1  # the second has one player so far
    second.join_attempt(dan, {"protocol": "4"})
    later(rt)
    assert stats(rt)["games"] == 2
    first.leave(ann, 4)  # a dropped socket: one player in it now
    later(rt)
    assert stats(rt)["games"] == 1


def test_a_payload_that_is_not_an_object_is_refused_with_nakamas_bad_input():
    rt = NakamaRuntime()
    for payload in ("", "{}", '{"x": 1}'):
        assert rt.rpc("xoxo_stats", payload)[0]
    for payload in ('"{}"', "[1]", "3", "{"):
        ok, (message, code) = rt.rpc("xoxo_stats", payload)
        assert not ok and code == 3 and message == "xoxo_stats takes no payload, or a JSON object"

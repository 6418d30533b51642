"""Playing a friend by code: our host's mutual matchmaker, a client that refuses a stranger, and bad codes.

On our host the matchmaker is mutual (each ticket's query must accept the other's
properties), so friends with one code meet each other and strangers meet strangers.
A stock Nakama without ``matchmaker.rev_precision`` is not (PROTOCOL.md section 6): the
stand-in's scripted matchmaker pairs a coded ticket with a stranger the way it was
seen to, and the client must pass on that match and queue again without a word to
the player.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from net.friendcode import ALPHABET, make_code
from net.limits import check_friend_code as check_code
from net.messages import Failure, FindOpponent, MatchJoined, MatchUpdate, Reconnected, Searching, SignedIn, SignIn
from tests.net.standins import LOOPBACK, NakamaStandIn, StandInSocket, TcpRelay
from tests.net.test_session import Player, play, xoxo_state

REPO = Path(__file__).resolve().parents[2]
CODE = "K7QXM"


# On our host ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order",
    [
        (("ann", CODE), ("cid", ""), ("bob", CODE), ("dee", "")),
        (("cid", ""), ("ann", CODE), ("dee", ""), ("bob", CODE)),
        (("ann", CODE), ("cid", ""), ("dee", ""), ("bob", CODE)),
    ],
    ids=["friend first", "stranger first", "strangers between the friends"],
)
def test_two_friends_with_a_code_meet_each_other_and_two_strangers_meet_each_other(host_factory, order):
    host = host_factory(turn_seconds=0)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        players = {}
        for name, code in order:  # each one queued before the next, so the order is the one given
            p = players[name] = Player(name)
            p.send(SignIn(server, "defaultkey", name, p.device_id))
            await p.next(SignedIn)
            p.send(FindOpponent(code))
            await p.next(Searching, MatchJoined)
        lonely = Player("eve")  # another code: meets nobody here
        lonely.send(SignIn(server, "defaultkey", "eve", lonely.device_id))
        await lonely.next(SignedIn)
        lonely.send(FindOpponent("ZZZZ2"))
        await lonely.next(Searching)
        opponents = {}
        for name, p in players.items():
            view = (await p.next(MatchUpdate)).view
            opponents[name] = view.name_of(view.opponent)
        stats = await asyncio.to_thread(host.stats)
        failures = [e for p in (*players.values(), lonely) for e in p.events.of(Failure)]
        joined = lonely.events.of(MatchJoined)
        for p in (*players.values(), lonely):
            await p.shutdown()
        return opponents, stats, failures, joined

    opponents, stats, failures, joined = play(main())
    assert opponents == {"ann": "bob", "bob": "ann", "cid": "dee", "dee": "cid"}
    assert (stats.matches, stats.tickets) == (2, 1) and not joined
    assert failures == []


def test_a_search_with_a_code_resumes_with_the_same_code_after_a_drop(host_factory):
    host = host_factory(turn_seconds=0)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        relay = await TcpRelay(host.port).start()
        ann, cid, bob = Player("ann"), Player("cid"), Player("bob")
        ann.send(SignIn(relay.address, "defaultkey", "ann", ann.device_id))
        await ann.next(SignedIn)
        ann.send(FindOpponent(CODE))
        first = await ann.next(Searching)
        relay.cut()
        await ann.next(Reconnected)
        second = await ann.next(Searching)
        for p, code in ((cid, ""), (bob, CODE)):  # a stranger first: still not for ann
            p.send(SignIn(server, "defaultkey", p.name, p.device_id))
            await p.next(SignedIn)
            p.send(FindOpponent(code))
        view = (await ann.next(MatchUpdate)).view
        stranger_waiting = not cid.events.of(MatchJoined)
        for p in (ann, cid, bob):
            await p.shutdown()
        await relay.stop()
        return first, second, view, stranger_waiting

    first, second, view, stranger_waiting = play(main())
    assert second.ticket != first.ticket
    assert view.name_of(view.opponent) == "bob" and stranger_waiting


# On a Nakama whose matchmaker is not mutual ---------------------------------------------------------


def presence(user_id: str, name: str) -> dict[str, str]:
    return {"user_id": user_id, "session_id": f"session-{name}", "username": name}


def user(who: dict[str, str], code: str) -> dict[str, Any]:
    """An entry of ``matchmaker_matched.users``: properties only when the ticket had some, as Nakama writes it."""
    return {"presence": who, "string_properties": {"code": code}} if code else {"presence": who}


async def settled(ws: StandInSocket) -> None:
    """A ping the client answers: by then it has read what was sent before (Nakama matches seconds after the ticket)."""
    await ws.send({"ping": {}})
    await ws.recv("pong")


def one_way_matchmaker(my_code: str, stranger_code: str):
    """Pair the client's first ticket with a player of ``stranger_code``, then its next one with a true match."""

    async def script(ws: StandInSocket) -> None:
        me = presence(ws.user_id, "ann")
        stranger, friend = presence("u-stranger", "sid"), presence("u-friend", "fay")
        first = await ws.recv("matchmaker_add")
        await ws.send({"cid": first["cid"], "matchmaker_ticket": {"ticket": "T1"}})
        await settled(ws)
        await ws.send({"matchmaker_matched": {
            "ticket": "T1", "match_id": "M-stranger.nakama", "token": "tok-stranger",
            "users": [user(me, my_code), user(stranger, stranger_code)], "self": user(me, my_code),
        }})
        second = await ws.recv()  # whatever the client does next: it must queue again, not join
        ws.second = second  # type: ignore[attr-defined]
        if "matchmaker_add" not in second:
            return
        await ws.send({"cid": second["cid"], "matchmaker_ticket": {"ticket": "T2"}})
        await settled(ws)
        await ws.send({"matchmaker_matched": {
            "ticket": "T2", "match_id": "M-friend.nakama",
            "users": [user(me, my_code), user(friend, my_code)], "self": user(me, my_code),
        }})
        join = await ws.recv("match_join")
        await ws.send({"cid": join["cid"], "match": {"match_id": "M-friend.nakama", "authoritative": True, "size": 2,
                                                     "presences": [me, friend], "self": me}})
        await ws.send({"match_data": {"match_id": "M-friend.nakama", "op_code": "2", "data": xoxo_state([me, friend], 1)}})

    return script


@pytest.mark.parametrize(
    "my_code, stranger_code",
    [(CODE, ""), ("", CODE), (CODE, "ABCDE")],
    ids=["a friend's ticket paired with a stranger", "a stranger paired with a friend's ticket", "another code"],
)
def test_a_match_with_a_player_of_another_code_is_passed_over_and_the_search_goes_on(my_code, stranger_code):
    nakama = NakamaStandIn(one_way_matchmaker(my_code, stranger_code))

    async def main():
        async with nakama:
            a = Player("ann")
            a.send(SignIn(nakama.address, "defaultkey", "ann", a.device_id))
            await a.next(SignedIn)
            a.send(FindOpponent(my_code))
            joined = await a.next(MatchJoined, Failure)
            view = (await a.next(MatchUpdate)).view
            events = list(a.events.events)
            await a.shutdown()
            return joined, view, events, nakama.sockets[0]

    joined, view, events, ws = play(main())
    assert joined == MatchJoined("M-friend.nakama", joined.label), joined
    assert view.name_of(view.opponent) == "fay"
    assert not any(isinstance(e, Failure) for e in events), events
    assert [e.ticket for e in events if isinstance(e, Searching)] == ["T1", "T2"]
    adds = [env["matchmaker_add"] for env in ws.received if "matchmaker_add" in env]
    expected = ({"query": f"+properties.code:{my_code}", "string_properties": {"code": my_code}} if my_code
                else {"query": "*"})
    assert adds == [{"min_count": 2, "max_count": 2, **expected}] * 2  # the same ticket, queued again
    joins = [env["match_join"] for env in ws.received if "match_join" in env]
    assert [j.get("match_id") for j in joins] == ["M-friend.nakama"]  # never the stranger's match


# Bad codes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("O0I1", "A code has no 0 1 I O: codes use the letters A to Z without I, L and O, and the digits 2 to 9."),
        ("k7ql", "A code has no L: codes use the letters A to Z without I, L and O, and the digits 2 to 9."),
        ("K7Q", "A code has 4 to 6 characters."),
        ("K7QXM2A", "A code has 4 to 6 characters."),
        ("   ", "Type the code your friend gave you."),
        ("K7Q?M", "A code has no ?: codes use the letters A to Z without I, L and O, and the digits 2 to 9."),
    ],
)
def test_a_bad_code_is_refused_with_a_sentence_that_says_what_is_wrong(text, message):
    with pytest.raises(ValueError) as caught:
        check_code(text)
    assert str(caught.value) == message


def test_codes_are_read_as_players_type_them_and_made_from_the_alphabet():
    assert check_code(" k7q-xm ") == CODE and check_code("k7 qx m") == CODE
    for _ in range(50):
        code = make_code()
        assert check_code(code) == code and set(code) <= set(ALPHABET)


def test_online_with_a_bad_code_exits_2_with_the_usage_and_sends_nothing(tmp_path):
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", TICTACTOE_DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--online", "--code", "O0I1", "--server", f"{LOOPBACK}:9"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("usage: main.py") and "Traceback" not in done.stderr
    assert done.stderr.rstrip().endswith(
        "argument --code: A code has no 0 1 I O: codes use the letters A to Z without I, L and O, and the digits 2 to 9."
    )
    assert done.stdout == ""

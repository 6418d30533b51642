"""Revision 4 on the client: quick reactions (op 8) and who is around (``xoxo_stats``).

The protocol object by hand (what it sends where, what it shows, muting), the RPC's reader,
then sessions against our host on loopback (two players reacting, the figures) and against
a stock Nakama stand-in (no RPC: the figures are unavailable for good).
"""

from __future__ import annotations

import json

from game.rules import Board
from game.xoxo import (
    OP_REACTION,
    OP_STATE,
    MatchLabel,
    Presence,
    Reaction,
    encode_relayed_reaction,
    encode_state,
)
from net import stats
from net.clientproto import ClientProtocol, Send
from net.codec import MatchData, MatchDataSend
from net.messages import (
    FindOpponent,
    MatchUpdate,
    MuteReactions,
    ReactionReceived,
    Searching,
    SendMove,
    SendReaction,
    ShowStats,
    SignedIn,
    StatsLoaded,
    StatsUnavailable,
)
from tests.net.standins import LOOPBACK, NakamaStandIn
from tests.net.test_clientproto import ME, OLGA, in_match, stock_state
from tests.net.test_session import Player, pair, play

REV4 = MatchLabel(4, open=False, game=1).encode()
REV3 = MatchLabel(3, open=False, game=1).encode()


def state(reactions: bool) -> MatchData:
    return MatchData("M1", OP_STATE, encode_state(Board.new(), (ME, OLGA), 1, reactions=reactions))


def relayed(reaction: Reaction, sender: Presence = OLGA) -> MatchData:
    return MatchData("M1", OP_REACTION, encode_relayed_reaction(reaction, sender))


def sends(proto: ClientProtocol, reaction: Reaction = Reaction.GOOD_GAME) -> list[MatchDataSend]:
    return [item.message for item in proto.react(reaction).outgoing if isinstance(item, Send)]


def test_a_reaction_goes_out_only_where_the_label_says_4_and_the_state_says_the_opponent_sees_it():
    proto, _ = in_match(REV4)
    assert sends(proto) == []  # no state yet: nobody known to see it
    proto.received(state(reactions=True))
    (send,) = sends(proto, Reaction.OOPS)
    assert (send.op_code, json.loads(send.data)) == (OP_REACTION, {"reaction": "oops"})
    proto.received(state(reactions=False))  # the opponent came back on a client that does not show them
    assert sends(proto) == []


def test_no_reaction_ever_goes_to_a_server_below_revision_4():
    for label in ("", REV3):
        proto, _ = in_match(label)
        proto.received(state(reactions=True))  # even a state that says so
        assert sends(proto) == []
    stock, _ = in_match("", state=stock_state())
    assert sends(stock) == []


def test_a_received_reaction_names_the_opponent_and_muting_stops_them_for_the_match():
    proto, _ = in_match(REV4)
    proto.received(state(reactions=True))
    out = proto.received(relayed(Reaction.WELL_PLAYED))
    assert out.events == (ReactionReceived(Reaction.WELL_PLAYED, "olga", "u-olga"),)
    nameless = MatchData("M1", OP_REACTION, b'{"reaction": "hello"}')
    assert proto.received(nameless).events == (ReactionReceived(Reaction.HELLO, "olga", ""),)
    assert proto.received(MatchData("M1", OP_REACTION, b'{"reaction": "boo"}')).events == ()
    assert proto.mute_reactions().outgoing == ()
    assert proto.received(relayed(Reaction.OOPS)).events == ()


def test_a_reaction_from_a_server_that_never_declared_4_is_not_shown():
    proto, _ = in_match(REV3)
    assert proto.received(relayed(Reaction.HELLO)).events == ()


def test_the_stats_reader_takes_the_figures_and_nothing_else():
    body = json.dumps({"payload": json.dumps({"online": 12, "games": 3})}).encode()
    assert stats.read_answer(body) == StatsLoaded(12, 3)
    assert stats.read_answer(json.dumps({"payload": '{"online": 2.0, "games": 0}'}).encode()) == StatsLoaded(2, 0)
    for bad in (b"", b"[]", b'{"payload": 3}', b'{"payload": "[]"}', b'{"payload": "{\\"online\\": -1, \\"games\\": 0}"}',
                b'{"payload": "{\\"online\\": true, \\"games\\": 0}"}', b'{"payload": "{\\"online\\": 1}"}'):
        assert stats.read_answer(bad) is None, bad
    assert json.loads(json.loads(stats.request_body())) == {}


def test_two_players_on_our_host_react_to_each_other_and_one_mutes_the_other(host_factory):
    host = host_factory(turn_seconds=0)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        a, b, ua, _ = await pair(server, server)
        a.send(SendReaction(Reaction.HELLO))
        got = await b.next(ReactionReceived)
        b.send(MuteReactions())
        b.send(SendReaction(Reaction.GOOD_GAME))
        back = await a.next(ReactionReceived)
        if not ua.view.your_turn:  # bob moves first, so that ann's move comes after her reactions below
            b.send(SendMove(2, 2))
            for p in (a, b):
                await p.next(MatchUpdate)
        a.send(SendReaction(Reaction.OOPS))  # muted on b's side: never shown there
        a.send(SendReaction(Reaction.THINKING))
        a.send(SendMove(1, 1))
        for p in (a, b):
            await p.next(MatchUpdate)  # the server relayed ann's reactions to bob before this state
        for p in (a, b):
            await p.shutdown()
        return ua, got, back, b.events.of(ReactionReceived)

    ua, got, back, all_b = play(main())
    assert ua.view.reactions
    assert got == ReactionReceived(Reaction.HELLO, "ann", got.user_id) and got.user_id
    assert back.reaction is Reaction.GOOD_GAME and back.name == "bob"
    assert all_b == [got]


def test_the_figures_from_our_host(host_factory):
    host = host_factory()

    async def main():
        a = Player("ann")
        assert isinstance(await a.sign_in(f"{LOOPBACK}:{host.port}"), SignedIn)
        a.send(FindOpponent())
        await a.next(Searching)
        a.send(ShowStats())
        loaded = await a.next(StatsLoaded, StatsUnavailable)
        await a.shutdown()
        return loaded

    assert play(main()) == StatsLoaded(1, 0)


def test_on_a_stock_nakama_the_figures_are_unsupported():
    async def main():
        async with NakamaStandIn() as server:
            a = Player("ann")
            assert isinstance(await a.sign_in(server.address), SignedIn)
            a.send(ShowStats())
            unavailable = await a.next(StatsUnavailable, StatsLoaded)
            await a.shutdown()
        return unavailable

    assert play(main()) == StatsUnavailable(unsupported=True)


def test_without_a_connection_asking_for_the_figures_does_nothing():
    async def main():
        a = Player("ann")
        a.send(ShowStats())
        a.send(SendReaction(Reaction.HELLO))
        a.send(MuteReactions())
        await a.shutdown()
        return a.events.events

    assert play(main()) == []

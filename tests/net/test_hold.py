"""A match found while the player plays the bot: held until they say so, let go (and searched again) if not.

The protocol object by hand, then sessions on our host: one player holds while another
queues later; the held player plays now, or lets the match go and is searching again.
"""

from __future__ import annotations

import dataclasses

from game.xoxo import GoneReason
from net.clientproto import HOLD_SECONDS, ClientProtocol, Request
from net.codec import MatchJoin, MatchmakerAdd, MatchmakerTicket
from net.messages import (
    CancelFind,
    DeclineMatch,
    FindOpponent,
    HoldMatches,
    MatchJoined,
    OpponentFound,
    OpponentLeft,
    OpponentMissed,
    PlayNow,
    Searching,
    SignedIn,
)
from tests.net.standins import LOOPBACK
from tests.net.test_clientproto import matched, only_request, searching
from tests.net.test_session import FAST, Player, play


def held_protocol() -> ClientProtocol:
    proto = ClientProtocol()
    searching(proto)
    assert proto.hold_matches(True).outgoing == ()
    out = proto.received(matched())
    assert out.outgoing == () and out.events == (OpponentFound("olga", HOLD_SECONDS, "M1"),)
    assert proto.held is not None and proto.match is None and proto.busy
    return proto


def test_a_match_found_while_holding_is_not_joined_until_the_player_plays_now():
    proto = held_protocol()
    join = only_request(proto.play_now())
    assert isinstance(join.message, MatchJoin) and join.message.match_id == "M1"
    assert proto.held is None and proto.match is not None and not proto.hold


def test_lifting_the_hold_joins_a_held_match_at_once_and_later_ones_as_usual():
    proto = held_protocol()
    assert isinstance(only_request(proto.hold_matches(False)).message, MatchJoin)
    fresh = ClientProtocol()
    searching(fresh)
    fresh.hold_matches(True)
    assert fresh.hold_matches(False).outgoing == ()  # nothing held: nothing to join
    assert isinstance(only_request(fresh.received(matched())).message, MatchJoin)


def test_a_match_let_go_is_missed_and_the_search_is_queued_again():
    proto = held_protocol()
    assert proto.decline_held("M-other").events == ()  # another match's deadline: nothing
    out = proto.decline_held("M1")
    assert out.events == (OpponentMissed("olga"),)
    (request,) = out.outgoing
    assert isinstance(request, Request) and request.message == MatchmakerAdd(2, 2, "*")
    assert proto.answered(request, MatchmakerTicket("T2")).events == (Searching("T2"),)
    assert proto.hold  # still playing the bot: the next match is held too
    assert proto.received(matched("T2", "M2")).events == (OpponentFound("olga", HOLD_SECONDS, "M2"),)


def test_cancelling_the_search_lets_a_held_match_go_silently():
    proto = held_protocol()
    assert proto.cancel_find().events == ()
    assert proto.held is None and not proto.busy
    assert proto.play_now().outgoing == ()


HOLD = dataclasses.replace(FAST, hold_seconds=0.3)


def test_on_our_host_a_player_holding_plays_now_when_an_opponent_queues_later(host_factory):
    host = host_factory(turn_seconds=0)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        ann, bob = Player("ann"), Player("bob")
        for p in (ann, bob):
            assert isinstance(await p.sign_in(server), SignedIn)
        ann.send(FindOpponent())
        await ann.next(Searching)
        ann.send(HoldMatches(True))  # the bot game starts
        bob.send(FindOpponent())  # someone comes later
        found = await ann.next(OpponentFound)
        await bob.next(MatchJoined)
        assert ann.events.of(MatchJoined) == []
        ann.send(PlayNow())
        joined = await ann.next(MatchJoined)
        for p in (ann, bob):
            await p.shutdown()
        return found, joined

    found, joined = play(main())
    assert found.name == "bob" and found.seconds == FAST.hold_seconds and joined.match_id == found.match_id


def test_on_our_host_a_held_match_that_runs_out_is_missed_and_the_search_goes_on(host_factory):
    host = host_factory(turn_seconds=0, join_timeout_seconds=0.5)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        ann, bob = Player("ann", HOLD), Player("bob")
        for p in (ann, bob):
            assert isinstance(await p.sign_in(server), SignedIn)
        ann.send(FindOpponent())
        await ann.next(Searching)
        ann.send(HoldMatches(True))
        bob.send(FindOpponent())
        await ann.next(OpponentFound)
        missed = await ann.next(OpponentMissed)  # nobody pressed Play now
        again = await ann.next(Searching)
        gone = await bob.next(OpponentLeft)  # bob's match never saw ann: it ends
        ann.send(DeclineMatch())  # nothing held any more: nothing happens
        ann.send(CancelFind())
        for p in (ann, bob):
            await p.shutdown()
        return missed, again, gone

    missed, again, gone = play(main())
    assert missed == OpponentMissed("bob") and again.ticket
    assert gone.reason is GoneReason.NO_SHOW and gone.name == "ann"

"""A LAN host that vanishes mid-game: a refused reconnection ends the match at once, not after every retry.

A LAN host is a player's own process: once its port refuses connections it is gone,
and its match with it (it keeps nothing), so the joiner is told the host closed the
game rather than shown reconnection attempts for a minute. An online server keeps its
retries (``test_session.test_a_server_gone_for_good_is_retried_then_reported``).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from net.messages import (
    ConnectionLost,
    Failure,
    FailureKind,
    FindOpponent,
    MatchJoined,
    MatchUpdate,
    Searching,
    ServerClosing,
    SignedIn,
    SignIn,
)
from tests.net.standins import TcpRelay
from tests.net.test_session import FAST, Player

PATIENT = replace(FAST, reconnect_attempts=8)  # the budget a refusal cuts short


def play(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


async def joined(player: Player, server: str, *, lan: bool) -> None:
    player.send(SignIn(server, "defaultkey", player.name, player.device_id, lan=lan))
    assert isinstance(await player.next(SignedIn, Failure), SignedIn)


def test_a_lan_host_that_refuses_after_a_drop_closed_the_game(host_factory):
    host = host_factory()

    async def main():
        relay = await TcpRelay(host.port).start()
        ann, bob = Player("ann", PATIENT), Player("bob", PATIENT)
        await joined(ann, relay.address, lan=True)
        await joined(bob, f"127.0.0.1:{host.port}", lan=True)
        ann.send(FindOpponent())
        await ann.next(Searching)
        bob.send(FindOpponent())
        await ann.next(MatchJoined)
        await ann.next(MatchUpdate)
        await relay.stop()  # the host's port, as ann knows it, now refuses
        end = await ann.next(ServerClosing, Failure)
        lost = ann.events.of(ConnectionLost)
        await ann.shutdown()
        await bob.shutdown()
        return end, lost

    end, lost = play(main())
    assert isinstance(end, ServerClosing)
    assert [e.attempt for e in lost] == [1]


def test_a_lan_search_whose_host_refuses_after_a_drop_is_unreachable_at_once(host_factory):
    host = host_factory()

    async def main():
        relay = await TcpRelay(host.port).start()
        ann = Player("ann", PATIENT)
        await joined(ann, relay.address, lan=True)
        ann.send(FindOpponent())
        await ann.next(Searching)
        await relay.stop()
        failure = await ann.next(Failure, ServerClosing)
        lost = ann.events.of(ConnectionLost)
        await ann.shutdown()
        return failure, lost, relay.address

    failure, lost, address = play(main())
    assert isinstance(failure, Failure) and failure.kind is FailureKind.UNREACHABLE
    assert address in failure.message and "connection refused" in failure.message
    assert [e.attempt for e in lost] == [1]

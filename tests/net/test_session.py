"""The session state machine through commands and events only, against our host and stand-ins.

Each test runs its sessions on one ``asyncio.run`` loop (the host of ``host_factory``
runs on its own thread, as a remote server would). Waits have generous timeouts that
only ever fail a broken test; nothing here asserts how long anything took.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import socket
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest

from game.rules import Termination
from game.xoxo import PROTOCOL, GoneReason, MatchLabel
from net.address import ServerAddress
from net.beacon import HostState
from net.messages import (
    BrowseLan,
    CancelFind,
    Connecting,
    ConnectionLost,
    Disconnect,
    Disconnected,
    Failure,
    FailureKind,
    FindOpponent,
    GuestTurnedAway,
    Hosting,
    HostLan,
    HostStopped,
    LanGames,
    LeaveMatch,
    MatchGone,
    MatchJoined,
    MatchUpdate,
    MoveRejected,
    OpponentAway,
    OpponentLeft,
    Reconnected,
    RequestRematch,
    Searching,
    SendMove,
    ServerClosing,
    ServerMessage,
    Shutdown,
    SignedIn,
    SignIn,
    StopBrowsing,
    StopHosting,
)
from net.online import OnlineSession
from net.realtime import MAX_SERVER_FRAME
from net.session import Session, SessionConfig
from net.tasks import TaskScope
from tests.net.standins import LOOPBACK, NakamaStandIn, Recorder, TcpRelay, b64, refused_port, shared_udp_port

FAST = SessionConfig(
    http_timeout=5,
    open_timeout=5,
    request_timeout=5,
    backoff_first=0.05,
    backoff_max=0.2,
    reconnect_attempts=3,
    lan_announce_interval=0.2,
)


class Player:
    """One session on the test's loop, with its events recorded."""

    def __init__(self, name: str, config: SessionConfig = FAST):
        self.name = name
        self.device_id = f"device-{name}-{uuid.uuid4()}"
        self.events = Recorder()
        self.session = Session(self.events, config)
        self.task = asyncio.create_task(self.session.run())

    def send(self, command) -> None:
        self.session.handle(command)

    async def next(self, *types, timeout: float = 5.0):
        return await self.events.next(*types, timeout=timeout)

    async def sign_in(self, server: str, key: str = "defaultkey") -> SignedIn:
        self.send(SignIn(server, key, self.name, self.device_id))
        return await self.next(SignedIn, Failure)

    async def shutdown(self) -> None:
        self.send(Shutdown())
        await asyncio.wait_for(self.task, 5)


def play(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


async def pair(server_a: str, server_b: str) -> tuple[Player, Player, MatchUpdate, MatchUpdate]:
    """Two players signed in, matched and past their first state."""
    a, b = Player("ann"), Player("bob")
    assert isinstance(await a.sign_in(server_a), SignedIn)
    assert isinstance(await b.sign_in(server_b), SignedIn)
    a.send(FindOpponent())
    await a.next(Searching)
    b.send(FindOpponent())
    for p in (a, b):
        await p.next(MatchJoined)
    return a, b, await a.next(MatchUpdate), await b.next(MatchUpdate)


def first_mover(a: Player, b: Player, ua: MatchUpdate) -> tuple[Player, Player]:
    return (a, b) if ua.view.your_turn else (b, a)


# Playing ------------------------------------------------------------------------------


def test_two_players_matchmake_and_play_a_game_to_a_result(host_factory):
    host = host_factory(turn_seconds=0)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        a, b, ua, ub = await pair(server, server)
        for p in (a, b):  # the join is announced before the first state, whatever the wire order
            kinds = [type(e) for e in p.events.events]
            assert kinds.index(MatchJoined) < kinds.index(MatchUpdate)
        assert {ua.view.you, ub.view.you} == {1, 2}
        x, o = first_mover(a, b, ua)
        o.send(SendMove(2, 2))  # not o's turn: refused on the spot, nothing sent
        assert (await o.next(MoveRejected)).reason == "not_your_turn"
        for player, (row, col) in [(x, (1, 1)), (o, (2, 1)), (x, (1, 2)), (o, (2, 2))]:
            player.send(SendMove(row, col))
            for p in (x, o):
                await p.next(MatchUpdate)
        x.send(SendMove(2, 2))  # occupied: refused on the spot
        assert (await x.next(MoveRejected)).reason == "occupied"
        x.send(SendMove(1, 3))
        results = [(await p.next(MatchUpdate)).view for p in (x, o)]
        for p in (a, b):
            await p.shutdown()
        return results

    x_view, o_view = play(main())
    assert (x_view.result, o_view.result) == ("win", "loss")
    assert x_view.termination is Termination.LINE and x_view.line == ((1, 1), (1, 2), (1, 3))


def test_cancelled_matchmaking_is_withdrawn_from_the_server(host_factory):
    host = host_factory()
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        a, b = Player("ann"), Player("bob")
        await a.sign_in(server)
        await b.sign_in(server)
        a.send(FindOpponent())
        await a.next(Searching)
        a.send(CancelFind())
        while (await asyncio.to_thread(host.stats)).tickets:
            await asyncio.sleep(0.02)
        b.send(FindOpponent())
        await b.next(Searching)  # waits alone: ann's ticket is gone
        stats = await asyncio.to_thread(host.stats)
        events = list(a.events.events)
        for p in (a, b):
            await p.shutdown()
        return stats, events

    stats, events = play(main())
    assert stats.tickets == 1 and stats.matches == 0
    assert not any(isinstance(e, MatchJoined) for e in events)


def test_an_opponent_who_drops_is_away_then_gone_after_the_grace(host_factory):
    host = host_factory(manual_clock=True, turn_seconds=0, grace_seconds=20)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        a, b, _, _ = await pair(server, server)
        b.send(Disconnect())  # the socket closes without a match_leave: a drop
        await b.next(Disconnected)
        away = await a.next(OpponentAway)
        state = await a.next(MatchUpdate)
        await host.elapse(20)
        left = await a.next(OpponentLeft)
        final = [e.view for e in a.events.of(MatchUpdate)][-1]
        for p in (a, b):
            await p.shutdown()
        return away, state.view, left, final

    away, state, left, final = play(main())
    assert away == OpponentAway("bob", 20.0, 20.0, 10.0)  # the hold, and when a claim opens (revision 3)
    assert state.opponent_connected is False
    assert left == OpponentLeft("bob", GoneReason.DISCONNECTED)
    assert final.result == "win" and final.termination is Termination.OPPONENT_LEFT


def test_an_opponent_who_leaves_on_purpose_is_gone_at_once(host_factory):
    host = host_factory(turn_seconds=0, grace_seconds=30)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        a, b, _, _ = await pair(server, server)
        b.send(LeaveMatch())
        left = await a.next(OpponentLeft)
        events = list(a.events.events)
        for p in (a, b):
            await p.shutdown()
        return left, events

    left, events = play(main())
    assert left == OpponentLeft("bob", "left")
    assert not any(isinstance(e, OpponentAway) for e in events)


def test_leaving_then_disconnecting_at_once_still_leaves_on_purpose(host_factory):
    # The menu sends LeaveMatch and Disconnect back to back: the leave must reach the
    # host before the socket closes, or the host holds the seat for its whole grace.
    host = host_factory(turn_seconds=0, grace_seconds=30)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        a, b, _, _ = await pair(server, server)
        b.send(LeaveMatch())
        b.send(Disconnect())
        left = await a.next(OpponentLeft)
        for p in (a, b):
            await p.shutdown()
        return left

    assert play(main()) == OpponentLeft("bob", "left")


def test_quitting_right_after_leaving_still_leaves_on_purpose(host_factory):
    # Closing the window sends LeaveMatch and then Shutdown at once.
    host = host_factory(turn_seconds=0, grace_seconds=30)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        a, b, _, _ = await pair(server, server)
        b.send(LeaveMatch())
        await b.shutdown()
        left = await a.next(OpponentLeft)
        await a.shutdown()
        return left

    assert play(main()) == OpponentLeft("bob", "left")


def test_a_dropped_connection_comes_back_to_the_same_board(host_factory):
    host = host_factory(turn_seconds=0, grace_seconds=20)

    async def main():
        relay = await TcpRelay(host.port).start()
        a, b, ua, _ = await pair(relay.address, f"{LOOPBACK}:{host.port}")
        x, _ = first_mover(a, b, ua)
        x.send(SendMove(2, 2))
        before = (await a.next(MatchUpdate)).view.board
        await b.next(MatchUpdate)
        relay.cut()  # ann's network goes down, the server is fine
        lost = await a.next(ConnectionLost)
        back = await a.next(Reconnected, MatchGone, Failure)
        after = (await a.next(MatchUpdate)).view
        await b.next(OpponentAway)
        # Play on after the reconnection.
        mover = a if after.your_turn else b
        mover.send(SendMove(1, 1))
        moved = (await a.next(MatchUpdate)).view.board
        for p in (a, b):
            await p.shutdown()
        await relay.stop()
        return lost, back, before, after, moved

    lost, back, before, after, moved = play(main())
    assert lost.attempt == 1 and lost.retry_in > 0 and lost.message
    assert back == Reconnected(rejoined=True)
    assert after.board.cells == before.cells and after.opponent_connected
    assert moved.cells[0] != -1


def test_a_search_in_progress_resumes_after_a_drop(host_factory):
    host = host_factory()

    async def main():
        relay = await TcpRelay(host.port).start()
        a, b = Player("ann"), Player("bob")
        await a.sign_in(relay.address)
        await b.sign_in(f"{LOOPBACK}:{host.port}")
        a.send(FindOpponent())
        first = await a.next(Searching)
        relay.cut()
        await a.next(ConnectionLost)
        back = await a.next(Reconnected)
        second = await a.next(Searching)
        b.send(FindOpponent())
        joined = await a.next(MatchJoined)
        for p in (a, b):
            await p.shutdown()
        await relay.stop()
        return first, back, second, joined

    first, back, second, joined = play(main())
    assert back == Reconnected(rejoined=False)
    assert second.ticket != first.ticket and joined.match_id


def test_a_server_gone_for_good_is_retried_then_reported(host_factory):
    host = host_factory()

    async def main():
        relay = await TcpRelay(host.port).start()
        a = Player("ann")
        await a.sign_in(relay.address)
        a.send(FindOpponent())
        await a.next(Searching)
        await relay.stop()
        failure = await a.next(Failure)
        lost = a.events.of(ConnectionLost)
        a.send(FindOpponent())  # signs in again from scratch, and still nothing answers
        await a.next(Connecting)
        again = await a.next(Failure)
        await a.shutdown()
        return lost, failure, again, relay.address

    lost, failure, again, address = play(main())
    assert [e.attempt for e in lost] == [1, 2, 3]
    assert failure.kind is FailureKind.UNREACHABLE
    assert "could not get it back after 3 tries" in failure.message and address in failure.message
    assert again.kind is FailureKind.UNREACHABLE


async def drop_by_aborting(ws) -> None:
    ws.ws.transport.abort()


async def drop_with_1011(ws) -> None:
    await ws.ws.close(1011, "internal error")


async def drop_with_a_frame_too_big(ws) -> None:
    await ws.send("x" * (MAX_SERVER_FRAME + 1))  # the client refuses it and closes (1009)


@pytest.mark.parametrize("drop", [drop_by_aborting, drop_with_1011, drop_with_a_frame_too_big])
def test_a_server_that_drops_every_connection_it_opens_is_given_up_on(drop):
    # Each connection opens and drops at once: each counts as a failed attempt, so the delays
    # grow and the budget runs out (it used to restart after every open: retries forever).
    nakama = NakamaStandIn(drop)

    async def main():
        async with nakama:
            a = Player("ann")
            await a.sign_in(nakama.address)
            a.send(FindOpponent())
            failure = await a.next(Failure)
            lost = a.events.of(ConnectionLost)
            await a.shutdown()
            return failure, lost, len(nakama.sockets)

    failure, lost, sockets = play(main())
    assert failure == Failure(FailureKind.DROPPED, "The server keeps dropping the connection")
    assert [e.attempt for e in lost] == [1, 2, 3] and sockets == 4
    assert lost[0].retry_in < lost[2].retry_in  # backoff grows (0.05 then 0.2 s, jittered)


def test_a_search_that_finds_nobody_in_time_ends_and_is_withdrawn(host_factory):
    host = host_factory()
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        a = Player("ann", replace(FAST, match_timeout=0.3))
        await a.sign_in(server)
        a.send(FindOpponent())
        await a.next(Searching)
        failure = await a.next(Failure)
        while (await asyncio.to_thread(host.stats)).tickets:
            await asyncio.sleep(0.02)
        await a.shutdown()
        return failure

    assert play(main()) == Failure(FailureKind.NO_MATCH, "No opponent was found within 0.3 s")


# Signing in ----------------------------------------------------------------------------


def test_sign_in_failures_say_what_went_wrong(host_factory):
    host = host_factory(max_players=2)
    server = f"{LOOPBACK}:{host.port}"
    with refused_port() as port:
        dead = f"{LOOPBACK}:{port}"
        bad_key, nothing, nonsense, full = play(sign_in_failures(server, dead))
    assert bad_key == Failure(FailureKind.BAD_KEY, "The server key was refused")
    assert nothing == Failure(FailureKind.UNREACHABLE, f"Can't reach the server at {dead} (connection refused)")
    assert nonsense.kind is FailureKind.OTHER and "server address" in nonsense.message
    assert full.kind is FailureKind.FULL and "403 This game is full" in full.message


async def sign_in_failures(server: str, dead: str):
    """A wrong key, a port that refuses, an address that is none, and a LAN host that is full."""
    a, b, c = Player("ann"), Player("bob"), Player("cid")
    bad_key = await a.sign_in(server, key="not-the-key")
    nothing = await a.sign_in(dead)
    a.send(SignIn("no such:address:here", "k", "ann", a.device_id))
    nonsense = await a.next(Failure)
    assert isinstance(await a.sign_in(server), SignedIn)
    assert isinstance(await b.sign_in(server), SignedIn)
    full = await c.sign_in(server)  # a LAN host takes two players
    for p in (a, b, c):
        await p.shutdown()
    return bad_key, nothing, nonsense, full


def test_a_refused_handshake_is_reported_with_its_status():
    async def main():
        async with NakamaStandIn(handshake_refusal=(403, "This game is full")) as nakama:
            a = Player("ann")
            failure = await a.sign_in(nakama.address)
            await a.shutdown()
            return failure

    failure = play(main())
    assert failure == Failure(FailureKind.FULL, "The server refused the connection: 403 This game is full")


def test_a_short_lived_token_is_refreshed_before_it_runs_out():
    async def main():
        async with NakamaStandIn(token_lifetime=1) as nakama:
            a = Player("ann")
            await a.sign_in(nakama.address)
            while not any(r.path == "/v2/account/session/refresh" for r in nakama.http_requests):
                await asyncio.sleep(0.02)
            await a.shutdown()
            return nakama.http_requests

    requests = play(main())
    refresh = next(r for r in requests if r.path == "/v2/account/session/refresh")
    assert refresh.method == "POST" and "token" in json.loads(refresh.body)


# A stock Nakama with the XOXO module ------------------------------------------------------


def xoxo_state(players, turn: int, cells=None, winner=False) -> str:
    """An op 2 payload the way the stock XOXO module writes it (no ``you``)."""
    state = {
        "state": {
            "cells": cells or [[-1] * 3 for _ in range(3)],
            "players": players,
            "player_turn": turn,
            "winner": winner,
            "draw": False,
        },
        "active_player": players[turn - 1],
        "other_player": players[2 - turn],
        "your_turn": turn == 1,
    }
    return b64(state)


def xoxo_script(after_join):
    """Matchmaking and the join, as Nakama does them, then ``after_join(ws, me, opponent)``."""

    async def script(ws):
        me = {"user_id": ws.user_id, "session_id": "s-me", "username": "ann"}
        opponent = {"user_id": "u-opp", "session_id": "s-opp", "username": "olga"}
        add = await ws.recv("matchmaker_add")
        assert add["matchmaker_add"] == {"min_count": 2, "max_count": 2, "query": "*"}
        await ws.send({"cid": add["cid"], "matchmaker_ticket": {"ticket": "T1"}})
        users = [{"presence": me}, {"presence": opponent}]
        await ws.send({"matchmaker_matched": {"ticket": "T1", "match_id": "M1.nakama", "users": users, "self": {"presence": me}}})
        join = await ws.recv("match_join")
        assert join["match_join"] == {"match_id": "M1.nakama", "metadata": {"protocol": str(PROTOCOL)}}
        # The first state comes before the join's answer, as it can on a real server.
        await ws.send({"match_data": {"match_id": "M1.nakama", "op_code": "2", "data": xoxo_state([me, opponent], 1)}})
        await ws.send({"cid": join["cid"], "match": {"match_id": "M1.nakama", "authoritative": True, "size": 2,
                                                     "presences": [me, opponent], "self": me}})
        await after_join(ws, me, opponent)

    return script


def test_a_stock_xoxo_server_is_played_as_it_declares_itself():
    # The stand-in answers the join with label "" (stock XOXO): no op 4 goes out, the countdown
    # is the server's, a presence leaving ends the match, plain text ends it too.
    async def after_join(ws, me, opponent):
        move = await ws.recv("match_data_send")
        await ws.send({"cid": "x", "match_data_send_ack": {}})  # an unknown envelope: ignored
        cells = [[1, -1, -1], [-1, -1, -1], [-1, -1, -1]]
        await ws.send({"match_data": {"match_id": "M1.nakama", "op_code": "2", "data": xoxo_state([me, opponent], 2, cells)}})
        ws.move = move
        ws.after = await ws.recv()  # the next thing the client sends: the test asks for a rematch before it
        await nakama.go.wait()
        closing = b64(b"Server shutting down in 10 seconds")
        await ws.send({"match_data": {"match_id": "M1.nakama", "op_code": "2", "data": closing}})

    nakama = NakamaStandIn(xoxo_script(after_join))

    async def main():
        async with nakama:
            a = Player("ann")
            await a.sign_in(nakama.address)
            a.send(FindOpponent())
            joined = await a.next(MatchJoined)
            first = await a.next(MatchUpdate)
            a.send(SendMove(1, 1))
            second = await a.next(MatchUpdate)
            a.send(RequestRematch())  # means nothing to XOXO: nothing is sent
            a.send(LeaveMatch())
            deadline = asyncio.get_running_loop().time() + 5
            while not hasattr(nakama.sockets[0], "after"):  # the stand-in has read what followed the move
                assert asyncio.get_running_loop().time() < deadline, "nothing reached the server after the move"
                await asyncio.sleep(0.01)
            nakama.go.set()
            kinds = [type(e) for e in a.events.events]
            await a.shutdown()
            return joined, first.view, second.view, kinds, nakama.sockets[0]

    joined, first, second, kinds, ws = play(main())
    assert joined == MatchJoined("M1.nakama", MatchLabel()) and not joined.label.extended
    assert kinds.index(MatchJoined) < kinds.index(MatchUpdate)
    assert first.you == 1 and first.your_turn and second.board.cells[0] == 1
    body = ws.move["match_data_send"]
    assert (body["match_id"], int(body["op_code"])) == ("M1.nakama", 1)
    assert json.loads(base64.b64decode(body["data"])) == {"row": 1, "col": 1}
    assert "match_leave" in ws.after  # the rematch request was not sent to a stock server


def test_on_a_stock_server_a_presence_leaving_ends_the_match_and_plain_text_is_the_end():
    async def after_join(ws, me, opponent):
        await ws.send({"match_presence_event": {"match_id": "M1.nakama", "leaves": [opponent]}})

    async def after_join_closing(ws, me, opponent):
        closing = b64(b"Server shutting down in 10 seconds")
        await ws.send({"match_data": {"match_id": "M1.nakama", "op_code": "2", "data": closing}})

    async def main():
        out = []
        for script in (after_join, after_join_closing):
            async with NakamaStandIn(xoxo_script(script)) as nakama:
                a = Player("ann")
                await a.sign_in(nakama.address)
                a.send(FindOpponent())
                out.append(await a.next(OpponentLeft, ServerClosing))
                kinds = [type(e) for e in a.events.events]
                await a.shutdown()
                assert OpponentAway not in kinds
        return out

    left, closing = play(main())
    assert left == OpponentLeft("olga", GoneReason.LEFT)  # XOXO ends the match: no seat is held
    assert closing == ServerClosing("Server shutting down in 10 seconds")


def test_on_our_host_the_extensions_are_used(host_factory):
    host = host_factory(turn_seconds=0, grace_seconds=30, rematch_seconds=None)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        a, b, ua, _ = await pair(server, server)
        joined = a.events.of(MatchJoined)[0]
        x, o = first_mover(a, b, ua)
        for player, cell in [(x, (1, 1)), (o, (2, 1)), (x, (1, 2)), (o, (2, 2)), (x, (1, 3))]:
            player.send(SendMove(*cell))
            for p in (x, o):
                await p.next(MatchUpdate)
        x.send(RequestRematch())  # sent as op 4: the opponent sees who asked
        asked = (await o.next(MatchUpdate)).view
        o.send(RequestRematch())
        game_two = (await x.next(MatchUpdate)).view
        while game_two.game != 2:
            game_two = (await x.next(MatchUpdate)).view
        for p in (a, b):
            await p.shutdown()
        return joined, asked, game_two

    joined, asked, game_two = play(main())
    assert joined.label.extended and joined.label.protocol == PROTOCOL
    assert asked.asked_rematch(asked.opponent) and not asked.asked_rematch(asked.you)
    assert game_two.game == 2 and not game_two.board.is_over


def test_garbage_from_the_server_is_a_protocol_failure_not_a_crash():
    async def after_join(ws, me, opponent):
        await ws.send({"match_data": {"match_id": "M1.nakama", "op_code": "2", "data": b64({"state": "nope"})}})
        await ws.send({"match_data": {"match_id": "M1.nakama", "op_code": "2", "data": "%%%not base64"}})
        await ws.send("<html>502 Bad Gateway</html>")

    async def main():
        async with NakamaStandIn(xoxo_script(after_join)) as nakama:
            a = Player("ann")
            await a.sign_in(nakama.address)
            a.send(FindOpponent())
            odd_state = await a.next(ServerMessage)  # a state this game cannot read is shown, not a crash
            failure = await a.next(Failure)
            a.send(FindOpponent())  # the session still works: it signs in again
            await a.next(SignedIn)
            await a.shutdown()
            return odd_state, failure

    odd_state, failure = play(main())
    assert "does not understand" in odd_state.text
    assert failure.kind is FailureKind.PROTOCOL and "not a game message" in failure.message


def test_a_stock_server_that_forgot_the_match_after_a_drop_says_the_match_is_gone():
    async def after_join(ws, me, opponent):
        ws.ws.transport.abort()  # the connection breaks...

    async def script(ws):
        if len(nakama.sockets) == 1:
            await xoxo_script(after_join)(ws)
            return
        join = await ws.recv("match_join")  # ...and on the way back the match is gone
        await ws.send({"cid": join["cid"], "error": {"code": 4, "message": "Match not found"}})

    nakama = NakamaStandIn(script)

    async def main():
        async with nakama:
            a = Player("ann")
            await a.sign_in(nakama.address)
            a.send(FindOpponent())
            await a.next(MatchJoined)
            await a.next(ConnectionLost)
            gone = await a.next(MatchGone, Reconnected)
            await a.shutdown()
            return gone

    gone = play(main())
    assert isinstance(gone, MatchGone) and "Match not found" in gone.message


def test_a_token_refused_at_reconnection_even_fresh_stops_retrying_at_once():
    async def script(ws):
        if len(nakama.sockets) == 1:
            add = await ws.recv("matchmaker_add")
            await ws.send({"cid": add["cid"], "matchmaker_ticket": {"ticket": "T1"}})
            nakama.handshake_refusal = (401, "Auth token invalid")
            ws.ws.transport.abort()

    nakama = NakamaStandIn(script)

    async def main():
        async with nakama:
            a = Player("ann")
            await a.sign_in(nakama.address)
            a.send(FindOpponent())
            await a.next(Searching)
            failure = await a.next(Failure)
            lost = a.events.of(ConnectionLost)
            await a.shutdown()
            return failure, lost

    failure, lost = play(main())
    assert failure.kind is FailureKind.REFUSED and "401" in failure.message
    assert len(lost) == 1


# LAN -----------------------------------------------------------------------------------


@pytest.fixture
def discovery() -> Iterator[int]:
    """The LAN discovery port of one test, held for its length."""
    with shared_udp_port() as port:
        yield port


def test_hosting_on_the_lan_announces_a_game_another_player_finds_and_joins(discovery: int):

    async def main():
        hoster, guest = Player("hana"), Player("gus")
        hoster.send(HostLan("hana", hoster.device_id, port=0, bind=LOOPBACK, discovery_port=discovery,
                            broadcast="127.255.255.255"))
        hosting = await hoster.next(Hosting, Failure)
        assert isinstance(hosting, Hosting), hosting
        await hoster.next(SignedIn)
        await hoster.next(Searching)
        guest.send(BrowseLan(discovery_port=discovery))
        while True:
            games = (await guest.next(LanGames)).games
            if games:
                break
        (game,) = games
        guest.send(SignIn(game.endpoint, "defaultkey", "gus", guest.device_id))
        await guest.next(SignedIn)
        guest.send(FindOpponent())
        await guest.next(MatchJoined)
        await hoster.next(MatchJoined)
        # The beacon follows the host's match (it may say so before the join is answered).
        while not any(g.state is HostState.PLAYING for e in guest.events.of(LanGames) for g in e.games):
            await guest.next(LanGames)
        guest.send(StopBrowsing())
        hoster.send(StopHosting())
        stopped = await hoster.next(HostStopped)
        notice = await guest.next(ServerClosing, ConnectionLost)
        for p in (hoster, guest):
            await p.shutdown()
        return hosting, game, notice, stopped

    hosting, game, notice, stopped = play(main())
    assert hosting.name == "hana" and hosting.addresses == (f"{LOOPBACK}:{hosting.port}",)
    assert (game.host, game.port, game.state, game.joinable) == ("hana", hosting.port, HostState.WAITING, True)
    assert game.game == "hana's game"
    assert notice == ServerClosing("The host closed the game")
    assert isinstance(stopped, HostStopped)


async def listed(player: Player, state: HostState | None) -> None:
    """Wait until ``player``'s LAN list shows one game in ``state`` (None: an empty list)."""
    def shown(event: LanGames) -> bool:
        return [g.state for g in event.games] == ([state] if state is not None else [])

    while not any(shown(e) for e in player.events.of(LanGames)[-1:]):
        await player.next(LanGames)


def test_the_lan_beacon_follows_the_hosts_matches_and_a_guest_it_is_not_waiting_for_is_told_at_once(discovery: int):
    # What the beacon says comes from the host's match runtime: "waiting" while our player's
    # ticket waits, "playing" while a game runs, nothing while our player is not waiting (after
    # the opponent left). A guest who queues then is refused at once, and the host hears of it.
    quick = replace(FAST, lan_expiry=0.6)

    async def main():
        hoster, jo, kai = Player("hana"), Player("jo", quick), Player("kai")
        hoster.send(HostLan("hana", hoster.device_id, port=0, bind=LOOPBACK, discovery_port=discovery,
                            broadcast="127.255.255.255"))
        hosting = await hoster.next(Hosting)
        await hoster.next(Searching)
        server = f"{LOOPBACK}:{hosting.port}"
        jo.send(BrowseLan(discovery_port=discovery))
        await listed(jo, HostState.WAITING)
        assert isinstance(await jo.sign_in(server), SignedIn)
        jo.send(FindOpponent())
        await listed(jo, HostState.PLAYING)
        await hoster.next(MatchJoined)
        jo.send(LeaveMatch())
        jo.send(Disconnect())
        left = await hoster.next(OpponentLeft)
        await listed(jo, None)  # nobody waits on that host: it is no longer announced
        assert isinstance(await kai.sign_in(server), SignedIn)
        kai.send(FindOpponent())
        refused = await kai.next(Failure, Searching)
        turned_away = await hoster.next(GuestTurnedAway)
        hoster.send(FindOpponent())  # "wait for someone new"
        await listed(jo, HostState.WAITING)
        kai.send(FindOpponent())
        joined = await kai.next(MatchJoined)
        for p in (hoster, jo, kai):
            await p.shutdown()
        return left, refused, turned_away, joined

    left, refused, turned_away, joined = play(main())
    assert left == OpponentLeft("jo", GoneReason.LEFT)
    assert refused == Failure(FailureKind.REFUSED, "The matchmaker refused: hana is not waiting for an opponent right now")
    assert turned_away == GuestTurnedAway("kai")
    assert joined.label.extended


def test_hosting_moves_to_the_next_port_when_the_asked_one_is_taken(discovery: int):

    async def main():
        with socket.socket() as taken:
            taken.bind((LOOPBACK, 0))
            taken.listen()
            port = taken.getsockname()[1]
            hoster = Player("hana")
            hoster.send(HostLan("hana", hoster.device_id, port=port, bind=LOOPBACK, discovery_port=discovery,
                                broadcast="127.255.255.255"))
            hosting = await hoster.next(Hosting, Failure)
            await hoster.shutdown()
            return port, hosting

    port, hosting = play(main())
    assert isinstance(hosting, Hosting), hosting
    assert port < hosting.port < port + 10


def test_a_silenced_connection_sends_nothing_more_not_even_a_leave_for_a_join_on_its_way():
    # When the LAN host our own player is on stops, that player's connection is silenced first.
    # A join answered after that must not become a match_leave: the guest would hear that we
    # left, not the host's notice that the game is closed.
    asked_to_join, silenced, answered = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def script(ws):
        me = {"user_id": ws.user_id, "session_id": "s-me", "username": "hana"}
        guest = {"user_id": "u-gus", "session_id": "s-gus", "username": "gus"}
        add = await ws.recv("matchmaker_add")
        await ws.send({"cid": add["cid"], "matchmaker_ticket": {"ticket": "T1"}})
        users = [{"presence": me}, {"presence": guest}]
        await ws.send({"matchmaker_matched": {"ticket": "T1", "match_id": "M1", "users": users, "self": {"presence": me}}})
        join = await ws.recv("match_join")
        asked_to_join.set()
        await silenced.wait()
        await ws.send({"cid": join["cid"], "match": {"match_id": "M1", "authoritative": True, "size": 2,
                                                     "presences": [me, guest], "self": me}})
        await ws.send({"ping": {}})  # answered after anything the join's answer made the client send
        await ws.recv("pong")
        answered.set()

    async def main():
        async with NakamaStandIn(script) as nakama:
            events, errors = Recorder(), []
            scope = TaskScope("test", lambda name, exc: errors.append(exc))
            command = SignIn(nakama.address, "defaultkey", "hana", "device-hana-0123456789")
            online = OnlineSession(command, ServerAddress.parse(nakama.address), FAST, emit=events, scope=scope,
                                   goodbyes=scope.child("goodbyes"), tls_context=None, rng=random.Random(1))
            online.start()
            await events.next(SignedIn)
            online.find("")
            await asyncio.wait_for(asked_to_join.wait(), 5)
            online.silence()
            silenced.set()
            await asyncio.wait_for(answered.wait(), 5)
            await online.close()
            scope.cancel()
            return nakama.sockets[0].received, events.events, errors

    received, events, errors = play(main())
    assert not any("match_leave" in env for env in received), received
    assert not any(isinstance(e, MatchJoined) for e in events) and errors == []

"""Matches on a real host: full games, rematches, deadlines, dropped players, refusals."""

from __future__ import annotations

import base64
import json

from game.rules import Termination
from game.xoxo import OP_OPPONENT_GONE

WIN = [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)]  # the first mover completes the top row
DRAW = [(1, 1), (1, 2), (1, 3), (2, 2), (3, 2), (2, 1), (2, 3), (3, 3), (3, 1)]


async def play(p1, p2, moves, first: int = 1):
    """Play ``moves`` alternately starting with player ``first``; the last states of both."""
    players = {1: p1, 2: p2}
    turn = first
    v1 = v2 = None
    for row, col in moves:
        await players[turn].move(row, col)
        v1, v2 = await p1.state(), await p2.state()
        assert v1.board.cells == v2.board.cells
        turn = v1.board.to_move
    return v1, v2


def test_two_players_play_to_a_win(running_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)
        assert p1.match_id == p2.match_id and p1.match_id.endswith(".host")
        v1, v2 = await play(p1, p2, WIN)
        assert v1.result == "win" and v2.result == "loss"
        assert v1.termination is Termination.LINE
        assert v1.line == ((1, 1), (1, 2), (1, 3)) == v2.line
        assert v1.rematch_countdown == 10
        assert not v1.your_turn and not v2.your_turn
        assert v1.players[0].username == "ann" and v1.players[1].username == "bob"

    host_client.run(scenario())


def test_two_players_play_to_a_draw(running_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)
        v1, v2 = await play(p1, p2, DRAW)
        assert v1.result == v2.result == "draw"
        assert v1.termination is Termination.DRAW and v1.line is None

    host_client.run(scenario())


def test_rematch_countdown_starts_the_next_game_with_the_other_player_first(host_factory, host_client):
    host = host_factory(manual_clock=True, rematch_seconds=3)

    async def scenario():
        p1, p2 = await host_client.pair(host.port)
        await play(p1, p2, WIN)
        await host.elapse(2.9)
        for p in (p1, p2):
            countdown = [p.view_of(e) for e in await p.sync() if p.view_of(e) is not None]
            assert countdown and all(v.game == 1 for v in countdown), "game 2 has not started yet"
        await host.elapse(0.1)
        for p in (p1, p2):
            while True:
                view = await p.state()
                if view.game == 2:
                    break
                assert view.board.is_over
            assert not view.board.is_over and view.board.moves == () and all(c == -1 for c in view.board.cells)
            assert view.board.to_move == 2
        await p2.move(2, 2)  # player 2 opens game 2
        assert (await p1.state()).board.at(2, 2) == 2

    host_client.run(scenario())


def test_rematch_when_both_ask(host_factory, host_client):
    host = host_factory(rematch_seconds=None)

    async def scenario():
        p1, p2 = await host_client.pair(host.port)
        await play(p1, p2, WIN)
        await p1.rematch()
        for p in (p1, p2):  # one request alone starts nothing: both see who asked
            view = await p.state()
            assert view.game == 1 and view.rematch_asked == (True, False)
        await p2.rematch()
        v1, v2 = await p1.state(), await p2.state()
        assert v1.game == v2.game == 2 and not v1.board.is_over
        assert v2.your_turn and not v1.your_turn
        v1, v2 = await play(p1, p2, DRAW, first=2)
        assert v1.result == "draw"

    host_client.run(scenario())


def test_rematch_during_a_game_is_refused(running_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)
        await p1.rematch()
        assert (await p1.rejected())[0] == "game_in_progress"
        assert await p2.sync() == []

    host_client.run(scenario())


def test_turn_timeout_forfeits_the_game(host_factory, host_client):
    host = host_factory(manual_clock=True, turn_seconds=30)

    async def scenario():
        p1, p2 = await host_client.pair(host.port)
        await host.elapse(29.9)
        assert await p1.sync() == [] and await p2.sync() == [], "the turn is not over yet"
        await host.elapse(0.1)
        v1 = await p1.state()
        v2 = await p2.state()
        assert v1.termination is Termination.TIMEOUT
        assert v1.result == "loss" and v2.result == "win"

    host_client.run(scenario())


def test_turn_timer_follows_the_moves_without_a_timer_per_move(host_factory, host_client):
    """Each move pushes the turn deadline on; the match's timer is not made again per move, yet fires on time."""
    host = host_factory(manual_clock=True, turn_seconds=30)
    clock = host.clock
    assert clock is not None
    set_for: list[float] = []
    call_at = clock.call_at

    def counted(when, callback):
        set_for.append(when)
        return call_at(when, callback)

    clock.call_at = counted

    async def scenario():
        p1, p2 = await host_client.pair(host.port)
        start = clock.now
        timers = len(set_for)
        players = {1: p1, 2: p2}
        for n, (row, col) in enumerate(DRAW[:4]):
            await host.elapse(20)
            await players[1 + n % 2].move(row, col)
            await p1.state(), await p2.state()
        assert len(set_for) - timers <= 3, "about one timer per 30 s the game lasted, not one per move"
        await host.elapse(29.9)
        assert await p1.sync() == [] and await p2.sync() == [], "30 s from the last move, not from the first"
        await host.elapse(0.1)
        v1, v2 = await p1.state(), await p2.state()
        assert v1.termination is Termination.TIMEOUT and clock.now == start + 110
        assert v1.result == "loss" and v2.result == "win", "the first player's turn ran out (the fifth move)"

    host_client.run(scenario())


def test_dropped_player_comes_back_within_the_grace_period(running_host, host_client):
    async def scenario():
        port = running_host.port
        a = await host_client.connect(port, "ann", device_id="device-of-ann-42")
        b = await host_client.connect(port, "bob", device_id="device-of-bob-42")
        await a.find_match_start()
        await b.find_match()
        await a.find_match_end()
        await a.join(a.match_id)
        await b.join(b.match_id)
        va, _vb = await a.state(), await b.state()
        await a.expect("match_presence_event")
        p1, p2 = (a, b) if va.you == 1 else (b, a)
        await play(p1, p2, [(2, 2), (1, 1), (3, 3)])
        before = (await p2.sync())  # nothing pending
        assert before == []
        await p2.close()
        leave = await p1.expect("match_presence_event")
        assert leave["match_presence_event"]["leaves"][0]["user_id"] == p2.user_id
        waiting = await p1.state()
        assert not waiting.opponent_connected and not waiting.board.is_over

        device = "device-of-bob-42" if p2 is b else "device-of-ann-42"
        back = await host_client.connect(port, p2.username, device_id=device)
        assert back.user_id == p2.user_id
        answer = await back.join(p1.match_id)
        assert answer["match"]["size"] == 2
        view = await back.state()
        assert view.board.cells == waiting.board.cells
        assert view.you == 2 and view.your_turn and view.opponent_connected
        join = await p1.expect("match_presence_event")
        assert join["match_presence_event"]["joins"][0]["session_id"] == back.session_id
        assert (await p1.state()).opponent_connected
        await back.move(1, 3)
        await p1.state()
        assert (await back.state()).board.at(1, 3) == 2

    host_client.run(scenario())


def test_player_who_stays_away_past_the_grace_period_loses(host_factory, host_client):
    host = host_factory(manual_clock=True, grace_seconds=20)

    async def scenario():
        p1, p2 = await host_client.pair(host.port)
        await p1.move(1, 1)
        await p1.state()
        await p2.close()
        leave = await p1.expect("match_presence_event")
        assert leave["match_presence_event"]["leaves"][0]["user_id"] == p2.user_id
        away = await p1.state()
        assert not away.opponent_connected and not away.board.is_over, "the seat is held"
        await host.elapse(20)
        notice = json.loads(await p1.match_data(OP_OPPONENT_GONE))
        assert notice == {"user_id": p2.user_id, "username": p2.username, "reason": "disconnected"}
        final = await p1.state()
        assert final.result == "win" and final.termination is Termination.OPPONENT_LEFT
        err = await p1.request("match_join", {"match_id": p1.match_id})
        assert err["error"]["code"] == 4 and err["error"]["message"] == "Match not found"

    host_client.run(scenario())


def test_leaving_on_purpose_ends_the_match(running_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)
        ack = await p2.request("match_leave", {"match_id": p2.match_id})
        assert set(ack) == {"cid"}
        leave = await p1.expect("match_presence_event")
        assert leave["match_presence_event"]["leaves"][0]["session_id"] == p2.session_id
        notice = json.loads(await p1.match_data(OP_OPPONENT_GONE))
        assert notice["reason"] == "left"
        final = await p1.state()
        assert final.result == "win" and final.termination is Termination.OPPONENT_LEFT
        err = await p2.request("match_join", {"match_id": p2.match_id})
        assert err["error"]["code"] == 4

    host_client.run(scenario())


def test_third_player_is_refused_and_the_match_goes_on(running_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)
        intruder = await host_client.connect(running_host.port, "eve")
        err = await intruder.request("match_join", {"match_id": p1.match_id})
        assert err["error"] == {"code": 5, "message": "you were not matched into this game"}
        err = await intruder.request("match_join", {"token": p1.matched["token"]})
        assert err["error"]["code"] == 5
        await intruder.send_data(1, {"row": 1, "col": 1}, match_id=p1.match_id)
        err = await intruder.expect("error")
        assert err["error"]["code"] == 3
        assert await p1.sync() == [] and await p2.sync() == []
        v1, _ = await play(p1, p2, WIN)
        assert v1.result == "win"

    host_client.run(scenario())


def test_refused_moves_reach_the_sender_alone_and_change_nothing(running_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)

        async def refused(client, reason):
            got = await client.rejected()
            assert got[0] == reason, got
            other = p2 if client is p1 else p1
            assert await other.sync() == []

        await p2.move(1, 1)  # out of turn
        await refused(p2, "not_your_turn")
        await p1.move(4, 1)
        await refused(p1, "out_of_bounds")
        await p1.move(0, 2)
        await refused(p1, "out_of_bounds")
        await p1.move("1", 2)
        await refused(p1, "out_of_bounds")
        await p1.send_data(1, b"not json")
        await refused(p1, "bad_payload")
        await p1.send_data(1, b"[" * 2500)
        await refused(p1, "bad_payload")
        await p1.send_data(1, b'{"row": 1}')
        await refused(p1, "bad_payload")
        await p1.send_data(9, b"{}")
        await refused(p1, "unknown_op")
        await p1.move(2, 2)
        v1, v2 = await p1.state(), await p2.state()
        assert v1.board.moves == () or v1.board.at(2, 2) == 1
        assert [c for c in v1.board.cells if c != -1] == [1]
        await p2.move(2, 2)
        await refused(p2, "occupied")
        v1, v2 = await play(p1, p2, [(1, 1), (3, 1), (1, 2), (3, 2), (1, 3)], first=2)
        assert v2.result == "win"
        await p1.move(3, 3)
        await refused(p1, "game_over")

    host_client.run(scenario())


def test_bad_match_data_envelopes_get_errors(running_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)
        answer = await p1.request("match_data_send", {"match_id": p1.match_id, "op_code": 1, "data": "%%%"})
        assert answer["error"]["code"] == 3
        answer = await p1.request("match_data_send", {"match_id": "nope.host", "op_code": 1, "data": ""})
        assert answer["error"] == {"code": 4, "message": "Match not found"}
        answer = await p1.request("match_data_send", {"match_id": p1.match_id, "op_code": "one", "data": ""})
        assert answer["error"]["code"] == 3
        assert await p2.sync() == []
        await p1.send({"match_data_send": {"match_id": p1.match_id, "op_code": "1",
                                           "data": base64.b64encode(b'{"row":2,"col":2}').decode(), "presences": []}})
        assert (await p2.state()).board.at(2, 2) == 1

    host_client.run(scenario())


def test_second_session_replaces_the_older_one(running_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)
        await p1.move(1, 1)
        await p1.state()
        await p2.state()
        again = await host_client.connect(running_host.port, token=p1.token)
        assert again.user_id == p1.user_id
        answer = await again.join(p1.match_id)
        assert "match" in answer
        code, reason = await p1.closed()
        assert code == 1000 and reason == "you joined this match from another session"
        event = (await p2.expect("match_presence_event"))["match_presence_event"]
        assert event["joins"][0]["session_id"] == again.session_id
        assert event["leaves"][0]["session_id"] == p1.session_id
        view = await again.state()
        assert view.you == 1 and view.board.at(1, 1) == 1
        assert (await p2.state()).board == view.board  # the same position, resent to both
        await p2.move(2, 2)
        assert (await again.state()).board.at(2, 2) == 2
        await p2.state()
        await again.move(3, 3)
        assert (await p2.state()).board.at(3, 3) == 1

    host_client.run(scenario())


def test_join_needs_a_known_match(running_host, host_client):
    async def scenario():
        c = await host_client.connect(running_host.port, "cat")
        err = await c.request("match_join", {"match_id": "0d8f0ee5-0000-4000-8000-000000000000.host"})
        assert err["error"] == {"code": 4, "message": "Match not found"}
        err = await c.request("match_join", {"token": "made-up"})
        assert err["error"]["code"] == 4
        err = await c.request("match_join", {})
        assert err["error"]["code"] == 3

    host_client.run(scenario())


def test_a_matched_player_who_never_joins_ends_the_match(host_factory, host_client):
    host = host_factory(join_timeout_seconds=1)

    async def scenario():
        a = await host_client.connect(host.port, "ann")
        b = await host_client.connect(host.port, "bob")
        await a.find_match_start()
        await b.find_match()
        await a.find_match_end()
        await a.join(a.match_id)
        notice = json.loads(await a.match_data(OP_OPPONENT_GONE))
        assert notice == {"user_id": b.user_id, "username": "bob", "reason": "no_show"}
        err = await b.request("match_join", {"match_id": b.match_id})
        assert err["error"]["code"] == 4

    host_client.run(scenario())


def test_joining_again_answers_the_match_and_disturbs_no_one(running_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)
        for _ in range(3):
            answer = await p1.join(p1.match_id)
            assert answer["match"]["size"] == 2 and answer["match"]["self"]["session_id"] == p1.session_id
        assert await p1.sync() == [] and await p2.sync() == []

    host_client.run(scenario())

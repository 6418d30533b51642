"""The realtime socket on a real host: envelopes, malformed input, limits, the matchmaker."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed


def test_ping_is_answered_with_pong_and_the_same_cid(running_host, host_client):
    async def scenario():
        c = await host_client.connect(running_host.port, "ann")
        await c.send({"cid": "7", "ping": {}})
        assert await c.recv() == {"cid": "7", "pong": {}}
        await c.send({"pong": {}})  # a client's pong needs no answer
        assert await c.sync() == []

    host_client.run(scenario())


@pytest.mark.parametrize(
    "frame",
    [
        "this is not json",
        "[1, 2, 3]",
        "{}",
        '{"cid": "1"}',
        '{"cid": "1", "rpc": {"id": "x"}}',
        '{"cid": "1", "ping": {}, "pong": {}}',
        '{"match_create": {}}',
        '"just a string"',
    ],
    ids=["not-json", "array", "empty", "cid-only", "unknown-key", "two-keys", "unsupported", "string"],
)
def test_malformed_payload_closes_the_socket_like_nakama(running_host, host_client, frame):
    async def scenario():
        c = await host_client.connect(running_host.port, "ann")
        await c.send(frame)
        code, reason = await c.closed()
        assert code == 1000
        assert reason.startswith("received malformed payload")

    host_client.run(scenario())


@pytest.mark.parametrize(
    "body",
    [
        {"matchmaker_add": {"min_count": "two", "max_count": 2, "query": "*"}},
        {"matchmaker_add": {"min_count": 2.5, "max_count": 2, "query": "*"}},
        {"matchmaker_add": {"min_count": 2, "max_count": 2, "query": 5}},
        {"matchmaker_add": {"min_count": True, "max_count": 2}},
        {"matchmaker_add": {"min_count": 2, "max_count": 2, "string_properties": {"a": 1}}},
        {"matchmaker_add": []},
        {"match_join": "abc"},
        {"match_join": {"match_id": 12}},
        {"match_join": {"match_id": "x" * 600}},
        {"match_leave": {"match_id": None, "extra": 1, "x": [1]}} | {"match_leave": 3},
        {"match_data_send": {"match_id": "m", "op_code": "1_0", "data": ""}},
        {"match_data_send": {"match_id": "m", "op_code": "١", "data": ""}},
        {"match_data_send": {"match_id": "m", "op_code": 2**64, "data": ""}},
        {"match_data_send": {"match_id": "m", "op_code": 1, "data": "not base64!"}},
        {"match_data_send": {"match_id": "m", "op_code": 1, "data": 5}},
        {"match_data_send": {"match_id": "m", "op_code": 1, "presences": "all"}},
        {"match_data_send": {"match_id": "m", "op_code": 1, "reliable": "yes"}},
        {"matchmaker_remove": {"ticket": ["t"]}},
        {"ping": 5},
    ],
)
def test_wrong_types_get_error_3_with_the_cid(running_host, host_client, body):
    async def scenario():
        c = await host_client.connect(running_host.port, "ann")
        await c.send({"cid": "42", **body})
        answer = await c.recv()
        assert answer["cid"] == "42"
        assert answer["error"]["code"] == 3, answer
        assert answer["error"]["message"]
        assert await c.sync() == []  # still connected

    host_client.run(scenario())


def test_binary_frame_is_refused_with_1003(running_host, host_client):
    async def scenario():
        c = await host_client.connect(running_host.port, "ann")
        await c.send(b'{"cid":"1","ping":{}}')
        code, reason = await c.closed()
        assert code == 1003 and "binary" in reason

    host_client.run(scenario())


def test_oversize_frame_is_refused_with_1009(running_host, host_client):
    async def scenario():
        c = await host_client.connect(running_host.port, "ann")
        await c.send(json.dumps({"cid": "1", "match_join": {"match_id": "x" * 5000}}))
        code, _ = await c.closed()
        assert code == 1009

    host_client.run(scenario())


def test_flood_is_closed_with_1008(running_host, host_client):
    async def scenario():
        c = await host_client.connect(running_host.port, "ann")
        for i in range(200):
            try:
                await c.send({"cid": str(i), "ping": {}})
            except ConnectionClosed:
                break
        code, reason = await c.closed()
        assert code == 1008 and reason == "too many messages"

    host_client.run(scenario())


def test_a_player_who_sends_garbage_loses_the_socket_not_the_match(running_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)
        token = p1.token
        await p1.send("{oops")
        assert (await p1.closed())[0] == 1000
        assert "leaves" in (await p2.expect("match_presence_event"))["match_presence_event"]
        assert not (await p2.state()).opponent_connected
        back = await host_client.connect(running_host.port, token=token)
        await back.join(p2.match_id)
        assert (await back.state()).your_turn
        assert (await p2.state()).opponent_connected
        await back.move(2, 2)
        assert (await p2.state()).board.at(2, 2) == 1

    host_client.run(scenario())


# The matchmaker ---------------------------------------------------------------------


def test_matchmaker_pairs_two_players_at_once(running_host, host_client):
    async def scenario():
        a = await host_client.connect(running_host.port, "ann")
        b = await host_client.connect(running_host.port, "bob")
        ticket_a = await a.find_match_start()
        assert await a.sync() == []  # alone: nothing yet
        ticket_b = await b.find_match_start()
        ma, mb = await a.find_match_end(), await b.find_match_end()
        assert ma["ticket"] == ticket_a and mb["ticket"] == ticket_b
        assert ma["match_id"] == mb["match_id"] and ma["token"] == mb["token"]
        users = {u["presence"]["user_id"] for u in ma["users"]}
        assert users == {a.user_id, b.user_id}
        assert ma["self"]["presence"]["user_id"] == a.user_id
        assert mb["self"]["presence"]["username"] == "bob"
        assert running_host.stats().tickets == 0

    host_client.run(scenario())


def test_matchmaker_remove(running_host, host_client):
    async def scenario():
        a = await host_client.connect(running_host.port, "ann")
        ticket = await a.find_match_start()
        assert await a.request("matchmaker_remove", {"ticket": ticket}) == {"cid": str(int(_last_cid(a)))}
        again = await a.request("matchmaker_remove", {"ticket": ticket})
        assert again["error"]["code"] == 3
        b = await host_client.connect(running_host.port, "bob")
        await b.find_match_start()
        assert await b.sync() == []  # ann's ticket is gone: no match

    host_client.run(scenario())


def _last_cid(client) -> str:
    return str(next(client._cids) - 1)


@pytest.mark.parametrize(
    "body",
    [
        {"min_count": 1, "max_count": 2, "query": "*"},
        {"min_count": 3, "max_count": 2, "query": "*"},
        {"min_count": 3, "max_count": 4, "query": "*"},
        {"min_count": 2, "max_count": 2, "query": "+region:eu"},
        {},
    ],
)
def test_matchmaker_refuses_bad_counts_with_error_3(running_host, host_client, body):
    async def scenario():
        a = await host_client.connect(running_host.port, "ann")
        answer = await a.request("matchmaker_add", body)
        assert answer["error"]["code"] == 3

    host_client.run(scenario())


def test_matchmaker_allows_three_tickets_a_session(running_host, host_client):
    async def scenario():
        a = await host_client.connect(running_host.port, "ann")
        for _ in range(3):
            await a.find_match_start()
        answer = await a.request("matchmaker_add", {"min_count": 2, "max_count": 2, "query": "*"})
        assert answer["error"]["code"] == 3 and "3" in answer["error"]["message"]

    host_client.run(scenario())


def test_a_user_is_never_matched_with_themselves(running_host, host_client):
    async def scenario():
        a1 = await host_client.connect(running_host.port, "ann", device_id="ann-device-0001")
        a2 = await host_client.connect(running_host.port, "ann", device_id="ann-device-0001")
        assert a1.user_id == a2.user_id
        await a1.find_match_start()
        await a2.find_match_start()
        assert await a1.sync() == [] and await a2.sync() == []
        b = await host_client.connect(running_host.port, "bob")
        await b.find_match()
        matched = await a1.find_match_end()  # the oldest ticket goes first
        assert matched["match_id"] == b.match_id
        assert await a2.sync() == []

    host_client.run(scenario())


def test_a_closed_socket_takes_its_tickets_away(running_host, host_client):
    async def scenario():
        a = await host_client.connect(running_host.port, "ann")
        await a.find_match_start()
        await a.close()
        b = await host_client.connect(running_host.port, "bob")
        await b.find_match_start()
        assert await b.sync() == []
        assert running_host.stats().tickets == 1

    host_client.run(scenario())


def test_match_answer_and_presence_events(running_host, host_client):
    async def scenario():
        a = await host_client.connect(running_host.port, "ann")
        b = await host_client.connect(running_host.port, "bob")
        await a.find_match_start()
        await b.find_match()
        await a.find_match_end()
        first = (await a.join(a.match_id))["match"]
        assert first["authoritative"] is True and first["size"] == 1
        assert first["self"]["user_id"] == a.user_id and first["presences"] == [first["self"]]
        second = (await b.join(token=b.matched["token"]))["match"]
        assert second["size"] == 2 and second["match_id"] == a.match_id
        event = (await a.expect("match_presence_event"))["match_presence_event"]
        assert event["joins"] == [second["self"]] and event["match_id"] == a.match_id
        view = await a.state()
        assert view.termination is None and view.you in (1, 2)

    host_client.run(scenario())


def test_a_name_belongs_to_one_account_whatever_its_case(running_host, host_client):
    async def scenario():
        a = await host_client.connect(running_host.port, "Sam", device_id="device-sam-0001")
        b = await host_client.connect(running_host.port, "sam")  # taken: the test client adds a number, as the game does
        assert a.username == "Sam" and b.username == "sam2"
        await a.close()
        c = await host_client.connect(running_host.port, "Sam", device_id="device-sam-0001")
        assert c.username == "Sam" and c.user_id == a.user_id  # the same account, signing in again

    host_client.run(scenario())


def test_an_occupied_cell_is_refused_and_play_goes_on(running_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)
        await p1.move(1, 1)
        await p1.state(), await p2.state()
        await p2.move(1, 1)
        assert (await p2.rejected())[0] == "occupied"
        await p2.move(2, 2)
        v1 = await p1.state()
        assert v1.board.at(2, 2) == 2 and v1.board.at(1, 1) == 1 and v1.termination is None and v1.your_turn

    host_client.run(scenario())

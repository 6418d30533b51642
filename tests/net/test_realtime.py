"""The realtime socket: requests and answers by cid, pushes in order, keepalive, and every way it ends."""

from __future__ import annotations

import asyncio
import base64

import pytest

from net.address import ServerAddress
from net.codec import Match, MatchData, MatchDataSend, MatchJoin, MatchmakerAdd, MatchmakerTicket, Unknown
from net.errors import (
    ConnectionLostError,
    GameFullError,
    RefusedError,
    ServerError,
    ServerGoingAwayError,
    ServerProtocolError,
    ServerTimeoutError,
    UnauthorizedError,
    UnreachableError,
)
from net.realtime import RealtimeSocket
from tests.net.standins import LOOPBACK, NakamaStandIn, make_token, refused_port

DEVICE = "device-0123456789"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


# The realtime socket --------------------------------------------------------------------------


async def open_socket(nakama: NakamaStandIn, pushes: list, closes: list, **kw) -> RealtimeSocket:
    return await RealtimeSocket.open(
        ServerAddress.parse(nakama.address),
        make_token(f"user-{DEVICE}", "alice"),
        on_push=lambda s, m: pushes.append(m),
        on_close=lambda s, e: closes.append(e),
        **kw,
    )


def test_requests_are_matched_by_cid_and_pushes_keep_their_order():
    async def script(ws):
        add = await ws.recv("matchmaker_add")
        join = await ws.recv("match_join")
        # Answer the second request first, with pushes (and an unknown one) around.
        await ws.send({"match_data": {"match_id": "m", "op_code": "2", "data": base64.b64encode(b"one").decode()}})
        await ws.send({"status_presence_event": {"joins": []}})
        await ws.send({"cid": join["cid"], "match": {"match_id": "m", "authoritative": True}})
        await ws.send({"match_data": {"match_id": "m", "op_code": 7}})
        await ws.send({"cid": add["cid"], "matchmaker_ticket": {"ticket": "T"}})
        bad = await ws.recv("match_join")
        await ws.send({"cid": bad["cid"], "error": {"code": 4, "message": "Match not found"}})

    async def main():
        pushes, closes = [], []
        async with NakamaStandIn(script) as nakama:
            sock = await open_socket(nakama, pushes, closes)
            ticket, match = await asyncio.gather(sock.request(MatchmakerAdd()), sock.request(MatchJoin(match_id="m")))
            with pytest.raises(ServerError) as caught:
                await sock.request(MatchJoin(match_id="gone"))
            await sock.close()
            return ticket, match, caught.value, pushes, closes

    ticket, match, error, pushes, closes = run(main())
    assert ticket == MatchmakerTicket("T") and isinstance(match, Match) and match.match_id == "m"
    assert (error.code, error.message) == (4, "Match not found")
    assert [type(p) for p in pushes] == [MatchData, Unknown, MatchData]
    assert pushes[0].data == b"one" and pushes[2].op_code == 7
    assert closes == []  # a close we asked for is not reported


def test_match_data_goes_out_in_the_codecs_one_form():
    async def script(ws):
        await ws.recv("match_data_send")

    async def main():
        async with NakamaStandIn(script) as nakama:
            sock = await open_socket(nakama, [], [])
            await sock.send(MatchDataSend("m1", 1, b'{"row":1,"col":3}'))
            while not (nakama.sockets and any("match_data_send" in e for e in nakama.sockets[0].received)):
                await asyncio.sleep(0.01)
            await sock.close()
            return nakama.sockets[0].received[-1]

    frame = run(main())
    # Nakama takes op_code as a number or a numeric string; the codec writes a string, as Nakama itself does.
    data = base64.b64encode(b'{"row":1,"col":3}').decode()
    assert frame == {"match_data_send": {"match_id": "m1", "op_code": "1", "data": data}}


def test_an_unanswered_request_times_out_and_the_socket_stays_usable():
    async def script(ws):
        await ws.recv("matchmaker_add")  # never answered
        join = await ws.recv("match_join")
        await ws.send({"cid": join["cid"], "match": {"match_id": "m"}})

    async def main():
        async with NakamaStandIn(script) as nakama:
            sock = await open_socket(nakama, [], [], request_timeout=0.3)
            with pytest.raises(ServerTimeoutError) as caught:
                await sock.request(MatchmakerAdd())
            answer = await sock.request(MatchJoin(match_id="m"))
            await sock.close()
            return caught.value, answer

    error, answer = run(main())
    assert "did not answer matchmaker add within 0.3 s" in str(error)
    assert isinstance(answer, Match)


def test_a_frame_that_is_not_an_envelope_drops_the_connection_as_a_protocol_error():
    async def script(ws):
        await ws.send("this is not JSON")

    async def main():
        closes = []
        async with NakamaStandIn(script) as nakama:
            sock = await open_socket(nakama, [], closes)
            while not closes:
                await asyncio.sleep(0.01)
            with pytest.raises(ServerProtocolError):
                await sock.request(MatchmakerAdd())
            return closes

    (error,) = run(main())
    assert isinstance(error, ServerProtocolError) and "not a game message" in str(error)


def test_a_silent_server_is_declared_dead():
    async def script(ws):
        await asyncio.sleep(3600)  # reads nothing, answers no ping

    async def main():
        closes = []
        async with NakamaStandIn(script) as nakama:
            await open_socket(nakama, [], closes, ping_interval=0.1, dead_after=0.4)
            while not closes:
                await asyncio.sleep(0.01)
            return closes

    (error,) = run(main())
    assert isinstance(error, ConnectionLostError) and "stopped answering" in str(error)


def test_a_server_going_away_is_told_from_a_broken_connection():
    async def script(ws):
        await ws.ws.close(1001, "Server shutting down")

    async def main():
        closes = []
        async with NakamaStandIn(script) as nakama:
            await open_socket(nakama, [], closes)
            while not closes:
                await asyncio.sleep(0.01)
            return closes

    (error,) = run(main())
    assert isinstance(error, ServerGoingAwayError)  # not worth reconnecting to
    assert str(error) == "The server closed the connection: Server shutting down"


def test_a_server_closing_for_another_reason_is_a_lost_connection_with_its_reason():
    async def script(ws):
        await ws.ws.close(1008, "too many messages")

    async def main():
        closes = []
        async with NakamaStandIn(script) as nakama:
            await open_socket(nakama, [], closes)
            while not closes:
                await asyncio.sleep(0.01)
            return closes

    (error,) = run(main())
    assert type(error) is ConnectionLostError and str(error) == "The server closed the connection (too many messages)"


def test_a_request_whose_send_fails_leaves_no_exception_unretrieved(caplog):
    async def script(ws):
        await ws.ws.close(1000, "bye")

    async def main():
        async with NakamaStandIn(script) as nakama:
            sock = await open_socket(nakama, [], [])
            deadline = asyncio.get_running_loop().time() + 5
            while not sock.closed:  # the close has come in
                assert asyncio.get_running_loop().time() < deadline, "the server's close never arrived"
                await asyncio.sleep(0.01)
            for _ in range(3):
                with pytest.raises(ConnectionLostError):
                    await sock.request(MatchmakerAdd())
        await asyncio.sleep(0)

    run(main())
    import gc

    gc.collect()
    assert "never retrieved" not in caplog.text


@pytest.mark.parametrize(
    "refusal, error, words",
    [
        ((403, "This game is full"), GameFullError, "The server refused the connection: 403 This game is full"),
        ((401, "Auth token invalid"), UnauthorizedError, "401 Auth token invalid"),
        ((503, "Try later"), RefusedError, "503 Try later"),
    ],
)
def test_a_refused_handshake_carries_status_and_body(refusal, error, words):
    async def main():
        async with NakamaStandIn(handshake_refusal=refusal) as nakama:
            with pytest.raises(error) as caught:
                await open_socket(nakama, [], [])
            return caught.value

    assert words in str(run(main()))


def test_opening_a_socket_where_nothing_listens_is_unreachable():
    async def main(port):
        with pytest.raises(UnreachableError) as caught:
            await RealtimeSocket.open(ServerAddress(LOOPBACK, port), "t", on_push=lambda s, m: None)
        return caught.value

    with refused_port() as port:
        assert f"127.0.0.1:{port}" in str(run(main(port)))

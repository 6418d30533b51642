"""The Nakama client: sign-in in both forms, sessions, and the realtime socket, over real loopback sockets."""

from __future__ import annotations

import asyncio
import base64
import json
import socket

import pytest

from net import http
from net.client import (
    AuthClient,
    AuthSession,
    BadKeyError,
    ConnectionLostError,
    GameFullError,
    RealtimeSocket,
    RefusedError,
    ServerAddress,
    ServerError,
    ServerProtocolError,
    ServerTimeoutError,
    SignInForm,
    UnauthorizedError,
    UnreachableError,
    decode_token_claims,
    wants_other_form,
)
from net.codec import Match, MatchData, MatchJoin, MatchmakerAdd, MatchmakerTicket, Unknown
from net.host import Host, HostConfig
from tests.net.standins import LOOPBACK, NakamaStandIn, make_token

DEVICE = "device-0123456789"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


async def one_shot_http(answer: bytes) -> tuple[asyncio.Server, int]:
    """A server that reads one request and writes ``answer`` back verbatim."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
        if length:
            await reader.readexactly(int(length[0].split(b":")[1]))
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, LOOPBACK, 0)
    return server, server.sockets[0].getsockname()[1]


# Addresses and tokens ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, host, port",
    [
        ("127.0.0.1", "127.0.0.1", 7350),
        ("127.0.0.1:7000", "127.0.0.1", 7000),
        (" game.example:80 ", "game.example", 80),
        ("[::1]:7351", "::1", 7351),
        ("::1", "::1", 7350),
        ("http://10.0.0.5:7350/", "10.0.0.5", 7350),
    ],
)
def test_server_address_parses_what_players_type(text, host, port):
    address = ServerAddress.parse(text)
    assert (address.host, address.port) == (host, port)


@pytest.mark.parametrize("text", ["", "   ", "host:0", "host:70000", "host:port", "[::1", "a b:7350", "user@host"])
def test_server_address_refuses_nonsense(text):
    with pytest.raises(ValueError):
        ServerAddress.parse(text)


def test_ipv6_address_prints_in_brackets():
    assert str(ServerAddress("::1", 7350)) == "[::1]:7350"


def test_session_reads_the_token_and_plans_its_refresh():
    token = make_token("u1", "alice", lifetime=60, now=1000)
    session = AuthSession.from_answer({"token": token, "refresh_token": "r", "created": True}, now=50.0, wall_now=5000)
    assert (session.user_id, session.username, session.created) == ("u1", "alice", True)
    # The life is measured from iat to exp, not against our (possibly wrong) wall clock.
    assert session.lifetime == 60 and session.expires_at == 110
    assert session.refresh_at == 95  # 15 s before the end of a 60 s token
    assert not session.needs_refresh(94.9) and session.needs_refresh(95)
    long = AuthSession.from_answer({"token": make_token("u1", "a", lifetime=7200, now=0)}, now=0, wall_now=0)
    assert long.refresh_at == 7200 - 1440  # 20% of a long life


@pytest.mark.parametrize(
    "answer",
    [None, {}, {"token": ""}, {"token": "not-a-jwt"}, {"token": "a.!!!.c"}, {"token": "a." + base64.urlsafe_b64encode(b"{}").decode() + ".c"}],
)
def test_session_refuses_answers_without_a_readable_token(answer):
    with pytest.raises(ServerProtocolError):
        AuthSession.from_answer(answer, 0, 0)


def test_token_claims_decode_without_padding():
    assert decode_token_claims(make_token("u", "n"))["usn"] == "n"


# The POST-or-GET decision ------------------------------------------------------------


def response(status: int, body: bytes) -> http.HttpResponse:
    return http.HttpResponse(status, "", (), body)


@pytest.mark.parametrize(
    "form, answer, switch",
    [
        (SignInForm.POST_JSON, http.NoResponseError("closed"), True),
        (SignInForm.POST_JSON, response(405, b'{"message":"use GET"}'), True),
        (SignInForm.POST_JSON, response(400, b"Failed to open a WebSocket connection"), True),
        (SignInForm.POST_JSON, response(501, b""), True),
        (SignInForm.POST_JSON, response(400, b'{"code":3,"message":"Device ID invalid"}'), False),
        (SignInForm.POST_JSON, response(401, b"Server key invalid"), False),
        (SignInForm.POST_JSON, response(500, b"oops"), False),
        (SignInForm.POST_JSON, response(200, b"{}"), False),
        (SignInForm.GET_QUERY, response(501, b'{"code":12,"message":"Method Not Allowed"}'), True),
        (SignInForm.GET_QUERY, response(404, b""), True),
        (SignInForm.GET_QUERY, http.NoResponseError("closed"), False),
        (SignInForm.GET_QUERY, response(401, b"{}"), False),
    ],
)
def test_only_precise_signs_switch_the_sign_in_form(form, answer, switch):
    assert wants_other_form(form, answer) is switch


# Sign-in against a stand-in Nakama ------------------------------------------------------


def test_sign_in_posts_json_with_the_server_key_like_nakama_expects():
    async def main():
        async with NakamaStandIn() as nakama:
            forms: dict = {}
            auth = AuthClient(ServerAddress.parse(nakama.address), "defaultkey", forms=forms)
            session = await auth.authenticate_device(DEVICE, "alice smith")
            request = nakama.http_requests[0]
            return session, request, forms, nakama.address

    session, request, forms, address = run(main())
    assert request.method == "POST" and request.path == "/v2/account/authenticate/device"
    assert request.query == {"create": ["true"], "username": ["alice smith"]}
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"defaultkey:").decode()
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {"id": DEVICE}
    assert (session.user_id, session.username) == (f"user-{DEVICE}", "alice smith")
    assert forms == {address: SignInForm.POST_JSON}


def test_refresh_posts_the_refresh_token_with_the_server_key():
    async def main():
        async with NakamaStandIn() as nakama:
            auth = AuthClient(ServerAddress.parse(nakama.address), "defaultkey")
            first = await auth.authenticate_device(DEVICE, "alice")
            second = await auth.refresh(first)
            return first, second, nakama.http_requests[1]

    first, second, request = run(main())
    assert request.method == "POST" and request.path == "/v2/account/session/refresh"
    assert json.loads(request.body) == {"token": first.refresh_token}
    assert second.user_id == first.user_id and second.token


def test_wrong_server_key_is_bad_key_and_not_retried_as_get():
    async def main():
        async with NakamaStandIn(key="secret") as nakama:
            auth = AuthClient(ServerAddress.parse(nakama.address), "wrong")
            with pytest.raises(BadKeyError) as caught:
                await auth.authenticate_device(DEVICE, "alice")
            return caught.value, nakama.http_requests

    error, requests = run(main())
    assert str(error) == "The server key was refused"
    assert [r.method for r in requests] == ["POST"]


def test_a_device_id_nakama_would_refuse_is_refused_before_anything_is_sent():
    with pytest.raises(ValueError, match="10 to 128 bytes"):
        run(AuthClient(ServerAddress(LOOPBACK, 1), "k").authenticate_device("short", "a"))
    with pytest.raises(ValueError, match="spaces"):
        run(AuthClient(ServerAddress(LOOPBACK, 1), "k").authenticate_device("has a space in it", "a"))


@pytest.mark.parametrize(
    "answer, error, words",
    [
        (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 51\r\n\r\n{\"code\":3,\"message\":\"Device ID invalid, too short\"}",
         RefusedError, "400 Device ID invalid, too short"),
        (b"HTTP/1.1 403 Forbidden\r\nContent-Length: 17\r\n\r\nThis game is full", GameFullError, "403 This game is full"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", ServerProtocolError, "not JSON"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", ServerProtocolError, "no session token"),
        (b"SSH-2.0-OpenSSH_9.0\r\n", ServerProtocolError, "does not speak HTTP"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"to\r\n0\r\n\r\n", ServerProtocolError, "not JSON"),
    ],
)
def test_sign_in_answers_become_precise_errors(answer, error, words):
    async def main():
        server, port = await one_shot_http(answer)
        async with server:
            auth = AuthClient(ServerAddress(LOOPBACK, port), "defaultkey", forms={f"{LOOPBACK}:{port}": SignInForm.GET_QUERY})
            with pytest.raises(error) as caught:
                await auth.authenticate_device(DEVICE, "alice")
            return caught.value

    assert words in str(run(main()))


def test_chunked_answers_are_read():
    token = make_token("u9", "nine")
    body = json.dumps({"token": token, "refresh_token": token}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 50]), body[i:i + 50]) for i in range(0, len(body), 50))
    answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"

    async def main():
        server, port = await one_shot_http(answer)
        async with server:
            return await AuthClient(ServerAddress(LOOPBACK, port), "k").authenticate_device(DEVICE, "nine")

    assert run(main()).user_id == "u9"


def test_nothing_listening_is_unreachable_and_names_the_address():
    port = free_port()

    async def main():
        with pytest.raises(UnreachableError) as caught:
            await AuthClient(ServerAddress(LOOPBACK, port), "k").authenticate_device(DEVICE, "a")
        return caught.value

    assert str(run(main())) == f"Can't reach the server at 127.0.0.1:{port} (connection refused)"


def test_a_server_that_accepts_and_says_nothing_times_out_and_can_be_cancelled():
    async def main():
        accepted: list[asyncio.StreamWriter] = []

        async def silent(reader, writer):
            accepted.append(writer)
            await reader.read()  # says nothing until the client hangs up
            writer.close()

        server = await asyncio.start_server(silent, LOOPBACK, 0)
        address = ServerAddress(LOOPBACK, server.sockets[0].getsockname()[1])
        async with server:
            with pytest.raises(ServerTimeoutError) as caught:
                await AuthClient(address, "k", timeout=0.3).authenticate_device(DEVICE, "a")
            # With a long timeout, cancelling the call ends it (the UI's Disconnect does this).
            task = asyncio.create_task(AuthClient(address, "k", timeout=3600).authenticate_device(DEVICE, "a"))
            while len(accepted) < 2:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return caught.value

    assert "did not answer within 0.3 s" in str(run(main()))


# Sign-in against our host ------------------------------------------------------------------


def test_our_host_is_signed_in_with_get_after_its_post_refusal_and_remembered():
    async def main():
        host = Host(HostConfig(port=0))
        await host.start()
        try:
            forms: dict = {}
            address = ServerAddress(LOOPBACK, host.port)
            first = await AuthClient(address, "defaultkey", forms=forms).authenticate_device(DEVICE, "alice")
            learned = dict(forms)
            again = AuthClient(address, "defaultkey", forms=forms)
            assert again.form is SignInForm.GET_QUERY
            refreshed = await again.refresh(first)
            with pytest.raises(BadKeyError):
                await AuthClient(address, "wrong", forms={}).authenticate_device(DEVICE, "alice")
            return first, refreshed, learned, str(address)
        finally:
            await host.stop()

    first, refreshed, learned, address = run(main())
    assert learned == {address: SignInForm.GET_QUERY}
    assert first.username == "alice" and first.lifetime == 7200
    assert refreshed.user_id == first.user_id and refreshed.token != first.token


def test_a_remembered_get_that_meets_nakama_goes_back_to_post():
    async def main():
        async with NakamaStandIn() as nakama:
            forms = {nakama.address: SignInForm.GET_QUERY}
            session = await AuthClient(ServerAddress.parse(nakama.address), "defaultkey", forms=forms).authenticate_device(DEVICE, "a")
            return session, forms[nakama.address], [r.method for r in nakama.http_requests]

    session, form, methods = run(main())
    assert session.user_id and form is SignInForm.POST_JSON and methods == ["GET", "POST"]


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


def test_match_data_goes_out_as_stock_clients_write_it():
    async def script(ws):
        await ws.recv("match_data_send")

    async def main():
        async with NakamaStandIn(script) as nakama:
            sock = await open_socket(nakama, [], [])
            await sock.send_match_data("m1", 1, b'{"row":1,"col":3}')
            while not (nakama.sockets and any("match_data_send" in e for e in nakama.sockets[0].received)):
                await asyncio.sleep(0.01)
            await sock.close()
            return nakama.sockets[0].received[-1]

    frame = run(main())
    assert frame == {"match_data_send": {"match_id": "m1", "op_code": 1, "data": base64.b64encode(b'{"row":1,"col":3}').decode(), "presences": []}}


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


def test_a_server_closing_the_socket_is_reported_with_its_reason():
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
    assert str(error) == "The server closed the connection (Server shutting down)"


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
    port = free_port()

    async def main():
        with pytest.raises(UnreachableError) as caught:
            await RealtimeSocket.open(ServerAddress(LOOPBACK, port), "t", on_push=lambda s, m: None)
        return caught.value

    assert f"127.0.0.1:{port}" in str(run(main()))

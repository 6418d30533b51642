"""Signing in: sessions from tokens, device sign-in, refresh and rename, against a Nakama stand-in and our host."""

from __future__ import annotations

import asyncio
import base64
import json
import random

import pytest

from net.address import ServerAddress
from net.errors import (
    BadKeyError,
    GameFullError,
    NameTakenError,
    RefusedError,
    ServerProtocolError,
    ServerTimeoutError,
    UnauthorizedError,
    UnreachableError,
)
from net.host import Host, HostConfig
from net.signin import AuthClient, AuthSession, decode_token_claims, is_variant_of, name_variants
from tests.net.standins import LOOPBACK, NakamaStandIn, make_token, refused_port

DEVICE = "device-0123456789"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


async def one_shot_http(answer: bytes) -> tuple[asyncio.Server, int]:
    """A server that reads one request and writes ``answer`` back verbatim."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
        if length:
            await reader.readexactly(int(length[0].split(b":")[1]))
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, LOOPBACK, 0)
    return server, server.sockets[0].getsockname()[1]


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
    [
        None, {}, {"token": ""}, {"token": "not-a-jwt"}, {"token": "a.!!!.c"},
        {"token": "a." + base64.urlsafe_b64encode(b"{}").decode() + ".c"},
    ],
)
def test_session_refuses_answers_without_a_readable_token(answer):
    with pytest.raises(ServerProtocolError):
        AuthSession.from_answer(answer, 0, 0)


def test_token_claims_decode_without_padding():
    assert decode_token_claims(make_token("u", "n"))["usn"] == "n"


# Sign-in against a stand-in Nakama ------------------------------------------------------


def test_sign_in_posts_json_with_the_server_key_like_nakama_expects():
    async def main():
        async with NakamaStandIn() as nakama:
            auth = AuthClient(ServerAddress.parse(nakama.address), "defaultkey")
            session = await auth.authenticate_device(DEVICE, "alice smith")
            return session, nakama.http_requests[0]

    session, request = run(main())
    assert request.method == "POST" and request.path == "/v2/account/authenticate/device"
    assert request.query == {"create": ["true"], "username": ["alice smith"]}
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"defaultkey:").decode()
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {"id": DEVICE}
    assert (session.user_id, session.username) == (f"user-{DEVICE}", "alice smith")


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


def test_wrong_server_key_is_bad_key_and_nothing_else_is_tried():
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
    with pytest.raises(ValueError, match="must be 10-128 bytes"):
        run(AuthClient(ServerAddress(LOOPBACK, 1), "k").authenticate_device("short", "a"))
    with pytest.raises(ValueError, match="spaces"):
        run(AuthClient(ServerAddress(LOOPBACK, 1), "k").authenticate_device("has a space in it", "a"))


@pytest.mark.parametrize(
    "answer, error, words",
    [
        (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 51\r\n\r\n{\"code\":3,\"message\":\"Device ID invalid, too short\"}",
         RefusedError, "400 Device ID invalid, too short"),
        (b"HTTP/1.1 403 Forbidden\r\nContent-Length: 17\r\n\r\nThis game is full", GameFullError, "403 This game is full"),
        (b"HTTP/1.1 409 Conflict\r\nContent-Length: 50\r\n\r\n{\"code\":6,\"message\":\"Username is already in use.\"}",
         NameTakenError, "409 Username is already in use."),
        (b"HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\noops", RefusedError, "500 oops"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 90\r\n\r\n{\"token\"", ServerProtocolError, "does not speak HTTP"),
        (b"", ServerProtocolError, "closed the connection without answering"),
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
            auth = AuthClient(ServerAddress(LOOPBACK, port), "defaultkey")
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
    async def main(port):
        with pytest.raises(UnreachableError) as caught:
            await AuthClient(ServerAddress(LOOPBACK, port), "k").authenticate_device(DEVICE, "a")
        return caught.value

    with refused_port() as port:
        assert str(run(main(port))) == f"Can't reach the server at 127.0.0.1:{port} (connection refused)"


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


def test_our_host_takes_the_same_post_sign_in_refresh_and_rename():
    async def main():
        host = Host(HostConfig(port=0))
        await host.start()
        try:
            address = ServerAddress(LOOPBACK, host.port)
            auth = AuthClient(address, "defaultkey")
            first = await auth.authenticate_device(DEVICE, "alice")
            refreshed = await auth.refresh(first)
            other = await auth.authenticate_device("device-of-bob-000", "bob")
            with pytest.raises(NameTakenError):
                await auth.authenticate_device("device-of-eve-000", "Alice")
            with pytest.raises(NameTakenError):
                await auth.rename(other, "ALICE")
            await auth.rename(other, "robert")
            renamed = await auth.authenticate_device("device-of-bob-000", "bob")
            with pytest.raises(BadKeyError):
                await AuthClient(address, "wrong").authenticate_device(DEVICE, "alice")
            with pytest.raises(UnauthorizedError):
                await auth.rename(AuthSession("not-a-token", "", "u", "n", False, 0, 1), "x")
            return first, refreshed, renamed
        finally:
            await host.stop()

    first, refreshed, renamed = run(main())
    assert first.username == "alice" and first.lifetime == 7200 and first.created
    assert refreshed.user_id == first.user_id and refreshed.token != first.token
    assert renamed.username == "robert" and not renamed.created


# Names ----------------------------------------------------------------------------------------


def test_name_variants_are_nearest_first_and_short_enough():
    variants = name_variants("Ann", random.Random(1), 10)
    assert variants[:3] == ["Ann2", "Ann3", "Ann4"] and len(variants) == 10
    long = name_variants("x" * 20, random.Random(1), 12)
    assert all(len(v) <= 20 for v in long) and long[0] == "x" * 19 + "2"
    assert all(is_variant_of(v, "x" * 20) for v in long)
    assert is_variant_of("Ann27", "Ann") and not is_variant_of("Ann", "Ann") and not is_variant_of("Annie", "Ann")
    assert not is_variant_of("Bob2", "Ann")


def test_the_stand_in_answers_names_as_nakama_was_seen_to():
    async def main():
        async with NakamaStandIn() as nakama:
            auth = AuthClient(ServerAddress.parse(nakama.address), "defaultkey")
            ann = await auth.authenticate_device("device-ann-0001", "Ann")
            same = await auth.authenticate_device("device-ann-0001", "Annie")  # an existing account keeps its name
            with pytest.raises(NameTakenError) as taken:
                await auth.authenticate_device("device-new-0001", "Ann")
            bob = await auth.authenticate_device("device-bob-0001", "Bob")
            with pytest.raises(NameTakenError) as rename_taken:
                await auth.rename(bob, "Ann")
            await auth.rename(ann, "Annie")
            after = await auth.authenticate_device("device-ann-0001", "whatever")
            return ann, same, taken.value, rename_taken.value, after

    ann, same, taken, rename_taken, after = run(main())
    assert same.username == "Ann" and same.user_id == ann.user_id
    assert taken.status == 409 and rename_taken.status == 400
    assert after.username == "Annie"

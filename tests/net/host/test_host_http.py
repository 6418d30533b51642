"""The host's HTTP side, as a stock Nakama client meets it: sign-in and refresh by POST, the account, the edges.

Every case of docs/PROTOCOL.md's sign-in table is asked of a real host over loopback
with raw HTTP, and so is every way a client can send HTTP badly: each ends in a clear
status or a closed connection within a bounded time, and none disturbs a match in play.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from dataclasses import dataclass
from typing import Any

import pytest

from tests.net.conftest import basic_key

KEY = basic_key("defaultkey")
SIGN_IN = "/v2/account/authenticate/device"
REFRESH = "/v2/account/session/refresh"
QUICK = dict(http_request_seconds=0.5, http_idle_seconds=0.5)  # the deadlines, shortened for the edge cases


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def claims_of(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def request(port: int, method: str, path: str, body: bytes | dict | None = None, headers: dict[str, str] | None = None) -> Reply:
    """One HTTP/1.1 request on its own connection, as a client library sends it."""
    raw = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
    head = {"Host": "127.0.0.1", "Authorization": KEY, "Content-Length": str(len(raw)), "Connection": "close"}
    head.update(headers or {})
    text = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items() if v is not None)
    return exchange(port, text.encode() + b"\r\n" + raw)[0]


def exchange(port: int, data: bytes, *, replies: int = 1, timeout: float = 5.0) -> list[Reply]:
    """Send ``data`` raw and read ``replies`` responses (fewer if the host closes first)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_replies(sock, replies)


def read_replies(sock: socket.socket, count: int) -> list[Reply]:
    buffer = b""
    out: list[Reply] = []
    while len(out) < count:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                return out
            buffer += chunk
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(buffer) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            buffer += chunk
        body, buffer = buffer[:length], buffer[length:]
        if status != 100:
            out.append(Reply(status, headers, body))
    return out


def closed_by_host(sock: socket.socket) -> bool:
    """True once the host has closed the connection (reads end), within the socket's timeout."""
    try:
        while sock.recv(65536):
            pass
    except (ConnectionResetError, TimeoutError):
        return False
    return True


def sign_in(port: int, name: str | None = "ann", device: str = "device-0000-ann", create: str = "true", **kw: Any) -> Reply:
    query = f"?create={create}" + (f"&username={name}" if name is not None else "")
    return request(port, "POST", SIGN_IN + query, kw.pop("body", {"id": device}), **kw)


# Sign-in and refresh, case by case -----------------------------------------------------------------


def test_sign_in_by_post_answers_nakamas_shape(running_host):
    port = running_host.port
    first = sign_in(port)
    assert first.status == 200 and first.headers["content-type"] == "application/json"
    body = first.json()
    assert set(body) == {"created", "token", "refresh_token"} and body["created"] is True
    claims = claims_of(body["token"])
    assert claims["usn"] == "ann" and set(claims) >= {"uid", "usn", "tid", "iat", "exp"}
    assert claims_of(body["token"]) != claims_of(body["refresh_token"])
    again = sign_in(port, body={"id": "device-0000-ann", "vars": {"platform": "desktop"}, "extra": [1, 2]})
    assert again.status == 200 and again.json()["created"] is False
    assert claims_of(again.json()["token"])["uid"] == claims["uid"]


def test_an_existing_account_keeps_its_name_and_a_taken_name_is_refused_to_a_new_device(running_host):
    port = running_host.port
    assert sign_in(port, "ann").status == 200
    kept = sign_in(port, "annie")  # the same device asking another name keeps the account's, as on Nakama
    assert kept.status == 200 and claims_of(kept.json()["token"])["usn"] == "ann"
    taken = sign_in(port, "ANN", device="device-0000-other")
    assert taken.status == 409 and taken.json()["code"] == 6 and taken.json()["message"] == "Username is already in use."
    made_up = sign_in(port, None, device="device-0000-anon")
    assert made_up.status == 200 and claims_of(made_up.json()["token"])["usn"].startswith("Player")


@pytest.mark.parametrize(
    "headers, body, status, words",
    [
        ({"Authorization": basic_key("wrongkey")}, {"id": "device-0000-ann"}, 401, "Server key invalid"),
        ({"Authorization": None}, {"id": "device-0000-ann"}, 401, "Server key required"),
        ({"Authorization": "Bearer something"}, {"id": "device-0000-ann"}, 401, "Server key required"),
        ({}, {"id": "short"}, 400, "Device ID invalid"),
        ({}, {"id": "x" * 129}, 400, "Device ID invalid"),
        ({}, {"id": "has a space 000"}, 400, "Device ID invalid"),
        ({}, {"id": 1234567890123}, 400, "Device ID"),
        ({}, {}, 400, "Device ID"),
        ({}, b"not json", 400, "Unable to parse request body"),
        ({}, b"[1, 2]", 400, "Unable to parse request body"),
        ({}, b"[" * 3000, 400, "Unable to parse request body"),
    ],
)
def test_sign_in_refusals(running_host, headers, body, status, words):
    reply = sign_in(running_host.port, body=body, headers=headers)
    assert reply.status == status
    assert words in reply.json()["message"] and reply.json()["code"] == {400: 3, 401: 16}[status]


def test_sign_in_refusals_of_the_query(running_host):
    port = running_host.port
    assert sign_in(port, "n" * 21).status == 400
    unknown = sign_in(port, device="never-seen-device-1", create="false")
    assert unknown.status == 404 and unknown.json()["message"] == "User account not found."


def test_refresh_by_post(running_host):
    port = running_host.port
    tokens = sign_in(port).json()
    fresh = request(port, "POST", REFRESH, {"token": tokens["refresh_token"]})
    assert fresh.status == 200 and claims_of(fresh.json()["token"])["uid"] == claims_of(tokens["token"])["uid"]
    assert request(port, "POST", REFRESH, {"token": tokens["token"]}).status == 401  # a session token is not one
    assert request(port, "POST", REFRESH, {"token": tokens["refresh_token"]}, {"Authorization": basic_key("x")}).status == 401
    assert request(port, "POST", REFRESH, b"{").status == 400
    assert request(port, "POST", REFRESH, {}).status == 401


def test_rename_with_the_session_token(running_host):
    port = running_host.port
    ann = sign_in(port).json()["token"]
    sign_in(port, "bob", device="device-0000-bob")
    bearer = {"Authorization": f"Bearer {ann}"}
    taken = request(port, "PUT", "/v2/account", {"username": "Bob"}, bearer)
    assert taken.status == 400 and taken.json()["code"] == 3 and "already in use" in taken.json()["message"]
    assert request(port, "PUT", "/v2/account", {"username": "annie"}, bearer).json() == {}
    assert claims_of(sign_in(port, "whatever").json()["token"])["usn"] == "annie"  # the next sign-in carries it
    assert request(port, "GET", "/v2/account", None, bearer).json()["user"]["username"] == "annie"
    assert request(port, "PUT", "/v2/account", {"username": "x"}).status == 401  # the server key is not a session
    assert request(port, "PUT", "/v2/account", {"username": "n" * 30}, bearer).status == 400


def test_the_older_get_forms_still_work(running_host, http_get):
    answer = http_get(running_host.port, f"{SIGN_IN}?create=true&username=ann&id=device-0000-ann")
    assert answer.status == 200
    refresh = answer.json()["refresh_token"]
    assert http_get(running_host.port, f"{REFRESH}?token={refresh}").status == 200


def test_healthcheck_methods_and_unknown_paths(running_host):
    port = running_host.port
    health = request(port, "GET", "/healthcheck")
    assert health.status == 200 and health.json() == {}
    wrong = request(port, "DELETE", SIGN_IN)
    assert wrong.status == 405 and wrong.headers["allow"] == "GET, POST"
    for path in ("/", "/v2/friend", "/ws2", "/v2/account/authenticate/email"):
        assert request(port, "GET", path).status == 404, path
    assert request(port, "GET", "/ws").status == 426  # the socket, asked for without the upgrade


def preflight(port: int, path: str, method: str | None, headers: str | None = "authorization,content-type") -> Reply:
    """The OPTIONS request a browser sends before nakama-js's calls (they carry Authorization and a JSON type)."""
    return request(
        port, "OPTIONS", path, None,
        {"Authorization": None, "Origin": "http://localhost:8080", "Access-Control-Request-Method": method,
         "Access-Control-Request-Headers": headers},
    )


def test_a_stock_client_in_a_browser_passes_cors_as_on_nakama(running_host):
    """nakama-js in a page (or a Defold HTML5 build) is cross-origin: preflights pass, answers carry the origin."""
    port = running_host.port
    post = preflight(port, SIGN_IN + "?create=true&username=ann", "POST")
    assert post.status == 200 and post.headers["access-control-allow-origin"] == "*"
    assert post.headers["access-control-allow-headers"].split(",") == ["authorization", "content-type"]
    assert "access-control-allow-methods" not in post.headers  # POST is a simple method
    put = preflight(port, "/v2/account", "PUT")
    assert put.status == 200 and put.headers["access-control-allow-methods"] == "PUT"
    assert preflight(port, REFRESH, "POST", headers=None).status == 200
    browser = {"Origin": "http://localhost:8080"}
    signed = sign_in(port, headers=browser)
    assert signed.status == 200 and signed.headers["access-control-allow-origin"] == "*"
    token = signed.json()["token"]
    account = request(port, "GET", "/v2/account", None, {**browser, "Authorization": f"Bearer {token}"})
    assert account.status == 200 and account.headers["access-control-allow-origin"] == "*"
    refused = sign_in(port, headers={**browser, "Authorization": basic_key("wrongkey")})
    assert refused.status == 401 and refused.headers["access-control-allow-origin"] == "*"  # the page can read why


def test_cors_refusals_and_requests_without_an_origin(running_host):
    port = running_host.port
    assert preflight(port, SIGN_IN, None).status == 400  # an OPTIONS from a browser always names its method
    assert preflight(port, SIGN_IN, "PATCH").status == 405
    assert preflight(port, SIGN_IN, "POST", headers="authorization,x-custom").status == 403
    plain = sign_in(port)
    assert plain.status == 200 and "access-control-allow-origin" not in plain.headers
    assert request(port, "OPTIONS", SIGN_IN, None, {"Authorization": None}).status == 405  # no Origin: not CORS


# HTTP done badly ------------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_before_it_is_read(host_factory):
    host = host_factory(**QUICK)
    head = f"POST {SIGN_IN} HTTP/1.1\r\nHost: x\r\nAuthorization: {KEY}\r\nContent-Length: 100000\r\n\r\n"
    with socket.create_connection(("127.0.0.1", host.port), timeout=5) as sock:
        sock.sendall(head.encode())  # the body never follows: the host does not wait for it
        (reply,) = read_replies(sock, 1)
        assert reply.status == 413
        assert closed_by_host(sock)


def test_a_chunked_body_over_the_limit_is_refused(running_host):
    chunk = b"x" * 3000
    data = (
        f"POST {SIGN_IN} HTTP/1.1\r\nHost: x\r\nAuthorization: {KEY}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        + b"%x\r\n%s\r\n" % (len(chunk), chunk) * 2
        + b"0\r\n\r\n"
    )
    (reply,) = exchange(running_host.port, data)
    assert reply.status == 413


def test_a_chunked_body_is_read(running_host):
    body = json.dumps({"id": "device-0000-chunky"}).encode()
    data = (
        f"POST {SIGN_IN}?username=chunky HTTP/1.1\r\nHost: x\r\nAuthorization: {KEY}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
        + b"%x\r\n%s\r\n" % (5, body[:5]) + b"%x\r\n%s\r\n" % (len(body) - 5, body[5:]) + b"0\r\n\r\nX"
    )
    (reply,) = exchange(running_host.port, data[:-1])
    assert reply.status == 200 and claims_of(reply.json()["token"])["usn"] == "chunky"


def test_expect_100_continue_is_answered_before_the_body(running_host):
    body = json.dumps({"id": "device-0000-polite"}).encode()
    head = (
        f"POST {SIGN_IN}?username=polite HTTP/1.1\r\nHost: x\r\nAuthorization: {KEY}\r\n"
        f"Expect: 100-continue\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", running_host.port), timeout=5) as sock:
        sock.sendall(head.encode())
        assert sock.recv(64).startswith(b"HTTP/1.1 100 ")  # go ahead
        sock.sendall(body)
        (reply,) = read_replies(sock, 1)
    assert reply.status == 200


def test_a_body_that_never_arrives_gets_408_in_bounded_time(host_factory):
    host = host_factory(**QUICK)
    head = f"POST {SIGN_IN} HTTP/1.1\r\nHost: x\r\nAuthorization: {KEY}\r\nContent-Length: 40\r\n\r\n" + '{"id": '
    with socket.create_connection(("127.0.0.1", host.port), timeout=5) as sock:
        sock.sendall(head.encode())
        (reply,) = read_replies(sock, 1)
        assert reply.status == 408
        assert closed_by_host(sock)


def test_a_head_that_never_ends_is_closed_in_bounded_time(host_factory):
    host = host_factory(**QUICK)
    with socket.create_connection(("127.0.0.1", host.port), timeout=5) as sock:
        sock.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # ...and nothing more
        assert closed_by_host(sock)


def test_an_idle_keep_alive_connection_is_closed(host_factory):
    host = host_factory(**QUICK)
    with socket.create_connection(("127.0.0.1", host.port), timeout=5) as sock:
        sock.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_replies(sock, 1)[0].status == 200
        assert closed_by_host(sock)  # no second request: closed after the idle time


@pytest.mark.parametrize(
    "garbage",
    [
        b"HELLO\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,
        b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 3000 + b"\r\n",
    ],
    ids=["garbage-line", "bad-version", "tls-hello-on-a-plain-port", "headers-too-big"],
)
def test_garbage_gets_a_clear_status_and_a_closed_connection(running_host, garbage):
    with socket.create_connection(("127.0.0.1", running_host.port), timeout=5) as sock:
        sock.sendall(garbage)
        replies = read_replies(sock, 1)
        assert replies and replies[0].status in (400, 413, 431, 505)
        assert closed_by_host(sock)


def test_two_requests_on_one_keep_alive_connection(running_host):
    body = json.dumps({"id": "device-0000-keep"}).encode()
    one = (
        f"POST {SIGN_IN}?username=keep HTTP/1.1\r\nHost: x\r\nAuthorization: {KEY}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    )
    two = b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n"
    first, second = exchange(running_host.port, one + two, replies=2)  # pipelined, even
    assert first.status == 200 and first.json()["created"] is True
    assert second.status == 200 and second.json() == {}


def test_bad_http_never_disturbs_a_match_in_play(host_factory, host_client):
    host = host_factory(**QUICK)

    async def scenario():
        p1, p2 = await host_client.pair(host.port)
        head = f"POST {SIGN_IN} HTTP/1.1\r\nHost: x\r\nAuthorization: {KEY}\r\nContent-Length: 40\r\n\r\n"
        troublemakers = []
        for data in (head.encode(), b"HELLO\r\n\r\n", b"GET / HTTP/1.1\r\nX: ", head.replace("40", "999999").encode()):
            reader, writer = await asyncio.open_connection("127.0.0.1", host.port)
            writer.write(data)
            troublemakers.append((reader, writer))
        await p1.move(2, 2)
        assert (await p1.state()).board.at(2, 2) == 1 and (await p2.state()).board.at(2, 2) == 1
        for reader, writer in troublemakers:
            async with asyncio.timeout(5):
                await reader.read()  # each one is answered or closed, in bounded time
            writer.close()
        await p2.move(1, 1)
        assert (await p1.state()).board.at(1, 1) == 2

    host_client.run(scenario())

"""Every resource of the host has a bound, and the bound costs the offender, not the others.

Each test runs a real host on loopback and plays the abusive client with a raw socket
(``rawclient``): a ping flood, a client that never reads, too many connections from one
address, too many sign-ins, an address behind a trusted proxy. Other loopback addresses
(127.0.0.2, 127.0.0.3) stand for other clients. Counts are small and every wait has a
deadline: the full-size runs are bench/abuse.py's.
"""

from __future__ import annotations

import base64
import gc
import json
import logging
import re
import socket
import struct
import time

import pytest
from websockets.frames import Opcode
from websockets.server import ServerProtocol

from tests.net.conftest import DEFAULT_KEY, sign_in_path
from tests.net.host.rawclient import WAIT, RawSocket, http_exchange, read_to_end, tcp

AUTH = "Basic " + base64.b64encode(f"{DEFAULT_KEY}:".encode()).decode()


def get(path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: {AUTH}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def sign_in(port: int, name: str, *, source: str = "127.0.0.1", headers: dict[str, str] | None = None):
    """Sign in as a new device named ``name`` from ``source``: (status, headers, body as JSON)."""
    with tcp(port, source) as sock:
        status, answer_headers, body = http_exchange(sock, get(sign_in_path(name, f"device-{name}-0123456789"), headers))
    return status, answer_headers, json.loads(body) if body else {}


def token_for(port: int, name: str, source: str = "127.0.0.1") -> str:
    status, _, body = sign_in(port, name, source=source)
    assert status == 200, body
    return str(body["token"])


def until(condition, what: str, deadline: float = WAIT) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"{what} did not happen within {deadline} s"
        time.sleep(0.01)


# Per socket -----------------------------------------------------------------------------------


def test_pings_count_toward_the_message_budget(running_host):
    ws = RawSocket(running_host.port, token_for(running_host.port, "pinger"))
    for _ in range(running_host.config.message_burst + 20):  # a flood, never reading the pongs
        ws.send(Opcode.PING, b"")
    assert ws.closed_with() == (1008, "too many messages")
    until(lambda: running_host.stats().connected == 0, "the flooder's socket closing")


def test_a_socket_dropped_without_a_closing_handshake_leaves_no_cycle(running_host):
    """The host's collector seldom runs a full collection (net/host/serve.py): a socket that just vanishes must not
    leave its protocol, its parser and the parser's EOFError in a reference cycle for it."""
    ws = RawSocket(running_host.port, token_for(running_host.port, "vanisher"))
    ws.text('{"cid":"1","ping":{}}')
    assert ws.wait_for(Opcode.TEXT) is not None
    until(lambda: running_host.stats().connected == 1, "the socket is open")

    def cycles() -> list[str]:
        """Run on the host's loop: what a full collection finds in cycles that is a socket's protocol."""
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            return [type(o).__name__ for o in gc.garbage if isinstance(o, ServerProtocol)]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()

    running_host.call(cycles)  # whatever earlier tests left
    ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ws.sock.close()  # a reset: no close frame, no end of stream first
    until(lambda: running_host.stats().connected == 0, "the host notices")
    assert running_host.call(cycles) == []


def test_a_client_that_never_reads_is_dropped_and_stops_being_read(host_factory, host_client, caplog):
    host = host_factory(send_buffer_bytes=8192, send_stall_seconds=0.5, messages_per_second=1e6, message_burst=10**6)

    async def a_match():
        p1, _ = await host_client.pair(host.port)
        return p1.token, p1.match_id

    token, match_id = host_client.run(a_match())
    ws = RawSocket(host.port, token, rcvbuf=4096)
    ws.sock.setblocking(False)
    join = json.dumps({"cid": "j", "match_join": {"match_id": match_id}})  # each answer is a few hundred bytes
    sent = refused = 0
    while refused < 100 and sent < 100_000:  # until the host stops reading and the pipe is full
        try:
            ws.text(join)
            sent += 1
        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
            refused += 1
            time.sleep(0.01)
    assert sent < 100_000, "the host read everything it was sent without waiting for its answers to drain"
    ws.sock.setblocking(True)
    ws.sock.settimeout(WAIT)
    read_to_end(ws.sock)  # what was written before the drop, then the end
    until(lambda: host.stats().connected == 0, "the deaf client being dropped")
    assert any("has not read its answers" in r.getMessage() for r in caplog.records)

    async def others_still_play():
        p3, p4 = await host_client.pair(host.port, ("cy", "di"))
        assert await p3.sync() is not None and await p4.sync() is not None

    host_client.run(others_still_play())


# Per host -------------------------------------------------------------------------------------


def test_connections_past_the_host_cap_are_answered_503_not_ignored(host_factory):
    host = host_factory(max_connections=4)
    idle = [tcp(host.port, "127.0.0.2") for _ in range(4)]
    try:
        until(lambda: host.call(lambda: host.host.guard.open) == 4, "four connections admitted")
        status, headers, body = sign_in(host.port, "late", source="127.0.0.3")
        assert status == 503 and headers["retry-after"] == "5", body
        assert "full" in body["message"]
    finally:
        for sock in idle:
            sock.close()
    until(lambda: host.call(lambda: host.host.guard.open) == 0, "the idle connections closing")
    assert sign_in(host.port, "late", source="127.0.0.3")[0] == 200


def test_one_address_cannot_take_every_connection(host_factory):
    host = host_factory(max_connections_per_address=3)
    mine = [tcp(host.port, "127.0.0.2") for _ in range(3)]
    try:
        until(lambda: host.call(lambda: host.host.guard.connections_from("127.0.0.2")) == 3, "three admitted")
        with tcp(host.port, "127.0.0.2") as fourth:
            status, headers, _ = http_exchange(fourth, get("/healthcheck"))
        assert status == 503 and "retry-after" in headers
        assert sign_in(host.port, "neighbour", source="127.0.0.3")[0] == 200  # another address is not affected
    finally:
        for sock in mine:
            sock.close()


def test_sign_ins_a_minute_are_limited_per_address(host_factory):
    host = host_factory(sign_ins_per_minute=3)
    assert [sign_in(host.port, f"a{i}", source="127.0.0.2")[0] for i in range(3)] == [200, 200, 200]
    status, headers, body = sign_in(host.port, "a3", source="127.0.0.2")
    assert status == 429 and int(headers["retry-after"]) >= 1 and body["code"] == 8
    assert sign_in(host.port, "b0", source="127.0.0.3")[0] == 200  # another address has its own allowance


def test_forwarded_for_counts_only_behind_a_trusted_proxy(host_factory):
    untrusted = host_factory(sign_ins_per_minute=2)
    spoofed = [sign_in(untrusted.port, f"s{i}", headers={"X-Forwarded-For": f"203.0.113.{i}"})[0] for i in range(3)]
    assert spoofed == [200, 200, 429]  # the header is ignored: all three came from 127.0.0.1

    proxied = host_factory(sign_ins_per_minute=2, trusted_proxies=("127.0.0.0/8",))
    client = {"X-Forwarded-For": "198.51.100.7, 127.0.0.5"}  # the client, then a second proxy of ours
    assert [sign_in(proxied.port, f"p{i}", headers=client)[0] for i in range(3)] == [200, 200, 429]
    assert sign_in(proxied.port, "q0", headers={"X-Forwarded-For": "198.51.100.8"})[0] == 200


# Fair scheduling ------------------------------------------------------------------------------


def test_pipelined_requests_are_answered_in_order_while_others_are_served(running_host, host_client):
    count = 300
    pipelined = b"".join(
        f"GET /healthcheck?n={i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(count - 1)
    ) + b"GET /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

    async def another_player_is_answered():
        p = await host_client.connect(running_host.port, "other")
        assert await p.sync() == []

    with tcp(running_host.port) as sock:
        sock.sendall(pipelined)
        host_client.run(another_player_is_answered())
        answers = read_to_end(sock)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answers)
    assert statuses == [b"200"] * (count - 1) + [b"404"]


# Protocol errors --------------------------------------------------------------------------------


def test_a_text_frame_that_is_not_utf8_is_closed_with_1007_and_no_traceback(running_host, caplog):
    ws = RawSocket(running_host.port, token_for(running_host.port, "mojibake"))
    ws.text(b'{"cid":"1","ping":{}}\xff\xfe')
    assert ws.closed_with()[0] == 1007
    assert not [r for r in caplog.records if r.exc_info], "a client's bad bytes are not the host's bug"


def test_a_message_in_fragments_is_put_back_together(running_host):
    ws = RawSocket(running_host.port, token_for(running_host.port, "frag"))
    ws.send(Opcode.TEXT, b'{"cid":"7",', fin=False)
    ws.send(Opcode.PING, b"between")  # control frames may come between the fragments
    ws.send(Opcode.CONT, b'"ping"', fin=False)
    ws.send(Opcode.CONT, b":{}}", fin=True)
    pong = ws.wait_for(Opcode.TEXT)
    assert pong is not None and json.loads(pong.data) == {"cid": "7", "pong": {}}


def test_fragments_past_the_size_limit_are_closed_with_1009(running_host):
    ws = RawSocket(running_host.port, token_for(running_host.port, "bigfrag"))
    ws.send(Opcode.TEXT, b'{"cid":"' + b"1" * 3000, fin=False)
    ws.send(Opcode.CONT, b"2" * 3000, fin=False)
    assert ws.closed_with()[0] == 1009


@pytest.mark.parametrize("path", ["/healthcheck", "/ws?format=json"])
@pytest.mark.parametrize("headers", [
    [("X-Big", "a" * 20_000)],  # one field, in one write
    [(f"X-{i}", "b") for i in range(150)],  # too many fields
    [(f"X-{i}", "c" * 1000) for i in range(17)],  # fields under a line each, over 16 KiB together
], ids=["one-big-field", "many-fields", "big-head"])
def test_an_oversize_head_is_431_on_http_and_on_the_upgrade(running_host, path, headers, caplog):
    upgrade = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"),
               ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")] if path.startswith("/ws") else []
    head = f"GET {path} HTTP/1.1\r\nHost: x\r\n" + "".join(f"{k}: {v}\r\n" for k, v in upgrade + headers) + "\r\n"
    with tcp(running_host.port) as sock:
        status, _, _ = http_exchange(sock, head.encode())
    assert status == 431
    assert not [r for r in caplog.records if r.exc_info]


def test_content_length_with_transfer_encoding_is_400(running_host):
    body = b'{"id":"device-0123456789"}'
    request = (
        b"POST /v2/account/authenticate/device HTTP/1.1\r\nHost: x\r\nAuthorization: " + AUTH.encode()
        + b"\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), len(body), body)
    )
    with tcp(running_host.port) as sock:
        status, _, _ = http_exchange(sock, request)
    assert status == 400


# The log ------------------------------------------------------------------------------------------


def test_repeated_log_lines_are_rate_limited(running_host, caplog):
    caplog.set_level(logging.INFO, logger="net.host")
    for _ in range(40):
        with tcp(running_host.port) as sock:
            http_exchange(sock, b"NOT HTTP AT ALL\r\n\r\n")
    bad = [r for r in caplog.records if r.getMessage().startswith("bad HTTP from")]
    assert 1 <= len(bad) <= 10

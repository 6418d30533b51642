"""The host behaves the same on asyncio's event loop and on uvloop's (the default where it is installed).

A small set of the host's tests, each run on both loops: a game played to a win, the
WebSocket fast path's edges (frames cut across writes, several in one write, pings between
texts, fragments, frames that are not UTF-8 or too big) and a client past its budget. The
whole suite runs on uvloop with ``TICTACTOE_TEST_LOOP=uvloop``.
"""

from __future__ import annotations

import json
import time

import pytest
from websockets.frames import Opcode

from net.host.playersocket import text_frame, unmask, unmask_in_python
from tests.net.host.rawclient import RawSocket
from tests.net.host.test_host_limits import token_for
from tests.net.host.test_host_match import WIN, play

try:
    import uvloop
except ImportError:  # an optional dependency: its half of each test is skipped, saying why
    uvloop = None

LOOPS = ["asyncio", pytest.param("uvloop", marks=pytest.mark.skipif(uvloop is None, reason="uvloop is not installed"))]


@pytest.fixture(params=LOOPS)
def looped_host(request, host_factory):
    return host_factory(loop=request.param)


def masked(opcode: int, payload: bytes, key: bytes = b"\x01\x02\x03\x04", *, fin: bool = True) -> bytes:
    """A client's frame as RFC 6455 writes it (masked), built by hand so it can be cut anywhere."""
    n = len(payload)
    length = bytes((0x80 | n,)) if n < 126 else bytes((0x80 | 126,)) + n.to_bytes(2, "big")
    return bytes(((0x80 if fin else 0) | opcode,)) + length + key + unmask(payload, key)


def pongs(ws: RawSocket, count: int) -> list[dict[str, object]]:
    """The next ``count`` text frames, as JSON."""
    out = []
    for _ in range(count):
        frame = ws.wait_for(Opcode.TEXT)
        assert frame is not None, f"only {len(out)} of {count} answers came"
        out.append(json.loads(frame.data))
    return out


@pytest.mark.parametrize("unmasker", [unmask, unmask_in_python], ids=["in use", "in Python"])
def test_unmasking_is_rfc_6455s_xor_with_the_key_repeated(unmasker):
    key = b"\x9a\x00\xff\x31"
    for n in (0, 1, 3, 4, 5, 125, 126, 1000):
        payload = bytes((7 * i + 3) % 256 for i in range(n))
        assert unmasker(payload, key) == bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def test_a_game_is_played_to_a_win(looped_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(looped_host.port)
        v1, v2 = await play(p1, p2, WIN)
        assert v1.result == "win" and v2.result == "loss"

    host_client.run(scenario())


def test_frames_cut_anywhere_and_run_together_are_read_in_order(looped_host):
    ws = RawSocket(looped_host.port, token_for(looped_host.port, "cutter"))
    stream = b"".join(masked(0x1, f'{{"cid":"{i}","ping":{{}}}}'.encode(), bytes((i, 7, 9, 200))) for i in range(1, 6))
    stream += masked(0x9, b"hi")  # a ping between texts: answered by a pong, the order kept
    stream += masked(0x1, b'{"cid":"6","ping":{}}' + b" " * 300)  # a 126-length frame
    for cut in (1, 3, 7, 40, 41, 100):  # byte by byte at first, then in odd pieces
        piece, stream = stream[:cut], stream[cut:]
        ws.sock.sendall(piece)
        time.sleep(0.01)  # each piece its own read (not a wait for anything)
    ws.sock.sendall(stream)
    assert [p["cid"] for p in pongs(ws, 6)] == ["1", "2", "3", "4", "5", "6"]
    pong = ws.wait_for(Opcode.PONG)
    assert pong is not None and pong.data == b"hi"


def test_text_frames_out_are_single_unmasked_frames(looped_host):
    ws = RawSocket(looped_host.port, token_for(looped_host.port, "reader"))
    ws.text('{"cid":"x","ping":{}}')
    frame = ws.wait_for(Opcode.TEXT)  # the client's protocol refuses a masked or malformed server frame
    assert frame is not None and frame.fin and json.loads(frame.data) == {"cid": "x", "pong": {}}
    assert text_frame(b"a" * 200)[:4] == bytes((0x81, 126, 0, 200))


@pytest.mark.parametrize(("frames", "code"), [
    ([masked(0x1, b'{"cid":"1","ping":{}}\xff')], 1007),  # not UTF-8
    ([masked(0x1, b'{"cid":"' + b"1" * 3000, fin=False), masked(0x0, b"2" * 3000)], 1009),  # fragments too big
    ([masked(0x1, b"x" * 5000)], 1009),  # one frame too big
    ([masked(0x2, b"\x00\x01")], 1003),  # binary
    ([bytes((0x81, 5)) + b"hello"], 1002),  # not masked
    ([masked(0x9, b"p" * 126)], 1002),  # a control frame too long
    ([masked(0x8, (4000).to_bytes(2, "big") + b"bye")], 4000),  # the client closes: its code echoed
])
def test_bad_frames_close_as_rfc_6455_says(looped_host, frames, code):
    ws = RawSocket(looped_host.port, token_for(looped_host.port, f"bad{code}"))
    ws.sock.sendall(b"".join(frames))
    assert ws.closed_with()[0] == code


def test_fragments_are_put_back_together_around_a_ping(looped_host):
    ws = RawSocket(looped_host.port, token_for(looped_host.port, "frag"))
    ws.sock.sendall(masked(0x1, b'{"cid":"7",', fin=False) + masked(0x9, b"between") + masked(0x0, b'"ping":{}}'))
    assert pongs(ws, 1) == [{"cid": "7", "pong": {}}]
    ws.text('{"cid":"8","ping":{}}')  # after a fragmented message, texts still work (through the protocol)
    assert pongs(ws, 1) == [{"cid": "8", "pong": {}}]


def test_a_client_past_its_budget_is_closed_1008(looped_host):
    ws = RawSocket(looped_host.port, token_for(looped_host.port, "flood"))
    burst = looped_host.config.message_burst
    ws.sock.sendall(b"".join(masked(0x1, b'{"ping":{}}') for _ in range(burst + 20)))
    assert ws.closed_with() == (1008, "too many messages")

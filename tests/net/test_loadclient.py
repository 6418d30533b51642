"""The load generators' client (bench/loadclient.py) and players, against a real host on loopback.

The benchmarks' figures are only the host's if their players speak the protocol right
and cheaply: frames cut correctly however the bytes arrive, sign-ins that reuse their
keep-alive connection, and whole games played by the callback-driven players of
``bench/host_load.py`` and ``bench/nakama_load.py`` with no error.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import time

from bench import host_load, nakama_load
from bench.loadclient import MASK, WS_GUID, SignIns, WebSocket, frame


class _Collect(WebSocket):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[bytes] = []

    def on_text(self, payload: bytes) -> None:
        self.texts.append(payload)


def _server_frame(payload: bytes) -> bytes:
    n = len(payload)
    head = bytes((0x81, n)) if n < 126 else bytes((0x81, 126)) + n.to_bytes(2, "big")
    return head + payload


def test_frames_are_cut_right_however_the_bytes_arrive():
    payloads = [b'{"a":1}', b"x" * 300, b"", "é".encode()]
    for size in (1, 2, 3, 7, 10_000):  # one byte a read, up to everything in one
        sock = _Collect()
        accept = base64.b64encode(hashlib.sha1(sock._key + WS_GUID).digest())
        wire = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: %s\r\n\r\n" % accept
                + b"".join(_server_frame(p) for p in payloads))
        for at in range(0, len(wire), size):
            sock.data_received(wire[at:at + size])
        assert sock.texts == payloads, size


def test_a_client_frame_is_masked_with_the_constant_key():
    payload = b'{"cid":"1","matchmaker_add":{}}' * 5  # over 125 bytes: a 16-bit length
    out = frame(payload)
    assert out[0] == 0x81 and out[1] == 0x80 | 126 and int.from_bytes(out[2:4], "big") == len(payload)
    assert out[4:8] == MASK
    assert bytes(b ^ MASK[i % 4] for i, b in enumerate(out[8:])) == payload


def test_sign_ins_reuse_one_keep_alive_connection(host_factory):
    host = host_factory()

    async def main() -> tuple[list[str], bool]:
        pool = SignIns(host.port)
        tokens = [await pool.sign_in("keep0", "loadclient-device-0000")]
        first = pool._idle[0]
        tokens += [await pool.sign_in(f"keep{n}", f"loadclient-device-{n:04d}") for n in range(1, 5)]
        same = pool._idle == [first] and not first.closed
        pool.close()
        return tokens, same

    tokens, same = asyncio.run(main())
    assert len(set(tokens)) == 5 and all(t.count(".") == 2 for t in tokens)  # five sessions, JWTs
    assert same  # the first sign-in's connection served the other four


def test_host_load_players_play_whole_games(host_factory):
    host = host_factory(max_connections_per_address=0)
    args = argparse.Namespace(pairs=2, games=2, think=0.0, duration=20.0, ramp=0.0, prefix="hl")
    tally = asyncio.run(host_load._worker_main(host.port, 0, 4, args))
    assert tally.errors == []
    assert tally.games == 4  # two games for each pair, each counted once
    assert len(tally.sign_in) == 4 and len(tally.to_match) == 4 and tally.move_to_state
    assert tally.most_playing()[0] == 4  # both pairs were in their matches at once


def test_nakama_load_players_play_until_the_time_is_up(host_factory):
    host = host_factory(max_connections_per_address=0, messages_per_second=1000.0, message_burst=2000)
    args = argparse.Namespace(pairs=2, ramp=0.0, idle=False, prefix="nl", port=host.port, key="defaultkey")
    tally = asyncio.run(nakama_load._worker_main(args, 0, 4, time.time() + 1.0))
    assert tally.errors == [] and tally.unmatched == 0
    assert tally.results_seen >= 2 and tally.move_to_state

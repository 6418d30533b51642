"""Garbage from a third socket never crashes the host nor touches a match between two others."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

MATCH = "$MATCH"  # replaced by the real match id / join token when sent
TOKEN = "$TOKEN"

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(), text,
    st.sampled_from([MATCH, TOKEN, "*", "", "1", "2", "-1", "9223372036854775808", "e30=", "eyJyb3ciOjEsImNvbCI6MX0="]),
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12
)
FIELDS = ["match_id", "token", "op_code", "data", "presences", "reliable", "ticket", "min_count", "max_count", "query",
          "string_properties", "numeric_properties", "metadata", "cid"]
KEYS = ["matchmaker_add", "matchmaker_remove", "match_join", "match_leave", "match_data_send", "ping", "pong",
        "match_create", "rpc", "status_follow", "channel_join"]
bodies = st.one_of(values, st.dictionaries(st.sampled_from(FIELDS), values, max_size=6))
envelopes = st.builds(
    lambda cid, key, body, extra: json.dumps({**({"cid": cid} if cid is not None else {}), key: body, **extra}),
    st.one_of(st.none(), text, st.integers(), st.floats()),
    st.one_of(st.sampled_from(KEYS), text),
    bodies,
    st.dictionaries(text, values, max_size=1) | st.just({}),
)
frames = st.one_of(
    envelopes,
    envelopes,
    values.map(json.dumps),
    text,
    st.binary(max_size=64),
    st.just('{"cid":"1","match_join":{"match_id":"' + "x" * 5000 + '"}}'),
)


def _fill(frame: Any, match_id: str, token: str) -> Any:
    if isinstance(frame, str):
        return frame.replace(MATCH, match_id).replace(TOKEN, token)
    return frame


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(garbage=st.lists(frames, min_size=1, max_size=25))
def test_garbage_from_a_third_socket_never_disturbs_a_match(running_host, host_client, caplog, garbage):
    caplog.set_level(logging.WARNING, logger="net.host")
    port = running_host.port

    async def scenario():
        p1, p2 = await host_client.pair(port)
        await p1.move(1, 1)
        await p1.state(), await p2.state()
        token = (await host_client.sign_in(port, "mallory"))["token"]
        url = f"ws://127.0.0.1:{port}/ws?token={token}&format=json"

        async def drain(ws):
            try:
                async for _ in ws:
                    pass
            except ConnectionClosed:
                pass

        ws = await connect(url, compression=None)
        reader = asyncio.create_task(drain(ws))
        for frame in garbage:
            try:
                await ws.send(_fill(frame, p1.match_id, p1.matched["token"]))
            except ConnectionClosed:
                await reader
                ws = await connect(url, compression=None)
                reader = asyncio.create_task(drain(ws))
        await ws.close()
        await reader

        assert await p1.sync() == [] and await p2.sync() == []  # nothing reached the players
        for mover, (row, col) in [(p2, (2, 1)), (p1, (1, 2)), (p2, (2, 2)), (p1, (1, 3))]:
            await mover.move(row, col)
            v1, v2 = await p1.state(), await p2.state()
        assert v1.result == "win" and v2.result == "loss"

    host_client.run(scenario())
    assert running_host.stats().record_failures == 0
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]

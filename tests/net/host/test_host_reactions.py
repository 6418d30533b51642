"""Revision 4 on a real host: quick reactions (op 8) between real sockets, and the RPC ``xoxo_stats``."""

from __future__ import annotations

import json

from game.xoxo import OP_REACTION, OP_STATE, Reaction, encode_reaction
from tests.net.host.test_host_ratings import aget, pair3

REV4 = {"protocol": "4"}


async def quiet(client) -> list[int]:
    """The op codes of match data that reached ``client`` (consumed), after a ping round trip."""
    return [int(e["match_data"]["op_code"]) for e in await client.sync() if "match_data" in e]


def test_a_reaction_reaches_the_opponent_alone_and_the_fourth_in_ten_seconds_is_refused(host_factory, host_client):
    host = host_factory(manual_clock=True)

    async def scenario():
        ann, bob, _, label = await named(host_client, host.port, (REV4, REV4))
        assert label.protocol == 4 and label.reactions
        await ann.sync()
        await bob.sync()
        for reaction in (Reaction.HELLO, Reaction.GOOD_GAME, Reaction.OOPS):
            await ann.send_data(OP_REACTION, encode_reaction(reaction))
            got = json.loads(await bob.match_data(OP_REACTION))
            assert got == {"reaction": reaction.value, "user_id": ann.user_id, "username": ann.username}
        await ann.send_data(OP_REACTION, encode_reaction(Reaction.THINKING))
        assert await ann.rejected() == ("too_many_reactions", "at most 3 reactions in 10 s: try again in 10 s")
        assert await quiet(bob) == [] and await quiet(ann) == []  # the refused one went nowhere; ann got none of hers
        await host.elapse(10)
        await ann.send_data(OP_REACTION, encode_reaction(Reaction.THINKING))
        assert json.loads(await bob.match_data(OP_REACTION))["reaction"] == "thinking"
        await bob.send_data(OP_REACTION, b'{"reaction": "boo"}')
        assert (await bob.rejected())[0] == "bad_payload"
        assert await quiet(ann) == []

    host_client.run(scenario())


async def named(host_client, port: int, metadata: tuple[dict, dict]):
    """ann (declaring ``metadata[0]``) and bob (``metadata[1]``), matched and joined; player 1 of the two, the label."""
    (p1, p2), label = await pair3(host_client, port, metadata=metadata)
    by_name = {p.username: p for p in (p1, p2)}
    return by_name["ann"], by_name["bob"], p1, label


def test_a_stock_client_never_sees_a_reaction_nor_the_field(host_factory, host_client):
    host = host_factory(manual_clock=True)

    async def scenario():
        ann, stock, first, _ = await named(host_client, host.port, (REV4, {}))
        await ann.send_data(OP_REACTION, encode_reaction(Reaction.HELLO))
        await stock.send_data(OP_REACTION, encode_reaction(Reaction.HELLO))  # a client that never declared 4
        assert (await stock.rejected())[0] == "unknown_op"
        await first.move(2, 2)
        await ann.state()
        seen = [e["match_data"] for e in await stock.sync() if "match_data" in e]
        assert seen and all(int(d["op_code"]) != OP_REACTION for d in seen)
        for envelope in [{"match_data": d} for d in seen if int(d["op_code"]) == OP_STATE]:
            view = stock.view_of(envelope)
            assert view is not None and not view.reactions
        assert OP_REACTION not in await quiet(ann)

    host_client.run(scenario())


def test_a_client_at_revision_3_gets_no_reactions(host_factory, host_client):
    host = host_factory(manual_clock=True)

    async def scenario():
        ann, bob, _, _ = await named(host_client, host.port, (REV4, {"protocol": "3"}))
        await bob.sync()
        await ann.send_data(OP_REACTION, encode_reaction(Reaction.WELL_PLAYED))
        assert await quiet(ann) == []
        assert OP_REACTION not in await quiet(bob)

    host_client.run(scenario())


async def stats(port: int, token: str | None, body: bytes = b'"{}"') -> tuple[int, dict]:
    status, answer = await aget(port, "/v2/rpc/xoxo_stats", token, "POST", body)
    return status, (json.loads(answer["payload"]) if status == 200 else answer)


def test_the_stats_rpc_counts_players_online_and_games_being_played(host_factory, host_client):
    host = host_factory(manual_clock=True)

    async def scenario():
        eve = await host_client.connect(host.port, "eve")
        assert await stats(host.port, eve.token) == (200, {"online": 1, "games": 0})
        ann, bob, _, _ = await named(host_client, host.port, (REV4, REV4))
        assert await stats(host.port, eve.token) == (200, {"online": 1, "games": 0})  # kept for a second
        await host.elapse(1)
        assert await stats(host.port, eve.token) == (200, {"online": 3, "games": 1})
        await ann.request("match_leave", {"match_id": ann.match_id})
        await bob.match_data(5)
        await eve.close()
        await host.elapse(1)
        assert await stats(host.port, bob.token) == (200, {"online": 2, "games": 0})
        for body in (b"", b'""', b'"{\\"x\\": 1}"'):
            assert (await stats(host.port, bob.token, body))[0] == 200
        status, error = await stats(host.port, bob.token, b'"[1]"')
        assert (status, error["code"]) == (400, 3) and "xoxo_stats" in error["message"]
        assert (await stats(host.port, None))[0] == 401
        status, raw = await aget(host.port, "/v2/rpc/xoxo_stats?unwrap", bob.token, "POST", b"{}")
        assert status == 200 and set(raw) == {"online", "games"}

    host_client.run(scenario())

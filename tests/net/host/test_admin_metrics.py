"""The admin listener's /metrics, read with prometheus_client's own parser while real players play on the host.

Two players sign in, matchmake, join and play a game to a line on a real host; a move out
of turn, a join of a match that does not exist, a sign-in with a wrong key and a request
head over the limit happen on the way. Each number /metrics reports is checked against
what was done. Waits on the host's own pace (a game's row written, the loop-lag probe's
first tick) poll /metrics with a deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from net.host.admin import AdminListener, AdminSettings
from net.host.metrics import LIMIT_KINDS
from tests.net.conftest import WAIT, http_get_raw, sign_in_path
from tests.net.host.adminclient import PASSWORD, Browser

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(port: int) -> tuple[Samples, dict[str, str]]:
    """Every sample by (name, labels), and every family's type."""
    answer = Browser(port).get("/metrics")
    assert answer.status == 200
    assert (answer.header("Content-Type") or "").startswith("text/plain; version=")
    samples: Samples = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(answer.body):
        types[family.name] = family.type
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, types


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def until(port: int, check: Callable[[Samples], bool], what: str) -> Samples:
    deadline = time.monotonic() + WAIT
    while True:
        samples, _ = scrape(port)
        if check(samples):
            return samples
        assert time.monotonic() < deadline, f"/metrics never showed {what}"
        time.sleep(0.05)


def test_metrics_follow_a_game_as_it_is_played(host_factory, host_client):
    host = host_factory()
    listener = AdminListener(host.host, AdminSettings(0, PASSWORD))
    host.run(listener.start())
    port = listener.port
    try:
        _play_and_check(host, port, host_client)
    finally:
        host.run(listener.stop())


def _play_and_check(host, port: int, host_client) -> None:
    samples, types = scrape(port)
    assert value(samples, "tictactoe_players_connected") == 0
    assert {kind for (name, labels), _ in samples.items() if name == "tictactoe_limit_hits_total"
            for key, kind in labels} == set(LIMIT_KINDS)  # every kind is there before it is first hit
    assert types["tictactoe_messages_received"] == "counter" and types["tictactoe_event_loop_lag_seconds"] == "histogram"
    assert types["tictactoe_db_write_latency_seconds"] == "histogram" and types["tictactoe_sockets_open"] == "gauge"
    assert value(samples, "process_resident_memory_bytes") > 0
    assert ("process_cpu_seconds_total", frozenset()) in samples

    assert http_get_raw(host.port, sign_in_path("eve", "device-eve-0123456789"), key="wrong key").status == 401
    assert http_get_raw(host.port, "/healthcheck", headers={"X-Padding": "a" * 20_000}).status == 431

    async def scenario() -> None:
        x, o = await host_client.pair(host.port)
        mid, _ = await asyncio.to_thread(scrape, port)
        assert value(mid, "tictactoe_players_connected") == 2
        assert value(mid, "tictactoe_sockets_open") == 2
        assert value(mid, "tictactoe_matches_live") == 1
        assert value(mid, "tictactoe_matchmaker_tickets") == 0
        assert value(mid, "tictactoe_connections_open") == 2
        await o.move(3, 3)  # not O's turn
        assert (await o.rejected())[0] == "not_your_turn"
        missing = await x.request("match_join", {"match_id": "00000000-0000-4000-8000-000000000000.host"})
        assert missing["error"]["code"] == 4
        for (row, col), mover in zip([(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)], [x, o] * 3, strict=False):
            await mover.move(row, col)
            await x.state()
            await o.state()

    host_client.run(scenario())
    done = until(port, lambda s: value(s, "tictactoe_db_games_saved_total") == 1
                 and value(s, "tictactoe_event_loop_lag_seconds_count") >= 1
                 and value(s, "tictactoe_players_connected") == 0, "the game saved and the players gone")
    received = {"match_data_send": 6, "matchmaker_add": 2, "match_join": 3}
    for kind, n in received.items():
        assert value(done, "tictactoe_messages_received_total", type=kind) == n, kind
    assert value(done, "tictactoe_messages_sent_total", type="matchmaker_ticket") == 2
    assert value(done, "tictactoe_messages_sent_total", type="matchmaker_matched") == 2
    assert value(done, "tictactoe_messages_sent_total", type="match") == 2
    assert value(done, "tictactoe_messages_sent_total", type="error") == 1
    # States: one each at the start and after every move, and the op 3 refusal to O.
    assert value(done, "tictactoe_messages_sent_total", type="match_data") >= 2 + 2 * 5 + 1
    assert value(done, "tictactoe_sign_ins_total", result="new") == 2
    assert value(done, "tictactoe_sign_in_failures_total", code="401") == 1
    assert value(done, "tictactoe_refusals_total", where="match", reason="not_your_turn") == 1
    assert value(done, "tictactoe_refusals_total", where="socket", reason="match_not_found") == 1
    assert value(done, "tictactoe_limit_hits_total", kind="head_size") == 1
    assert value(done, "tictactoe_games_finished_total", result="line") == 1
    assert value(done, "tictactoe_db_write_latency_seconds_count") >= 1  # the game's row and both accounts
    assert value(done, "tictactoe_db_writes_queued") == 0
    assert value(done, "tictactoe_accounts") == 2


def test_two_hosts_in_one_process_keep_their_own_metrics(host_factory, host_client):
    first, second = host_factory(), host_factory()
    listeners = [AdminListener(h.host, AdminSettings(0, PASSWORD)) for h in (first, second)]
    for h, listener in zip((first, second), listeners, strict=True):
        h.run(listener.start())
    try:
        host_client.run(host_client.connect(first.port, "ann"))
        assert value(scrape(listeners[0].port)[0], "tictactoe_sign_ins_total", result="new") == 1
        assert value(scrape(listeners[1].port)[0], "tictactoe_sign_ins_total", result="new") == 0
    finally:
        for h, listener in zip((first, second), listeners, strict=True):
            h.run(listener.stop())

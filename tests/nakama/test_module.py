"""The Nakama modules on their own: loading, the matchmaker hook, the label, settings, records, failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from game.xoxo import PROTOCOL, MatchLabel, decode_state
from tests.nakama.standin import (
    MODULES,
    NODE,
    PRESENCE_DISCONNECT,
    NakamaRuntime,
    Presence,
    StandInMatch,
    new_id,
)

MOVE_OP, STATE_OP, REFUSED_OP, GONE_OP = 1, 2, 3, 5


def person(name: str) -> Presence:
    return Presence(new_id(), new_id(), name)


def sent(match: StandInMatch, op_code: int, who: Presence) -> list[Any]:
    """Payloads of ``op_code`` sent to ``who`` since the last call (consumes the log)."""
    out = []
    for e in match.take():
        if e.kind == "send" and e.op_code == op_code and who.session_id in e.to:
            try:
                out.append(json.loads(e.data or b""))
            except ValueError:
                out.append(e.data)
    return out


def move(match: StandInMatch, who: Presence, row: int, col: int) -> None:
    match.send(who, MOVE_OP, json.dumps({"row": row, "col": col}).encode())
    match.loop()


def started(env: dict[str, str] | None = None) -> tuple[NakamaRuntime, StandInMatch, Presence, Presence]:
    rt = NakamaRuntime(env=env)
    ann, bob = person("ann"), person("bob")
    match = rt.matches[rt.matchmaker_matched([ann, bob])]
    assert match.join_attempt(ann, {"protocol": "2"}) == (True, "")
    assert match.join_attempt(bob, {"protocol": "2"}) == (True, "")
    match.take()
    return rt, match, ann, bob


def win(match: StandInMatch, ann: Presence, bob: Presence) -> None:
    for who, (r, c) in zip([ann, bob, ann, bob, ann], [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)], strict=True):
        move(match, who, r, c)


# Loading and the hook -----------------------------------------------------------------------------------


def test_every_module_has_the_project_prefix_and_loads_like_nakama_loads_it():
    names = sorted(p.stem for p in MODULES.glob("*.lua"))
    assert names == ["xoxo_plus_json", "xoxo_plus_main", "xoxo_plus_match"]
    rt = NakamaRuntime()
    assert rt.matchmaker_hook is not None and rt.logs == [] and set(rt.rpcs) == {"xoxo_seat", "xoxo_stats"}
    assert rt.leaderboards == {"xoxo_rating": {"authoritative": True, "sort": "desc", "operator": "set", "reset": "",
                                               "enable_ranks": True}}


def test_the_hook_creates_an_authoritative_match_with_the_matched_users_expected():
    rt = NakamaRuntime()
    ann, bob, eve = person("ann"), person("bob"), person("eve")
    match_id = rt.matchmaker_matched([ann, bob])
    assert match_id is not None and match_id.endswith("." + NODE)
    match = rt.matches[match_id]
    assert match.module == "xoxo_plus_match" and match.tick_rate == 10
    expected = match.lua_state()[b"settings"][b"expected"]
    assert [(p[b"user_id"].decode(), p[b"session_id"].decode()) for p in expected.values()] == [
        (ann.user_id, ann.session_id), (bob.user_id, bob.session_id)]
    assert ("info", f"match {match_id} created: ann vs bob") in rt.logs
    assert match.join_attempt(eve) == (False, "you were not matched into this game")
    assert match.join_attempt(ann) == (True, "")
    assert match.join_attempt(bob) == (True, "")
    assert [p.username for p in match.presences.values()] == ["ann", "bob"]


def test_a_matched_player_who_never_joins_ends_the_match_after_the_join_timeout():
    rt = NakamaRuntime(env={"xoxo_plus_join_timeout_seconds": "3", "xoxo_plus_tick_rate": "2"})
    ann, bob = person("ann"), person("bob")
    match = rt.matches[rt.matchmaker_matched([ann, bob])]
    match.join_attempt(bob)
    for _ in range(6):
        match.loop()
    assert not match.stopped
    match.loop()  # tick 6 = 3 s
    assert sent(match, GONE_OP, bob) == [{"user_id": ann.user_id, "username": "ann", "reason": "no_show"}]
    assert match.stopped


def test_more_than_two_matched_players_get_a_warning_and_the_first_two_seats():
    rt = NakamaRuntime()
    ann, bob, cid = person("ann"), person("bob"), person("cid")
    match = rt.matches[rt.matchmaker_matched([ann, bob, cid])]
    assert any(level == "warn" and "matched 3 players" in m for level, m in rt.logs)
    assert match.join_attempt(cid)[0] and match.join_attempt(ann)[0]
    assert match.join_attempt(bob) == (False, "this game is full")


# The label --------------------------------------------------------------------------------------------


def test_the_label_declares_the_protocol_whether_a_seat_is_free_and_the_game():
    rt = NakamaRuntime(env={"xoxo_plus_rematch_seconds": "1", "xoxo_plus_tick_rate": "2"})
    ann, bob = person("ann"), person("bob")
    match = rt.matches[rt.matchmaker_matched([ann, bob])]
    assert json.loads(match.label) == {"protocol": 4, "open": 1, "game": 0, "rated": 1}
    assert match.context[b"match_label"].decode() == match.label
    match.join_attempt(ann)
    assert match.label_updates == []  # nothing changed, nothing sent to Nakama
    match.join_attempt(bob)
    assert match.label_updates == ['{"protocol":4,"open":0,"game":1,"rated":1}']
    win(match, ann, bob)
    match.loop()
    match.loop()
    assert match.label_updates[-1] == '{"protocol":4,"open":0,"game":2,"rated":1}'
    assert match.context[b"match_label"].decode() == match.label
    assert len(match.label_updates) == 2
    label = MatchLabel.decode(match.label)
    assert label == MatchLabel(protocol=PROTOCOL, open=False, game=2, rated=True) and label.extended


def test_friends_who_met_by_a_code_play_an_unrated_match():
    rt = NakamaRuntime()
    ann, bob = person("ann"), person("bob")
    match = rt.matches[rt.matchmaker_matched([ann, bob], [{"code": "K7QXM"}, {"code": "K7QXM"}])]
    assert json.loads(match.label)["rated"] == 0
    assert json.loads(rt.match_create("xoxo_plus_match").label)["rated"] == 0  # created without the matchmaker


def test_match_signal_answers_the_label():
    _, match, _, _ = started()
    assert json.loads(match.signal("anything")) == {"protocol": 4, "open": 0, "game": 1, "rated": 1}


# Settings ---------------------------------------------------------------------------------------------


def settings_of(env: dict[str, str]) -> tuple[NakamaRuntime, dict[str, Any]]:
    rt = NakamaRuntime(env=env)
    match = rt.match_create("xoxo_plus_match")
    s = match.lua_state()[b"settings"]
    return rt, {k.decode(): (v.decode() if isinstance(v, bytes) else v) for k, v in s.items()} | {
        "tick_rate": match.tick_rate}


def test_settings_default_to_our_host_s_and_a_tick_rate_of_10():
    rt, s = settings_of({})
    assert s == {"tick_rate": 10, "turn_seconds": 30, "grace_seconds": 20, "rematch_seconds": 10,
                 "join_timeout_seconds": 30, "idle_seconds": 300, "games_collection": "xoxo_plus_games"}
    assert rt.logs == []


def test_settings_come_from_runtime_env():
    _, s = settings_of({"xoxo_plus_tick_rate": "20", "xoxo_plus_turn_seconds": "12.5", "xoxo_plus_grace_seconds": "0",
                        "xoxo_plus_rematch_seconds": "none", "xoxo_plus_join_timeout_seconds": " 45 ",
                        "xoxo_plus_idle_seconds": "none", "xoxo_plus_games_collection": "ttt"})
    assert s == {"tick_rate": 20, "turn_seconds": 12.5, "grace_seconds": 0, "rematch_seconds": False,
                 "join_timeout_seconds": 45, "idle_seconds": False, "games_collection": "ttt"}


@pytest.mark.parametrize("key, value", [
    ("tick_rate", "0"), ("tick_rate", "61"), ("tick_rate", "2.5"), ("tick_rate", "0x10"), ("turn_seconds", "-1"),
    ("turn_seconds", "1e3"), ("grace_seconds", "lots"), ("join_timeout_seconds", "0"), ("rematch_seconds", "2.5"),
    ("rematch_seconds", ""), ("idle_seconds", "0"), ("idle_seconds", "-5"),
])
def test_a_setting_that_makes_no_sense_is_logged_and_the_default_kept(key, value):
    rt, s = settings_of({f"xoxo_plus_{key}": value})
    _, defaults = settings_of({})
    assert s == defaults
    assert any(level == "warn" and f"xoxo_plus_{key}={value}" in m for level, m in rt.logs)


# What the players see -----------------------------------------------------------------------------------


def test_the_state_is_xoxo_s_shape_for_a_stock_client_plus_our_fields():
    _, match, ann, bob = started()
    move(match, ann, 2, 2)
    (raw,) = [json.loads(e.data) for e in match.take() if bob.session_id in e.to]
    assert set(raw) == {"state", "active_player", "other_player", "your_turn", "you"}
    assert raw["your_turn"] is True and raw["state"]["winner"] is False and raw["state"]["draw"] is False
    assert raw["active_player"] == {"user_id": bob.user_id, "session_id": bob.session_id, "username": "bob",
                                    "node": NODE, "reason": 0}
    view = decode_state(json.dumps(raw).encode(), bob.user_id)
    assert view.you == 2 and view.board.at(2, 2) == 1 and view.turn_seconds_left == 30.0


def test_terminate_sends_xoxo_s_plain_text_notice_to_the_players_still_here():
    _, match, ann, bob = started()
    match.leave(bob, PRESENCE_DISCONNECT)
    match.take()
    match.terminate(5)
    assert sent(match, STATE_OP, ann) == [b"Server shutting down in 5 seconds"]
    assert match.stopped and match.errors == []


def test_a_finished_game_is_stored_and_logged_before_anyone_is_told():
    rt, match, ann, bob = started()
    rt.clock_ms = 1_700_000_000_000
    for who, (r, c) in zip([ann, bob, ann, bob], [(1, 1), (2, 1), (1, 2), (2, 2)], strict=True):
        move(match, who, r, c)
    match.take()
    rt.clock_ms = 1_700_000_004_500
    move(match, ann, 1, 3)
    events = match.take()
    assert [e.kind for e in events[:3]] == ["store", "board", "board"] and all(e.kind == "send" for e in events[3:])
    stored = events[0].value
    assert stored["collection"] == "xoxo_plus_games" and stored["key"] == f"{match.match_id}/1"
    assert stored["user_id"] == "00000000-0000-0000-0000-000000000000"
    assert (stored["permission_read"], stored["permission_write"]) == (0, 0)
    assert stored["value"] == {
        "match_id": match.match_id, "game": 1, "player1_id": ann.user_id, "player1_name": "ann",
        "player2_id": bob.user_id, "player2_name": "bob", "first": 1,
        "moves": [[1, 1, 1], [2, 1, 2], [1, 2, 1], [2, 2, 2], [1, 3, 1]], "winner": 1, "termination": "line",
        "line": [[1, 1], [1, 2], [1, 3]], "started_at": 1_700_000_000.0, "ended_at": 1_700_000_004.5,
        "ratings": [{"shown_before": 1500, "shown_after": 1662}, {"shown_before": 1500, "shown_after": 1338}],
    }
    assert ("info", f"match {match.match_id} game 1 over: ann beat bob with a line") in rt.logs


def test_an_empty_collection_setting_keeps_games_in_the_log_only():
    rt, match, ann, bob = started({"xoxo_plus_games_collection": ""})
    win(match, ann, bob)
    assert rt.storage == {} and any("game 1 over: ann beat bob" in m for _, m in rt.logs)


def test_a_failed_storage_write_is_logged_and_the_players_still_get_their_result():
    rt, match, ann, bob = started()
    for who, (r, c) in zip([ann, bob, ann, bob], [(1, 1), (2, 1), (1, 2), (2, 2)], strict=True):
        move(match, who, r, c)
    match.take()
    rt.fail_next["storage_write"] = "database unavailable"
    move(match, ann, 1, 3)
    assert sent(match, STATE_OP, bob)[0]["state"]["winner"] == 1
    assert any(m.startswith(f"GAME NOT SAVED: match {match.match_id} game 1: ann beat bob with a line")
               for m in rt.errors())
    assert not match.stopped and match.errors == []


def test_a_hook_that_fails_ends_the_match_like_our_host_without_raising_into_nakama():
    rt, match, ann, bob = started()
    rt.fail_next["json_encode"] = "simulated bug"  # the refusal of bob's move out of turn is encoded with it
    move(match, bob, 1, 1)
    assert sent(match, STATE_OP, ann) == [b"This match stopped because of a server error."]
    assert match.stopped and match.errors == []  # the hook returned nil: Nakama stops the match quietly
    assert any("failed in match_loop" in m and "simulated bug" in m for m in rt.errors())


def test_nothing_a_client_sends_raises_out_of_match_loop():
    _, match, ann, _ = started()
    for data in [None, b"", b"\x00" * 9, b"[" * 100_000, b'{"row":' * 3000, b"\xff" * 50, b'{"row":1e999999,"col":1}',
                 b'{"row":' + b"9" * 5000 + b',"col":1}', json.dumps({"row": "x" * 3000, "col": [[[]]]}).encode()]:
        for op in (MOVE_OP, 4, 6, 0, -7, 2**53):
            match.send(ann, op, data)
    match.loop()
    assert match.errors == [] and not match.stopped
    replies = sent(match, REFUSED_OP, ann)
    assert {r["reason"] for r in replies} == {"bad_payload", "out_of_bounds", "game_in_progress", "unknown_op"}

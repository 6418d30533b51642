"""The match handler alone: a fake clock, a dispatcher that records what it is asked to do."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from game.match import GameRecord, LeaveReason, MatchMessage, MatchSettings, XoxoMatch
from game.rules import Termination
from game.xoxo import (
    OP_MOVE,
    OP_OPPONENT_GONE,
    OP_REJECTED,
    OP_REMATCH,
    OP_STATE,
    MatchView,
    Presence,
    RematchMode,
    decode_state,
    encode_move,
)

ANN = Presence("u-ann", "s-ann", "ann")
BOB = Presence("u-bob", "s-bob", "bob")
EVE = Presence("u-eve", "s-eve", "eve")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Recorder:
    """A Dispatcher that keeps everything in one ordered log."""

    def __init__(self) -> None:
        self.log: list[tuple] = []
        self.ended = False

    def send(self, op_code: int, data: bytes, to: Sequence[Presence] | None = None) -> None:
        self.log.append(("send", op_code, data, tuple(p.session_id for p in to) if to is not None else None))

    def record(self, record: GameRecord) -> None:
        self.log.append(("record", record))

    def end(self) -> None:
        self.ended = True
        self.log.append(("end",))

    def take(self) -> list[tuple]:
        out, self.log = self.log, []
        return out

    def states(self, who: Presence) -> list[MatchView]:
        """States sent to ``who`` since the last take (consumes the log)."""
        return [
            decode_state(e[2], who.user_id, who.session_id)
            for e in self.take()
            if e[0] == "send" and e[1] == OP_STATE and e[3] is not None and who.session_id in e[3]
        ]

    def records(self) -> list[GameRecord]:
        return [e[1] for e in self.log if e[0] == "record"]


def new_match(**settings) -> tuple[XoxoMatch, Recorder, Clock]:
    rec, clock = Recorder(), Clock()
    match = XoxoMatch("m1", rec, MatchSettings(**settings), clock=clock, wall_clock=clock)
    return match, rec, clock


def started(**settings) -> tuple[XoxoMatch, Recorder, Clock]:
    match, rec, clock = new_match(**settings)
    match.join(ANN)
    match.join(BOB)
    rec.take()
    return match, rec, clock


def move(match: XoxoMatch, who: Presence, row, col) -> None:
    match.handle(MatchMessage(who, OP_MOVE, encode_move(row, col)))


def rejected(rec: Recorder) -> list[tuple[tuple, str]]:
    return [(e[3], json.loads(e[2])["reason"]) for e in rec.take() if e[0] == "send" and e[1] == OP_REJECTED]


def play(match: XoxoMatch, moves) -> None:
    for row, col in moves:
        board = match.board
        mover = ANN if board.to_move == 1 else BOB
        move(match, mover, row, col)


WIN = [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)]
DRAW = [(1, 1), (1, 2), (1, 3), (2, 2), (3, 2), (2, 1), (2, 3), (3, 3), (3, 1)]


def test_the_second_join_starts_game_one_and_each_player_gets_their_view():
    match, rec, _ = new_match()
    match.join(ANN)
    assert match.board is None and rec.take() == []
    match.join(BOB)
    log = rec.take()
    assert [(e[1], e[3]) for e in log] == [(OP_STATE, ("s-ann",)), (OP_STATE, ("s-bob",))]
    ann = decode_state(log[0][2], ANN.user_id)
    bob = decode_state(log[1][2], BOB.user_id)
    assert (ann.you, ann.your_turn, bob.you, bob.your_turn) == (1, True, 2, False)
    assert ann.game == 1 and ann.turn_seconds_left == 30.0 and ann.opponent_connected


def test_a_legal_move_is_broadcast_at_once():
    match, rec, _ = started()
    move(match, ANN, 2, 2)
    (view,) = rec.states(BOB)
    assert view.board.at(2, 2) == 1 and view.your_turn


@pytest.mark.parametrize(
    "who, data, reason",
    [
        (BOB, encode_move(1, 1), "not_your_turn"),
        (ANN, encode_move(4, 1), "out_of_bounds"),
        (ANN, encode_move(1, 0), "out_of_bounds"),
        (ANN, b'{"row": "1", "col": 1}', "out_of_bounds"),
        (ANN, b'{"row": true, "col": 1}', "out_of_bounds"),
        (ANN, b'{"row": 1.5, "col": 1}', "out_of_bounds"),
        (ANN, b"not json", "bad_payload"),
        (ANN, b"\xff\xfe", "bad_payload"),
        (ANN, b"[1, 1]", "bad_payload"),
        (ANN, b"[" * 5000, "bad_payload"),
        (ANN, b'{"row": 1}', "bad_payload"),
        (ANN, b"", "bad_payload"),
        (ANN, b'{"row": NaN, "col": 1}', "bad_payload"),
        (ANN, b'{"row": Infinity, "col": 1}', "bad_payload"),
        (ANN, b'\xef\xbb\xbf{"row": 1, "col": 1}', "bad_payload"),
        (ANN, '{"row": 1, "col": 1}'.encode("utf-16"), "bad_payload"),
        (ANN, b'{"row": 1, "col": 1, "pad": "' + b"x" * 120 + b'"}', "bad_payload"),
        (ANN, b'{"row": 1e400, "col": 1}', "out_of_bounds"),
        (ANN, b'{"row": [[[1]]], "col": 1}', "out_of_bounds"),
    ],
)
def test_refused_moves_go_to_the_sender_alone_and_change_nothing(who, data, reason):
    match, rec, _ = started()
    before = match.board
    match.handle(MatchMessage(who, OP_MOVE, data))
    assert rejected(rec) == [((who.session_id,), reason)]
    assert match.board is before


def test_a_whole_number_written_as_a_float_is_that_number():
    match, rec, _ = started()
    match.handle(MatchMessage(ANN, OP_MOVE, b'{"row": 2.0, "col": 2e0}'))
    assert rec.states(BOB)[0].board.at(2, 2) == 1


def test_refusals_never_echo_what_was_sent():
    match, rec, _ = started()
    match.handle(MatchMessage(ANN, OP_MOVE, b'{"row": "<script>", "col": 1}'))
    match.handle(MatchMessage(ANN, 2**60, b"{}"))
    messages = [json.loads(e[2])["message"] for e in rec.take() if e[1] == OP_REJECTED]
    assert messages == ["row and col must be whole numbers 1 to 3", "that op code means nothing here"]


def test_occupied_cell_and_unknown_op_are_refused():
    match, rec, _ = started()
    move(match, ANN, 1, 1)
    rec.take()
    move(match, BOB, 1, 1)
    assert rejected(rec) == [(("s-bob",), "occupied")]
    match.handle(MatchMessage(BOB, 42, b"{}"))
    assert rejected(rec) == [(("s-bob",), "unknown_op")]


def test_messages_from_strangers_are_ignored():
    match, rec, _ = started()
    match.handle(MatchMessage(EVE, OP_MOVE, encode_move(1, 1)))
    match.leave(EVE, LeaveReason.LEFT)
    assert rec.take() == [] and match.board.moves == ()


def test_a_win_is_recorded_before_anyone_is_told():
    match, rec, clock = started()
    clock.advance(3)
    play(match, WIN[:-1])
    rec.take()
    play(match, WIN[-1:])
    log = rec.take()
    assert log[0][0] == "record" and all(e[0] == "send" for e in log[1:])
    record: GameRecord = log[0][1]
    assert record.match_id == "m1" and record.game == 1 and record.players == (ANN, BOB)
    assert record.first == 1 and record.winner == 1 and record.termination is Termination.LINE
    assert record.line == ((1, 1), (1, 2), (1, 3))
    assert record.moves == ((1, 1, 1), (2, 1, 2), (1, 2, 1), (2, 2, 2), (1, 3, 1))
    assert record.started_at == 1000.0 and record.ended_at == 1003.0
    views = [decode_state(e[2], ANN.user_id) for e in log[1:] if "s-ann" in e[3]]
    assert views[0].result == "win" and views[0].rematch_countdown == 10


def test_a_draw_is_recorded():
    match, rec, _ = started()
    play(match, DRAW)
    (record,) = rec.records()
    assert record.winner is None and record.termination is Termination.DRAW and record.line is None


def test_moves_after_the_end_are_refused():
    match, rec, _ = started()
    play(match, WIN)
    rec.take()
    move(match, BOB, 3, 3)
    assert rejected(rec) == [(("s-bob",), "game_over")]


def test_rematch_countdown_then_a_new_game_with_the_other_player_first():
    match, rec, clock = started(rematch_seconds=3)
    play(match, WIN)
    rec.take()
    countdowns = []
    for _ in range(2):
        clock.advance(1)
        match.tick()
        countdowns += [v.rematch_countdown for v in rec.states(ANN)]
    assert countdowns == [2, 1]
    clock.advance(1)
    match.tick()
    (view,) = rec.states(ANN)
    assert view.game == 2 and not view.board.is_over and view.board.to_move == 2 and not view.your_turn
    move(match, BOB, 2, 2)
    assert rec.states(ANN)[0].board.at(2, 2) == 2


def test_rematch_when_both_ask_and_never_during_a_game():
    match, rec, _ = started(rematch_seconds=None)
    match.handle(MatchMessage(ANN, OP_REMATCH, b"{}"))
    assert rejected(rec) == [(("s-ann",), "game_in_progress")]
    play(match, DRAW)
    rec.take()
    match.handle(MatchMessage(ANN, OP_REMATCH, b"{}"))
    (bob_sees,) = rec.states(BOB)  # the opponent sees who asked
    assert bob_sees.rematch_asked == (True, False) and bob_sees.asked_rematch(1) and bob_sees.game == 1
    match.handle(MatchMessage(ANN, OP_REMATCH, b"{}"))
    assert rec.take() == []  # asking again changes nothing and sends nothing
    match.handle(MatchMessage(BOB, OP_REMATCH, b"{}"))
    (view,) = rec.states(BOB)
    assert view.game == 2 and view.your_turn and view.rematch_asked == (False, False)


def test_turn_timeout_forfeits():
    match, rec, clock = started(turn_seconds=10)
    clock.advance(9.9)
    match.tick()
    assert rec.take() == []
    clock.advance(0.1)
    match.tick()
    (record,) = rec.records()
    assert record.termination is Termination.TIMEOUT and record.winner == 2
    assert rec.states(BOB)[0].result == "win"


def test_no_turn_timer_when_turned_off():
    match, rec, clock = started(turn_seconds=0)
    clock.advance(10_000)
    match.tick()
    assert rec.take() == [] and not match.board.is_over


def test_a_dropped_player_pauses_the_clock_and_gets_the_seat_back():
    match, rec, clock = started(turn_seconds=30, grace_seconds=20)
    move(match, ANN, 2, 2)
    clock.advance(25)
    rec.take()
    match.leave(BOB, LeaveReason.DISCONNECTED)
    (view,) = rec.states(ANN)
    assert not view.opponent_connected and view.turn_seconds_left == pytest.approx(5.0)
    clock.advance(19)
    match.tick()
    assert rec.take() == []  # neither the grace period nor the (paused) turn has run out
    bob2 = Presence("u-bob", "s-bob-2", "bob")
    assert match.join_attempt(bob2) is None
    match.join(bob2)
    views = rec.states(bob2)
    assert len(views) == 1 and views[0].you == 2 and views[0].your_turn and views[0].board.at(2, 2) == 1
    assert views[0].turn_seconds_left == pytest.approx(5.0)  # what was left, and at least 5 s
    move(match, bob2, 1, 1)
    assert rec.states(ANN)[0].board.at(1, 1) == 2


def test_staying_away_past_the_grace_period_loses_and_ends_the_match():
    match, rec, clock = started(grace_seconds=20)
    move(match, ANN, 2, 2)
    match.leave(BOB, LeaveReason.DISCONNECTED)
    rec.take()
    clock.advance(20)
    match.tick()
    log = rec.take()
    assert log[0][0] == "record" and log[0][1].termination is Termination.OPPONENT_LEFT and log[0][1].winner == 1
    notice = [e for e in log if e[0] == "send" and e[1] == OP_OPPONENT_GONE]
    assert notice and notice[0][3] == ("s-ann",)
    assert json.loads(notice[0][2]) == {"user_id": "u-bob", "username": "bob", "reason": "disconnected"}
    assert log[-1] == ("end",) and match.ended
    assert match.join_attempt(BOB) == "this match has ended"


def test_leaving_on_purpose_ends_the_match_at_once():
    match, rec, _ = started()
    match.leave(ANN, LeaveReason.LEFT)
    log = rec.take()
    assert log[0][1].winner == 2 and log[0][1].termination is Termination.OPPONENT_LEFT
    assert json.loads(next(e for e in log if e[0] == "send" and e[1] == OP_OPPONENT_GONE)[2])["reason"] == "left"
    assert rec.ended


def test_leaving_after_a_finished_game_records_nothing_more():
    match, rec, _ = started()
    play(match, WIN)
    rec.take()
    match.leave(BOB, LeaveReason.LEFT)
    assert rec.records() == [] and rec.ended


def test_leaving_before_the_game_starts_ends_the_match_quietly():
    match, rec, _ = new_match()
    match.join(ANN)
    match.leave(ANN, LeaveReason.DISCONNECTED)
    assert rec.take() == [("end",)]


def test_who_may_join():
    match, _, _ = new_match(expected=(ANN, BOB))
    assert match.join_attempt(EVE) == "you were not matched into this game"
    match.join(ANN)
    assert match.join_attempt(BOB) is None
    match.join(BOB)
    open_match, _, _ = started()
    assert open_match.join_attempt(EVE) == "this game is full"
    assert open_match.join_attempt(Presence("u-ann", "s-new", "ann")) is None


def test_an_older_session_cannot_leave_or_move_for_the_newer_one():
    match, rec, _ = started()
    ann2 = Presence("u-ann", "s-ann-2", "ann")
    match.join(ann2)
    rec.take()
    match.leave(ANN, LeaveReason.LEFT)  # the stale session going away changes nothing
    match.handle(MatchMessage(ANN, OP_MOVE, encode_move(1, 1)))
    assert rec.take() == [] and not match.ended and match.board.moves == ()
    move(match, ann2, 1, 1)
    assert rec.states(BOB)[0].board.at(1, 1) == 1


def test_stale_leave_after_a_second_drop_does_not_extend_the_grace():
    match, rec, clock = started(grace_seconds=10)
    match.leave(BOB, LeaveReason.DISCONNECTED)
    bob2 = Presence("u-bob", "s-bob-2", "bob")
    match.join(bob2)
    clock.advance(5)
    match.leave(bob2, LeaveReason.DISCONNECTED)
    clock.advance(5)
    match.leave(BOB, LeaveReason.DISCONNECTED)  # a late echo of the first session
    clock.advance(5)
    match.tick()
    assert match.ended and rec.records()[0].termination is Termination.OPPONENT_LEFT


def test_both_players_gone():
    match, rec, clock = started(grace_seconds=5)
    match.leave(ANN, LeaveReason.DISCONNECTED)
    match.leave(BOB, LeaveReason.DISCONNECTED)
    rec.take()
    clock.advance(5)
    match.tick()
    (record,) = rec.records()
    assert record.winner == 2 and match.ended


def test_the_next_game_waits_for_a_dropped_player():
    match, rec, clock = started(rematch_seconds=1, turn_seconds=10, grace_seconds=60)
    play(match, WIN)
    match.leave(BOB, LeaveReason.DISCONNECTED)
    clock.advance(1)
    match.tick()
    assert match.game == 2
    clock.advance(30)
    match.tick()
    assert not match.board.is_over  # the turn clock is paused while bob is away
    rec.take()
    match.join(Presence("u-bob", "s-bob-2", "bob"))
    (view,) = rec.states(ANN)
    assert view.turn_seconds_left == pytest.approx(10.0)


def test_terminate_tells_everyone_in_plain_text_and_ends():
    match, rec, _ = started()
    match.terminate("Server shutting down")
    assert rec.take() == [("send", OP_STATE, b"Server shutting down", None), ("end",)]
    match.terminate("again")
    match.tick()
    assert rec.take() == []


def declared(match: XoxoMatch, *players: Presence, protocol: str = "2") -> None:
    """Join ``players`` as clients declaring ``protocol`` in their match_join metadata."""
    for p in players:
        assert match.join_attempt(p, {"protocol": protocol}) is None
        match.join(p)


def gone_notices(log: list[tuple]) -> list[tuple[tuple, dict]]:
    return [(e[3], json.loads(e[2])) for e in log if e[0] == "send" and e[1] == OP_OPPONENT_GONE]


def test_the_label_declares_the_protocol_and_whether_a_seat_is_free():
    match, _, _ = new_match()
    assert json.loads(match.label) == {"protocol": 4, "open": 1, "game": 0, "rated": 0}
    match.join(ANN)
    match.join(BOB)
    assert json.loads(match.label) == {"protocol": 4, "open": 0, "game": 1, "rated": 0}
    match.leave(ANN, LeaveReason.LEFT)
    assert json.loads(match.label)["open"] == 0


def test_two_declared_clients_get_the_next_game_only_when_both_ask():
    match, rec, clock = new_match(rematch_seconds=10)
    declared(match, ANN, BOB)
    play(match, WIN)
    view = rec.states(ANN)[-1]
    assert view.rematch_mode is RematchMode.CONSENT and view.rematch_countdown == 10
    match.handle(MatchMessage(BOB, OP_REMATCH, b"{}"))
    assert rec.states(ANN)[0].asked_rematch(2)
    clock.advance(10)
    match.tick()
    log = rec.take()
    assert [e for e in log if e[0] == "send" and e[1] == OP_STATE] == []  # no new game
    assert gone_notices(log) == [
        (("s-ann",), {"user_id": "u-bob", "username": "bob", "reason": "no_rematch"}),
        (("s-bob",), {"user_id": "u-ann", "username": "ann", "reason": "no_rematch"}),
    ]
    assert match.ended and log[-1] == ("end",)


def test_a_stock_xoxo_client_keeps_the_automatic_countdown():
    match, rec, clock = new_match(rematch_seconds=3)
    declared(match, ANN)
    match.join_attempt(BOB, {})  # a stock client declares nothing
    match.join(BOB)
    play(match, WIN)
    assert rec.states(BOB)[-1].rematch_mode is RematchMode.AUTO
    clock.advance(3)
    match.tick()
    assert rec.states(ANN)[0].game == 2 and not match.ended


def test_the_countdown_is_sent_when_its_second_changes_whenever_tick_is_called():
    match, rec, clock = started(rematch_seconds=3)
    play(match, WIN)
    rec.take()
    seen = []
    for _ in range(12):  # ticks at a quarter-second pace: one state per second shown
        clock.advance(0.25)
        match.tick()
        seen += [(v.game, v.rematch_countdown) for v in rec.states(ANN)]
    assert seen == [(1, 2), (1, 1), (2, None)]  # at zero the next game starts instead


def test_next_deadline_names_each_pending_moment():
    match, _rec, clock = new_match(turn_seconds=30, rematch_seconds=3, grace_seconds=20, expected=(ANN, BOB))
    assert match.next_deadline() == 1030.0  # the join timeout
    match.join(ANN)
    match.join(BOB)
    assert match.next_deadline() == 1030.0  # now the first turn's deadline
    clock.advance(4)
    match.leave(BOB, LeaveReason.DISCONNECTED)
    assert match.next_deadline() == 1024.0  # the grace period; the turn clock is paused
    match.join(Presence("u-bob", "s-bob-2", "bob"))
    assert match.next_deadline() == pytest.approx(1030.0)  # 26 s were left of the turn
    bob2 = Presence("u-bob", "s-bob-2", "bob")
    clock.advance(0.4)
    for cell in WIN:
        move(match, ANN if match.board.to_move == 1 else bob2, *cell)
    assert match.board.is_over
    assert match.next_deadline() == pytest.approx(clock.now + 1)  # 3 s left: it shows 2 one second from now
    clock.advance(2.5)
    assert match.next_deadline() == pytest.approx(clock.now + 0.5)  # the countdown runs out
    match.terminate("bye")
    assert match.next_deadline() is None


def test_two_turns_in_a_row_run_out_takes_the_player_out():
    match, rec, clock = started(turn_seconds=10, rematch_seconds=1)
    clock.advance(10)
    match.tick()  # ann (player 1) lets game 1's first turn run out
    clock.advance(1)
    match.tick()  # game 2: bob opens
    move(match, BOB, 2, 2)
    rec.take()
    clock.advance(10)
    match.tick()  # ann again: two turns in a row
    log = rec.take()
    assert rec.ended and [r.termination for r in (e[1] for e in log if e[0] == "record")] == [Termination.TIMEOUT]
    assert gone_notices(log) == [(("s-ann", "s-bob"), {"user_id": "u-ann", "username": "ann", "reason": "timed_out"})]


def test_a_move_between_timeouts_starts_the_count_again():
    match, rec, clock = started(turn_seconds=10, rematch_seconds=1)
    clock.advance(10)
    match.tick()  # ann times out in game 1
    clock.advance(1)
    match.tick()  # game 2: bob opens
    move(match, BOB, 2, 2)
    move(match, ANN, 1, 1)  # ann plays once...
    clock.advance(10)
    match.tick()  # ...so bob's timeout is his first
    assert not rec.ended and match.board.is_over
    clock.advance(1)
    match.tick()  # game 3: ann opens
    clock.advance(10)
    match.tick()  # ann's second timeout, but not in a row
    assert not rec.ended


def test_a_matched_player_who_never_joins_ends_the_match_for_the_other():
    match, rec, clock = new_match(expected=(ANN, BOB), join_timeout_seconds=30)
    match.join(ANN)
    clock.advance(29.9)
    match.tick()
    assert rec.take() == []
    clock.advance(0.1)
    match.tick()
    assert gone_notices(rec.take()) == [(("s-ann",), {"user_id": "u-bob", "username": "bob", "reason": "no_show"})]
    assert match.ended

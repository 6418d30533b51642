"""The match handler's revision-3 rules on a manual clock: claims, aborts, the open rematch, rated games.

Every deadline is checked from both sides: nothing happens a hair before it, and the
right thing happens at it.
"""

from __future__ import annotations

import json

import pytest

from game.match import GameRecord, LeaveReason, MatchMessage, MatchSettings, XoxoMatch
from game.rating import Rating, rate_game
from game.rating import Result as RatingResult
from game.refusal import Refusal
from game.rules import Termination
from game.standing import Standing
from game.xoxo import (
    OP_CLAIM,
    OP_OPPONENT_GONE,
    OP_RATING,
    OP_REJECTED,
    OP_REMATCH,
    OP_STATE,
    Claim,
    GoneReason,
    MatchLabel,
    Presence,
    RematchMode,
    decode_rating_news,
    decode_state,
    encode_claim,
)
from tests.game.test_match import ANN, BOB, DRAW, WIN, Clock, Recorder, move, play

HAIR = 0.001
ANN2 = Presence("u-ann", "s-ann-2", "ann")
BOB2 = Presence("u-bob", "s-bob-2", "bob")


class Ledger:
    """The players' standings, as a host keeps them: read by the match, updated from each record."""

    def __init__(self, **standings: Standing) -> None:
        self.standings = {f"u-{name}": st for name, st in standings.items()}

    def standing(self, user_id: str) -> Standing:
        return self.standings.get(user_id, Standing())

    def apply(self, rec: GameRecord) -> None:
        if rec.standings is not None:
            for p, after in zip(rec.players, rec.standings.after, strict=True):
                self.standings[p.user_id] = after


class RatedRecorder(Recorder):
    def __init__(self, ledger: Ledger) -> None:
        super().__init__()
        self.ledger = ledger

    def record(self, record: GameRecord) -> None:
        super().record(record)
        self.ledger.apply(record)


def match3(protocols=("3", "3"), ledger: Ledger | None = None, **settings) -> tuple[XoxoMatch, Recorder, Clock]:
    """A match whose two players joined declaring ``protocols``; game 1 has started, the log is empty."""
    clock = Clock()
    rec: Recorder = RatedRecorder(ledger) if ledger is not None else Recorder()
    settings.setdefault("turn_seconds", 10)
    settings.setdefault("grace_seconds", 20)
    match = XoxoMatch("m1", rec, MatchSettings(**settings), clock=clock, wall_clock=clock, ledger=ledger)
    for p, protocol in zip((ANN, BOB), protocols, strict=True):
        assert match.join_attempt(p, {"protocol": protocol} if protocol else {}) is None
        match.join(p)
    rec.take()
    return match, rec, clock


def sent(log: list[tuple], op: int) -> list[tuple[tuple, bytes]]:
    return [(e[3], e[2]) for e in log if e[0] == "send" and e[1] == op]


def views(log: list[tuple], who: Presence):
    return [decode_state(data, who.user_id, who.session_id) for to, data in sent(log, OP_STATE) if who.session_id in to]


def gone(log: list[tuple]) -> list[tuple[tuple, dict]]:
    return [(to, json.loads(data)) for to, data in sent(log, OP_OPPONENT_GONE)]


def refusals(log: list[tuple]) -> list[tuple[str, str]]:
    return [(json.loads(d)["reason"], json.loads(d)["message"]) for _, d in sent(log, OP_REJECTED)]


def claim(match: XoxoMatch, who: Presence, what: Claim = Claim.WIN) -> None:
    match.handle(MatchMessage(who, OP_CLAIM, encode_claim(what)))


def tick_at(match: XoxoMatch, clock: Clock, when: float) -> None:
    clock.now = when
    match.tick()


# Claims -------------------------------------------------------------------------------------------


def test_the_player_left_sees_the_hold_and_is_told_the_moment_a_claim_opens():
    match, rec, clock = match3()
    move(match, ANN, 2, 2)
    rec.take()
    dropped = clock.now
    match.leave(BOB, LeaveReason.DISCONNECTED)
    (view,) = views(rec.take(), ANN)
    assert not view.opponent_connected and view.away is not None
    assert (view.away.seconds_left, view.away.seconds, view.away.claim_seconds_left) == (20.0, 20.0, 10.0)
    assert match.next_deadline() == dropped + 10
    tick_at(match, clock, dropped + 10 - HAIR)
    assert rec.take() == []
    tick_at(match, clock, dropped + 10)
    (view,) = views(rec.take(), ANN)
    assert view.away.claimable and view.away.seconds_left == 10.0
    assert match.next_deadline() == dropped + 20  # announced once; next, the end of the hold
    tick_at(match, clock, dropped + 15)
    assert rec.take() == []


def test_a_claim_before_half_the_hold_is_refused_with_the_wait_then_wins():
    match, rec, clock = match3()
    dropped = clock.now
    match.leave(BOB, LeaveReason.DISCONNECTED)
    rec.take()
    clock.now = dropped + 10 - 2.5
    claim(match, ANN)
    assert refusals(rec.take()) == [(Refusal.CLAIM_TOO_EARLY.value, "you may claim in 3 s")]
    clock.now = dropped + 10 - HAIR
    claim(match, ANN)
    assert refusals(rec.take()) == [(Refusal.CLAIM_TOO_EARLY.value, "you may claim in 1 s")]
    clock.now = dropped + 10
    claim(match, ANN)
    log = rec.take()
    (record,) = [e[1] for e in log if e[0] == "record"]
    assert (record.termination, record.winner) == (Termination.CLAIMED, 1)
    (view,) = views(log, ANN)
    assert view.termination is Termination.CLAIMED and view.result.value == "win" and view.away is None
    assert view.rematch_mode is RematchMode.OPEN
    # bob does not come back: when the hold runs out, ann is told and the match ends.
    tick_at(match, clock, dropped + 20 - HAIR)
    assert rec.take() == []
    tick_at(match, clock, dropped + 20)
    log = rec.take()
    assert [g for _, g in gone(log)] == [{"user_id": "u-bob", "username": "bob", "reason": "disconnected"}]
    assert views(log, ANN)[-1].match_over.reason is GoneReason.DISCONNECTED
    assert match.ended and not [e for e in log if e[0] == "record"]  # the claimed game was recorded once


def test_calling_a_draw_ends_the_game_without_a_winner():
    match, rec, clock = match3()
    move(match, ANN, 1, 1)
    match.leave(BOB, LeaveReason.DISCONNECTED)
    clock.advance(10)
    rec.take()
    claim(match, ANN, Claim.DRAW)
    log = rec.take()
    (record,) = [e[1] for e in log if e[0] == "record"]
    assert (record.termination, record.winner) == (Termination.DRAW_CALLED, None)
    (view,) = views(log, ANN)
    assert view.termination is Termination.DRAW_CALLED and view.result.value == "draw"
    state = json.loads(sent(log, OP_STATE)[0][1])["state"]
    assert state["draw"] is True and state["winner"] is False and state["reason"] == "draw_called"


def test_the_absent_player_who_comes_back_after_a_claim_sees_the_final_board():
    match, rec, clock = match3()
    match.leave(BOB, LeaveReason.DISCONNECTED)
    clock.advance(12)
    claim(match, ANN)
    rec.take()
    match.join_attempt(BOB2, {"protocol": "3"})
    match.join(BOB2)
    (view,) = views(rec.take(), BOB2)
    assert view.termination is Termination.CLAIMED and view.result.value == "loss" and view.opponent_connected
    assert not match.ended and match.next_deadline() is None  # no idle limit set: the offer stays open


@pytest.mark.parametrize(
    ("setup", "data", "reason"),
    [
        ("present", encode_claim(Claim.WIN), Refusal.NOTHING_TO_CLAIM),
        ("over", encode_claim(Claim.WIN), Refusal.NOTHING_TO_CLAIM),
        ("away", b'{"claim": "loss"}', Refusal.BAD_PAYLOAD),
        ("away", b'{"claim": true}', Refusal.BAD_PAYLOAD),
        ("away", b"[]", Refusal.BAD_PAYLOAD),
        ("away", b'{"claim": "win"' + b" " * 200 + b"}", Refusal.BAD_PAYLOAD),
    ],
)
def test_claims_refused_change_nothing(setup, data, reason):
    match, rec, clock = match3()
    if setup == "over":
        play(match, WIN)
    if setup == "away":
        match.leave(BOB, LeaveReason.DISCONNECTED)
        clock.advance(15)
    board = match.board
    rec.take()
    match.handle(MatchMessage(ANN, OP_CLAIM, data))
    log = rec.take()
    assert [r for r, _ in refusals(log)] == [reason.value] and [to for to, _ in sent(log, OP_REJECTED)] == [("s-ann",)]
    assert match.board == board and len(log) == 1


def test_a_stock_player_waiting_gets_no_claim_fields_and_no_extra_state():
    match, rec, clock = match3(protocols=("", "3"))
    match.leave(BOB, LeaveReason.DISCONNECTED)
    log = rec.take()
    (view,) = views(log, ANN)
    state = json.loads(sent(log, OP_STATE)[0][1])["state"]
    assert view.away is None and not {"opponent_away_seconds_left", "claim_seconds_left"} & set(state)
    assert match.next_deadline() == clock.now + 20  # no claim moment to announce


# Aborts --------------------------------------------------------------------------------------------


def test_a_first_move_never_made_aborts_the_game():
    match, rec, clock = match3()
    start = clock.now
    tick_at(match, clock, start + 10 - HAIR)
    assert rec.take() == []
    tick_at(match, clock, start + 10)
    log = rec.take()
    (record,) = [e[1] for e in log if e[0] == "record"]
    assert (record.termination, record.winner) == (Termination.ABORTED, None)
    view = views(log, BOB)[0]
    assert view.termination is Termination.ABORTED and view.result is None and view.aborted_by == 1
    assert view.rematch_mode is RematchMode.OPEN and view.rematch_countdown is None
    state = json.loads(sent(log, OP_STATE)[0][1])["state"]
    assert state["winner"] is False and state["draw"] is False and state["reason"] == "aborted"
    assert not match.ended and gone(log) == []


def test_the_second_players_first_move_never_made_aborts_too():
    match, rec, clock = match3()
    move(match, ANN, 2, 2)
    rec.take()
    clock.advance(10)
    match.tick()
    assert views(rec.take(), ANN)[0].aborted_by == 2


def test_a_player_who_moved_and_then_lets_the_turn_run_out_loses_as_before():
    match, rec, clock = match3()
    move(match, ANN, 2, 2)
    move(match, BOB, 1, 1)
    clock.advance(10)
    match.tick()
    (record,) = rec.records()
    assert (record.termination, record.winner) == (Termination.TIMEOUT, 2)


@pytest.mark.parametrize("protocols", [("2", "3"), ("3", ""), ("", "")])
def test_without_two_revision_3_players_the_first_turn_running_out_loses(protocols):
    match, rec, clock = match3(protocols=protocols)
    clock.advance(10)
    match.tick()
    (record,) = rec.records()
    assert (record.termination, record.winner) == (Termination.TIMEOUT, 2)


def rematch(match: XoxoMatch) -> None:
    for p in (ANN, BOB):
        match.handle(MatchMessage(p, OP_REMATCH, b"{}"))


def test_two_aborts_in_a_row_count_as_leaving():
    match, rec, clock = match3()
    clock.advance(10)
    match.tick()  # ann never opens game 1: aborted
    rematch(match)
    move(match, BOB, 2, 2)  # game 2: bob opens
    rec.take()
    turn = clock.now
    tick_at(match, clock, turn + 10 - HAIR)
    assert rec.take() == []
    tick_at(match, clock, turn + 10)  # ann never makes her first move: the second abort in a row
    log = rec.take()
    (record,) = [e[1] for e in log if e[0] == "record"]
    assert (record.termination, record.winner) == (Termination.OPPONENT_LEFT, 2)
    notice = {"user_id": "u-ann", "username": "ann", "reason": "aborted"}
    assert gone(log) == [(("s-ann", "s-bob"), notice)]
    assert views(log, BOB)[-1].match_over.reason is GoneReason.ABORTED
    assert match.ended and rec.ended


def test_a_game_with_a_move_between_aborts_starts_the_count_again():
    match, rec, clock = match3()
    clock.advance(10)
    match.tick()  # ann aborts game 1
    rematch(match)
    move(match, BOB, 2, 2)
    move(match, ANN, 1, 1)  # game 2: ann moves, so her count starts again
    play(match, [(1, 2), (3, 3), (3, 2)])  # bob wins game 2
    rematch(match)
    clock.advance(10)
    match.tick()  # game 3: ann opens and never moves: an abort, not a leave
    assert [r.termination for r in rec.records()][-1] is Termination.ABORTED and not match.ended


def test_an_abort_does_not_count_as_a_timed_out_turn():
    match, rec, clock = match3()
    move(match, ANN, 2, 2)
    move(match, BOB, 1, 1)
    clock.advance(10)
    match.tick()  # ann's turn runs out after she moved: timeout 1
    rematch(match)
    move(match, BOB, 3, 3)
    clock.advance(10)
    match.tick()  # game 2: ann never makes her first move: an abort, which is not her second timeout
    assert not match.ended and rec.records()[-1].termination is Termination.ABORTED


# After a game: the open offer -----------------------------------------------------------------------


def test_the_offer_stays_open_until_the_idle_limit():
    match, rec, clock = match3(idle_seconds=300)
    play(match, WIN)
    ended = clock.now
    view = views(rec.take(), ANN)[-1]
    assert view.rematch_mode is RematchMode.OPEN and view.rematch_countdown is None
    match.handle(MatchMessage(BOB, OP_REMATCH, b"{}"))
    assert views(rec.take(), ANN)[0].asked_rematch(2)
    assert match.next_deadline() == ended + 300
    tick_at(match, clock, ended + 300 - HAIR)
    assert rec.take() == [] and not match.ended
    tick_at(match, clock, ended + 300)
    log = rec.take()
    assert [v.match_over.reason for v in views(log, ANN)] == [GoneReason.IDLE]
    assert gone(log) == [(("s-ann", "s-bob"), {"user_id": "", "username": "", "reason": "idle"})]
    assert match.ended


def test_both_asking_starts_the_next_game_at_once():
    match, _, _ = match3(idle_seconds=300)
    play(match, WIN)
    rematch(match)
    assert match.game == 2 and not match.board.is_over and match.next_deadline() == pytest.approx(1010.0)


def test_leaving_after_a_game_declines_and_the_other_keeps_the_result():
    match, rec, _ = match3(idle_seconds=300)
    play(match, WIN)
    rec.take()
    match.leave(BOB, LeaveReason.LEFT)
    log = rec.take()
    (view,) = views(log, ANN)
    assert view.result.value == "win" and view.termination is Termination.LINE
    assert view.match_over == view.match_over.__class__(GoneReason.DECLINED, "u-bob", "bob")
    assert gone(log) == [(("s-ann",), {"user_id": "u-bob", "username": "bob", "reason": "declined"})]
    assert rec.records() == [] and match.ended


def test_a_drop_after_a_game_ends_the_match_when_the_hold_runs_out():
    match, rec, clock = match3(idle_seconds=300)
    play(match, WIN)
    dropped = clock.now
    match.leave(BOB, LeaveReason.DISCONNECTED)
    rec.take()
    assert match.next_deadline() == dropped + 20  # no claim after a game
    tick_at(match, clock, dropped + 20 - HAIR)
    assert rec.take() == []
    tick_at(match, clock, dropped + 20)
    log = rec.take()
    assert views(log, ANN)[0].match_over.reason is GoneReason.DISCONNECTED
    assert [g["reason"] for _, g in gone(log)] == ["disconnected"]


def test_a_revision_2_player_keeps_the_countdown_and_its_end():
    match, rec, _ = match3(protocols=("2", "3"), rematch_seconds=10, idle_seconds=300)
    play(match, WIN)
    view = views(rec.take(), BOB)[-1]
    assert view.rematch_mode is RematchMode.CONSENT and view.rematch_countdown == 10 and view.match_over is None


# Rated matches ----------------------------------------------------------------------------------------


def test_the_label_says_whether_the_match_is_rated():
    rated, _, _ = match3(ledger=Ledger(), rated=True)
    unrated, _, _ = match3()
    assert MatchLabel.decode(rated.label).rated and not MatchLabel.decode(unrated.label).rated
    assert json.loads(rated.label) == {"protocol": 4, "open": 0, "game": 1, "rated": 1}


def test_a_rated_game_updates_both_standings_and_tells_declared_players_first():
    veteran = Standing(Rating(1700.0, 80.0, 0.059), wins=20, losses=5, draws=9)
    ledger = Ledger(bob=veteran)
    match, rec, _ = match3(protocols=("3", "2"), ledger=ledger, rated=True)
    play(match, WIN[:-1])
    rec.take()
    play(match, WIN[-1:])  # ann (new) beats bob (1700)
    log = rec.take()
    kinds = [(e[0], e[1] if e[0] == "send" else None) for e in log]
    assert kinds[0] == ("record", None) and kinds[1] == ("send", OP_RATING)  # stored, then op 7, then the states
    (record,) = [e[1] for e in log if e[0] == "record"]
    expected = rate_game(Rating(), veteran.rating, RatingResult.WIN)
    assert record.standings.rated and record.standings.before == (Standing(), veteran)
    ann_after, bob_after = record.standings.after
    assert ann_after.rating == expected.first.after and bob_after.rating == expected.second.after
    assert (ann_after.wins, ann_after.losses, bob_after.losses, bob_after.wins) == (1, 0, 6, 20)
    assert ann_after.last_game == bob_after.last_game == "m1/1"
    (to, data), = sent(log, OP_RATING)
    assert to == ("s-ann",)  # bob's client is at revision 2: no op 7
    news = decode_rating_news(data)
    assert news.game == 1 and news.of("u-ann").delta == expected.first.delta > 0
    bob_news = news.of("u-bob")
    assert (bob_news.after.rating, bob_news.after.wins, bob_news.after.losses) == (bob_after.rating, 20, 6)
    assert news.of("u-ann").provisional and news.of("u-ann").text == f"+{expected.first.delta}"
    assert ledger.standing("u-ann") == ann_after


def test_the_state_shows_both_ratings_from_the_start_of_the_game_to_declared_players():
    ledger = Ledger(bob=Standing(Rating(1623.4, 90.0, 0.06)))
    match, rec, _ = match3(protocols=("3", "2"), ledger=ledger, rated=True)
    move(match, ANN, 2, 2)
    log = rec.take()
    ann, bob = views(log, ANN)[0], views(log, BOB)[0]
    assert [r.label for r in ann.ratings] == ["1500?", "1623"]
    assert bob.ratings == (None, None)


def test_an_unrated_match_records_no_standings_and_sends_no_rating():
    match, rec, _ = match3(ledger=Ledger())
    play(match, DRAW)
    log = rec.take()
    assert [e[1].standings for e in log if e[0] == "record"] == [None] and sent(log, OP_RATING) == []
    assert views(log, ANN)[0].ratings == (None, None)


def test_an_aborted_rated_game_changes_no_rating_and_counts_the_abort():
    ledger = Ledger()
    match, rec, clock = match3(ledger=ledger, rated=True)
    clock.advance(10)
    match.tick()
    log = rec.take()
    (record,) = [e[1] for e in log if e[0] == "record"]
    assert not record.standings.rated and sent(log, OP_RATING) == []
    assert ledger.standing("u-ann") == Standing(aborts_in_a_row=1, last_game="m1/1")
    assert ledger.standing("u-bob") == Standing(last_game="m1/1")


def test_an_abort_in_an_earlier_rated_match_makes_the_next_one_a_leave():
    ledger = Ledger(ann=Standing(aborts_in_a_row=1))
    match, rec, clock = match3(ledger=ledger, rated=True)
    clock.advance(10)
    match.tick()
    log = rec.take()
    (record,) = [e[1] for e in log if e[0] == "record"]
    assert (record.termination, record.winner) == (Termination.OPPONENT_LEFT, 2) and record.standings.rated
    assert gone(log)[0][1]["reason"] == "aborted" and match.ended
    assert ledger.standing("u-ann").losses == 1 and ledger.standing("u-ann").aborts_in_a_row == 2
    assert len(sent(log, OP_RATING)) == 1


def test_leaving_a_rated_game_is_a_rated_loss_told_to_the_one_who_stayed():
    ledger = Ledger()
    match, rec, _ = match3(ledger=ledger, rated=True)
    move(match, ANN, 2, 2)
    rec.take()
    match.leave(ANN, LeaveReason.LEFT)
    log = rec.take()
    assert [to for to, _ in sent(log, OP_RATING)] == [("s-bob",)]
    assert ledger.standing("u-ann").losses == 1 and ledger.standing("u-bob").wins == 1
    assert ledger.standing("u-ann").aborts_in_a_row == 0  # she made a move in that game


def test_a_player_back_after_a_rated_claim_gets_the_rating_change_too():
    match, rec, clock = match3(ledger=Ledger(), rated=True)
    match.leave(BOB, LeaveReason.DISCONNECTED)
    clock.advance(10)
    claim(match, ANN)
    first = sent(rec.take(), OP_RATING)
    assert [to for to, _ in first] == [("s-ann",)]
    match.join_attempt(BOB2, {"protocol": "3"})
    match.join(BOB2)
    log = rec.take()
    assert sent(log, OP_RATING) == [(("s-bob-2",), first[0][1])]
    assert views(log, BOB2)[0].termination is Termination.CLAIMED


def test_the_seat_status_names_a_held_seat_and_its_time():
    match, _, clock = match3()
    assert match.seat_status("u-bob") == ("seated", 0.0)
    match.leave(BOB, LeaveReason.DISCONNECTED)
    clock.advance(6)
    assert match.seat_status("u-bob") == ("held", 14.0)
    assert match.seat_status("u-eve") == ("", 0.0)

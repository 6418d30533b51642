"""The board's model alone, without pygame: events and clock times in, what a player would read out."""

from __future__ import annotations

from game.bot import Level
from game.refusal import Refusal
from game.rules import Board, Result, Termination
from game.xoxo import MatchLabel, RematchMode
from net.messages import (
    LeaveMatch,
    MoveRejected,
    RequestRematch,
    SendMove,
    ServerMessage,
)
from tests.ui.matchstates import WIN, online, played, state
from ui.boardmodel import BoardModel
from ui.results import GameMode


def test_whose_turn_and_the_turn_timer_run_on_from_the_state():
    model = online()
    state(model, Board.new(1), turn_seconds_left=12.5, turn_seconds=30)
    assert model.status_text == "Your turn  ·  13 s" and model.can_move
    model.tick(102.0)
    assert model.status_text == "Your turn  ·  11 s"
    assert model.place(1, 1) == SendMove(1, 1)
    assert model.place(1, 2) is None, "one move at a time: the first one's answer has not come"
    state(model, played([(1, 1)]), turn_seconds_left=30, turn_seconds=30)
    assert model.status_text == "Waiting for Alice…  ·  30 s" and model.last_move == (1, 1)
    assert model.moves == [(1, 1, 1)]


def test_a_move_that_cannot_be_is_explained_once_and_the_notice_goes_when_it_stops_being_true():
    model = online()
    state(model, played([(2, 2)]))  # Alice's turn
    assert model.place(1, 1) is None and model.toast_text == Refusal.NOT_YOUR_TURN.text
    state(model, played([(2, 2), (1, 1)]))  # now it is ours
    assert model.toast_text is None, "'Wait for your turn' went when the turn came"
    assert model.place(2, 2) is None and model.toast_text == "That square is taken"
    assert model.place(4, 1) is None and model.toast_text == Refusal.OUT_OF_BOUNDS.text  # the rules' own check
    model.apply(MoveRejected(Refusal.OTHER, "the server's own words"))
    assert model.toast_text == "the server's own words"
    model.tick(200.0)
    assert model.toast_text is None


def test_rematch_by_consent_shows_who_asked_and_the_time_to_decide():
    model = online()
    state(model, played(WIN), rematch_countdown=7, rematch_mode=RematchMode.CONSENT)
    assert model.banner_text == "You won" and model.view.result is Result.WIN
    assert model.detail_text == "Three in a row!  ·  7 s to decide"
    state(model, played(WIN), rematch_countdown=6, rematch_asked=(False, True), rematch_mode=RematchMode.CONSENT)
    assert model.detail_text == "Three in a row!  ·  Alice wants a rematch  ·  6 s to decide"
    assert model.rematch_label == "Accept rematch"
    assert model.request_rematch() == RequestRematch()
    assert model.request_rematch() is None, "asked once"
    assert model.rematch_label == "Waiting for Alice" and model.waiting_for_rematch
    assert model.summaries[-1].to_json() == {
        "mode": "online", "level": None, "mark": "X", "result": "win", "moves": 5, "first": "X", "you": "Me",
        "opponent": "Alice",
    }


def test_a_stock_xoxo_server_counts_down_by_itself_and_takes_no_requests():
    model = online(MatchLabel())  # label "": plain XOXO
    state(model, played(WIN), rematch_countdown=9)
    assert not model.can_rematch and model.request_rematch() is None
    assert model.detail_text == "Three in a row!  ·  Next game starts in 9 s"


def test_leaving_a_game_in_progress_forfeits_it_against_a_person_and_against_the_bot_once_we_moved():
    bot = BoardModel(mode=GameMode.BOT, level=Level.EASY)
    state(bot, Board.new(1))
    assert not bot.leaving_forfeits and bot.forfeit() is None, "no move made yet: not worth counting"
    bot.place(2, 2)
    state(bot, played([(2, 2)]))
    assert bot.leaving_forfeits
    model = online()
    state(model, Board.new(1))
    assert model.leaving_forfeits, "the server counts it as a loss at once"
    lost = model.forfeit()
    assert lost is not None and lost.result is Result.LOSS and lost.termination is Termination.OPPONENT_LEFT
    assert model.leave() == LeaveMatch() and model.leave() is None


def test_a_server_message_shows_for_a_while_without_pausing_play():
    model = online()
    state(model, Board.new(1))
    model.apply(ServerMessage("The server sent\\na state this game does not understand"))
    assert model.server_message_text == "Server: The server sent\\na state this game does not understand"
    assert not model.paused and model.place(2, 2) == SendMove(2, 2)
    model.tick(107.0)
    assert model.server_message_text is None


def test_score_counts_wins_and_draws_and_moves_seen_together_get_a_possible_order():
    model = BoardModel(mode=GameMode.BOT, level=Level.EASY)
    state(model, played(WIN))
    assert model.score == {1: 1, 2: 0, 0: 0} and model.summaries[0].moves == tuple((r, c, p) for (r, c), p in
                                                                                   zip(WIN, [1, 2, 1, 2, 1], strict=True))
    draw = [(1, 1), (1, 2), (1, 3), (2, 2), (3, 2), (2, 1), (2, 3), (3, 3), (3, 1)]
    state(model, played(draw, first=1), game=2)
    assert model.score == {1: 1, 2: 0, 0: 1}
    assert model.score_text == "You 1  ·  Alice 0  ·  Draws 1"
    model.summaries[-1].positions()  # whatever order the marks came in, the game replays

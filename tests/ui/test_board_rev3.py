"""The networked board with revision 3's events from a scripted source: ratings beside the names and the change after a
rated game, an absent opponent's seat hold counting down and the claim buttons, an aborted game, the window closed
mid-game (asked, Enter keeps playing) and a stop request (leaves without asking), each recorded in History."""

from __future__ import annotations

from collections.abc import Iterator

import pygame
import pytest

from game.rating import Rating
from game.rules import Board, Termination
from game.standing import Standing
from game.xoxo import PROTOCOL, AwayClock, GoneReason, MatchLabel, PlayerRating, RematchMode, ShownRating
from net.messages import (
    CallDraw,
    ClaimAvailable,
    ClaimWin,
    ConnectionLost,
    LeaveMatch,
    OpponentAway,
    OpponentLeft,
    RatingChanged,
)
from tests.ui.test_board_events import ALICE, ME, WIN, FakeTrip, ScriptedMatch
from ui.netboardmodel import NetBoardModel
from ui.pilot import Pilot
from ui.results import GameMode
from ui.screens.confirm import ConfirmScreen
from ui.screens.menu import MenuScreen
from ui.screens.netboard import NetBoardScreen

RATED = MatchLabel(PROTOCOL, rated=True)


def board_with(pilot: Pilot, label: MatchLabel) -> tuple[NetBoardScreen, ScriptedMatch]:
    match, trip = ScriptedMatch(), FakeTrip()
    pilot.app.add_source(match)
    screen = NetBoardScreen(trip, match, NetBoardModel(mode=GameMode.ONLINE, label=label))
    pilot.app.push(screen)
    return screen, match


@pytest.fixture
def rated(pilot: Pilot) -> Iterator[tuple[Pilot, NetBoardScreen, ScriptedMatch]]:
    screen, match = board_with(pilot, RATED)
    match.state(Board.new(1), ratings=(ShownRating(1508, True), ShownRating(1623, False)))
    pilot.step()
    yield pilot, screen, match


def change(me_before: float, me_after: float, them_before: float, them_after: float) -> RatingChanged:
    def line(who, before, after, deviation):
        return PlayerRating(who.user_id, who.username, Standing(Rating(before, 300.0)), Standing(Rating(after, deviation)))

    return RatingChanged(1, line(ME, me_before, me_after, 290.0), line(ALICE, them_before, them_after, 100.0))


def test_a_rated_board_shows_both_ratings_then_the_change_after_the_game(rated) -> None:
    pilot, screen, match = rated
    model = screen.model
    assert (model.rating_label(1), model.rating_label(2)) == ("1508?", "1623")
    board = Board.new(1)
    for move in WIN:
        board = board.play(*move)
    match.deliver(change(1508.2, 1516.0, 1623.0, 1616.4))  # op 7 comes just before the final state
    match.state(board, ratings=(ShownRating(1508, True), ShownRating(1623, False)))
    pilot.step()
    assert (model.rating_label(1), model.rating_label(2)) == ("1516? +8", "1616 \u22127")
    assert model.banner_text == "You won"


def test_an_unrated_match_shows_no_ratings_even_if_the_state_had_them(pilot: Pilot) -> None:
    screen, match = board_with(pilot, MatchLabel(PROTOCOL))  # a friend code's match: not rated
    match.state(Board.new(1), ratings=(ShownRating(1508, True), ShownRating(1623, False)))
    pilot.step()
    assert screen.model.rating_label(1) is None and screen.model.rating_label(2) is None


def test_an_absent_opponents_hold_counts_down_and_the_claim_buttons_come_when_the_server_allows(rated) -> None:
    pilot, screen, match = rated
    pilot.click_cell(2, 2)
    away = AwayClock(seconds_left=20.0, seconds=20.0, claim_seconds_left=10.0)
    match.deliver(OpponentAway("Alice", 20.0, 20.0, 10.0))
    match.state(Board.new(1).play(2, 2), opponent_connected=False, away=away)
    pilot.step()
    absence = screen.model.absence
    assert absence.title("?") == "Alice is away" and absence.held_text(pilot.now) == "Their seat is held 20 s more"
    assert absence.claim_text(pilot.now) == "You may claim the win in 10 s if they stay away."
    assert screen.button_labels == ["Leave"], "no claim before half the hold"
    pilot.advance(4.0)
    assert absence.held_text(pilot.now) == "Their seat is held 16 s more", "the client counts down between states"
    assert screen.next_deadline() is not None and screen.next_deadline() <= pilot.now + 1.0
    match.deliver(ClaimAvailable("Alice", 10.0))
    pilot.step()
    assert screen.button_labels == ["Claim the win", "Call it a draw", "Leave"]
    assert absence.claim_text(pilot.now) == "Claim the win or call it a draw, or keep waiting."
    assert screen.hint_text == "Tab to claim the win or call a draw  ·  Esc leave"
    pilot.press("return")
    assert ClaimWin() not in match.sent, "Enter claims nothing before the player tabs to the button"
    pilot.click("Claim the win")
    assert match.sent[-1] == ClaimWin()
    assert screen.button_labels == ["Leave"], "claimed once: the server decides now"


def test_calling_a_draw_and_the_opponent_coming_back_takes_the_buttons_away(rated) -> None:
    pilot, screen, match = rated
    match.deliver(OpponentAway("Alice", 2.0, 4.0, 0.0), ClaimAvailable("Alice", 2.0))
    match.state(Board.new(1), opponent_connected=False, away=AwayClock(2.0, 4.0, 0.0))
    pilot.step()
    pilot.press("tab")
    assert screen.buttons.focus.label == "Claim the win", "the first Tab: the claim"
    pilot.press("tab")
    assert screen.buttons.focus.label == "Call it a draw"
    pilot.press("return")
    assert match.sent[-1] == CallDraw()
    screen, match = board_with(pilot, RATED)  # another board: the opponent comes back before any claim
    match.deliver(OpponentAway("Alice", 2.0, 4.0, 0.0), ClaimAvailable("Alice", 2.0))
    match.state(Board.new(1), opponent_connected=False, away=AwayClock(2.0, 4.0, 0.0))
    pilot.step()
    assert "Claim the win" in screen.button_labels
    match.state(Board.new(1))
    pilot.step()
    assert screen.button_labels == ["Leave"] and screen.model.absence.hold is None


def test_an_aborted_game_has_no_winner_and_counts_for_nobody(rated) -> None:
    pilot, screen, match = rated
    match.state(Board.new(1).finish(Termination.ABORTED, None), aborted_by=2, rematch_mode=RematchMode.OPEN)
    pilot.step()
    model = screen.model
    assert model.banner_text == "Game aborted"
    assert model.detail_text == "Alice never made a first move"
    assert model.score == {1: 0, 2: 0, 0: 0} and pilot.app.summaries[-1].result is None
    assert screen.button_labels == ["Rematch", "Leave"], "the offer of the next game stays open"


def test_closing_the_window_mid_game_asks_and_enter_keeps_playing(rated) -> None:
    pilot, screen, match = rated
    pilot.post([pygame.event.Event(pygame.QUIT)])
    question = pilot.screen
    assert isinstance(question, ConfirmScreen) and pilot.app.running
    assert (question.question, question.consequence) == ("Leave this game?",
                                                         "It counts as a loss, and ends the match for Alice.")
    assert question.buttons.focus.label == "Keep playing" and question.buttons.focus.style.value == "primary"
    pilot.press("return")
    assert pilot.screen is screen and pilot.app.running and LeaveMatch() not in match.sent
    pilot.post([pygame.event.Event(pygame.QUIT)])
    pilot.click("Leave and quit")
    assert not pilot.app.running and match.sent[-1] == LeaveMatch()
    assert [s.result for s in pilot.app.summaries] == ["loss"] and pilot.app.userdata.history[0].result == "loss"


def test_closing_the_window_twice_while_asked_leaves(rated) -> None:
    pilot, _screen, match = rated
    pilot.press("escape")  # Esc's question first; the window's close takes its place
    pilot.post([pygame.event.Event(pygame.QUIT)])
    assert isinstance(pilot.screen, ConfirmScreen) and pilot.screen.yes_button.label == "Leave and quit"
    pilot.post([pygame.event.Event(pygame.QUIT)])
    assert not pilot.app.running and match.sent[-1] == LeaveMatch()
    assert pilot.app.userdata.history[0].result == "loss"


def test_a_stop_request_leaves_the_game_without_asking_and_records_the_loss(rated) -> None:
    pilot, _screen, match = rated
    pilot.app.request_leave()  # what the SIGTERM handler does
    pilot.step()
    assert not pilot.app.running and match.sent[-1] == LeaveMatch()
    assert pilot.app.userdata.history[0].result == "loss"


def test_closing_the_window_on_the_menu_quits_at_once(pilot: Pilot) -> None:
    assert isinstance(pilot.screen, MenuScreen)
    pilot.post([pygame.event.Event(pygame.QUIT)])
    assert not pilot.app.running


def test_the_screen_after_a_rated_match_says_the_rating_change_of_its_last_game(pilot: Pilot) -> None:
    match, trip = ScriptedMatch(), FakeTrip()
    pilot.app.add_source(match)
    pilot.app.push(NetBoardScreen(trip, match, NetBoardModel(mode=GameMode.ONLINE, label=RATED)))
    match.state(Board.new(1).play(2, 2), ratings=(ShownRating(1500, True), ShownRating(1500, True)))
    pilot.step()
    match.deliver(change(1500.0, 1662.3, 1500.0, 1337.7))
    match.state(Board.new(1).play(2, 2).finish(Termination.OPPONENT_LEFT, winner=1))
    match.deliver(OpponentLeft("Alice", GoneReason.DISCONNECTED))
    pilot.step()
    name, args = trip.calls[-1]
    assert name == "opponent_left"
    assert args[2] == "Final score: You 1  ·  Alice 0  ·  Draws 0. Your rating: 1662? (+162)."


def test_leaving_while_the_line_is_down_does_not_promise_what_the_server_will_say(rated) -> None:
    pilot, _screen, match = rated
    match.deliver(ConnectionLost("the socket closed", 1, 0.5))
    pilot.step()
    pilot.press("escape")
    assert pilot.screen.consequence == "If the game is still on, it counts as a loss."

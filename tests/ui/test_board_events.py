"""The networked board screen with every event the network can deliver, from a scripted source.

The network bridge is built elsewhere; here a scripted source stands in for it. It
delivers real op 2 payloads (encoded by the host's own ``encode_state`` and decoded by
``net.messages.match_events``) through the App's event-source door, and records the
commands the screen sends; a fake trip records where the screen hands over.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from game.rules import Board, Termination
from game.xoxo import OP_STATE, PROTOCOL, GoneReason, MatchLabel, Presence, RematchMode, encode_state
from net.messages import (
    Command,
    ConnectionLost,
    Event,
    LeaveMatch,
    OpponentLeft,
    RequestRematch,
    SendMove,
    match_events,
)
from ui.i18n import L_
from ui.netboardmodel import NetBoardModel
from ui.pilot import Pilot
from ui.results import GameMode
from ui.screens.confirm import ConfirmScreen
from ui.screens.netboard import NetBoardScreen
from ui.screens.netkit import Choice

ME = Presence("u-me", "s-me", "Me")
ALICE = Presence("u-alice", "s-alice", "Alice")
WIN = [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)]


class ScriptedMatch:
    """Stands in for the network bridge: events to deliver, and the commands it was sent."""

    def __init__(self) -> None:
        self.sent: list[Command] = []
        self._pending: list[Event] = []

    def send(self, command: Command) -> None:
        self.sent.append(command)

    def poll(self) -> list[Event]:
        out, self._pending = self._pending, []
        return out

    def deliver(self, *events: Event) -> None:
        self._pending.extend(events)

    def state(self, board: Board, game: int = 1, **extra: Any) -> None:
        """Deliver an op 2 state for us (player 1) exactly as the host would send it."""
        payload = encode_state(board, (ME, ALICE), you=1, game=game, **extra)
        self.deliver(*match_events(OP_STATE, payload, ME.user_id))


class FakeTrip:
    """Records what the board hands over to when the match ends."""

    joined_lan = False

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def __getattr__(self, name: str):
        return lambda *args, **kw: self.calls.append((name, args))

    def play_on_choices(self, online_label: object = None) -> list[Choice]:
        return [Choice(L_("Find a new opponent"), lambda: self.calls.append(("find_again", ()))),
                Choice(L_("Menu"), lambda: self.calls.append(("home", ())))]


def won_by_leaving() -> Board:
    """Our win because Alice left in the middle of the game (the server's final state before its op 5)."""
    return Board.new(1).play(2, 2).finish(Termination.OPPONENT_LEFT, winner=1)


def won() -> Board:
    board = Board.new(1)
    for move in WIN:
        board = board.play(*move)
    return board


@pytest.fixture
def online(pilot: Pilot) -> Iterator[tuple[Pilot, NetBoardScreen, ScriptedMatch, FakeTrip]]:
    match, trip = ScriptedMatch(), FakeTrip()
    pilot.app.add_source(match)  # the bridge is always polled; the screen does not own it
    screen = NetBoardScreen(trip, match, NetBoardModel(mode=GameMode.ONLINE, label=MatchLabel(PROTOCOL)))
    pilot.app.push(screen)
    match.state(Board.new(1), turn_seconds_left=12.5, turn_seconds=30)
    pilot.step()
    yield pilot, screen, match, trip


def test_states_reach_the_board_and_clicks_become_moves(online) -> None:
    pilot, screen, match, _ = online
    assert screen.view is not None and screen.view.name_of(2) == "Alice" and screen.view.you == 1
    assert screen.model.status_text == "Your turn  ·  13 s"
    pilot.click_cell(1, 1)
    pilot.click_cell(1, 2)  # the answer to the first move has not come yet: nothing more is sent
    assert match.sent == [SendMove(1, 1)]
    assert screen.hint_text == "Wait for your turn  ·  Esc leave"


def test_after_rematch_the_focus_stays_on_it_so_a_second_enter_never_leaves(online) -> None:
    pilot, screen, match, _ = online
    match.state(won(), rematch_countdown=10, rematch_mode=RematchMode.CONSENT)
    pilot.step()
    assert screen.button_labels == ["Rematch", "Leave"] and screen.buttons.focus.label == "Rematch"
    pilot.press("return")
    assert match.sent[-1] == RequestRematch()
    assert screen.button_labels == ["Waiting for Alice", "Leave"]
    assert screen.buttons.focus.label == "Waiting for Alice"
    pilot.press("return")  # pressed again: nothing more is asked, and nobody leaves
    assert match.sent.count(RequestRematch()) == 1 and LeaveMatch() not in match.sent
    assert pilot.screen is screen


def test_the_opponent_asking_first_is_shown_and_accepted_with_one_key(online) -> None:
    pilot, screen, match, _ = online
    match.state(won(), rematch_countdown=10, rematch_asked=(False, True), rematch_mode=RematchMode.CONSENT)
    pilot.step()
    assert "Alice wants a rematch" in screen.model.detail_text
    assert screen.button_labels == ["Accept rematch", "Leave"]
    pilot.press("r")
    assert match.sent[-1] == RequestRematch()


def test_the_reconnecting_card_says_what_is_true_and_no_move_is_offered(online) -> None:
    pilot, screen, match, _ = online
    match.deliver(ConnectionLost("the socket closed", attempt=2, retry_in=4.0))
    pilot.step()
    assert screen.held_text.startswith("The server holds your seat")  # its label declares that it does
    assert screen.hint_text == "Play waits  ·  Esc leave"
    pilot.click_cell(2, 2)
    assert match.sent == []
    screen.model.label = MatchLabel()  # a stock XOXO server holds no seat: the card must not promise one
    assert screen.held_text.startswith("This server does not hold seats")


def test_leaving_mid_game_asks_and_says_it_ends_the_match_for_the_opponent(online) -> None:
    pilot, _screen, match, trip = online
    pilot.click_cell(2, 2)
    match.state(Board.new(1).play(2, 2))
    pilot.step()
    pilot.press("escape")
    question = pilot.screen
    assert isinstance(question, ConfirmScreen)
    assert question.consequence == "It counts as a loss, and ends the match for Alice."
    pilot.click("Leave")
    assert match.sent[-1] == LeaveMatch() and ("end", ()) in trip.calls
    assert pilot.app.summaries[-1].result == "loss"


def test_an_opponent_who_left_mid_game_hands_over_with_the_final_score(online) -> None:
    pilot, _screen, match, trip = online
    match.state(won_by_leaving())
    pilot.step()
    match.deliver(OpponentLeft("Alice", GoneReason.LEFT))
    pilot.step()
    name, args = trip.calls[-1]
    assert name == "opponent_left" and args[:2] == ("Alice", GoneReason.LEFT)
    assert args[2] == "Final score: You 1  ·  Alice 0  ·  Draws 0."


def test_an_opponent_who_leaves_after_a_game_leaves_its_result_on_screen_with_who_and_why(online) -> None:
    pilot, screen, match, trip = online
    match.state(won(), rematch_mode=RematchMode.OPEN)
    pilot.step()
    assert screen.button_labels == ["Rematch", "Leave"]
    match.deliver(OpponentLeft("Alice", GoneReason.DECLINED))
    pilot.step()
    pilot.advance(30.0)  # nothing moves it on: the player acts
    assert pilot.screen is screen and not [c for c in trip.calls if c[0] == "opponent_left"]
    assert screen.model.banner_text == "You won"
    assert screen.model.detail_text == "Three in a row!" and screen.model.status_text == "Alice left instead of playing again"
    assert screen.button_labels == ["Find a new opponent", "Menu"] and screen.buttons.focus.label == "Find a new opponent"
    assert screen.hint_text == "Enter chooses  ·  Esc menu"
    pilot.press("return")
    assert trip.calls[-1] == ("find_again", ()) and ("end", ()) not in trip.calls, "the trip goes on: a new search"

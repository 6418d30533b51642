"""The board screen with a networked match: every event the network can deliver, from any event source.

The network bridge is built elsewhere; here a scripted source stands in for it. It
delivers real op 2 payloads (encoded by the host's own ``encode_state`` and decoded by
``net.messages.match_events``) through the App's event-source door, and records the
commands the screen sends.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from game.rules import Board, Termination
from game.ui.pilot import Pilot
from game.ui.screens.board import BoardScreen
from game.ui.screens.menu import MenuScreen
from game.xoxo import OP_STATE, Presence, encode_state
from net.messages import (
    Command,
    ConnectionLost,
    Event,
    LeaveMatch,
    MatchGone,
    OpponentAway,
    OpponentLeft,
    Reconnected,
    RequestRematch,
    SendMove,
    ServerMessage,
    match_events,
)

ME = Presence("u-me", "s-me", "Me")
ALICE = Presence("u-alice", "s-alice", "Alice")


class ScriptedMatch:
    """Stands in for the network bridge: events to deliver, and the commands it was sent.

    Like the bridge it has only ``send`` and ``poll`` (it would call ``App.wake`` when
    events arrive from its thread), no ``next_wakeup``, ``mode`` or ``level``.
    """

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

    def state(self, board: Board, game: int = 1, **extra: object) -> None:
        """Deliver an op 2 state for us (player 1) exactly as the host would send it."""
        payload = encode_state(board, (ME, ALICE), you=1, game=game, **extra)  # type: ignore[arg-type]
        self.deliver(*match_events(OP_STATE, payload, ME.user_id))


@pytest.fixture
def online(pilot: Pilot) -> Iterator[tuple[Pilot, BoardScreen, ScriptedMatch]]:
    match = ScriptedMatch()
    pilot.app.add_source(match)  # the bridge is always polled; the screen does not own it
    screen = BoardScreen(match)
    pilot.app.push(screen)
    match.state(Board.new(1), turn_seconds_left=12.5, turn_seconds=30)
    pilot.step()
    yield pilot, screen, match


def test_states_from_any_source_reach_the_board_with_names_turn_and_timer(online) -> None:
    pilot, screen, match = online
    assert screen.view is not None and screen.view.name_of(2) == "Alice" and screen.view.you == 1
    assert screen.status_text == "Your turn  ·  13 s"
    pilot.advance(2.0)
    assert screen.status_text == "Your turn  ·  11 s"
    pilot.click_cell(1, 1)
    assert match.sent == [SendMove(1, 1)]
    pilot.click_cell(1, 2)  # the answer to the first move has not come yet: nothing more is sent
    assert match.sent == [SendMove(1, 1)]
    match.state(Board.new(1).play(1, 1), turn_seconds_left=30, turn_seconds=30)
    pilot.step()
    assert screen.status_text == "Waiting for Alice…  ·  30 s"
    assert screen.last_move == (1, 1)


def test_an_opponent_who_drops_pauses_the_board_until_they_are_back(online) -> None:
    pilot, screen, match = online
    match.deliver(OpponentAway("Alice"))
    pilot.step()
    assert screen.notice_text == "Alice disconnected — waiting"
    assert screen.status_text == "Game paused"
    pilot.click_cell(2, 2)
    assert match.sent == [], "no moves while the game is paused"
    match.state(Board.new(1), turn_seconds_left=20, turn_seconds=30, opponent_connected=True)
    pilot.step()
    assert screen.notice_text is None
    # The state itself can say so too.
    match.state(Board.new(1), turn_seconds_left=20, turn_seconds=30, opponent_connected=False)
    pilot.step()
    assert screen.notice_text == "Alice disconnected — waiting"


def test_a_lost_connection_counts_down_to_the_retry_and_clears_on_reconnect(online) -> None:
    pilot, screen, match = online
    match.deliver(ConnectionLost("the socket closed", attempt=2, retry_in=4.0))
    pilot.step()
    assert screen.notice_text == "Connection lost — retrying in 4 s"
    pilot.advance(1.5)
    assert screen.notice_text == "Connection lost — retrying in 3 s"
    match.deliver(Reconnected(rejoined=True))
    pilot.step()
    assert screen.notice_text is None and screen.toast_text == "Reconnected"


def test_a_finished_online_game_shows_the_result_and_the_rematch_countdown(online) -> None:
    pilot, screen, match = online
    board = Board.new(1)
    for move in [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)]:
        board = board.play(*move)
    match.state(board, rematch_countdown=7)
    pilot.step()
    assert screen.banner_text == "You won"
    assert screen.detail_text == "Three in a row!  ·  Next game in 7 s"
    pilot.advance(2.0)
    assert screen.detail_text.endswith("Next game in 5 s")
    pilot.click("Rematch")
    assert match.sent[-1] == RequestRematch()
    assert screen.button_labels == ["Waiting for opponent…", "Menu"]
    pilot.press("r")
    assert match.sent.count(RequestRematch()) == 1, "asked once"
    assert pilot.app.summaries[-1].to_json() == {
        "mode": "online", "level": None, "mark": "X", "result": "win", "moves": 5, "first": "X",
    }


def test_a_timeout_loss_and_an_opponent_who_left(online) -> None:
    pilot, screen, match = online
    match.state(Board.new(1).finish(Termination.TIMEOUT, 2), rematch_countdown=10)
    pilot.step()
    assert screen.banner_text == "You lost" and screen.detail_text.startswith("You ran out of time")
    match.deliver(OpponentLeft("Alice", "left"))
    pilot.step()
    assert screen.notice_text == "Alice left — this match is over"
    assert screen.button_labels == ["Menu"], "no rematch without an opponent"
    assert "Next game" not in screen.detail_text


def test_a_server_message_shows_for_a_while_and_the_player_to_move_still_plays(online) -> None:
    pilot, screen, match = online
    match.deliver(ServerMessage("Server shutting down\nin 30 seconds"))
    pilot.step()
    assert screen.server_message_text == "Server: Server shutting down in 30 seconds"
    assert screen.notice_text is None and screen.status_text == "Your turn  ·  13 s", "the game is not paused"
    pilot.click_cell(2, 2)  # a stock XOXO server sends no state after its message: the move must go out
    assert match.sent == [SendMove(2, 2)]
    match.state(Board.new(1).play(2, 2), turn_seconds_left=30, turn_seconds=30)
    pilot.step()
    match.state(Board.new(1).play(2, 2).play(1, 1), turn_seconds_left=30, turn_seconds=30)
    pilot.step()
    pilot.press("3")  # keys reach the board too
    assert match.sent == [SendMove(2, 2), SendMove(3, 3)]
    assert screen.server_message_text is not None, "states do not hide the message before it was read"
    pilot.advance(6.5)
    assert screen.server_message_text is None and screen.server_message is None


def test_server_messages_and_a_vanished_match_leave_only_the_way_back(online) -> None:
    pilot, screen, match = online
    match.deliver(ServerMessage("Server shutting down"))
    pilot.step()
    assert screen.server_message_text == "Server: Server shutting down"
    match.deliver(MatchGone("The match ended while you were away"))
    pilot.step()
    assert screen.notice_text == "The match ended while you were away"
    assert screen.button_labels == ["Menu"] and screen.status_text == "Match over"
    pilot.click("Menu")
    assert match.sent == [LeaveMatch()]
    assert isinstance(pilot.screen, MenuScreen)
    assert match in pilot.app.sources, "a source the screen does not own stays registered"

"""Playing online, end to end: real Apps driven by pilots, each with its own network thread, against our host.

The host runs on loopback (the net tests' ``RunningHost``); the players sign in through
the login screen, wait on the matchmaking screen, play on the board, and meet what the
network can do to them: an opponent who leaves, a dropped connection, a server that
goes away, a wrong key, a server that accepts and never answers.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from tests.net.standins import LoopThread, TcpRelay
from tests.ui.netpilot import (
    HostOnThread,
    board_ready,
    fill,
    first_mover,
    launch,
    on,
    play_line,
    run_until,
    sign_in,
)
from ui.pilot import Pilot
from ui.screens.connection import MatchEndedScreen
from ui.screens.login import LoginScreen
from ui.screens.matchmaking import MatchmakingScreen
from ui.screens.menu import MenuScreen
from ui.userdata import UserData
from ui.widgets import ButtonStyle


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostOnThread]:
    h = HostOnThread.start(tmp_path / "host", rematch_seconds=None)
    yield h
    h.close()


def player(pilots: list[Pilot], tmp_path: Path, name: str) -> Pilot:
    pilot = launch(tmp_path / name)
    pilots.append(pilot)
    return pilot


def matched_pair(
    pilots: list[Pilot], tmp_path: Path, server: str, names: tuple[str, str] = ("ann", "bob"), *, b_server: str = ""
) -> tuple[Pilot, Pilot]:
    """Two players signed in (the second at ``b_server`` if given, e.g. the host itself past a relay) and matched."""
    a, b = player(pilots, tmp_path, names[0]), player(pilots, tmp_path, names[1])
    sign_in(a, names[0], server)
    sign_in(b, names[1], b_server or server)
    run_until(lambda: board_ready(a) and board_ready(b), a, b, what="both boards")
    return a, b


def test_two_players_sign_in_find_each_other_play_to_a_result_and_rematch(pilots, tmp_path, host) -> None:
    a = player(pilots, tmp_path, "ann")
    b = player(pilots, tmp_path, "bob")
    sign_in(a, "ann", host.address)
    assert isinstance(a.screen, MatchmakingScreen)
    run_until(lambda: a.screen.phase == "searching", a, what="ann searching")
    assert a.screen.status_text == "Looking for an opponent…"
    assert a.screen.server_text == f"Server {host.address}  ·  playing as ann"
    sign_in(b, "bob", host.address)
    run_until(lambda: board_ready(a) and board_ready(b), a, b, what="both boards")

    x, o = first_mover(a, b)
    view = x.screen.view
    assert {view.name_of(1), view.name_of(2)} == {"ann", "bob"} and view.you == 1
    assert x.screen.model.status_text.startswith("Your turn  ·  ") and x.screen.model.status_text.endswith(" s")  # the turn timer
    assert o.screen.model.status_text.startswith(f"Waiting for {view.name_of(1)}…")
    play_line(x, o)
    assert (x.screen.model.banner_text, o.screen.model.banner_text) == ("You won", "You lost")
    assert [s.to_json()["mode"] for s in x.app.summaries] == ["online"]

    for pilot in (x, o):
        pilot.click("Rematch")
    run_until(lambda: x.screen.view.game == 2 and o.screen.view.game == 2, x, o, what="the second game")
    assert not x.screen.model.game_over and o.screen.view.your_turn, "the other player starts the rematch"


def test_the_sign_in_form_checks_its_fields_and_remembers_them(pilots, tmp_path, host) -> None:
    a = player(pilots, tmp_path, "ann")
    a.click("Play online")
    login = a.screen
    assert isinstance(login, LoginScreen)
    assert (login.server_field.text, login.key_field.text) == ("127.0.0.1:7350", "defaultkey")
    assert login.name_field.focused and login.name_field.selected, "a first-time player's suggested name is selected"
    a.press("tab")
    assert login.server_field.focused
    a.press("tab")
    assert login.buttons.focus.label == "Find an opponent" and login.buttons.focus_visible
    a.press("tab", "tab", "tab", "tab", "tab")  # Play a friend, Advanced, Leaderboard, Back
    assert a.app.speaker.focused and not login.focus.current, "after the last button, the speaker in the corner"
    a.press("tab")
    assert login.name_field.focused, "Tab goes round"

    sign_in_screen = a.screen
    a.press("end", *["backspace"] * 10)
    a.press("return")
    assert sign_in_screen.error == "Type your name: it is what your opponent sees."
    assert sign_in_screen.error_field is login.name_field
    a.type("ann")
    login.server_field.text = "localhost:99999"
    a.press("return")
    assert "must be a number from 1 to 65535" in login.error and login.server_field.focused
    assert a.screen is login and not a.app.has_network, "nothing goes on the network until the form is right"

    login.server_field.text = host.address
    a.press("return")
    run_until(lambda: on(a, "matchmaking") and a.screen.phase == "searching", a, what="searching")
    profile = UserData(tmp_path / "ann").profile
    assert (profile.name, profile.server, profile.server_key) == ("ann", host.address, "defaultkey")
    a.press("escape")
    assert isinstance(a.screen, LoginScreen), "cancelling the search goes back to the form it started from"
    a.press("escape")
    assert isinstance(a.screen, MenuScreen)
    a.click("Play online")
    assert a.screen.name_field.text == "ann" and a.screen.server_field.text == host.address


def test_cancelling_matchmaking_withdraws_the_ticket_and_returns_to_the_sign_in_form(pilots, tmp_path, host) -> None:
    a = player(pilots, tmp_path, "ann")
    sign_in(a, "ann", host.address)
    run_until(lambda: a.screen.phase == "searching", a, what="searching")
    assert host.stats().tickets == 1
    a.click("Cancel")
    assert isinstance(a.screen, LoginScreen) and a.screen.server_field.text == host.address, "back to the form, as it was"
    run_until(lambda: host.stats().tickets == 0 and host.stats().connected == 0, a, what="the ticket and socket gone")
    network = a.app.network
    a.press("escape")
    sign_in(a, "ann", host.address)  # a second trip uses the App's one network thread
    run_until(lambda: a.screen.phase == "searching", a, what="searching again")
    assert a.app.network is network and a.app.sources.count(network) == 1


def test_an_opponent_who_leaves_is_named_and_a_new_opponent_can_be_found(pilots, tmp_path, host) -> None:
    a, b = matched_pair(pilots, tmp_path, host.address)
    assert b.screen.button_labels == ["Leave"]
    b.click("Leave")  # bob leaves the match for the menu (asked first: the game is on)
    b.click("Leave")
    assert isinstance(b.screen, MenuScreen)
    run_until(lambda: on(a, "opponent-left"), a, b, what="ann told that bob left")
    left = a.screen
    assert isinstance(left, MatchEndedScreen)
    assert left.title == "bob left" and left.button_labels == ["Find a new opponent", "Menu"]
    assert "Final score: You 1  ·  bob 0  ·  Draws 0." in left.message  # the game in progress counts as ann's win
    a.click("Find a new opponent")
    run_until(lambda: on(a, "matchmaking") and a.screen.phase == "searching", a, b, what="ann searching again")
    c = player(pilots, tmp_path, "cat")
    sign_in(c, "cat", host.address)
    run_until(lambda: board_ready(a) and board_ready(c), a, b, c, what="ann and cat matched")
    assert {a.screen.view.name_of(1), a.screen.view.name_of(2)} == {"ann", "cat"}


def test_a_dropped_connection_shows_the_reconnecting_card_then_the_same_board(pilots, tmp_path, host) -> None:
    with LoopThread() as loop:
        relay = loop.run(TcpRelay(host.port).start())
        # Only ann's connection goes through the relay: cutting it drops her, bob stays connected.
        a, b = matched_pair(pilots, tmp_path, relay.address, b_server=host.address)
        x, _ = first_mover(a, b)
        x.click_cell(2, 2)
        run_until(lambda: a.screen.view.board.at(2, 2) != -1 and b.screen.view.board.at(2, 2) != -1, a, b,
                  what="the first move")
        before = a.screen.view.board.cells
        loop.loop.call_soon_threadsafe(relay.cut)  # ann's network drops; the server is fine
        run_until(lambda: a.screen.model.connection is not None, a, b, what="ann's reconnecting card")
        assert a.screen.model.reconnect_text.startswith("Reconnecting: attempt 1")
        assert a.screen.model.status_text == "Game paused"
        run_until(lambda: a.screen.model.connection is None and a.screen.model.toast_text == "Reconnected", a, b,
                  what="ann back in the match")
        run_until(lambda: b.screen.view.opponent_connected, a, b, what="bob told that ann is back")
        assert b.screen.model.connection is None, "bob's own connection never dropped"
        assert a.screen.view.board.cells == before and on(a, "board") and on(b, "board")
        mover = a if a.screen.view.your_turn else b
        mover.click_cell(1, 1)
        run_until(lambda: a.screen.view.board.at(1, 1) != -1 and b.screen.view.board.at(1, 1) != -1, a, b,
                  what="play going on after the reconnection")
        loop.run(relay.stop())


def test_a_server_that_shuts_down_cleanly_has_its_own_screen_and_no_reconnecting(pilots, tmp_path, host) -> None:
    a, b = matched_pair(pilots, tmp_path, host.address)
    host.stop("Server shutting down")  # plain-text op 2 to every match, then close 1001 to every socket
    run_until(lambda: on(a, "match-ended") and on(b, "match-ended"), a, b, what="the shutdown screens")
    screen = a.screen
    assert isinstance(screen, MatchEndedScreen)
    assert screen.title == "The server shut down"
    assert "\u201cServer shutting down\u201d" in screen.message
    assert screen.button_labels == ["Find a new game", "Menu"]
    menu = screen.buttons.find("Menu")
    assert screen.buttons.focus is menu and menu.style is ButtonStyle.PRIMARY, "a new game there would find it gone"
    a.advance(2.0)
    assert on(a, "match-ended")  # no reconnecting afterwards
    a.press("return")
    assert on(a, "menu")


def test_a_plain_text_notice_mid_game_ends_the_match_with_the_servers_words(pilots, tmp_path, host) -> None:
    a, b = matched_pair(pilots, tmp_path, host.address)

    def notify() -> None:  # what a stock XOXO server sends from match_terminate
        for live in list(host.host.runtime.matches.values()):
            live.match.terminate("Server shutting down in 30 seconds")

    host.call(notify)
    run_until(lambda: on(a, "match-ended") and on(b, "match-ended"), a, b, what="the match-ended screens")
    assert "\u201cServer shutting down in 30 seconds\u201d" in a.screen.message


def test_a_wrong_server_key_goes_back_to_the_form_with_the_key_field_focused(pilots, tmp_path, host) -> None:
    a = player(pilots, tmp_path, "ann")
    sign_in(a, "ann", host.address, key="not-the-key")
    run_until(lambda: on(a, "login") and a.screen.error is not None, a, what="the form again")
    login = a.screen
    assert login.key_field.focused and login.error_field is login.key_field and login.advanced
    assert f"The server at {host.address} did not accept the key \u201cnot-the-key\u201d" in login.error
    assert login.key_field.text == "not-the-key", "the field keeps what was typed"
    a.press("end", *["backspace"] * 20)
    a.type("defaultkey")
    a.press("return")
    run_until(lambda: on(a, "matchmaking") and a.screen.phase == "searching", a, what="searching with the right key")


def test_a_server_that_accepts_and_never_answers_keeps_the_ui_drawing_and_can_be_cancelled(pilots, tmp_path) -> None:
    with socket.socket() as silent:  # the kernel completes the TCP handshake; nobody ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        server = f"127.0.0.1:{silent.getsockname()[1]}"
        a = player(pilots, tmp_path, "ann")
        sign_in(a, "ann", server)
        screen = a.screen
        assert isinstance(screen, MatchmakingScreen) and screen.status_text == f"Connecting to {server}…"
        frames = a.app.frames
        first = pygame.image.tostring(a.snapshot(), "RGB")
        a.advance(0.5)  # real frames, each returning at once while the sign-in hangs
        assert a.app.frames - frames >= 15
        assert pygame.image.tostring(a.snapshot(), "RGB") != first, "the spinner keeps turning"
        assert a.screen is screen and screen.phase == "connecting" and screen.detail_text == "Waiting 0:00"
        a.advance(7.0)
        assert screen.detail_text == "Waiting 0:07"
        a.press("escape")
        assert isinstance(a.screen, LoginScreen)
        network = a.app.network
    pilots.remove(a)
    a.close()
    assert not network.running, "closing the App stops its network thread"


def test_a_name_taken_on_the_server_is_said_plainly_and_another_can_be_chosen(pilots, tmp_path, host) -> None:
    first = player(pilots, tmp_path, "first-ann")
    sign_in(first, "Ann", host.address)  # the name is now Ann's account on this server
    run_until(lambda: on(first, "matchmaking") and first.screen.phase == "searching", first, what="the first Ann searching")
    first.click("Cancel")
    run_until(lambda: host.stats().tickets == 0, first, what="the first Ann's ticket gone")

    a = player(pilots, tmp_path, "second-ann")
    sign_in(a, "Ann", host.address)
    run_until(lambda: on(a, "matchmaking") and a.screen.phase == "searching", a, what="the second Ann searching")
    screen = a.screen
    assert isinstance(screen, MatchmakingScreen)
    assert screen.name_note == "Ann is taken on this server: you play as Ann2"
    assert screen.server_text == f"Server {host.address}", "the note says the name, not the server line"
    assert screen.button_labels == ["Cancel", "Choose another name"]
    a.click("Choose another name")
    assert isinstance(a.screen, LoginScreen)
    assert a.screen.name_field.text == "Ann" and a.screen.server_field.text == host.address
    assert a.screen.error == "Ann is taken on this server: type another name." and a.screen.error_field is a.screen.name_field
    assert a.screen.name_field.selected, "typing replaces the taken name"
    run_until(lambda: host.stats().tickets == 0 and host.stats().connected == 0, a, what="the search withdrawn")
    fill(a, a.screen.name_field, "Anna")
    a.press("return")
    run_until(lambda: on(a, "matchmaking") and a.screen.phase == "searching", a, what="searching as Anna")
    anna = a.screen
    assert isinstance(anna, MatchmakingScreen)
    assert anna.name_note == "" and anna.server_text == f"Server {host.address}  ·  playing as Anna"

"""The defects a real-window session found (issue 23), each where a test can see it: what the player reads, where the
focus and Enter go, and where Cancel and Back lead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from game.phrase import Phrase, counted_phrase
from game.xoxo import GoneReason, RematchMode
from net.messages import Failure, FailureKind
from tests.ui.netpilot import HostOnThread, fill, launch, on, run_until
from tests.ui.screencheck import look_at
from tests.ui.screens_catalogue import net_board
from tests.ui.screens_catalogue import played as board_after
from ui.i18n import say
from ui.lanwords import LAN_COUNTED, LAN_WORDS, for_lan
from ui.pilot import Pilot
from ui.screens.confirm import ConfirmScreen
from ui.screens.friend import FriendScreen
from ui.screens.matchmaking import MatchmakingScreen
from ui.screens.netflow import NetFlow
from ui.screens.trip import TripKind
from ui.widgets import ButtonStyle

NET = Path(__file__).resolve().parents[2] / "net"


def test_a_character_no_code_has_is_explained_at_once_and_the_note_goes_with_the_next_good_one(pilot: Pilot) -> None:
    screen = FriendScreen(on_code=lambda _code: None, on_back=lambda: None, code="K7QXM")
    pilot.app.push(screen)
    pilot.step()
    pilot.click(screen.field.rect.center)
    pilot.type("O0I1L")
    assert screen.field.text == "", "none of them is in a code"
    assert screen.error == "Codes have no O 0 I 1 L: they use A to Z except I, L and O, and 2 to 9."
    pilot.type("ab")
    assert screen.field.text == "ab" and screen.error is None, "the note goes once the field takes something"
    pilot.press("return")
    assert screen.error == "A code has 4 to 6 characters."
    pilot.type("cd")
    assert screen.error is None, "the refusal goes as soon as the code would do"


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostOnThread]:
    h = HostOnThread.start(tmp_path / "host", rematch_seconds=None)
    yield h
    h.close()


def test_cancel_while_waiting_for_a_friend_goes_back_to_the_friend_form_with_the_code_kept(pilots, tmp_path, host) -> None:
    a = launch(tmp_path / "ann")
    pilots.append(a)
    a.click("Play online")
    fill(a, a.screen.name_field, "ann")
    fill(a, a.screen.server_field, host.address)
    a.click("Play a friend")
    friend = a.screen
    assert isinstance(friend, FriendScreen)
    ours = friend.code
    fill(a, friend.field, "k7q-xm")
    a.click("Join")
    run_until(lambda: on(a, "matchmaking") and a.screen.phase == "searching", a, what="waiting for the friend")
    assert a.screen.title == "Waiting for your friend"
    a.press("escape")
    back = a.screen
    assert isinstance(back, FriendScreen), "Cancel goes back to the form the player came from"
    assert back.field.text == "k7q-xm" and back.field.focused and back.code == ours, "their code and ours are kept"
    run_until(lambda: host.stats().tickets == 0, a, what="the ticket withdrawn")
    a.click("Wait for my friend")
    run_until(lambda: on(a, "matchmaking") and a.screen.phase == "searching", a, what="waiting with our code")
    assert isinstance(a.screen, MatchmakingScreen) and a.screen.flow.code == ours
    a.click("Cancel")
    assert isinstance(a.screen, FriendScreen) and a.screen.code == ours and a.screen.field.text == ""


def test_the_leave_dialog_fills_the_button_enter_presses(pilot: Pilot) -> None:
    board = net_board(pilot.app, "Alice", board_after([(1, 1), (2, 2)]))
    board.leave()
    dialog = pilot.screen
    assert isinstance(dialog, ConfirmScreen)
    assert dialog.buttons.focus is dialog.no_button and dialog.no_button.style is ButtonStyle.PRIMARY
    assert dialog.yes_button.style is not ButtonStyle.PRIMARY, "'Leave' is not the filled one"
    pilot.press("return")
    assert pilot.screen is board, "Enter keeps playing"


def test_a_long_title_wraps_inside_its_card_at_every_width(data_dir: Path) -> None:
    for size in ((640, 720), (480, 540)):
        with Pilot.launch(data_dir=data_dir, size=size) as pilot:
            trip = NetFlow(pilot.app, TripKind.ONLINE, name="ann", server="example.org")
            trip.opponent_left("Bartholomew-the-Bold", GoneReason.DISCONNECTED, "", False)
            drawing = look_at(pilot.screen, size)
            assert drawing.problems() == []
            title_lines = [t for t in drawing.shown if t.text in pilot.screen._measure(size).title_lines]
            assert len(title_lines) >= 2, "the title wraps instead of spilling"


def test_a_lan_game_says_host_or_game_never_server() -> None:
    sources = "".join(path.read_text(encoding="utf-8") for path in NET.rglob("*.py"))
    assert all(f'"{template}"' in sources for template in LAN_WORDS), "each sentence is one the network says"
    assert all(f'"{template}"' in sources for template in LAN_COUNTED)
    unreachable = Phrase("Can't reach the server at {address} ({reason})", address="192.168.1.20:7350",
                         reason=Phrase("the server closed the connection without answering"))
    assert say(for_lan(unreachable)) == ("Can't reach the game at 192.168.1.20:7350 "
                                          "(the other computer closed the connection without answering)")
    tries = counted_phrase("Lost the connection to the server and could not get it back after {n} try",
                           "Lost the connection to the server and could not get it back after {n} tries", 3)
    assert say(for_lan(tries)) == "Lost the connection to the game and could not get it back after 3 tries"
    assert for_lan("Anything else") == "Anything else"
    for template in [*LAN_WORDS.values(), *(p for pair in LAN_COUNTED.values() for p in pair)]:
        assert "server" not in template.lower()


def test_a_failure_on_the_lan_reads_as_a_lan_game(pilot: Pilot) -> None:
    trip = NetFlow(pilot.app, TripKind.LAN_JOIN, name="ann", server="192.168.1.20:7350")
    failure = Failure(FailureKind.UNREACHABLE, Phrase("Can't reach the server at {address} ({reason})",
                                                      address="192.168.1.20:7350", reason="refused"))
    trip.failed(failure)
    screen = pilot.screen
    assert screen.title == "Can't reach that game"
    assert "server" not in screen.message.lower() and screen.message.startswith("192.168.1.20:7350 (refused).")
    assert "reach" not in screen.message, "the title says it already"


def test_the_footer_says_what_enter_does_where_the_focus_is(pilot: Pilot) -> None:
    board = net_board(pilot.app, "Alice", board_after([(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)]), rematch_countdown=9,
                      rematch_mode=RematchMode.CONSENT)
    assert board.buttons.focus.label == "Rematch" and board.hint_text.startswith("Enter or R: rematch")
    pilot.press("tab")
    assert board.buttons.focus.label == "Leave"
    assert board.hint_text == "Enter or Esc: leave  ·  R: rematch", "Enter leaves from there: the footer says so"
    pilot.press("r")
    assert board.hint_text == "Waiting for Alice to accept  ·  Esc leave", "not 'Enter or R: waiting for Alice'"


def test_tab_reaches_the_speaker_after_the_last_button_and_enter_there_toggles_the_sound(pilot: Pilot) -> None:
    menu = pilot.screen
    pilot.press("tab", mod=pygame.KMOD_SHIFT)  # from the first button backwards: the speaker
    assert pilot.app.speaker.focused and not menu.buttons.focus_visible
    muted = pilot.app.sounds.muted
    pilot.press("return")
    assert pilot.app.sounds.muted is not muted and on(pilot, "menu"), "Enter on the speaker switches the sound"
    drawing = look_at(menu, pilot.app.size)
    assert drawing.problems() == []
    pilot.press("tab")
    assert not pilot.app.speaker.focused and menu.buttons.focus.label == "Easy" and menu.buttons.focus_visible
    for _ in menu.buttons.buttons[1:]:
        pilot.press("tab")
    assert menu.buttons.focus.label == "Quit" and not pilot.app.speaker.focused
    pilot.press("tab")
    assert pilot.app.speaker.focused, "after Quit, the speaker"


def test_the_lan_list_opens_with_the_address_field_focused_then_the_first_game_heard(pilot: Pilot) -> None:
    from net.beacon import DiscoveredGame, HostState
    from net.messages import LanGames
    from ui.screens.lan_join import LanJoinScreen

    screen = LanJoinScreen("ann", lambda _server: None)
    screen.app = pilot.app  # not pushed: being shown listens on the LAN; what it does on mount is done here
    screen.focus.focus(screen.address_field)
    screen.ensure_layout(pilot.app.size)
    waiting = DiscoveredGame("192.168.1.20", 7350, "Hana's game", "Hana", HostState.WAITING, True, 3, 0.0)
    screen.on_event(LanGames((waiting,)))
    assert screen.focus.current is screen.rows[0], "the first game heard has the focus: Enter joins it"


def test_copied_stays_clear_of_the_focus_ring_under_it(data_dir: Path) -> None:
    with Pilot.launch(data_dir=data_dir, size=(480, 540)) as pilot:
        screen = FriendScreen(on_code=lambda _code: None, on_back=lambda: None, code="K7QXM")
        pilot.app.push(screen)
        pilot.step()
        pilot.press("tab")  # the focus ring on Copy the code
        pilot.press("c", mod=pygame.KMOD_CTRL)
        assert screen.copied is not None
        drawing = look_at(screen, (480, 540))
        note = drawing.find("Copied to the clipboard") or drawing.find("Copying did not work: read the code out to your friend")
        assert note is not None and drawing.problems() == []

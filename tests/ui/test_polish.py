"""The defects a real-window session found (issue 23), each where a test can see it: what the player reads, where the
focus and Enter go, and where Cancel and Back lead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from game.phrase import Phrase, counted_phrase
from game.xoxo import GoneReason
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
    assert "server" not in screen.message.lower() and "Can't reach the game at 192.168.1.20:7350" in screen.message

"""The main menu: keyboard and mouse, the way to the online screens, stats, mute, quitting."""

from __future__ import annotations

import json
from pathlib import Path

from game.bot import Level
from game.rules import Mark, Result
from ui.pilot import Pilot
from ui.results import GameMode, GameSummary
from ui.screens.board import BoardScreen
from ui.screens.login import LoginScreen
from ui.screens.menu import MenuEntry, MenuScreen
from ui.userdata import UserData
from ui.widgets import SpeakerButton


def test_the_menu_offers_every_way_to_play(pilot: Pilot) -> None:
    assert pilot.screen.button_labels == [
        "Easy", "Normal", "Perfect", "Host a LAN game", "Join a LAN game", "Play online", "History", "Settings", "Quit",
    ]
    assert [pilot.caption(level) for level in ("Easy", "Normal", "Perfect")] == ["W 0  ·  L 0  ·  D 0"] * 3


def test_arrows_and_enter_choose_a_level(pilot: Pilot) -> None:
    menu = pilot.screen
    assert menu.buttons.focus.label == "Easy"
    pilot.press("right", "right", "right")  # stops at the end of the row
    assert menu.buttons.focus.label == "Perfect"
    pilot.press("down")
    assert menu.buttons.focus.label == "Host a LAN game"
    pilot.press("up", "left", "return")
    screen = pilot.screen
    assert isinstance(screen, BoardScreen) and screen.controller.level is Level.NORMAL
    pilot.press("escape")  # no move made yet: leaving loses nothing, so nothing is asked
    assert pilot.screen is menu


def test_tab_cycles_and_play_online_opens_the_sign_in(pilot: Pilot) -> None:
    menu = pilot.screen
    pilot.press("tab", "tab", "tab", "tab", "tab")
    assert menu.buttons.focus.label == "Play online"
    pilot.press("return")
    assert isinstance(pilot.screen, LoginScreen)
    assert not pilot.app.has_network, "nothing goes on the network before Sign in"
    pilot.press("escape")
    assert pilot.screen is menu


def test_menu_entries_are_data(data_dir: Path) -> None:
    chosen = []
    entries = (MenuEntry("Play online", lambda app: chosen.append("online")),)
    with Pilot.launch(data_dir=data_dir) as pilot:
        pilot.app.replace(MenuScreen(entries))
        pilot.step()
        assert pilot.screen.button_labels == ["Easy", "Normal", "Perfect", "Play online", "History", "Settings", "Quit"]
        pilot.click("Play online")
        assert chosen == ["online"]


def test_escape_does_not_close_the_app(pilot: Pilot) -> None:
    pilot.press("escape", "escape")
    assert pilot.app.running and isinstance(pilot.screen, MenuScreen)


def test_the_quit_button_closes_the_app(pilot: Pilot) -> None:
    pilot.click("Quit")
    assert not pilot.app.running and pilot.app.exit_code == 0


def test_m_or_the_speaker_button_mutes_and_the_choice_is_remembered(data_dir: Path) -> None:
    with Pilot.launch(data_dir=data_dir) as pilot:
        assert not pilot.app.sounds.muted
        pilot.press("m")
        assert pilot.app.sounds.muted
        speaker = SpeakerButton.rect_for(pilot.app.size)
        pilot.click(speaker.center)
        assert not pilot.app.sounds.muted
        pilot.click(speaker.center)
        assert pilot.app.sounds.muted
    assert json.loads((data_dir / "profile.json").read_text())["muted"] is True
    with Pilot.launch(data_dir=data_dir) as pilot:
        assert pilot.app.sounds.muted
        pilot.press("m")
        assert not pilot.app.sounds.muted
    assert UserData(data_dir).profile.muted is False


def test_stats_from_earlier_sessions_are_shown(data_dir: Path) -> None:
    store = UserData(data_dir)
    for result, level in ((Result.WIN, Level.NORMAL), (Result.WIN, Level.NORMAL), (Result.DRAW, Level.NORMAL),
                          (Result.LOSS, Level.PERFECT)):
        store.record_game(GameSummary(GameMode.BOT, level, Mark.CROSS, result, (), Mark.CROSS))
    with Pilot.launch(data_dir=data_dir) as pilot:
        assert pilot.caption("Normal") == "W 2  ·  L 0  ·  D 1"
        assert pilot.caption("Perfect") == "W 0  ·  L 1  ·  D 0"

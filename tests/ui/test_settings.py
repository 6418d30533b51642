"""The Settings screen through the pilot: each setting changes at once and is remembered per player; the name it keeps is
the one other players see, on the LAN and (through the server's rename at the next sign-in) online."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from tests.net.standins import shared_udp_port
from tests.ui.netpilot import HostOnThread, fill, lan_settings, launch, on, run_until, sign_in
from tests.ui.screencheck import look_at
from ui import i18n, theme
from ui.pilot import Pilot
from ui.screens.lan_host import LanHostScreen
from ui.screens.matchmaking import MatchmakingScreen
from ui.screens.settings import SettingsScreen
from ui.userdata import UserData


def open_settings(pilot: Pilot) -> SettingsScreen:
    pilot.click("Settings")
    screen = pilot.screen
    assert isinstance(screen, SettingsScreen)
    return screen


def test_the_settings_open_from_the_menu_by_its_button_and_by_s_or_f2(pilot: Pilot) -> None:
    for way in ("button", "s", "f2"):
        if way == "button":
            pilot.click("Settings")
        else:
            pilot.press(way)
        assert isinstance(pilot.screen, SettingsScreen), way
        assert pilot.screen.buttons.focus is pilot.screen.language_row and pilot.screen.buttons.focus_visible
        pilot.press("escape")
        assert on(pilot, "menu")


def test_each_setting_changes_at_once_and_the_next_start_remembers_it(data_dir: Path) -> None:
    with Pilot.launch(data_dir=data_dir) as pilot:
        screen = open_settings(pilot)
        pilot.press("down", "right")  # the theme: dark -> light
        assert screen.theme_row.value_text == "Light" and theme.current_theme() == "light"
        assert pilot.snapshot().get_at((2, 2)) == pygame.Color(theme.LIGHT.background), "the window is light at once"
        pilot.press("down", "return", "return")  # the text size: 100 -> 125 -> 150
        assert screen.size_row.value_text == "150 %" and theme.text_scale() == 1.5
        assert theme.font_pixels(20) == round(20 * theme.FONT_SCALE * 1.5)
        pilot.press("down", "left")  # the game's sounds: on -> off
        assert pilot.app.sounds.muted and screen.sound_row.value_text == "Off"
        pilot.click(screen.cue_row.rect.center)  # the attention cues: on -> off
        assert screen.cue_row.value_text == "Off"
        pilot.press("escape")
        assert on(pilot, "menu")
    assert theme.current_theme() == "dark" and theme.text_scale() == 1.0, "a closed App leaves the look as it found it"
    profile = UserData(data_dir).profile
    assert (profile.theme, profile.text_size, profile.muted, profile.cue_sounds) == ("light", 150, True, False)
    with Pilot.launch(data_dir=data_dir) as again:
        assert theme.current_theme() == "light" and theme.text_scale() == 1.5 and again.app.sounds.muted
        assert again.snapshot().get_at((2, 2)) == pygame.Color(theme.LIGHT.background)


def test_the_language_is_one_the_game_speaks_or_the_computers_and_it_is_remembered(data_dir: Path) -> None:
    with Pilot.launch(data_dir=data_dir) as pilot:
        screen = open_settings(pilot)
        assert screen.language_row.value_text.startswith("As the computer (")
        codes = [code for code, _name in i18n.available_languages()]
        pilot.press("right", "right")  # past the computer's choice and English
        assert i18n.language() == codes[1] and pilot.app.userdata.profile.language == codes[1]
        assert screen.language_row.value_text == dict(i18n.available_languages())[codes[1]]
        pilot.press("left", "left")  # back round to the computer's language
        assert pilot.app.userdata.profile.language == ""
        pilot.press("left")
        assert pilot.app.userdata.profile.language == codes[-1], "the list goes round"
    assert UserData(data_dir).profile.language == codes[-1]
    i18n.set_language("en")


def test_the_name_is_kept_when_it_is_one_refused_when_not_and_its_characters_are_counted(data_dir: Path) -> None:
    with Pilot.launch(data_dir=data_dir) as pilot:
        screen = open_settings(pilot)
        field = screen.name_field
        assert field.text == "Player" and field.max_length == 20
        pilot.click(field.rect.center)
        pilot.press("end", *["backspace"] * 6)
        pilot.press("return")
        assert screen.error is not None and screen.error_field is field and field.focused
        pilot.press("escape")
        assert pilot.screen is screen, "leaving with a name that is none stays, saying why"
        pilot.type("Bartholomew")
        assert screen.error is None, "the refusal goes once the field holds a name"
        assert look_at(screen, pilot.app.size).find("9 characters left") is not None
        pilot.press("return")
        assert screen.saved and pilot.app.userdata.profile.name == "Bartholomew"
        pilot.type("-the-Bold")
        pilot.press("escape")
        assert on(pilot, "menu"), "a good name typed and not yet kept is kept on leaving"
    profile = UserData(data_dir).profile
    assert (profile.name, profile.name_chosen) == ("Bartholomew-the-Bold", True)


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostOnThread]:
    h = HostOnThread.start(tmp_path / "host", rematch_seconds=None)
    yield h
    h.close()


def test_a_name_changed_in_the_settings_is_the_name_the_server_gives_at_the_next_sign_in(pilots, tmp_path, host) -> None:
    a = launch(tmp_path / "ann")
    pilots.append(a)
    sign_in(a, "ann", host.address)  # the account is made as "ann"
    run_until(lambda: on(a, "matchmaking") and a.screen.phase == "searching", a, what="ann searching")
    a.click("Cancel")
    run_until(lambda: host.stats().connected == 0, a, what="ann gone from the server")
    a.app.reset(a.app.home())  # wherever Cancel went, the player goes to the menu
    a.step()
    screen = open_settings(a)
    fill(a, screen.name_field, "Annabel")
    a.press("escape")
    a.click("Play online")
    assert a.screen.name_field.text == "Annabel"
    a.press("return")
    run_until(lambda: on(a, "matchmaking") and a.screen.phase == "searching", a, what="searching as Annabel")
    searching = a.screen
    assert isinstance(searching, MatchmakingScreen)
    assert searching.server_text == f"Server {host.address}  ·  playing as Annabel", "the server renamed the account"


def test_a_name_changed_in_the_settings_hosts_the_next_lan_game_without_asking(pilots, tmp_path) -> None:
    with shared_udp_port() as port:
        a = launch(tmp_path / "hana", lan_settings(port))
        pilots.append(a)
        screen = open_settings(a)
        fill(a, screen.name_field, "Hana")
        a.press("return")
        a.press("escape")
        a.click("Host a LAN game")
        run_until(lambda: isinstance(a.screen, LanHostScreen) and a.screen.hosting is not None, a, what="hosting")
        assert a.screen.hosting.name == "Hana"

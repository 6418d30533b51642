"""LAN play, end to end: one App hosts from the menu, another finds the game in its list and joins.

Both Apps are real, each with its own network thread; the host is the one the
hosting App's network thread runs. Announcements go to 127.255.255.255 on a UDP port
held for the test, and every host binds 127.0.0.1, so nothing leaves this
machine. Joining is done the way a player does it: clicking the game in the list, or
typing its address.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.net.standins import shared_udp_port
from tests.ui.netpilot import (
    LOOPBACK,
    LOOPBACK_BROADCAST,
    board_ready,
    fill,
    first_mover,
    lan_settings,
    launch,
    on,
    play_line,
    run_until,
)
from ui.pilot import Pilot
from ui.screens.connection import MatchEndedScreen, NetErrorScreen
from ui.screens.lan_host import LanHostScreen
from ui.screens.lan_join import LanJoinScreen, state_label
from ui.screens.menu import MenuScreen
from ui.screens.name import NameScreen


@pytest.fixture
def discovery_port() -> Iterator[int]:
    with shared_udp_port() as port:
        yield port


def player(pilots: list[Pilot], tmp_path: Path, name: str, discovery_port: int, **net: int) -> Pilot:
    pilot = launch(tmp_path / name, lan_settings(discovery_port, **net), name=name)
    pilots.append(pilot)
    return pilot


def hosting(host: Pilot) -> LanHostScreen:
    """Host a LAN game from the menu and wait until it is up."""
    host.click("Host a LAN game")
    run_until(lambda: isinstance(host.screen, LanHostScreen) and host.screen.hosting is not None, host,
              what="the game host up")
    return host.screen


def join_from_list(joiner: Pilot, host: Pilot, game: str) -> None:
    """Open the LAN list, wait for ``game`` to show as waiting, and click it."""
    joiner.click("Join a LAN game")
    run_until(lambda: joiner.screen.button_rect(game) is not None, joiner, host, what=f"{game} in the list")
    joiner.click(game)


def test_a_hosted_game_is_found_in_the_list_joined_and_played_to_a_result(pilots, tmp_path, discovery_port) -> None:
    with socket.socket() as taken:  # the port the host asks for is busy: it moves to the next free one
        taken.bind((LOOPBACK, 0))
        taken.listen()
        busy = taken.getsockname()[1]
        host = player(pilots, tmp_path, "Hana", discovery_port, lan_port=busy)
        waiting = hosting(host)
        assert waiting.hosting.port != busy
        assert waiting.port_text == f"Port {waiting.hosting.port}"
        assert waiting.port_note == f"{busy} was taken, so the game uses the next free port"
        assert waiting.addresses_text == [f"127.0.0.1:{waiting.hosting.port}"]
        assert waiting.status_text == "Waiting for an opponent…"

        joiner = player(pilots, tmp_path, "Jo", discovery_port)
        joiner.click("Join a LAN game")
        listing = joiner.screen
        assert isinstance(listing, LanJoinScreen)
        run_until(lambda: listing.button_rect("Hana's game") is not None, joiner, host, what="the game in the list")
        (row,) = listing.rows
        assert row.enabled and row.caption_text == f"127.0.0.1:{waiting.hosting.port}  ·  Hana"
        assert listing.subtitle == "1 game on your network, 1 waiting for an opponent"
        joiner.click("Hana's game")
        run_until(lambda: board_ready(host) and board_ready(joiner), host, joiner, what="both boards")

        assert {host.screen.view.name_of(1), host.screen.view.name_of(2)} == {"Hana", "Jo"}
        x, o = first_mover(host, joiner)
        play_line(x, o)
        assert (x.screen.model.banner_text, o.screen.model.banner_text) == ("You won", "You lost")
        assert [s.mode for s in host.app.summaries] == ["lan"] and [s.mode for s in joiner.app.summaries] == ["lan"]


def test_the_list_shows_playing_and_incompatible_games_and_only_waiting_ones_can_be_joined(
    pilots, tmp_path, discovery_port
) -> None:
    joiner = player(pilots, tmp_path, "Jo", discovery_port)
    joiner.click("Join a LAN game")
    listing = joiner.screen
    beacons = [
        b'XOXO-LAN/1\n{"version":1,"game":"Busy game","host":"Bea","port":7360,"state":"playing"}',
        b'XOXO-LAN/2\n{"version":2,"game":"Future game","host":"Fay","port":7361,"state":"waiting","extras":[1]}',
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
        out.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)

        def both_listed() -> bool:
            for beacon in beacons:  # UDP may drop one: announce again, as a host does every second
                out.sendto(beacon, (LOOPBACK_BROADCAST, discovery_port))
            return len(listing.rows) == 2

        run_until(both_listed, joiner, what="both games listed")
    labels = {row.game.game: row for row in listing.rows}
    assert state_label(labels["Busy game"].game) == "Playing" and not labels["Busy game"].enabled
    assert state_label(labels["Future game"].game) == "Incompatible version" and not labels["Future game"].enabled
    assert "speaks version 2" in labels["Future game"].caption_text
    assert listing.rows[0].game.game == "Busy game", "games we can speak come first"
    joiner.click("Future game")
    joiner.click("Busy game")
    assert joiner.screen is listing, "neither game can be joined"
    joiner.press("escape")
    assert isinstance(joiner.screen, MenuScreen)


def test_the_host_closing_the_game_mid_match_tells_the_joiner(pilots, tmp_path, discovery_port) -> None:
    host = player(pilots, tmp_path, "Hana", discovery_port)
    hosting(host)
    joiner = player(pilots, tmp_path, "Jo", discovery_port)
    join_from_list(joiner, host, "Hana's game")
    run_until(lambda: board_ready(host) and board_ready(joiner), host, joiner, what="both boards")
    host.press("escape")  # the hosting player leaves (asked first: a game is on): the game closes
    host.click("Leave")
    assert isinstance(host.screen, MenuScreen)
    # The host's last words reach the joiner as the host player's leave (op 5) or as the host's
    # closing notice, whichever the host sends first; either way the joiner is told, once, with the score.
    run_until(lambda: on(joiner, "match-ended") or on(joiner, "opponent-left"), host, joiner, what="the joiner told")
    told = joiner.screen
    assert isinstance(told, MatchEndedScreen) and told.title in ("Hana closed the game", "The host closed the game")
    assert told.button_labels == ["Find another game", "Menu"]
    joiner.advance(2.0)
    assert joiner.screen is told, "no reconnection attempts take the player anywhere else"
    joiner.click("Menu")
    assert isinstance(joiner.screen, MenuScreen)


def hana_whom_jo_left(pilots, tmp_path, discovery_port):
    """Hana hosts, Jo joins from the list and leaves mid-game; Hana is on the opponent-left card. (host, joiner, address)"""
    host = player(pilots, tmp_path, "Hana", discovery_port)
    address = f"127.0.0.1:{hosting(host).hosting.port}"
    joiner = player(pilots, tmp_path, "Jo", discovery_port)
    join_from_list(joiner, host, "Hana's game")
    run_until(lambda: board_ready(host) and board_ready(joiner), host, joiner, what="both boards")
    joiner.press("escape")
    joiner.click("Leave")
    run_until(lambda: on(host, "opponent-left"), host, joiner, what="the host told")
    return host, joiner, address


def test_when_the_joiner_leaves_the_host_waits_for_someone_new_who_types_the_address(
    pilots, tmp_path, discovery_port
) -> None:
    host, joiner, address = hana_whom_jo_left(pilots, tmp_path, discovery_port)
    left = host.screen
    assert isinstance(left, MatchEndedScreen) and left.title == "Jo left"
    assert left.button_labels == ["Wait for someone new", "Menu"]
    host.click("Wait for someone new")
    assert isinstance(host.screen, LanHostScreen) and host.screen.hosting is not None

    second = player(pilots, tmp_path, "Kai", discovery_port)
    second.click("Join a LAN game")
    fill(second, second.screen.address_field, address)
    second.press("return")
    run_until(lambda: board_ready(host) and board_ready(second), host, second, joiner, what="host and Kai matched")
    assert {host.screen.view.name_of(1), host.screen.view.name_of(2)} == {"Hana", "Kai"}


def test_a_joiner_who_comes_while_the_host_is_not_waiting_is_told_at_once_and_the_list_drops_the_game(
    pilots, tmp_path, discovery_port
) -> None:
    host, joiner, address = hana_whom_jo_left(pilots, tmp_path, discovery_port)
    joiner.click("Join a LAN game")
    listing = joiner.screen
    assert isinstance(listing, LanJoinScreen)
    run_until(lambda: not listing.rows, host, joiner, what="the game gone from the list")  # Hana is not waiting

    late = player(pilots, tmp_path, "Kai", discovery_port)
    late.click("Join a LAN game")
    fill(late, late.screen.address_field, address)
    late.press("return")
    run_until(lambda: on(late, "net-error"), host, late, what="Kai told")
    told = late.screen
    assert isinstance(told, NetErrorScreen) and "Hana is not waiting for an opponent right now" in told.message
    assert on(host, "opponent-left"), "the host's screen stays where it was"
    run_until(lambda: "Kai tried to join" in host.screen.message, host, late, what="the host told who came")
    assert "Wait for someone new" in host.screen.message

    host.click("Wait for someone new")
    run_until(lambda: listing.button_rect("Hana's game") is not None, host, joiner, what="the game waiting again")


def test_a_third_player_is_told_the_game_is_full(pilots, tmp_path, discovery_port) -> None:
    host = player(pilots, tmp_path, "Hana", discovery_port)
    address = f"127.0.0.1:{hosting(host).hosting.port}"
    joiner = player(pilots, tmp_path, "Jo", discovery_port)
    join_from_list(joiner, host, "Hana's game")
    run_until(lambda: board_ready(host) and board_ready(joiner), host, joiner, what="both boards")
    third = player(pilots, tmp_path, "Kai", discovery_port)
    third.click("Join a LAN game")
    fill(third, third.screen.address_field, address)
    third.click("Join")
    run_until(lambda: on(third, "net-error"), host, joiner, third, what="the third player refused")
    full = third.screen
    assert isinstance(full, NetErrorScreen) and full.title == "This game is full"
    assert "Two players are already in this game" in full.message
    third.click("Back")
    assert isinstance(third.screen, LanJoinScreen)
    assert on(host, "board") and on(joiner, "board"), "the match goes on"


def test_a_typed_address_that_cannot_work_is_refused_before_anything_is_sent(pilots, tmp_path, discovery_port) -> None:
    joiner = player(pilots, tmp_path, "Jo", discovery_port)
    joiner.click("Join a LAN game")
    listing = joiner.screen
    fill(joiner, listing.address_field, "no such:address")
    joiner.press("return")
    assert joiner.screen is listing and listing.error is not None
    assert listing.error.endswith("Type host:port or https://host, for example 127.0.0.1:7350.")


def test_the_first_lan_game_asks_the_name_once_and_remembers_it(pilots, tmp_path, discovery_port) -> None:
    newcomer = launch(tmp_path / "new", lan_settings(discovery_port))
    pilots.append(newcomer)
    newcomer.click("Host a LAN game")
    asked = newcomer.screen
    assert isinstance(asked, NameScreen) and asked.field.focused
    newcomer.type("Nour")
    assert asked.field.text == "Nour", "the suggested name is selected: typing replaces it"
    fill(newcomer, asked.field, "")
    newcomer.press("return")
    assert newcomer.screen is asked and asked.error == "Type your name: it is what your opponent sees."
    newcomer.type("Noor")
    newcomer.press("return")
    assert isinstance(newcomer.screen, LanHostScreen) and newcomer.screen.flow.name == "Noor"
    newcomer.press("escape")
    assert newcomer.app.userdata.profile.name == "Noor" and newcomer.app.userdata.profile.name_chosen
    newcomer.click("Join a LAN game")
    assert isinstance(newcomer.screen, LanJoinScreen), "asked once: not again"

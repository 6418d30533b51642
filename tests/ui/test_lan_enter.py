"""Enter in the LAN list's empty address field joins the waiting game listed; with none, it asks for an address.

Real Apps: one hosts from the menu, the other lists its game (announced on 127.255.255.255
on a UDP port held for the test) and presses Enter in the field, as a player would.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.net.standins import shared_udp_port
from tests.ui.netpilot import LOOPBACK_BROADCAST, board_ready, fill, lan_settings, launch, run_until
from ui.screens.lan_host import LanHostScreen
from ui.screens.lan_join import LanJoinScreen


@pytest.fixture
def discovery_port() -> Iterator[int]:
    with shared_udp_port() as port:
        yield port


def test_enter_in_the_empty_field_joins_the_waiting_game_and_not_a_busy_one(pilots, tmp_path, discovery_port) -> None:
    joiner = launch(tmp_path / "jo", lan_settings(discovery_port), name="Jo")
    pilots.append(joiner)
    joiner.click("Join a LAN game")
    listing = joiner.screen
    assert isinstance(listing, LanJoinScreen)
    busy = b'XOXO-LAN/1\n{"version":1,"game":"Busy game","host":"Bea","port":7360,"state":"playing"}'
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
        out.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)

        def listed() -> bool:
            out.sendto(busy, (LOOPBACK_BROADCAST, discovery_port))  # again and again: UDP may drop one
            return bool(listing.rows)

        run_until(listed, joiner, what="the busy game listed")
    fill(joiner, listing.address_field, "")
    joiner.press("return")
    assert joiner.screen is listing and listing.error is not None, "no game to join: the field must say why"

    host = launch(tmp_path / "hana", lan_settings(discovery_port), name="Hana")
    pilots.append(host)
    host.click("Host a LAN game")
    run_until(lambda: isinstance(host.screen, LanHostScreen) and host.screen.hosting is not None, host,
              what="the game host up")
    run_until(lambda: listing.button_rect("Hana's game") is not None, joiner, host, what="the game in the list")
    fill(joiner, listing.address_field, "")
    joiner.press("return")
    run_until(lambda: board_ready(host) and board_ready(joiner), host, joiner, what="both boards")
    assert {host.screen.view.name_of(1), host.screen.view.name_of(2)} == {"Hana", "Jo"}

"""An error card says what its title does not, once, and its buttons show their keys as every other screen does."""

from __future__ import annotations

from tests.net.standins import LOOPBACK, refused_port
from tests.ui.netpilot import launch, on, run_until, sign_in
from ui.screens.connection import NetErrorScreen


def test_a_server_that_refuses_is_named_under_the_title_not_repeated_and_the_keys_are_shown(pilots, tmp_path) -> None:
    pilot = launch(tmp_path / "ann", name="Ann")
    pilots.append(pilot)
    with refused_port() as port:
        sign_in(pilot, "Ann", f"{LOOPBACK}:{port}")
        run_until(lambda: on(pilot, "net-error"), pilot, what="the error card")
    card = pilot.screen
    assert isinstance(card, NetErrorScreen) and card.title == "Can't reach the server"
    assert card.message == (f"{LOOPBACK}:{port} (connection refused). "
                            "Check the address, and that the server is running and lets you in.")
    assert [(b.label, b.hint) for b in card.buttons.buttons] == [("Try again", "Enter"), ("Back", "Esc")]
    pilot.press("escape")
    assert pilot.screen.name == "login", "Esc is Back, as its hint says"

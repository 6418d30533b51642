"""Quick reactions on the board: two real Apps on our host send, see, limit and mute them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from game.xoxo import Reaction
from tests.ui.netpilot import HostOnThread, board_ready, launch, marks, run_until, sign_in
from ui.pilot import Pilot
from ui.reactions import BUBBLE_SECONDS


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostOnThread]:
    h = HostOnThread.start(tmp_path / "host", rematch_seconds=None)
    yield h
    h.close()


def pair(pilots: list[Pilot], tmp_path: Path, host: HostOnThread) -> tuple[Pilot, Pilot]:
    a, b = launch(tmp_path / "ann"), launch(tmp_path / "bob")
    pilots.extend([a, b])
    sign_in(a, "ann", host.address)
    sign_in(b, "bob", host.address)
    run_until(lambda: board_ready(a) and board_ready(b), a, b, what="both boards")
    return a, b


def test_a_reaction_picked_with_keys_shows_by_the_senders_card_on_both_boards(pilots, tmp_path, host) -> None:
    a, b = pair(pilots, tmp_path, host)
    bar_a, bar_b = a.screen.reactions, b.screen.reactions
    assert bar_a.available and bar_b.available
    a.press("e")
    assert bar_a.open
    a.press("2")  # the picker takes the digit: Good game, not a square
    assert not bar_a.open and marks(a) == 0
    run_until(lambda: bar_b.heard == [Reaction.GOOD_GAME], a, b, what="bob hears ann")
    me_a, me_b = a.screen.view.you, b.screen.view.you
    assert bar_a.bubbles[me_a].reaction is Reaction.GOOD_GAME  # ann sees what she said
    assert bar_b.bubbles[3 - me_b].reaction is Reaction.GOOD_GAME  # bob sees it by ann's card
    b.advance(BUBBLE_SECONDS + 0.1)
    assert bar_b.bubbles == {}


def test_the_button_by_the_card_opens_the_picker_and_a_click_sends(pilots, tmp_path, host) -> None:
    a, b = pair(pilots, tmp_path, host)
    bar_a = a.screen.reactions
    badge = bar_a._badge
    assert badge is not None
    a.click(badge.center)
    assert bar_a.open and len(bar_a._rows) == 7
    a.click(bar_a._rows[0].center)  # Hello!
    run_until(lambda: b.screen.reactions.heard == [Reaction.HELLO], a, b, what="bob hears hello")
    a.click(badge.center)
    a.click((2, a.app.size[1] - 2))  # elsewhere: closes, sends nothing
    assert not bar_a.open and bar_a.sent_at[1:] == []


def test_three_in_ten_seconds_then_the_picker_waits_and_muting_hides_the_opponents(pilots, tmp_path, host) -> None:
    a, b = pair(pilots, tmp_path, host)
    bar_a, bar_b = a.screen.reactions, b.screen.reactions
    for key in ("1", "3", "4"):
        a.press("e", key)
    a.press("e", "5")  # a fourth within ten seconds: not sent
    assert len(bar_a.sent_at) == 3 and bar_a.open
    a.press("escape")
    assert not bar_a.open and a.screen.name == "board"  # Esc closed the picker, nothing else
    run_until(lambda: len(bar_b.heard) == 3, a, b, what="bob hears three")
    b.press("e", "m")  # M in the picker is still the game's sound switch, as everywhere
    assert b.app.sounds.muted and bar_b.open and not bar_b.muted
    b.press("7")  # the picker's last row: bob mutes ann
    assert bar_b.muted and not bar_b.open
    if not a.screen.view.your_turn:  # bob moves first, so that ann's move below follows her reaction
        b.click_cell(2, 2)
        run_until(lambda: marks(a) == 1, a, b, what="bob's move")
    done = marks(a)
    a.advance(10.0)
    a.press("e", "6")
    a.click_cell(1, 1)  # ann's reaction reached the server, and bob, before this move
    run_until(lambda: marks(b) == done + 1, a, b, what="ann's move on bob's board")
    assert len(bar_b.heard) == 3 and 3 - b.screen.view.you not in bar_b.bubbles


def test_a_game_against_the_bot_offers_no_reactions(pilot) -> None:
    pilot.click("Normal")
    assert pilot.screen.name == "board" and not hasattr(pilot.screen, "reactions")

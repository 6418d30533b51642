"""Attention cues: each happening cues once while the window is in the background, and everything clears on focus.

First ``AttentionCues`` fed events by hand with a recording output; then two real Apps on
our host, one of them put in the background with the window's focus events, as SDL sends them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from game.rules import Board
from game.xoxo import GoneReason, MatchLabel, Presence, RematchMode, decode_state, encode_state
from net.messages import MatchJoined, MatchUpdate, OpponentAway, OpponentLeft
from tests.ui.netpilot import HostOnThread, board_ready, first_mover, launch, marks, run_until, sign_in
from ui import theme
from ui.cues import AttentionCues, Cue, cue_title
from ui.pilot import Pilot

ANN = Presence("u-ann", "s-ann", "ann")
BOB = Presence("u-bob", "s-bob", "bob")
LOST = pygame.event.Event(pygame.WINDOWFOCUSLOST)
GAINED = pygame.event.Event(pygame.WINDOWFOCUSGAINED)


class Output:
    """Records what the cues did."""

    def __init__(self) -> None:
        self.sounds: list[str] = []
        self.titles: list[str] = []
        self.flashes: list[bool] = []

    def sound(self, name: str) -> None:
        self.sounds.append(name)

    def title(self, text: str) -> None:
        self.titles.append(text)

    def flash(self, on: bool) -> None:
        self.flashes.append(on)


def update(board: Board, *, you: int = 1, left: float | None = 30.0, connected: bool = True,
           asked: tuple[bool, bool] = (False, False), game: int = 1) -> MatchUpdate:
    data = encode_state(board, (ANN, BOB), you, game=game, turn_seconds_left=left if not board.is_over else None,
                        turn_seconds=30 if left is not None else None, opponent_connected=connected,
                        rematch_asked=asked, rematch_mode=RematchMode.OPEN)
    return MatchUpdate(decode_state(data))


@pytest.fixture
def cues() -> tuple[AttentionCues, Output]:
    out = Output()
    c = AttentionCues(out)
    c.window_event(LOST)
    return c, out


def test_nothing_is_cued_while_the_window_has_the_focus():
    out = Output()
    c = AttentionCues(out)
    c.on_event(MatchJoined("m", MatchLabel(4)), 0.0)
    c.on_event(update(Board.new()), 0.0)
    assert (c.fired, out.sounds, out.titles, out.flashes) == ([], [], [], [])


def test_an_opponent_found_then_your_turn_marks_the_title_with_one_sound_and_flashes(cues):
    c, out = cues
    c.on_event(MatchJoined("m", MatchLabel(4)), 10.0)
    c.on_event(update(Board.new()), 10.2)  # the first state: our turn, at once
    assert c.fired == [Cue.FOUND, Cue.TURN]
    assert out.sounds == ["cue_found"]  # the second came within a second: the title only
    assert out.titles == [f"\u25cf Opponent found \u2014 {theme.TITLE}", f"\u25cf Your turn \u2014 {theme.TITLE}"]
    assert out.flashes == [True, True]
    c.on_event(update(Board.new()), 12.0)  # the same turn again (a state resent): no second cue
    assert c.fired == [Cue.FOUND, Cue.TURN]
    c.window_event(GAINED)
    assert out.titles[-1] == theme.TITLE == cue_title(None) and out.flashes[-1] is False and c.shown is None


def test_each_turn_cues_once_and_five_seconds_before_its_end_once_more(cues):
    c, out = cues
    board = Board.new()
    c.on_event(update(board, left=30.0), 100.0)
    assert c.next_deadline() == pytest.approx(125.0)
    c.update(124.9)
    assert c.fired == [Cue.TURN]
    c.update(125.0)
    c.update(126.0)
    assert c.fired == [Cue.TURN, Cue.HURRY] and out.sounds == ["cue_turn", "cue_hurry"]
    assert out.titles[-1] == f"\u25cf 5 seconds left \u2014 {theme.TITLE}"
    assert c.next_deadline() is None
    board = board.play(2, 2, 1)
    c.on_event(update(board), 127.0)  # the opponent's turn now: nothing
    board = board.play(1, 1, 2)
    c.on_event(update(board, left=30.0), 140.0)  # ours again: a new turn
    assert c.fired == [Cue.TURN, Cue.HURRY, Cue.TURN]


def test_the_hurry_cue_waits_while_the_opponent_is_away_and_is_not_given_after_the_turn_ends(cues):
    c, _ = cues
    board = Board.new()
    c.on_event(update(board, left=30.0, connected=False), 0.0)  # the clock is paused while they are away
    assert c.next_deadline() is None
    c.on_event(update(board, left=4.0), 50.0)  # back, and four seconds left: at once
    c.update(50.0)
    assert c.fired.count(Cue.HURRY) == 1
    c2 = AttentionCues(Output())
    c2.window_event(LOST)
    c2.on_event(update(board, left=10.0), 0.0)
    c2.on_event(update(board.play(1, 1, 1)), 1.0)  # we moved: no turn, no hurry
    c2.update(6.0)
    assert Cue.HURRY not in c2.fired


def test_the_opponent_away_and_back_are_cued_once_each(cues):
    c, out = cues
    board = Board.new().play(2, 2, 1)
    c.on_event(OpponentAway("bob", 20.0, 20.0, 10.0), 0.0)
    c.on_event(update(board, you=1, left=None, connected=False), 0.1)
    c.on_event(OpponentAway("bob", 19.0, 20.0, 9.0), 1.0)
    assert c.fired == [Cue.AWAY]
    c.on_event(update(board, you=1, left=None), 5.0)
    c.on_event(update(board, you=1, left=None), 6.0)
    assert c.fired == [Cue.AWAY, Cue.BACK] and out.sounds == ["cue_away", "cue_back"]
    c.on_event(OpponentLeft("bob", GoneReason.LEFT), 9.0)
    c.on_event(OpponentLeft("ann", GoneReason.TIMED_OUT, me=True), 9.0)
    assert c.fired == [Cue.AWAY, Cue.BACK, Cue.AWAY]


def test_a_rematch_offer_is_cued_once_a_game_and_not_once_we_asked(cues):
    c, _ = cues
    over = Board.new()
    for cell in [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)]:
        over = over.play(*cell, over.to_move)
    c.on_event(update(over, asked=(False, True)), 0.0)
    c.on_event(update(over, asked=(False, True)), 1.0)
    assert c.fired == [Cue.REMATCH]
    c.on_event(update(over, asked=(True, True), game=2), 2.0)
    c.on_event(update(over, you=2, asked=(True, False), game=3), 3.0)
    assert c.fired == [Cue.REMATCH, Cue.REMATCH]


def test_the_setting_silences_the_cues_but_not_their_marks(cues):
    c, out = cues
    c.sounds_on = False
    c.on_event(MatchJoined("m", MatchLabel(4)), 0.0)
    assert c.fired == [Cue.FOUND] and out.sounds == [] and out.flashes == [True]


# Two real Apps on our host ---------------------------------------------------------------------------------


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostOnThread]:
    h = HostOnThread.start(tmp_path / "host", rematch_seconds=None)
    yield h
    h.close()


def test_a_background_window_is_cued_when_the_opponent_comes_and_when_it_is_its_turn(pilots, tmp_path, host) -> None:
    a = launch(tmp_path / "ann")
    b = launch(tmp_path / "bob")
    pilots.extend([a, b])
    sign_in(a, "ann", host.address)
    run_until(lambda: a.screen.name == "matchmaking" and a.screen.phase == "searching", a, what="ann searching")
    a.post([LOST])  # ann looks at another window while she waits
    a.step()
    assert not a.app.cues.focused and a.app.cues.fired == []
    sign_in(b, "bob", host.address)
    run_until(lambda: board_ready(a) and board_ready(b), a, b, what="both boards")
    assert a.app.cues.fired[0] is Cue.FOUND and b.app.cues.fired == []  # bob's window has the focus
    assert pygame.display.get_caption()[0].startswith("\u25cf ")
    _, o = first_mover(a, b)
    if a is o:  # bob moves first: ann's turn comes after it
        assert a.app.cues.fired == [Cue.FOUND]
        b.click_cell(2, 2)
        run_until(lambda: marks(a) == 1, a, b, what="bob's move on ann's board")
    for _ in range(5):
        a.step()
    assert a.app.cues.fired == [Cue.FOUND, Cue.TURN]  # once each, however many frames pass
    assert pygame.display.get_caption()[0] == cue_title(Cue.TURN)
    a.post([GAINED])
    a.step()
    assert pygame.display.get_caption()[0] == theme.TITLE and a.app.cues.shown is None


def test_cues_settle_into_the_loop_timing(pilots: list[Pilot], tmp_path) -> None:
    """The App wakes for the hurry cue while in the background, and not while in front."""
    pilot = launch(tmp_path / "ann")
    pilots.append(pilot)
    app = pilot.app
    start = app.clock()
    app.cues.on_event(update(Board.new(), left=30.0), start)
    assert app.cues.next_deadline() is None  # focused
    pilot.post([LOST])
    assert app.cues.next_deadline() == pytest.approx(start + 25.0)
    pilot.advance(24.5)
    assert app.next_timeout() == pytest.approx(0.5) and app.cues.fired == []
    pilot.advance(0.6)
    assert app.cues.fired == [Cue.HURRY]

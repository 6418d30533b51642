"""Playing the bot while the search goes on, and who is around: real Apps on our host (the matchmaker as it runs it)
and a stock Nakama stand-in.

Our host matches at once, so "an opponent comes later" is a second player queueing while
the first plays the bot; a search nobody else joins never matches. The waiting time is the
pilot's fake clock; the network runs in real time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from game.bot import Level
from tests.net.standins import LoopThread, NakamaStandIn
from tests.ui.netpilot import FAST, HostOnThread, board_ready, launch, marks, on, run_until, sign_in
from ui.pilot import Pilot
from ui.screens.login import LoginScreen
from ui.screens.matchmaking import MatchmakingScreen
from ui.screens.waitbot import OFFER_AFTER, WaitBotScreen
from ui.settings import NetSettings, PlaySettings

BOT = "Play the bot while you wait"


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostOnThread]:
    h = HostOnThread.start(tmp_path / "host", rematch_seconds=None)
    yield h
    h.close()


def tickets(host: HostOnThread) -> int:
    return host.call(lambda: len(host.host.runtime.matchmaker))


def waiting(pilots: list[Pilot], tmp_path: Path, host: HostOnThread, name: str = "ann", **kw) -> Pilot:
    """``name`` signed in and searching, alone."""
    pilot = launch(tmp_path / name, **kw)
    pilots.append(pilot)
    sign_in(pilot, name, host.address)
    run_until(lambda: on(pilot, "matchmaking") and pilot.screen.phase == "searching", pilot, what=f"{name} searching")
    return pilot


def bot_game(pilot: Pilot) -> WaitBotScreen:
    """Wait for the offer and take it: the bot game over the matchmaking screen."""
    pilot.advance(OFFER_AFTER + 0.1)
    assert BOT in pilot.screen.button_labels
    pilot.click(BOT)
    screen = pilot.screen
    assert isinstance(screen, WaitBotScreen) and isinstance(pilot.app.screens[-2], MatchmakingScreen)
    return screen


def test_the_offer_comes_after_fifteen_seconds_and_a_search_that_never_matches_can_be_stopped(pilots, tmp_path, host):
    ann = waiting(pilots, tmp_path, host)
    ann.advance(OFFER_AFTER - 0.5)
    assert BOT not in ann.screen.button_labels
    screen = bot_game(ann)
    run_until(lambda: screen.model.view is not None, ann, what="the bot game")
    assert tickets(host) == 1  # the search stays queued
    cell = (2, 2) if screen.model.view.your_turn else None
    if cell is None:
        run_until(lambda: screen.model.view.your_turn, ann, what="the bot's first move")
        cell = next((r, c) for r in (1, 2, 3) for c in (1, 2, 3) if screen.model.view.board.at(r, c) == -1)
    before = marks(ann)
    ann.click_cell(*cell)
    run_until(lambda: marks(ann) >= before + 1, ann, what="ann's move on the bot board")
    assert "Still looking for an opponent" in screen.hint_text
    ann.click("Stop looking")
    run_until(lambda: tickets(host) == 0, ann, what="the ticket withdrawn")
    assert ann.screen is screen and "Stop looking" not in screen.button_labels  # the bot game goes on
    ann.press("escape")  # leaving now: back to the sign-in form, nothing counted
    run_until(lambda: isinstance(ann.screen, LoginScreen), ann, what="the sign-in form")
    assert ann.app.summaries == []


def test_an_opponent_who_comes_while_the_bot_game_is_on_is_a_prompt_and_play_now_opens_the_match(pilots, tmp_path, host):
    ann = waiting(pilots, tmp_path, host)
    screen = bot_game(ann)
    bob = launch(tmp_path / "bob")
    pilots.append(bob)
    sign_in(bob, "bob", host.address)
    run_until(lambda: screen.found is not None, ann, bob, what="the prompt")
    assert screen.found.name == "bob" and screen.seconds_left == 20
    assert screen.button_labels == ["Play now", "Not now"] and screen.hint_text == "Enter plays now  ·  Esc not now"
    ann.advance(3.0)
    assert screen.seconds_left == 17
    ann.press("return")  # Play now
    run_until(lambda: board_ready(ann) and board_ready(bob), ann, bob, what="both boards")
    assert [s.name for s in ann.app.screens][-1] == "board" and not any(isinstance(s, (WaitBotScreen, MatchmakingScreen))
                                                                        for s in ann.app.screens)
    assert ann.app.summaries == []  # the bot game was dropped without counting


def test_a_prompt_left_alone_lets_the_match_go_and_the_search_goes_on(pilots, tmp_path, host):
    quick = NetSettings(session=dataclasses.replace(FAST, hold_seconds=0.5))
    ann = waiting(pilots, tmp_path, host, net=quick)
    screen = bot_game(ann)
    bob = launch(tmp_path / "bob")
    pilots.append(bob)
    sign_in(bob, "bob", host.address)
    run_until(lambda: screen.found is not None, ann, bob, what="the prompt")
    run_until(lambda: screen.found is None and screen.missed == "bob", ann, bob, what="the match let go")
    assert "bob did not wait: still looking" in screen.hint_text
    run_until(lambda: tickets(host) >= 1, ann, bob, what="ann queued again")
    assert isinstance(ann.screen, WaitBotScreen) and "Stop looking" in screen.button_labels


def test_leaving_the_bot_game_goes_back_to_the_search_which_then_joins_at_once(pilots, tmp_path, host):
    ann = waiting(pilots, tmp_path, host)
    bot_game(ann)
    ann.press("escape")
    assert isinstance(ann.screen, MatchmakingScreen)
    bob = launch(tmp_path / "bob")
    pilots.append(bob)
    sign_in(bob, "bob", host.address)
    run_until(lambda: board_ready(ann) and board_ready(bob), ann, bob, what="both boards")


def test_a_scripted_run_and_a_friend_code_are_never_offered_the_bot(pilots, tmp_path, host):
    auto = waiting(pilots, tmp_path, host, settings=PlaySettings(seed=1, auto_level=Level.PERFECT))
    auto.advance(OFFER_AFTER + 1)
    assert BOT not in auto.screen.button_labels and not auto.screen.bot_offered


def test_who_is_around_is_shown_from_our_host_and_hidden_for_good_on_a_stock_nakama(pilots, tmp_path, host):
    ann = waiting(pilots, tmp_path, host)
    run_until(lambda: ann.screen.around.text != "", ann, what="the figures")
    assert ann.screen.around.text == "You are the only player online  ·  0 games in progress" and ann.screen.shows_around
    eve = launch(tmp_path / "eve")
    pilots.append(eve)
    with LoopThread() as loop:
        nakama = loop.run(NakamaStandIn().start())
        try:
            sign_in(eve, "eve", nakama.address)
            screen = eve.screen
            run_until(lambda: screen.around.unsupported, eve, what="the stock module's 404")
            assert not screen.shows_around and screen.around.text == ""
            asked_at = screen.around.next_deadline()
            eve.advance(12.0)
            assert screen.around.next_deadline() is asked_at is None and not screen.around.due(eve.now)  # never again
            asked = [r for r in nakama.http_requests if r.path.startswith("/v2/rpc/")]
            assert [r.path for r in asked] == ["/v2/rpc/xoxo_stats"]
        finally:
            loop.run(nakama.stop())

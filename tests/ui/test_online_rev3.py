"""Issue 19 through real Apps against our host on loopback (and a stock Nakama stand-in): ratings on the board and the
leaderboard, leaving by closing the window, claims against an opponent who dropped, a game's end that stays on screen,
an aborted game, and a client killed mid-game that comes back to its game, or learns what the server recorded.

A killed client is played as its disk and the network see it: its data folder is copied as it was mid-game (what a
``kill -9`` leaves behind), its connection (through a relay) is cut without a word and the relay stopped, and the App
is never stepped again; the relaunch is a new App on the copy. (tests/ui/test_resume_process.py kills a real process.)
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from game.rules import Termination
from tests.net.standins import LoopThread, NakamaStandIn, TcpRelay
from tests.ui.netpilot import HostOnThread, board_ready, first_mover, launch, on, play_line, run_until, sign_in
from ui.pilot import Pilot
from ui.screens.confirm import ConfirmScreen
from ui.screens.connection import MatchEndedScreen
from ui.screens.leaderboard import LeaderboardScreen
from ui.screens.login import LoginScreen
from ui.screens.menu import MenuScreen
from ui.screens.resume import ResumeOfferScreen, offer_resume
from ui.seats import Seat
from ui.userdata import UserData


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostOnThread]:
    h = HostOnThread.start(tmp_path / "host", rematch_seconds=None, turn_seconds=0, grace_seconds=20)
    yield h
    h.close()


def player(pilots: list[Pilot], folder: Path) -> Pilot:
    pilot = launch(folder)
    pilots.append(pilot)
    return pilot


def pair(pilots: list[Pilot], tmp_path: Path, ann_server: str, bob_server: str) -> tuple[Pilot, Pilot]:
    a, b = player(pilots, tmp_path / "ann"), player(pilots, tmp_path / "bob")
    sign_in(a, "ann", ann_server)
    sign_in(b, "bob", bob_server)
    run_until(lambda: board_ready(a) and board_ready(b), a, b, what="both boards")
    return a, b


def test_a_rated_game_shows_both_ratings_and_the_change_and_the_leaderboard_lists_both(pilots, tmp_path, host) -> None:
    a, b = pair(pilots, tmp_path, host.address, host.address)
    assert a.screen.model.label.rated, "two players paired by Find an opponent: a rated match"
    assert (a.screen.model.rating_label(1), a.screen.model.rating_label(2)) == ("1500?", "1500?")
    x, o = first_mover(a, b)
    play_line(x, o)
    run_until(lambda: x.screen.model.ratings.change is not None and o.screen.model.ratings.change is not None, a, b,
              what="both rating changes")
    won, lost = x.screen.model.rating_label(x.screen.view.you), o.screen.model.rating_label(o.screen.view.you)
    assert won.startswith("1662? +") and lost.startswith("1338? \u2212"), (won, lost)
    assert x.screen.model.rating_label(o.screen.view.you) == lost, "the opponent's change beside their name too"
    winner = "ann" if x is a else "bob"
    assert UserData(tmp_path / winner).rating_on(host.address, x.app.userdata.session_device_id()) == 1662

    x.press("escape")  # the game is over: straight back to the menu
    assert isinstance(x.screen, MenuScreen)
    x.click("Play online")
    x.click("Leaderboard")
    board = x.screen
    assert isinstance(board, LeaderboardScreen)
    run_until(lambda: board.phase == "loaded", x, o, what="the leaderboard")
    assert [(r.entry.rank, r.entry.username, r.entry.label, r.entry.record, r.mine) for r in board.rows] == [
        (1, winner, "1662?", "1-0-0", True), (2, "bob" if x is a else "ann", "1338?", "0-1-0", False)]
    assert board.standing_text == "You: #1 of 2  ·  1662?  ·  W 1  ·  L 0  ·  D 0"
    x.press("escape")
    assert isinstance(x.screen, LoginScreen)
    run_until(lambda: host.stats().connected == 1, x, o, what="the leaderboard's connection let go")


def test_a_stock_nakamas_leaderboard_says_plainly_that_it_keeps_no_ratings(pilots, tmp_path) -> None:
    a = player(pilots, tmp_path / "ann")
    with LoopThread() as loop:
        nakama = loop.run(NakamaStandIn().start())
        try:
            a.click("Play online")
            login = a.screen
            login.name_field.text, login.server_field.text = "ann", nakama.address
            a.click("Leaderboard")
            board = a.screen
            run_until(lambda: board.phase != "loading", a, what="the answer")
            assert board.phase == "no_ratings" and board.status_text == "This server keeps no ratings"
            assert board.detail_text.startswith("Its games are not rated and it has no leaderboard")
            assert board.button_labels == ["Back"]
        finally:
            loop.run(nakama.stop())


def test_closing_the_window_mid_game_asks_then_leaves_the_opponent_wins_and_history_says_lost(pilots, tmp_path,
                                                                                               host) -> None:
    a, b = pair(pilots, tmp_path, host.address, host.address)
    x, o = first_mover(a, b)
    x.click_cell(2, 2)
    run_until(lambda: o.screen.view.board.at(2, 2) != -1, a, b, what="the first move")
    o.post([pygame.event.Event(pygame.QUIT)])
    assert isinstance(o.screen, ConfirmScreen) and o.screen.buttons.focus.label == "Keep playing"
    o.press("return")
    assert on(o, "board") and o.app.running, "Enter keeps playing"
    o.post([pygame.event.Event(pygame.QUIT)])
    o.click("Leave and quit")
    assert not o.app.running
    assert [(g.result, g.termination) for g in o.app.userdata.history] == [("loss", Termination.OPPONENT_LEFT)]
    run_until(lambda: on(x, "opponent-left"), x, what="the other player told")
    assert isinstance(x.screen, MatchEndedScreen) and "Final score: You 1" in x.screen.message


def test_claiming_the_win_against_an_opponent_who_dropped_and_stays_away(pilots, tmp_path) -> None:
    host = HostOnThread.start(tmp_path / "host", rematch_seconds=None, turn_seconds=0, grace_seconds=2.0)
    try:
        with LoopThread() as loop:
            relay = loop.run(TcpRelay(host.port).start())
            a, _b = pair(pilots, tmp_path, host.address, relay.address)  # bob's connection goes through the relay
            loop.run(relay.stop())  # bob's network goes, for good
            run_until(lambda: a.screen.model.absence.hold is not None, a, what="ann sees bob away")
            assert a.screen.model.absence.title("?") == "bob is away"
            run_until(lambda: "Claim the win" in a.screen.button_labels, a, what="the claim open")
            a.click("Claim the win")
            run_until(lambda: a.screen.model.game_over, a, what="the claimed game")
            assert a.screen.model.banner_text == "You won"
            assert a.screen.model.detail_text.startswith("You claimed the win: bob stayed away")
            assert a.app.userdata.history[0].termination is Termination.CLAIMED
    finally:
        host.close()


def test_the_end_of_a_game_stays_on_screen_when_the_opponent_leaves_and_says_why(pilots, tmp_path, host) -> None:
    a, b = pair(pilots, tmp_path, host.address, host.address)
    x, o = first_mover(a, b)
    play_line(x, o)
    o.press("escape")  # the loser goes to the menu instead of playing again
    assert isinstance(o.screen, MenuScreen)
    loser = "bob" if o is b else "ann"
    run_until(lambda: x.screen.model.match_over, x, o, what="the winner told")
    x.advance(20.0)
    assert on(x, "board") and x.screen.model.banner_text == "You won", "the final board and result stay"
    assert x.screen.model.detail_text == "Three in a row!"
    assert x.screen.model.status_text == f"{loser} left instead of playing again", "over the board: who left, and why"
    assert x.screen.button_labels == ["Find a new opponent", "Menu"]
    x.click("Find a new opponent")
    run_until(lambda: on(x, "matchmaking") and x.screen.phase == "searching", x, what="a new search")


def test_a_first_move_never_made_aborts_the_game_with_no_winner(pilots, tmp_path) -> None:
    host = HostOnThread.start(tmp_path / "host", rematch_seconds=None, turn_seconds=1, grace_seconds=20)
    try:
        a, b = pair(pilots, tmp_path, host.address, host.address)
        run_until(lambda: a.screen.model.game_over and b.screen.model.game_over, a, b, what="the abort")
        for p in (a, b):
            assert p.screen.model.banner_text == "Game aborted" and p.screen.model.ratings.change is None
            assert p.screen.button_labels == ["Rematch", "Leave"], "the offer of the next game stays open"
        x = a if a.screen.view.aborted_by == a.screen.view.you else b
        assert x.screen.model.detail_text == "You never made your first move"
        assert [g.termination for g in a.app.userdata.history] == [Termination.ABORTED]
        assert a.app.userdata.mode_stats["online"].games == 0, "an aborted game counts for nobody"
    finally:
        host.close()


class Cable(TcpRelay):
    """ann's network: a relay that can be unplugged (every connection cut, new ones refused) and plugged in again."""

    plugged = True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.plugged:
            writer.transport.abort()
            return
        await super()._accept(reader, writer)

    def unplug(self) -> None:
        self.plugged = False
        self.cut()


def killed_mid_game(pilots: list[Pilot], tmp_path: Path, host: HostOnThread, loop: LoopThread) -> tuple[Pilot, Pilot, Path]:
    """ann (through a cable) and bob one move into a game; then ann's process 'dies': her folder copied as the kill left
    it, her connection gone without a word, her network thread stopped, her App never stepped again. The cable is
    plugged in again for the relaunch, at the same address. Returns (ann's dead App, bob, the copy)."""
    cable = loop.run(Cable(host.port).start())
    a, b = pair(pilots, tmp_path, cable.address, host.address)
    x, _o = first_mover(a, b)
    x.click_cell(2, 2)
    run_until(lambda: a.screen.view.board.at(2, 2) != -1 and b.screen.view.board.at(2, 2) != -1, a, b,
              what="the first move")
    seat = a.app.userdata.seat(cable.address, a.app.userdata.session_device_id())
    assert seat is not None and seat.moves == ((2, 2, x.screen.view.you),) and seat.opponent == "bob", "the game is noted"
    copy = tmp_path / "ann-after-the-kill"
    shutil.copytree(tmp_path / "ann", copy, ignore=shutil.ignore_patterns("instance-*.lock"))
    loop.loop.call_soon_threadsafe(cable.unplug)  # the kill: the socket goes without a goodbye...
    assert a.app.network.stop(timeout=5.0)  # ...and nothing of ann's process is left to try again
    run_until(lambda: b.screen.model.absence.hold is not None, b, what="bob told ann is away")
    cable.plugged = True
    return a, b, copy


def test_a_client_killed_mid_game_is_offered_its_game_on_the_menu_and_gets_it_back_as_it_was(pilots, tmp_path) -> None:
    host = HostOnThread.start(tmp_path / "host", rematch_seconds=None, turn_seconds=30, grace_seconds=20)
    try:
        resumed(pilots, tmp_path, host)
    finally:
        host.close()


def resumed(pilots: list[Pilot], tmp_path: Path, host: HostOnThread) -> None:
    with LoopThread() as loop:
        dead, b, copy = killed_mid_game(pilots, tmp_path, host, loop)
        before = dead.screen.view
        assert before.turn_seconds == 30 and before.turn_seconds_left is not None
        again = player(pilots, copy)
        offer = offer_resume(again.app)  # what the launch does when the menu opens
        assert isinstance(offer, ResumeOfferScreen)
        run_until(lambda: offer.phase == "held", again, b, what="the offer")
        assert offer.title == "Your game against bob is still on"
        label = offer.button_labels[0]
        assert label.startswith("Resume (") and label.endswith(" s)") and offer.button_labels[1] == "Not now"
        assert offer.buttons.focus is offer.resume_button
        again.press("return")
        run_until(lambda: board_ready(again) and not b.screen.model.paused, again, b, what="back in the game")
        view = again.screen.view
        assert view.board.cells == before.board.cells and view.your_turn == before.your_turn and view.you == before.you
        assert view.turn_seconds == 30 and view.turn_seconds_left is not None, "the turn's clock comes back with it"
        assert again.screen.model.turn_seconds_left is not None and again.screen.model.status_text.endswith(" s")
        mover = again if view.your_turn else b
        mover.click_cell(1, 1)
        run_until(lambda: again.screen.view.board.at(1, 1) != -1 and b.screen.view.board.at(1, 1) != -1, again, b,
                  what="play going on")
        seat = again.app.userdata.seats[0]
        assert len(seat.moves) == 2, "the relaunched client notes the game as it goes on"


def test_once_the_hold_has_run_out_the_offer_is_gone_and_history_lists_the_game_with_the_servers_verdict(
        pilots, tmp_path) -> None:
    host = HostOnThread.start(tmp_path / "host", rematch_seconds=None, turn_seconds=0, grace_seconds=1.5)
    try:
        with LoopThread() as loop:
            _dead, b, copy = killed_mid_game(pilots, tmp_path, host, loop)
            again = player(pilots, copy)
            offer = offer_resume(again.app)
            assert offer is not None
            run_until(lambda: offer.phase == "over", again, b, what="the verdict")
            assert offer.title == "Your game against bob is over"
            assert offer.message.startswith("You lost: you did not come back in time. Your rating: 1338 (\u2212162).")
            assert offer.button_labels == ["OK"]
            (game,) = again.app.userdata.history
            assert (game.abandoned, game.result, game.opponent, len(game.moves)) == (True, "loss", "bob", 1)
            assert again.app.userdata.seats == [], "the note is gone once the verdict is recorded"
            again.press("return")
            assert isinstance(again.screen, MenuScreen)
            again.click("History")
            assert again.screen.rows[0].summary.abandoned
    finally:
        host.close()


def test_on_a_server_that_cannot_say_the_offer_is_to_try_going_back(pilots, tmp_path) -> None:
    folder = tmp_path / "ann"
    with LoopThread() as loop:
        nakama = loop.run(NakamaStandIn().start())
        try:
            store = UserData(folder)
            store.remember_seat(Seat(nakama.address, store.profile.device_id, "M1.nakama", 1, name="ann",
                                     opponent="bob", you=1, moves=((2, 2, 1),)))
            store.close()
            a = player(pilots, folder)
            offer = offer_resume(a.app)
            assert offer is not None
            run_until(lambda: offer.phase == "maybe", a, what="the stock module's answer: no such RPC")
            assert offer.title == "Your game against bob may still be on"
            assert offer.button_labels == ["Try to resume", "Not now"]
            a.press("escape")
            assert isinstance(a.screen, MenuScreen) and a.app.userdata.seats != [], "not now: asked again next launch"
        finally:
            loop.run(nakama.stop())

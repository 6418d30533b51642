"""The history: games kept after they end, in every mode, listed newest first and replayed move by move."""

from __future__ import annotations

from game.rules import EMPTY, Mark, Result, Termination
from ui.pilot import Pilot
from ui.results import GameMode, GameSummary
from ui.screens.history import HistoryScreen, ReplayScreen, when
from ui.userdata import UserData

WIN = ((1, 1, 1), (2, 1, 2), (1, 2, 1), (2, 2, 2), (1, 3, 1))


def test_a_game_played_shows_up_in_the_history_and_replays_move_by_move(pilot: Pilot) -> None:
    pilot.click("Perfect")
    for cell in [(2, 2), (1, 1), (3, 3), (1, 3), (3, 1)]:  # whatever happens, the game ends within these
        if pilot.screen.model.game_over:
            break
        free = [(r, c) for r in (1, 2, 3) for c in (1, 2, 3) if pilot.screen.view.board.at(r, c) == EMPTY]
        pilot.click_cell(*(cell if cell in free else free[0]))
        pilot.advance(1.0)
    pilot.wait_until(lambda: pilot.screen.model.game_over, what="the end of the game")
    played = pilot.app.summaries[-1]
    pilot.press("escape")
    pilot.click("History")
    history = pilot.screen
    assert isinstance(history, HistoryScreen) and len(history.rows) == 1
    assert history.rows[0].summary.moves == played.moves
    assert history.buttons.focus is history.rows[0]
    pilot.press("return")
    replay = pilot.screen
    assert isinstance(replay, ReplayScreen)
    assert replay.board.cells == played.positions()[-1].cells  # it opens on the end, as the game finished
    pilot.press("home")
    assert replay.step == 0 and all(c == EMPTY for c in replay.board.cells)
    pilot.press("right")
    assert replay.board.at(*played.moves[0][:2]) == played.moves[0][2]
    assert replay.status_text == f"Move 1 of {len(played.moves)}"
    pilot.press("space")  # plays on by itself, a move every 0.8 s, and stops at the end
    pilot.advance(0.8 * len(played.moves) + 1)
    assert replay.step == len(played.moves) and not replay.playing
    assert replay.status_text.endswith(("(three in a row)", "(a full board)"))
    pilot.press("escape")
    assert pilot.screen is history


def test_the_history_lists_every_mode_with_its_record(data_dir) -> None:
    store = UserData(data_dir)
    store.record_game(GameSummary(GameMode.ONLINE, None, Mark.CROSS, Result.WIN, WIN, Mark.CROSS, "ann", "bob", ended_at=1.0e9))
    store.record_game(GameSummary(GameMode.LAN, None, Mark.NOUGHT, Result.LOSS, WIN, Mark.CROSS, "ann", "cat", ended_at=1.1e9))
    with Pilot.launch(data_dir=data_dir) as pilot:
        pilot.click("History")
        screen = pilot.screen
        assert [row.summary.opponent for row in screen.rows] == ["cat", "bob"], "newest first"
        stats = pilot.app.userdata.mode_stats
        assert (stats[GameMode.ONLINE].wins, stats[GameMode.LAN].losses, stats[GameMode.BOT].games) == (1, 1, 0)
        pilot.click(screen.rows[1].rect.center)
        assert isinstance(pilot.screen, ReplayScreen) and pilot.screen.summary.opponent == "bob"


def test_times_read_as_a_person_says_them() -> None:
    import time

    now = time.mktime((2026, 11, 30, 15, 0, 0, 0, 0, -1))
    assert when(now - 3600, now).startswith("Today ")
    assert when(now - 86400, now).startswith("Yesterday ")
    assert when(time.mktime((2026, 3, 3, 21, 40, 0, 0, 0, -1)), now) == "3 Mar 21:40"
    assert when(time.mktime((2025, 3, 3, 21, 40, 0, 0, 0, -1)), now) == "3 Mar 2025"


def test_the_mode_tiles_filter_the_list_and_a_second_press_shows_every_game_again(data_dir) -> None:
    store = UserData(data_dir)
    for mode, opponent in ((GameMode.ONLINE, "bob"), (GameMode.LAN, "cat"), (GameMode.ONLINE, "dan")):
        store.record_game(GameSummary(mode, None, Mark.CROSS, Result.WIN, WIN, Mark.CROSS, "ann", opponent, ended_at=1.0e9))
    with Pilot.launch(data_dir=data_dir) as pilot:
        pilot.click("History")
        screen = pilot.screen
        assert [row.summary.opponent for row in screen.rows] == ["dan", "cat", "bob"]
        pilot.click(screen.tiles[2].rect.center)  # Online
        assert screen.mode is GameMode.ONLINE and [row.summary.opponent for row in screen.rows] == ["dan", "bob"]
        pilot.press("return")  # the focus stayed on the tile: Enter shows every game again
        assert screen.mode is None and len(screen.rows) == 3
        pilot.press("left", "left", "return")  # Bot: none yet
        assert screen.mode is GameMode.BOT and screen.rows == [] and screen.buttons.focus is screen.tiles[0]
        pilot.press("down")
        assert screen.buttons.focus is screen.back_button


def test_a_replay_says_who_left_and_a_game_of_no_moves_shows_its_result_at_once() -> None:
    left = GameSummary(GameMode.ONLINE, None, Mark.CROSS, Result.LOSS, WIN[:2], Mark.CROSS, "ann", "bob",
                       termination=Termination.OPPONENT_LEFT)
    assert ReplayScreen(left).result_text == "Lost (you left)"
    won = GameSummary(GameMode.ONLINE, None, Mark.CROSS, Result.WIN, (), Mark.CROSS, "ann", "bob",
                      termination=Termination.OPPONENT_LEFT)
    replay = ReplayScreen(won)
    assert replay.result_text == "Won (bob left)"
    assert replay.status_text == "No moves  ·  Won (bob left)", "a game over before its first move still says how it ended"

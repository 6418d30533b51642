"""Playing the bot on the real board screen, driven headless by the pilot: mouse, keyboard, time, resize."""

from __future__ import annotations

import random

from game.bot import Level, choose_move
from game.local import THINK_SECONDS
from game.rules import EMPTY, Board
from net.messages import SendMove
from ui import theme
from ui.pilot import Pilot
from ui.screens.board import BoardScreen
from ui.screens.confirm import ConfirmScreen
from ui.screens.menu import MenuScreen

DIGIT_OF = {
    (1, 1): "7", (1, 2): "8", (1, 3): "9",
    (2, 1): "4", (2, 2): "5", (2, 3): "6",
    (3, 1): "1", (3, 2): "2", (3, 3): "3",
}


def count(board: Board, player: int) -> int:
    return sum(1 for c in board.cells if c == player)


def board_screen(pilot: Pilot) -> BoardScreen:
    screen = pilot.screen
    assert isinstance(screen, BoardScreen), screen
    return screen


def start(pilot: Pilot, level: str) -> BoardScreen:
    pilot.click(level.title())
    screen = board_screen(pilot)
    assert screen.view is not None and screen.view.your_turn
    return screen


def finish_game(pilot: Pilot, strategy: str, rng: random.Random) -> str:
    """Play the player's side with a bot strategy through clicks until the game ends; the result."""
    screen = board_screen(pilot)
    for _ in range(200):
        view = screen.view
        assert view is not None
        if view.board.is_over:
            assert view.result is not None
            return view.result
        if view.your_turn:
            pilot.click_cell(*choose_move(view.board, strategy, rng))
        pilot.advance(0.1)
    raise AssertionError("the game did not end")


def finish_with(pilot: Pilot, strategy: str, result: str, rng: random.Random, tries: int = 20) -> None:
    """Play games (Rematch after each) with a bot strategy until one ends in ``result``."""
    for _ in range(tries):
        if finish_game(pilot, strategy, rng) == result:
            return
        pilot.press("r")
    raise AssertionError(f"no {result} in {tries} games")


def test_a_click_places_the_mark_and_the_bot_answers_after_its_pause(pilot: Pilot) -> None:
    screen = start(pilot, "normal")
    pilot.click_cell(2, 2)
    board = screen.view.board
    assert board.at(2, 2) == 1 and count(board, 2) == 0
    assert screen.model.last_move == (2, 2)
    assert screen.model.status_text == "Bot (normal) is thinking…"
    # The App sleeps exactly until the bot is due, and keeps drawing frames meanwhile.
    assert 0 < pilot.app.next_timeout() <= THINK_SECONDS[1]
    pilot.advance(THINK_SECONDS[0] - 0.01)
    assert count(screen.view.board, 2) == 0, "the bot answered before its shortest pause"
    pilot.hover_cell(1, 1)
    assert screen.hover == (1, 1), "the window must stay responsive while the bot thinks"
    pilot.advance(THINK_SECONDS[1] - THINK_SECONDS[0] + 0.02)
    board = screen.view.board
    assert count(board, 2) == 1, "the bot did not answer within its longest pause"
    assert screen.model.last_move is not None and board.at(*screen.model.last_move) == 2
    assert screen.view.your_turn and screen.model.status_text == "Your turn"


def test_a_game_ends_with_a_banner_then_rematch_alternates_the_first_player(pilot: Pilot) -> None:
    start(pilot, "perfect")
    screen = board_screen(pilot)
    result = finish_game(pilot, "perfect", random.Random(5))
    assert result == "draw"  # perfect against perfect
    assert screen.model.banner_text == "Draw"
    assert screen.model.detail_text == "Nobody wins this one", "the bot is always ready: nothing to say about it"
    assert screen.button_labels == ["Play again", "Menu"], "not 'Accept rematch': the bot asks nothing"
    first_game = screen.view
    assert first_game.board.first == 1

    pilot.click("Play again")
    second = screen.view
    assert second.game == 2 and second.board.first == 2, "the bot starts the second game"
    assert screen.model.banner_text is None and screen.button_labels == ["Menu"]
    assert not second.your_turn
    pilot.advance(0.75)
    assert count(screen.view.board, 2) == 1 and screen.view.your_turn

    result = finish_game(pilot, "perfect", random.Random(6))
    assert result == "draw"
    pilot.press("r")
    assert screen.view.game == 3 and screen.view.board.first == 1 and screen.view.your_turn

    pilot.click("Menu")  # game 3 has no move of ours yet: leaving it loses nothing, so nothing is asked
    assert isinstance(pilot.screen, MenuScreen)
    assert pilot.caption("Perfect") == "W 0  ·  L 0  ·  D 2"  # game 3 was left before a move: not counted


def test_won_and_lost_games_say_so_and_draw_the_winning_line(pilot: Pilot) -> None:
    rng = random.Random(11)
    screen = start(pilot, "easy")
    finish_with(pilot, "perfect", "win", rng)
    assert screen.model.banner_text == "You won"
    assert screen.view.line is not None and all(screen.view.board.at(*c) == 1 for c in screen.view.line)
    assert screen.model.detail_text.startswith("Three in a row")
    pilot.press("escape")

    screen = start(pilot, "perfect")
    finish_with(pilot, "easy", "loss", rng)
    assert screen.model.banner_text == "You lost"
    assert screen.view.line is not None and all(screen.view.board.at(*c) == 2 for c in screen.view.line)
    pilot.press("escape")
    assert pilot.caption("Easy").startswith("W 1") and "L 1" in pilot.caption("Perfect")


def test_digits_play_in_keypad_layout(pilot: Pilot) -> None:
    screen = start(pilot, "easy")
    pilot.press("7")
    assert screen.view.board.at(1, 1) == 1
    pilot.advance(0.75)
    free = [cell for cell in DIGIT_OF if screen.view.board.at(*cell) == EMPTY]
    target = free[-1]
    pilot.press("kp" + DIGIT_OF[target])  # the numeric keypad works the same
    assert screen.view.board.at(*target) == 1
    pilot.advance(0.75)
    target = next(cell for cell in DIGIT_OF if screen.view.board.at(*cell) == EMPTY)
    pilot.press(DIGIT_OF[target])
    assert screen.view.board.at(*target) == 1


def test_arrows_move_a_cursor_and_enter_or_space_places(pilot: Pilot) -> None:
    screen = start(pilot, "easy")
    pilot.press("return")
    assert screen.view.board.at(2, 2) == 1, "the cursor starts in the centre"
    pilot.advance(0.75)
    target = next(cell for cell in [(1, 1), (1, 3), (3, 1), (3, 3)] if screen.view.board.at(*cell) == EMPTY)
    keys = ["up" if target[0] == 1 else "down", "left" if target[1] == 1 else "right"]
    pilot.press(*keys)
    assert screen.cursor == target and screen.cursor_visible
    pilot.press("space")
    assert screen.view.board.at(*target) == 1
    pilot.advance(0.75)
    pilot.press("up", "up", "up", "left", "left", "left")  # stops at the edge
    assert screen.cursor == (1, 1)


def test_clicks_that_cannot_be_moves_are_explained_not_sent(pilot: Pilot) -> None:
    screen = start(pilot, "normal")
    pilot.click_cell(1, 1)
    pilot.click_cell(3, 3)  # before the bot answered
    assert screen.model.toast_text == "Wait for your turn"
    assert screen.view.board.at(3, 3) == EMPTY
    pilot.advance(0.75)
    assert screen.view.your_turn and screen.model.toast_text is None, "the notice went when the turn came"
    pilot.click_cell(1, 1)
    assert screen.model.toast_text == "That square is taken"
    pilot.advance(3)
    assert screen.model.toast_text is None


def test_a_move_the_match_refuses_comes_back_as_a_message(pilot: Pilot) -> None:
    screen = start(pilot, "normal")
    pilot.click_cell(2, 2)
    pilot.advance(0.75)
    screen.controller.send(SendMove(2, 2))  # straight to the match handler, past the screen's own checks
    pilot.step()
    assert screen.model.toast_text == "That square is taken"
    assert screen.view.board.at(2, 2) == 1


def test_after_a_resize_clicks_still_land_on_the_square_under_the_mouse(pilot: Pilot) -> None:
    screen = start(pilot, "easy")
    default_centre = pilot.cell_center(3, 1)
    for size in [(480, 540), (1100, 620), (520, 980)]:
        pilot.resize(*size)
        assert pilot.app.size == size
        centres = {cell: pilot.cell_center(*cell) for cell in DIGIT_OF}
        assert all(0 < x < size[0] and 0 < y < size[1] for x, y in centres.values())
        assert centres[(1, 1)][0] < centres[(1, 2)][0] < centres[(1, 3)][0]
        assert centres[(1, 1)][1] < centres[(2, 1)][1] < centres[(3, 1)][1]
    assert pilot.cell_center(3, 1) != default_centre
    pilot.click_cell(3, 1)
    assert screen.view.board.at(3, 1) == 1
    pilot.advance(1)
    # The mark is drawn where the click was: the centre of an X is in the X colour.
    pixel = pilot.snapshot().get_at(pilot.cell_center(3, 1))
    assert max(abs(a - b) for a, b in zip(pixel[:3], theme.X_COLOR[:3], strict=True)) < 40


def test_the_window_never_gets_smaller_than_the_minimum(pilot: Pilot) -> None:
    pilot.resize(200, 150)
    assert pilot.app.size == theme.MIN_SIZE


def test_escape_asks_before_leaving_a_game_in_progress_which_then_counts_as_a_loss(pilot: Pilot) -> None:
    board = start(pilot, "easy")
    pilot.click_cell(2, 2)
    pilot.press("escape")
    question = pilot.screen
    assert isinstance(question, ConfirmScreen) and question.question == "Leave this game?"
    assert question.consequence == "It counts as a loss."
    pilot.press("escape")  # Esc again keeps playing: Esc, Esc never forfeits and quits
    assert pilot.screen is board and pilot.app.running
    pilot.press("escape")
    pilot.press("return")  # the focus starts on "Keep playing"
    assert pilot.screen is board
    pilot.press("escape")
    pilot.click("Leave")
    assert isinstance(pilot.screen, MenuScreen)
    assert pilot.caption("Easy") == "W 0  ·  L 1  ·  D 0"
    assert pilot.app.sources == (), "the finished game is no longer polled"


def test_the_auto_player_plays_our_side_and_asks_for_rematches(data_dir) -> None:
    from ui.settings import PlaySettings

    with Pilot.launch(data_dir=data_dir, settings=PlaySettings(auto_level=Level.PERFECT, seed=3)) as pilot:
        pilot.click("Perfect")
        pilot.wait_until(lambda: len(pilot.app.summaries) >= 3, timeout=60, what="three finished games")
        summaries = pilot.app.summaries[:3]
        assert [s.result for s in summaries] == ["draw"] * 3
        assert [s.first for s in summaries] == ["X", "O", "X"]
        assert all(s.mode == "bot" and s.level == "perfect" and s.mark == "X" and len(s.moves) == 9 for s in summaries)


def test_esc_on_the_menu_does_not_quit(pilot: Pilot) -> None:
    pilot.press("escape")
    assert pilot.app.running and isinstance(pilot.screen, MenuScreen)
    pilot.click("Quit")
    assert not pilot.app.running


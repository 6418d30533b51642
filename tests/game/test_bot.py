"""The bot: every level's promises, perfect play over the whole game tree, and the CLI."""

from __future__ import annotations

import functools
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from game import bot as bot_module
from game.bot import LEVELS, Bot, Level, best_moves, choose_move, clear_cache, parse_level, play_series, warm_up
from game.rules import Board, Cell, GameOverError, Termination, from_state, other, reachable_positions

REPO = Path(__file__).resolve().parents[2]


def play(*moves: Cell, first: int = 1) -> Board:
    """The board after ``moves``, alternating from ``first``."""
    board = Board.new(first)
    for row, col in moves:
        board = board.play(row, col)
    return board


@functools.cache
def live_positions(first: int) -> tuple[Board, ...]:
    """One board for every distinct unfinished position reachable when ``first`` starts."""
    return tuple(reachable_positions(first))


def all_live_positions() -> tuple[Board, ...]:
    return live_positions(1) + live_positions(2)


def wins_now(board: Board, player: int) -> list[Cell]:
    """Cells where ``player`` would complete a line on ``board`` right now (rules only)."""
    return _wins_now(board.cells, player)


@functools.cache
def _wins_now(cells: tuple[int, ...], player: int) -> list[Cell]:
    board = Board(cells, to_move=player)
    out = []
    for cell in board.legal_moves():
        after = board.play(*cell)
        if after.outcome is not None and after.outcome.winner == player:
            out.append(cell)
    return out


def rng_for(*parts: object) -> random.Random:
    return random.Random("/".join(map(str, parts)))


# Levels and bad input ----------------------------------------------------------------


def test_levels_are_named_and_parsed() -> None:
    assert LEVELS == ("easy", "normal", "perfect")
    assert [parse_level(name) for name in LEVELS] == [Level.EASY, Level.NORMAL, Level.PERFECT]
    assert parse_level(Level.NORMAL) is Level.NORMAL
    assert Level.PERFECT == "perfect" and str(Level.PERFECT) == "perfect"


@pytest.mark.parametrize("level", ["hard", "", "Perfect", " easy", 3, None, ("perfect",)])
def test_unknown_level_is_refused_with_the_valid_names(level: object) -> None:
    with pytest.raises(ValueError, match=r"unknown bot level .*easy, normal, perfect"):
        choose_move(Board.new(), level, random.Random(0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown bot level"):
        Bot(level)  # type: ignore[arg-type]


FINISHED = {
    "won": play((1, 1), (2, 1), (1, 2), (2, 2), (1, 3)),
    "drawn": play((1, 1), (1, 2), (1, 3), (2, 2), (2, 1), (2, 3), (3, 2), (3, 1), (3, 3)),
    "timed out": play((1, 1)).finish(Termination.TIMEOUT, 1),
    "state says won": from_state({"cells": [[1, 1, 1], [2, 2, -1], [-1, -1, -1]], "player_turn": 2, "winner": 1}),
}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", FINISHED)
def test_finished_board_is_refused(level: str, name: str) -> None:
    with pytest.raises(GameOverError, match="game is over"):
        choose_move(FINISHED[name], level, random.Random(0))
    assert issubclass(GameOverError, ValueError)


def test_finished_board_is_refused_by_best_moves_too() -> None:
    with pytest.raises(ValueError, match="game is over"):
        best_moves(FINISHED["drawn"])


def test_a_line_on_the_cells_counts_as_finished_even_without_an_outcome() -> None:
    board = Board(cells=(1, 1, 1, 2, 2, -1, -1, -1, -1), first=1, to_move=2)
    with pytest.raises(GameOverError):
        choose_move(board, "perfect", random.Random(0))


def test_garbage_positions_are_refused() -> None:
    with pytest.raises(ValueError, match="not a tic-tac-toe position"):
        choose_move(Board(cells=(7,) * 9), "normal", random.Random(0))
    with pytest.raises(ValueError, match="not a tic-tac-toe position"):
        choose_move(Board(to_move=3), "normal", random.Random(0))
    with pytest.raises(TypeError, match="expected a Board"):
        choose_move([[-1] * 3] * 3, "easy", random.Random(0))  # type: ignore[arg-type]


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_plays_a_legal_move_everywhere(level: str) -> None:
    for n, board in enumerate(all_live_positions()):
        assert choose_move(board, level, rng_for(level, n)) in board.legal_moves()


# Easy and normal ---------------------------------------------------------------------


@pytest.mark.parametrize("level", ["easy", "normal"])
def test_easy_and_normal_take_an_immediate_win(level: str) -> None:
    checked = 0
    for n, board in enumerate(all_live_positions()):
        wins = wins_now(board, board.to_move)
        if wins:
            checked += 1
            assert choose_move(board, level, rng_for(level, n)) in wins, board
    assert checked > 1000


def test_normal_blocks_an_immediate_threat() -> None:
    checked = 0
    for n, board in enumerate(all_live_positions()):
        threats = wins_now(board, other(board.to_move))
        if threats and not wins_now(board, board.to_move):
            checked += 1
            assert choose_move(board, "normal", rng_for(n)) in threats, board
    assert checked > 1000


def test_normal_sometimes_misses_the_fork_after_opposite_corners() -> None:
    # X in opposite corners, O in the centre: O must answer on a side; a corner lets X fork.
    board = play((1, 1), (2, 2), (3, 3))
    replies = {choose_move(board, "normal", random.Random(seed)) for seed in range(100)}
    sides = {(1, 2), (2, 1), (2, 3), (3, 2)}
    assert replies & sides, "normal never defends the fork"
    assert replies - sides, "normal never misses the fork"


def test_normal_is_beatable_but_beats_easy() -> None:
    against_perfect = play_series("perfect", "normal", 300, seed=3)
    assert against_perfect["o_wins"] == 0 and against_perfect["x_wins"] > 0
    against_easy = play_series("normal", "easy", 300, seed=3)
    assert against_easy["x_wins"] > 5 * against_easy["o_wins"]


def test_easy_is_mostly_random_and_loses_to_perfect() -> None:
    openings = {choose_move(Board.new(), "easy", random.Random(seed)) for seed in range(200)}
    assert len(openings) == 9
    totals = play_series("easy", "perfect", 200, seed=4)
    assert totals["x_wins"] == 0 and totals["o_wins"] > 100


# Perfect -----------------------------------------------------------------------------


def walk_with_every_best_move(board: Board, bot: int) -> tuple[int, int]:
    """(games, bot losses) over every opponent move and every equally good bot move."""
    if board.outcome is not None:
        return 1, int(board.outcome.winner == other(bot))
    moves = best_moves(board) if board.to_move == bot else board.legal_moves()
    games = losses = 0
    for cell in moves:
        g, lost = walk_with_every_best_move(board.play(*cell), bot)
        games, losses = games + g, losses + lost
    return games, losses


@pytest.mark.parametrize("first", [1, 2])
@pytest.mark.parametrize("bot", [1, 2], ids=["bot X", "bot O"])
def test_perfect_never_loses_over_the_whole_game_tree(first: int, bot: int) -> None:
    games, losses = walk_with_every_best_move(Board.new(first), bot)
    assert losses == 0
    assert games > 5000  # the walk really branched over every opponent reply


def walk_with_seeded_bot(board: Board, bot: int, seed: int, path: str = "") -> tuple[int, int]:
    """(games, bot losses) over every opponent move, the bot choosing through choose_move."""
    if board.outcome is not None:
        return 1, int(board.outcome.winner == other(bot))
    if board.to_move == bot:
        cell = choose_move(board, "perfect", rng_for(seed, path))
        return walk_with_seeded_bot(board.play(*cell), bot, seed, path + f"{cell[0]}{cell[1]}")
    games = losses = 0
    for cell in board.legal_moves():
        g, lost = walk_with_seeded_bot(board.play(*cell), bot, seed, path + f"{cell[0]}{cell[1]}")
        games, losses = games + g, losses + lost
    return games, losses


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_seeded_perfect_bot_never_loses_to_any_line(seed: int) -> None:
    for first in (1, 2):
        for bot in (1, 2):
            games, losses = walk_with_seeded_bot(Board.new(first), bot, seed)
            assert losses == 0 and games > 50


def test_perfect_choice_is_always_one_of_the_best_moves() -> None:
    for n, board in enumerate(all_live_positions()):
        best = best_moves(board)
        for seed in range(3):
            assert choose_move(board, Level.PERFECT, rng_for(seed, n)) in best


def test_perfect_takes_the_fastest_win() -> None:
    # X can win now at (1, 3); (2, 1) also wins, by a fork, but two moves later.
    board = play((1, 1), (2, 2), (1, 2), (3, 3), (3, 2), (2, 3))
    assert best_moves(board) == ((1, 3),)
    checked = 0
    for board in all_live_positions():
        wins = wins_now(board, board.to_move)
        if wins:
            checked += 1
            assert set(best_moves(board)) <= set(wins), board
    assert checked > 1000


def test_perfect_delays_a_loss() -> None:
    # O is lost (block at (3, 3), then X forks), but blocking puts the loss off.
    board = play((1, 1), (1, 2), (2, 2))
    assert best_moves(board) == ((3, 3),)
    # Everywhere: unless it wins at once, the bot never leaves an immediate win when
    # some move would not.
    checked = 0
    for board in all_live_positions():
        if wins_now(board, board.to_move):
            continue

        def gives_away(cell: Cell, board: Board = board) -> bool:
            after = board.play(*cell)
            return not after.is_over and bool(wins_now(after, after.to_move))

        if any(not gives_away(cell) for cell in board.legal_moves()):
            checked += 1
            assert not any(gives_away(cell) for cell in best_moves(board)), board
    assert checked > 1000


def test_perfect_opening_draws_anywhere_and_seeds_vary_it() -> None:
    assert len(best_moves(Board.new())) == 9
    openings = {choose_move(Board.new(), "perfect", random.Random(seed)) for seed in range(60)}
    assert len(openings) >= 6
    replies = {choose_move(play((2, 2)), "perfect", random.Random(seed)) for seed in range(60)}
    assert replies == {(1, 1), (1, 3), (3, 1), (3, 3)}  # only a corner holds the centre opening


# Determinism and the Bot value -------------------------------------------------------


def bot_game(x: Bot, o: Bot) -> tuple[tuple[int, int, int], ...]:
    board = Board.new()
    while not board.is_over:
        board = board.play(*(x if board.to_move == 1 else o).move(board))
    return board.moves


@pytest.mark.parametrize("level", LEVELS)
def test_same_seed_same_moves(level: str) -> None:
    assert bot_game(Bot(level, seed=11), Bot("easy", seed=12)) == bot_game(Bot(level, seed=11), Bot("easy", seed=12))
    for n, board in enumerate(live_positions(1)[:500]):
        assert choose_move(board, level, random.Random(n)) == choose_move(board, level, random.Random(n))


def test_different_seeds_give_different_games() -> None:
    games = {bot_game(Bot("perfect", seed=s), Bot("perfect", seed=s + 1000)) for s in range(30)}
    assert len(games) > 10


def test_bot_is_a_value() -> None:
    bot = Bot("normal", seed=5)
    assert bot.level is Level.NORMAL
    assert repr(bot) == "Bot('normal', seed=5)"
    assert eval(repr(bot)) == bot and hash(eval(repr(bot))) == hash(bot)
    assert Bot(Level.NORMAL, seed=6) != bot


def test_play_series_refuses_a_bad_count() -> None:
    for games in (-1, 1.5, "3", True):
        with pytest.raises(ValueError, match="games must be"):
            play_series("perfect", "easy", games, seed=0)  # type: ignore[arg-type]


# The command line --------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "bench/bot_series.py", *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def totals_of(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0])


def test_cli_perfect_against_perfect_always_draws() -> None:
    totals = totals_of(run_cli("--x", "perfect", "--o", "perfect", "--games", "200", "--seed", "9"))
    assert totals == {"x_wins": 0, "o_wins": 0, "draws": 200, "games": 200, "x": "perfect", "o": "perfect", "seed": 9}


@pytest.mark.parametrize(("x", "o", "loser_wins"), [("perfect", "easy", "o_wins"), ("easy", "perfect", "x_wins")])
def test_cli_perfect_never_loses_to_easy(x: str, o: str, loser_wins: str) -> None:
    totals = totals_of(run_cli("--x", x, "--o", o, "--games", "300", "--seed", "1"))
    assert totals[loser_wins] == 0
    assert totals["x_wins"] + totals["o_wins"] + totals["draws"] == totals["games"] == 300  # type: ignore[operator]
    assert (totals["x"], totals["o"]) == (x, o)


def test_cli_seed_reproduces_the_totals() -> None:
    first = totals_of(run_cli("--x", "normal", "--o", "easy", "--games", "100"))
    assert isinstance(first["seed"], int)
    again = totals_of(run_cli("--x", "normal", "--o", "easy", "--games", "100", "--seed", str(first["seed"])))
    assert again == first


@pytest.mark.parametrize(
    "args",
    [
        ["--x", "hard"],
        ["--o", "Perfect"],
        ["--games", "0"],
        ["--games", "-5"],
        ["--games", "many"],
        ["--seed", "abc"],
        ["--bogus"],
        ["--x"],
    ],
)
def test_cli_bad_flags_print_usage_and_exit_2(args: list[str]) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: python bench/bot_series.py")
    assert proc.stdout == ""


def test_the_warm_up_solves_the_game_only_for_a_perfect_level() -> None:
    clear_cache()
    warm_up(None, Level.EASY, Level.NORMAL)
    assert not bot_module._TABLE, "only a perfect bot needs the solved game"
    warm_up(None, Level.PERFECT)
    solved = len(bot_module._TABLE)
    assert solved > 4000  # every live position reachable from either first player
    best_moves(Board.new(2).play(2, 2))
    assert len(bot_module._TABLE) == solved, "a later move finds its position solved"

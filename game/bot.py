"""The tic-tac-toe bot: three levels that pick a move for the player to move.

Pure and deterministic given an injected ``random.Random``: no I/O, no clock. The
levels are

* ``easy``: takes a win it sees, sometimes blocks a threat, otherwise plays at random;
* ``normal``: always wins and blocks, then plays a fork-aware heuristic that, now and
  then, does not look for forks at all, so a player who sets up a fork can beat it;
* ``perfect``: never loses. A negamax over every position reachable from the one
  given, memoised at module level, scores a win by how soon it comes, so the bot takes
  the fastest win and puts off a loss as long as it can; among equally good moves it
  picks at random, so games differ.

``play_series`` plays bots against each other headless; ``bench/bot_series.py`` runs
it from the command line.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field

from game.rules import EMPTY, LINES, PLAYERS, SIZE, Board, Cell, GameOverError, cell_of, index_of, judge, other

__all__ = [
    "LEVELS",
    "Bot",
    "Level",
    "best_moves",
    "choose_move",
    "clear_cache",
    "parse_level",
    "play_series",
    "warm_up",
]


class Level(enum.StrEnum):
    """How well the bot plays. Members compare equal to their names: ``Level.EASY == "easy"``."""

    EASY = "easy"
    NORMAL = "normal"
    PERFECT = "perfect"

    def __str__(self) -> str:
        return self.value


LEVELS: tuple[str, ...] = tuple(level.value for level in Level)  # the levels' names, for command lines

# Chance that ``easy`` blocks an immediate threat instead of playing at random.
EASY_BLOCK_CHANCE = 0.3
# Chance that ``normal`` looks for forks (its own, then the opponent's) on a given move.
NORMAL_FORK_SIGHT = 0.6

Cells = tuple[int, ...]

_CENTER = index_of(2, 2)
_CORNERS = tuple(index_of(r, c) for r, c in ((1, 1), (1, 3), (3, 1), (3, 3)))
_SIDES = tuple(index_of(r, c) for r, c in ((1, 2), (2, 1), (2, 3), (3, 2)))


def _partners(index: int) -> tuple[tuple[int, int], ...]:
    """The pairs of other flat indices that complete a line through ``index``."""
    pairs = []
    for line in LINES:
        flat = [index_of(row, col) for row, col in line]
        if index in flat:
            a, b = (j for j in flat if j != index)
            pairs.append((a, b))
    return tuple(pairs)


_PARTNERS = tuple(_partners(i) for i in range(SIZE * SIZE))


def parse_level(level: Level | str) -> Level:
    """The ``Level`` named by ``level``; ValueError naming the valid levels otherwise."""
    if isinstance(level, Level):
        return level
    if isinstance(level, str):
        try:
            return Level(level)
        except ValueError:
            pass
    raise ValueError(f"unknown bot level {level!r}; expected one of: {', '.join(LEVELS)}")


# Board helpers on flat cell tuples ---------------------------------------------------


def _place(cells: Cells, index: int, player: int) -> Cells:
    return (*cells[:index], player, *cells[index + 1:])


def _completes_line(cells: Cells, index: int, player: int) -> bool:
    """Whether ``player`` marking the empty cell ``index`` makes three in a row."""
    return any(cells[a] == player and cells[b] == player for a, b in _PARTNERS[index])


def _empties(cells: Cells) -> list[int]:
    return [i for i, c in enumerate(cells) if c == EMPTY]


def _winning_cells(cells: Cells, player: int) -> list[int]:
    """Empty cells where ``player`` would complete a line right now."""
    return [i for i in _empties(cells) if _completes_line(cells, i, player)]


def _fork_cells(cells: Cells, player: int) -> list[int]:
    """Empty cells that would give ``player`` two different ways to win next move."""
    return [
        i
        for i in _empties(cells)
        if not _completes_line(cells, i, player) and len(_winning_cells(_place(cells, i, player), player)) >= 2
    ]


# Perfect play ------------------------------------------------------------------------

# (cells, player to move) -> (score for that player, best move indices in reading order).
# A win scores the number of empty cells just before the winning move, so sooner is
# higher; a draw scores 0; a loss is the negated win of the opponent. Filled lazily;
# threads may share it, as entries are only ever added and any two solves agree.
_TABLE: dict[tuple[Cells, int], tuple[int, tuple[int, ...]]] = {}


def _solve(cells: Cells, player: int) -> tuple[int, tuple[int, ...]]:
    """Negamax value and all best moves of a live position, memoised in ``_TABLE``."""
    key = (cells, player)
    known = _TABLE.get(key)
    if known is not None:
        return known
    empties = _empties(cells)
    best_score = -len(cells) - 1
    best: list[int] = []
    for i in empties:
        if _completes_line(cells, i, player):
            score = len(empties)
        elif len(empties) == 1:
            score = 0
        else:
            score = -_solve(_place(cells, i, player), other(player))[0]
        if score > best_score:
            best_score, best = score, [i]
        elif score == best_score:
            best.append(i)
    result = (best_score, tuple(best))
    _TABLE[key] = result
    return result


def clear_cache() -> None:
    """Forget every solved position (for benchmarks that measure a cold start)."""
    _TABLE.clear()


def _live_cells(board: Board) -> Cells:
    """The cells of a board on which a move can still be chosen, or a clear error."""
    if not isinstance(board, Board):
        raise TypeError(f"expected a Board, got {type(board).__name__}")
    cells = tuple(board.cells)
    if len(cells) != SIZE * SIZE or any(c not in (EMPTY, *PLAYERS) for c in cells) or board.to_move not in PLAYERS:
        raise ValueError(f"not a tic-tac-toe position: {board!r}")
    if board.outcome is not None or judge(cells) is not None:
        raise GameOverError(f"cannot choose a move: the game is over ({board!r})")
    return cells


def best_moves(board: Board) -> tuple[Cell, ...]:
    """Every move that perfect play would choose for ``board.to_move``, in reading order."""
    cells = _live_cells(board)
    return tuple(cell_of(i) for i in _solve(cells, board.to_move)[1])


def warm_up(*levels: Level | None) -> None:
    """Solve the whole game now if one of ``levels`` is perfect (about 60 ms, once per process), so that
    a perfect bot's first move is not the slow one, on a frame in the middle of a game."""
    if Level.PERFECT in levels:
        for first in PLAYERS:
            best_moves(Board.new(first))


# The levels --------------------------------------------------------------------------


def _easy(cells: Cells, me: int, rng: random.Random) -> int:
    wins = _winning_cells(cells, me)
    if wins:
        return rng.choice(wins)
    threats = _winning_cells(cells, other(me))
    if threats and rng.random() < EASY_BLOCK_CHANCE:
        return rng.choice(threats)
    return rng.choice(_empties(cells))


def _fork_defence(cells: Cells, me: int) -> list[int]:
    """Moves that stop the opponent from forking next move (empty if they cannot)."""
    opp = other(me)
    fork_cells = _fork_cells(cells, opp)
    if len(fork_cells) <= 1:
        return fork_cells
    # Two or more fork cells cannot all be taken: make a threat whose forced answer
    # does not hand the opponent a fork, so they never get the time to fork.
    forcing = []
    for i in _empties(cells):
        after = _place(cells, i, me)
        threats = _winning_cells(after, me)
        if len(threats) == 1 and len(_winning_cells(_place(after, threats[0], opp), opp)) < 2:
            forcing.append(i)
    return forcing or fork_cells


def _positional(cells: Cells, rng: random.Random) -> int:
    """The center, else a corner, else a side."""
    if cells[_CENTER] == EMPTY:
        return _CENTER
    for tier in (_CORNERS, _SIDES):
        free = [i for i in tier if cells[i] == EMPTY]
        if free:
            return rng.choice(free)
    raise AssertionError("no empty cell on a live board")  # pragma: no cover


def _normal(cells: Cells, me: int, rng: random.Random) -> int:
    wins = _winning_cells(cells, me)
    if wins:
        return rng.choice(wins)
    threats = _winning_cells(cells, other(me))
    if threats:
        return rng.choice(threats)
    if rng.random() < NORMAL_FORK_SIGHT:
        forks = _fork_cells(cells, me)
        if forks:
            return rng.choice(forks)
        defence = _fork_defence(cells, me)
        if defence:
            return rng.choice(defence)
    return _positional(cells, rng)


def _perfect(cells: Cells, me: int, rng: random.Random) -> int:
    return rng.choice(_solve(cells, me)[1])


_STRATEGIES = {Level.EASY: _easy, Level.NORMAL: _normal, Level.PERFECT: _perfect}


def choose_move(board: Board, level: Level | str, rng: random.Random) -> Cell:
    """The 1-based (row, col) that a bot of ``level`` plays for ``board.to_move``.

    Deterministic given the state of ``rng``. Raises ValueError for an unknown level and
    ``GameOverError`` (a ValueError) for a finished board.
    """
    strategy = _STRATEGIES[parse_level(level)]
    cells = _live_cells(board)
    return cell_of(strategy(cells, board.to_move, rng))


@dataclass(frozen=True)
class Bot:
    """A bot of one level (a ``Level`` or its name) with its own random stream.

    ``seed`` None seeds the stream from the OS. Two bots with the same level and seed
    play the same moves from the same positions in the same order; the stream advances
    with every move.
    """

    level: Level
    seed: int | None = None
    rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", parse_level(self.level))
        object.__setattr__(self, "rng", random.Random(self.seed))

    def __repr__(self) -> str:
        return f"Bot({self.level.value!r}, seed={self.seed!r})"

    def move(self, board: Board) -> Cell:
        """The (row, col) this bot plays on ``board`` for ``board.to_move``."""
        return choose_move(board, self.level, self.rng)


# Headless matches -------------------------------------------------------------------


def play_series(x: Level | str, o: Level | str, games: int, seed: int) -> dict[str, object]:
    """Totals of ``games`` games, X (player 1, moving first) against O, both bots seeded from ``seed``."""
    if isinstance(games, bool) or not isinstance(games, int) or games < 0:
        raise ValueError(f"games must be a whole number >= 0, not {games!r}")
    master = random.Random(seed)
    bots = {1: Bot(parse_level(x), master.getrandbits(64)), 2: Bot(parse_level(o), master.getrandbits(64))}
    wins = {1: 0, 2: 0}
    draws = 0
    for _ in range(games):
        board = Board.new(1)
        while board.outcome is None:
            board = board.play(*bots[board.to_move].move(board))
        if board.outcome.winner is None:
            draws += 1
        else:
            wins[board.outcome.winner] += 1
    return {
        "x_wins": wins[1],
        "o_wins": wins[2],
        "draws": draws,
        "games": games,
        "x": bots[1].level.value,
        "o": bots[2].level.value,
        "seed": seed,
    }

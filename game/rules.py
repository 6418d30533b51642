"""Tic-tac-toe rules: an immutable board, legal moves, results and errors.

Pure: no pygame, no I/O. Coordinates are 1-based ``(row, col)`` as in the XOXO
protocol; cells hold ``EMPTY`` (-1) or the index of the player who marked them
(1 or 2). Player 1 is X, player 2 is O; whoever starts a game is ``first``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from game.refusal import Refusal

SIZE = 3
EMPTY = -1
PLAYERS = (1, 2)

Cell = tuple[int, int]  # (row, col), 1-based
Line = tuple[Cell, Cell, Cell]

LINES: tuple[Line, ...] = (
    ((1, 1), (1, 2), (1, 3)),
    ((2, 1), (2, 2), (2, 3)),
    ((3, 1), (3, 2), (3, 3)),
    ((1, 1), (2, 1), (3, 1)),
    ((1, 2), (2, 2), (3, 2)),
    ((1, 3), (2, 3), (3, 3)),
    ((1, 1), (2, 2), (3, 3)),
    ((1, 3), (2, 2), (3, 1)),
)
# Each line as flat indices with the line itself: judging a board after every move reads these (no index_of per cell).
_LINE_INDICES: tuple[tuple[int, int, int, Line], ...] = tuple(
    ((a[0] - 1) * SIZE + a[1] - 1, (b[0] - 1) * SIZE + b[1] - 1, (c[0] - 1) * SIZE + c[1] - 1, (a, b, c))
    for a, b, c in LINES
)



class Mark(enum.StrEnum):
    """A player's mark: a cross (X) for player 1, a nought (O) for player 2. Members compare equal to their letters."""

    CROSS = "X"
    NOUGHT = "O"

    @property
    def player(self) -> int:
        """The player index (1 or 2) that plays this mark."""
        return 1 if self is Mark.CROSS else 2


MARKS: dict[int, Mark] = {1: Mark.CROSS, 2: Mark.NOUGHT}  # by player index


def other(player: int) -> int:
    """The opponent of ``player`` (1 <-> 2)."""
    return 3 - player


def index_of(row: int, col: int) -> int:
    """Flat index 0..8 of a 1-based cell."""
    return (row - 1) * SIZE + (col - 1)


def cell_of(index: int) -> Cell:
    """1-based cell of a flat index 0..8."""
    return (index // SIZE + 1, index % SIZE + 1)


class MoveError(ValueError):
    """A move that the rules refuse; ``reason`` says which rule (a ``Refusal``)."""

    reason: Refusal = Refusal.OTHER


class OutOfBoundsError(MoveError):
    """The row or column is not 1, 2 or 3 (or not an integer at all)."""

    reason = Refusal.OUT_OF_BOUNDS


class OccupiedCellError(MoveError):
    """The cell already holds a mark."""

    reason = Refusal.OCCUPIED


class GameOverError(MoveError):
    """The game has already ended."""

    reason = Refusal.GAME_OVER


class NotYourTurnError(MoveError):
    """The player moving is not the player whose turn it is."""

    reason = Refusal.NOT_YOUR_TURN


class Result(enum.StrEnum):
    """A finished game from one player's side."""

    WIN = "win"
    LOSS = "loss"
    DRAW = "draw"


class Termination(enum.Enum):
    """Why a game ended."""

    LINE = "line"  # three in a row
    DRAW = "draw"  # board full, no line
    TIMEOUT = "timeout"  # the player to move let the turn deadline pass
    OPPONENT_LEFT = "opponent_left"  # a player left or did not come back in time
    CLAIMED = "claimed"  # the opponent was away past half their seat hold and the player claimed the win
    DRAW_CALLED = "draw_called"  # the opponent was away past half their seat hold and the player called a draw
    ABORTED = "aborted"  # a player never made their first move in time: no result at all (revision 3)

    @property
    def counts(self) -> bool:
        """True if the game has a result (a win or a draw); an aborted game has none."""
        return self is not Termination.ABORTED


@dataclass(frozen=True)
class Outcome:
    """The result of a finished game: why it ended, who won (None for a draw), along which line."""

    termination: Termination
    winner: int | None = None
    line: Line | None = None

    def result_for(self, player: int) -> Result:
        """The result from ``player``'s side (the only place a result is worked out)."""
        if self.winner is None:
            return Result.DRAW
        return Result.WIN if self.winner == player else Result.LOSS


@dataclass(frozen=True)
class Board:
    """A position: nine cells, whose turn it is, who started, the moves so far, the result.

    Boards are values: ``play`` returns a new board and never changes this one.
    """

    cells: tuple[int, ...] = (EMPTY,) * (SIZE * SIZE)
    first: int = 1
    to_move: int = 1
    moves: tuple[tuple[int, int, int], ...] = ()  # (row, col, player), in order
    outcome: Outcome | None = None

    @classmethod
    def new(cls, first: int = 1) -> Board:
        """An empty board on which ``first`` moves first."""
        if first not in PLAYERS:
            raise ValueError(f"first player must be 1 or 2, not {first!r}")
        return cls(first=first, to_move=first)

    def __repr__(self) -> str:
        rows = "/".join("".join(MARKS.get(c, ".") for c in self.cells[r * 3 : r * 3 + 3]) for r in range(3))
        return f"<Board {rows} to_move={self.to_move} outcome={self.outcome}>"

    # Queries -----------------------------------------------------------------

    def at(self, row: int, col: int) -> int:
        return self.cells[index_of(row, col)]

    @property
    def is_over(self) -> bool:
        return self.outcome is not None

    @property
    def last_move(self) -> tuple[int, int, int] | None:
        return self.moves[-1] if self.moves else None

    def legal_moves(self) -> list[Cell]:
        """Empty cells, in reading order; none once the game is over."""
        if self.outcome is not None:
            return []
        return [cell_of(i) for i, c in enumerate(self.cells) if c == EMPTY]

    def rows(self) -> list[list[int]]:
        """The cells as three rows of three, the XOXO ``cells`` shape."""
        return [list(self.cells[r * SIZE : (r + 1) * SIZE]) for r in range(SIZE)]

    # Moves -------------------------------------------------------------------

    def check(self, row: int, col: int, player: int | None = None) -> None:
        """Raise the precise MoveError if ``player`` may not mark (row, col) now.

        The row and column are checked to be whole numbers (a bool is not one) as well as
        on the board, whoever calls: a value typed as an int may still be anything at run time.
        """
        if not (_whole(row) and _whole(col) and 1 <= row <= SIZE and 1 <= col <= SIZE):
            raise OutOfBoundsError(f"row and col must be whole numbers 1 to {SIZE}")
        if self.outcome is not None:
            raise GameOverError("the game is over")
        if player is not None and player != self.to_move:
            raise NotYourTurnError(f"it is player {self.to_move}'s turn, not player {player}'s")
        if self.cells[index_of(row, col)] != EMPTY:
            raise OccupiedCellError(f"cell ({row}, {col}) is already taken")

    def play(self, row: int, col: int, player: int | None = None) -> Board:
        """The board after the player to move (who must be ``player`` if given) marks (row, col)."""
        self.check(row, col, player)
        mover = self.to_move
        cells = list(self.cells)
        cells[index_of(row, col)] = mover
        cells_t = tuple(cells)
        return Board(
            cells=cells_t,
            first=self.first,
            to_move=other(mover),
            moves=(*self.moves, (row, col, mover)),
            outcome=judge(cells_t),
        )

    def finish(self, termination: Termination, winner: int | None) -> Board:
        """The board ended for a reason outside the cells (a timeout, a player who left)."""
        if self.outcome is not None:
            raise GameOverError("the game is over")
        return Board(self.cells, self.first, self.to_move, self.moves, Outcome(termination, winner))


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def winning_line(cells: tuple[int, ...]) -> tuple[int, Line] | None:
    """(player, line) of the first completed line, if any."""
    for i, j, k, line in _LINE_INDICES:
        a = cells[i]
        if a != EMPTY and a == cells[j] == cells[k]:
            return a, line
    return None


def judge(cells: tuple[int, ...]) -> Outcome | None:
    """The outcome the cells alone decide: a line, a full board, or None while play goes on."""
    won = winning_line(cells)
    if won is not None:
        return Outcome(Termination.LINE, won[0], won[1])
    if EMPTY not in cells:
        return Outcome(Termination.DRAW)
    return None


def reachable_positions(first: int = 1, *, finished: bool = False) -> list[Board]:
    """One board for every distinct position reachable when ``first`` starts (unfinished ones
    only, unless ``finished``). There are a few thousand: tests and benches walk them all."""
    seen: dict[tuple[tuple[int, ...], int], Board] = {}
    frontier = [Board.new(first)]
    while frontier:
        board = frontier.pop()
        key = (board.cells, board.to_move)
        if key in seen or (board.is_over and not finished):
            continue
        seen[key] = board
        frontier.extend(board.play(*cell) for cell in board.legal_moves())
    return list(seen.values())


# XOXO state conversion -------------------------------------------------------


class StateError(ValueError):
    """A XOXO ``state`` object that does not describe a board."""


def to_state(board: Board, players: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The XOXO ``state`` object for ``board`` (PROTOCOL.md section 4), plus any ``extra`` keys."""
    out = board.outcome
    state: dict[str, Any] = {
        "cells": board.rows(),
        "players": list(players) if players is not None else [],
        "player_turn": board.to_move,
        "winner": out.winner if out is not None and out.winner is not None else False,
        "draw": bool(out is not None and out.winner is None and out.termination.counts),
    }
    state.update(extra)
    return state


def from_state(state: Mapping[str, Any]) -> Board:
    """A board from a XOXO ``state`` object; moves are unknown, so ``moves`` stays empty.

    Missing fields read as their zero value, as Nakama leaves them out. Raises StateError
    on a shape that is not a board.
    """
    if not isinstance(state, Mapping):
        raise StateError("state must be an object")
    rows = state.get("cells")
    if not isinstance(rows, list) or len(rows) != SIZE:
        raise StateError("cells must be three rows")
    cells: list[int] = []
    for row in rows:
        if not isinstance(row, list) or len(row) != SIZE:
            raise StateError("each row must have three cells")
        for c in row:
            if isinstance(c, bool) or c not in (EMPTY, 1, 2):
                raise StateError(f"a cell must be -1, 1 or 2, not {c!r}")
            cells.append(c)
    turn = state.get("player_turn", 1)
    if turn not in PLAYERS or isinstance(turn, bool):
        raise StateError(f"player_turn must be 1 or 2, not {turn!r}")
    cells_t = tuple(cells)
    winner = state.get("winner") or None
    if winner is not None and (isinstance(winner, bool) or winner not in PLAYERS):
        raise StateError(f"winner must be false, 1 or 2, not {winner!r}")
    outcome = _outcome(state, cells_t, winner)
    marked = sum(1 for c in cells if c != EMPTY)
    first = turn if marked % 2 == 0 else other(turn)
    return Board(cells=cells_t, first=first, to_move=turn, outcome=outcome)


def _outcome(state: Mapping[str, Any], cells: tuple[int, ...], winner: int | None) -> Outcome | None:
    """The outcome a state describes: the cells' own, or one they do not show (``reason`` says which)."""
    outcome = judge(cells)
    reason = state.get("reason")
    if winner is not None and (outcome is None or outcome.winner != winner):
        # Won by a reason the cells do not show (timeout, opponent left, a claim).
        termination = Termination(reason) if reason in {t.value for t in Termination} else Termination.OPPONENT_LEFT
        if not termination.counts or termination in (Termination.DRAW, Termination.DRAW_CALLED):
            termination = Termination.OPPONENT_LEFT  # a reason without a winner, beside a winner: the usual one
        return Outcome(termination, winner, outcome.line if outcome else None)
    if winner is None and state.get("draw") and outcome is None:
        return Outcome(Termination.DRAW_CALLED if reason == Termination.DRAW_CALLED.value else Termination.DRAW)
    if winner is None and outcome is None and reason == Termination.ABORTED.value:
        return Outcome(Termination.ABORTED)  # neither won nor drew: the game did not count
    return outcome

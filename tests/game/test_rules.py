"""The rules: legal moves, each refusal with its own error, results, XOXO state round trips."""

import itertools

import pytest

from game.rules import (
    EMPTY,
    LINES,
    Board,
    GameOverError,
    MoveError,
    NotYourTurnError,
    OccupiedCellError,
    OutOfBoundsError,
    StateError,
    Termination,
    from_state,
    reachable_positions,
    to_state,
)


def play(*cells, first=1):
    board = Board.new(first)
    for row, col in cells:
        board = board.play(row, col)
    return board


def test_new_board_is_empty_and_first_player_moves():
    board = Board.new()
    assert board.cells == (EMPTY,) * 9
    assert board.to_move == 1
    assert len(board.legal_moves()) == 9
    assert Board.new(first=2).to_move == 2
    with pytest.raises(ValueError):
        Board.new(first=3)


def test_play_returns_a_new_board_and_alternates_turns():
    board = Board.new()
    after = board.play(2, 2)
    assert board.at(2, 2) == EMPTY  # the old board is unchanged
    assert after.at(2, 2) == 1
    assert after.to_move == 2
    assert after.last_move == (2, 2, 1)
    assert (2, 2) not in after.legal_moves()


@pytest.mark.parametrize(
    "row, col",
    [(0, 1), (1, 0), (4, 1), (1, 4), (-1, 2), ("1", 1), (1.0, 1), (True, 1), (None, 1), ([1], 1)],
)
def test_out_of_bounds_or_wrong_type_is_refused(row, col):
    with pytest.raises(OutOfBoundsError) as info:
        Board.new().play(row, col)
    assert info.value.reason == "out_of_bounds"


def test_occupied_cell_is_refused():
    board = play((1, 1))
    with pytest.raises(OccupiedCellError) as info:
        board.play(1, 1)
    assert info.value.reason == "occupied"


def test_move_out_of_turn_is_refused():
    board = play((1, 1))
    with pytest.raises(NotYourTurnError) as info:
        board.play(2, 2, player=1)
    assert info.value.reason == "not_your_turn"
    assert board.play(2, 2, player=2).at(2, 2) == 2


def test_move_after_the_end_is_refused():
    board = play((1, 1), (2, 1), (1, 2), (2, 2), (1, 3))
    assert board.outcome is not None
    with pytest.raises(GameOverError):
        board.play(3, 3)
    assert board.legal_moves() == []


def test_errors_are_value_errors_with_distinct_reasons():
    classes = [OutOfBoundsError, OccupiedCellError, GameOverError, NotYourTurnError]
    assert all(issubclass(c, MoveError) and issubclass(c, ValueError) for c in classes)
    assert len({c.reason for c in classes}) == len(classes)


@pytest.mark.parametrize("line", LINES)
def test_every_line_wins_and_is_reported(line):
    # Player 1 takes the line; player 2 plays elsewhere, never completing its own.
    others = [c for c in itertools.product((1, 2, 3), repeat=2) if c not in line]
    board = Board.new()
    for i, cell in enumerate(line):
        board = board.play(*cell)
        if i < 2:
            for o in others:
                try:
                    nxt = board.play(*o)
                except MoveError:
                    continue
                if nxt.outcome is None:
                    board = nxt
                    break
    assert board.outcome is not None
    assert board.outcome.termination is Termination.LINE
    assert board.outcome.winner == 1
    assert board.outcome.line == line
    assert board.outcome.result_for(1) == "win"
    assert board.outcome.result_for(2) == "loss"


def test_full_board_without_a_line_is_a_draw():
    board = play((1, 1), (2, 2), (3, 3), (1, 2), (3, 2), (3, 1), (1, 3), (2, 3), (2, 1))
    assert board.outcome is not None
    assert board.outcome.termination is Termination.DRAW
    assert board.outcome.winner is None
    assert board.outcome.result_for(1) == "draw"


def test_win_on_the_last_cell_is_a_win_not_a_draw():
    board = play((1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3), (3, 2), (3, 1), (3, 3))
    assert board.outcome.termination is Termination.LINE
    assert board.outcome.winner == 1


def test_finish_ends_a_game_for_reasons_outside_the_cells():
    board = play((1, 1))
    ended = board.finish(Termination.TIMEOUT, winner=1)
    assert ended.outcome.termination is Termination.TIMEOUT
    assert ended.outcome.winner == 1
    with pytest.raises(GameOverError):
        ended.finish(Termination.OPPONENT_LEFT, 2)


def test_state_round_trip_keeps_cells_turn_and_result():
    for board in [Board.new(), play((2, 2), (1, 1)), play((1, 1), (2, 1), (1, 2), (2, 2), (1, 3)), play(first=2)]:
        state = to_state(board, players=[{"user_id": "a"}, {"user_id": "b"}])
        back = from_state(state)
        assert back.cells == board.cells
        assert back.to_move == board.to_move
        assert back.outcome == board.outcome


def test_state_shape_is_xoxo():
    state = to_state(play((1, 3)))
    assert state["cells"] == [[-1, -1, 1], [-1, -1, -1], [-1, -1, -1]]
    assert state["player_turn"] == 2
    assert state["winner"] is False
    assert state["draw"] is False


def test_state_with_missing_fields_reads_zero_values():
    board = from_state({"cells": [[-1] * 3] * 3})
    assert board.to_move == 1 and board.outcome is None


def test_state_winner_by_timeout_is_kept():
    board = from_state({"cells": [[1, -1, -1], [-1] * 3, [-1] * 3], "player_turn": 2, "winner": 1, "reason": "timeout"})
    assert board.outcome.winner == 1
    assert board.outcome.termination is Termination.TIMEOUT


@pytest.mark.parametrize(
    "state",
    [
        None,
        [],
        {},
        {"cells": [[-1] * 3] * 2},
        {"cells": [[-1, -1], [-1] * 3, [-1] * 3]},
        {"cells": [[-1, 3, -1], [-1] * 3, [-1] * 3]},
        {"cells": [[-1, True, -1], [-1] * 3, [-1] * 3]},
        {"cells": [[-1] * 3] * 3, "player_turn": 3},
        {"cells": [[-1] * 3] * 3, "winner": 7},
    ],
)
def test_state_that_is_not_a_board_raises_state_error(state):
    with pytest.raises(StateError):
        from_state(state)


def test_reachable_positions_are_the_known_counts():
    # 5,478 legal positions in all when X starts; 4,520 of them are unfinished.
    assert len(reachable_positions(1, finished=True)) == 5478
    assert len(reachable_positions(1)) == 4520
    assert all(not b.is_over for b in reachable_positions(2))

"""Match states for the board models' tests: op 2 payloads as the host encodes them, through the network's decoding."""

from __future__ import annotations

from typing import Any

from game.rules import Board
from game.xoxo import OP_STATE, PROTOCOL, MatchLabel, Presence, encode_state
from net.messages import match_events
from ui.boardmodel import BoardModel
from ui.netboardmodel import NetBoardModel
from ui.results import GameMode

ME = Presence("u-me", "s-me", "Me")
ALICE = Presence("u-alice", "s-alice", "Alice")
WIN = [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)]
OURS = MatchLabel(PROTOCOL)


def state(model: BoardModel, board: Board, *, you: int = 1, game: int = 1, **extra: Any) -> None:
    """An op 2 state for us exactly as the host sends it, through the same decoding as the network's."""
    payload = encode_state(board, (ME, ALICE), you=you, game=game, **extra)
    for event in match_events(OP_STATE, payload, ME.user_id):
        model.apply(event)


def played(moves: list[tuple[int, int]], first: int = 1) -> Board:
    board = Board.new(first)
    for move in moves:
        board = board.play(*move)
    return board


def notice_text(model: BoardModel) -> str | None:
    return str(model.notice.text) if model.notice is not None else None  # a Later (ui.i18n) is made in the language in use


def online(label: MatchLabel = OURS) -> NetBoardModel:
    model = NetBoardModel(mode=GameMode.ONLINE, label=label, wall_clock=lambda: 1.0)
    model.tick(100.0)
    return model

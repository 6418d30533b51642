"""A bot that plays the player's side of a board screen (``--auto LEVEL``).

It watches the same match views the player sees and answers through the same
controller, after the same kind of human-looking pause, so it exercises exactly the
path a person's clicks take, against the local bot or over the network alike.
"""

from __future__ import annotations

import random
from typing import Literal

from game.bot import Level, choose_move
from game.xoxo import MatchView
from net.messages import Command, RequestRematch, SendMove

Action = Literal["move", "rematch"]  # what the auto player plans to do next


class AutoPlayer:
    """Decides the player's next command for a view: a move on our turn, a rematch once a game is over."""

    def __init__(self, level: Level, *, rng: random.Random, delay: tuple[float, float] = (0.3, 0.7)):
        low, high = delay
        if not 0 <= low <= high:
            raise ValueError(f"delay must be 0 <= low <= high, not {delay!r}")
        self.level = level
        self._rng = rng
        self._delay = (low, high)
        self._key: tuple[object, ...] | None = None
        self._view: MatchView | None = None
        self._action: Action | None = None
        self.due: float | None = None  # clock time of the next command, if one is planned

    def observe(self, view: MatchView, now: float, *, can_rematch: bool = True) -> None:
        """Plan for ``view``: a move after a pause if it is our turn, a rematch if the game is over."""
        action: Action | None
        if view.board.is_over:
            action = "rematch" if can_rematch else None
        elif view.your_turn:
            action = "move"
        else:
            action = None
        key = (view.game, view.board.cells, view.board.to_move, action)
        if key == self._key:
            return
        self._key = key
        self._view = view
        self._action = action
        low, high = self._delay
        self.due = now + (self._rng.uniform(low, high) if high > 0 else 0.0) if action else None

    def retry(self, now: float, *, can_rematch: bool = True) -> None:
        """Plan again for the last view (after the server refused what we sent)."""
        if self._view is not None:
            self._key = None
            self.observe(self._view, now, can_rematch=can_rematch)

    def stop(self) -> None:
        self.due = None
        self._action = None

    def poll(self, now: float) -> Command | None:
        """The command to send now, if its pause is over."""
        if self.due is None or now < self.due or self._view is None:
            return None
        self.due = None
        if self._action == "move":
            row, col = choose_move(self._view.board, self.level, self._rng)
            return SendMove(row, col)
        if self._action == "rematch":
            return RequestRematch()
        return None

"""A board screen with quick reactions (``ui.reactions``): the networked board is one.

The reactions take their input first (the picker, while open, takes every key, so a digit
picks a phrase rather than a square), follow the match's events (a reaction arriving plays
the soft ``reaction`` sound, a game sound) and are drawn over the board.
"""

from __future__ import annotations

import pygame

from net.messages import Event
from ui.boardmodel import BoardModel
from ui.controller import Controller
from ui.reactions import ReactionBar
from ui.screens.board import BoardScreen
from ui.screens.boardview import BoardLayout, board_layout


class ReactingBoardScreen(BoardScreen):
    """``BoardScreen`` plus the quick reactions of a networked match."""

    def __init__(self, controller: Controller, model: BoardModel, *, own_source: bool = False):
        super().__init__(controller, model, own_source=own_source)
        self.reactions = ReactionBar(self._send)

    def handle(self, event: pygame.event.Event) -> bool:
        if self.reactions.handle(event, self.now):
            return True
        return super().handle(event)

    def on_event(self, event: Event) -> None:
        super().on_event(event)
        self.reactions.sync(self.model)
        if self.reactions.on_event(event, self.now) and self.app is not None:
            self.app.sounds.play("reaction")

    @property
    def animating(self) -> bool:
        return super().animating or (self.animations_on and self.reactions.animating(self.now))

    def next_deadline(self) -> float | None:
        due = [d for d in (super().next_deadline(), self.reactions.next_deadline(self.now)) if d is not None]
        return min(due) if due else None

    def draw_board(self, surface: pygame.Surface, lay: BoardLayout) -> None:
        """The board, our card keeping room left of our score for the reactions' button while they are offered."""
        painter = self.paint_board(surface, lay, badge_card=self.reactions.me if self.reactions.available else 0)
        self.reactions.place(painter.badge)

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.reactions.draw(surface, self.fonts, board_layout(surface.get_size()), self.now)

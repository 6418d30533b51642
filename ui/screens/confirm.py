"""A question over the screen below it: "Leave this game?", with a way to go ahead and a way back.

It is an overlay (the App draws the screen under it, dimmed), so the player still sees
what they are about to leave. Esc, or the second button, keeps things as they are;
the focus starts there too, so a stray Enter never does the irreversible thing.
The result handed back is True to go ahead, False to stay.
"""

from __future__ import annotations

import pygame

from ui import theme
from ui.i18n import L_, Text, shown
from ui.render import blit_center, translucent
from ui.screens.base import Screen
from ui.widgets import Button, ButtonStyle


class ConfirmScreen(Screen):
    """A card with a question, a line of consequence, and two buttons."""

    name = "confirm"
    overlay = True

    def __init__(self, question: Text, consequence: Text, yes: Text, no: Text):
        super().__init__()
        self._question = question  # kept as given: translated when read (ui.i18n)
        self._consequence = consequence
        self.yes_button = Button(yes, lambda: self.close(True), style=ButtonStyle.PRIMARY)
        self.no_button = Button(no, lambda: self.close(False), hint=L_("Esc"))
        self.buttons.set_rows([[self.yes_button, self.no_button]])
        self.buttons.focus_on(self.no_button)

    @property
    def question(self) -> str:
        return shown(self._question)

    @property
    def consequence(self) -> str:
        return shown(self._consequence)

    def back(self) -> None:
        self.close(False)

    def _card(self, size: tuple[int, int]) -> pygame.Rect:
        s = self.scale(size)
        card = pygame.Rect(0, 0, min(size[0] - int(32 * s), int(460 * s)), int(210 * s))
        card.center = (size[0] // 2, size[1] // 2)
        return card

    def layout(self, size: tuple[int, int]) -> None:
        s = self.scale(size)
        card = self._card(size)
        gap = int(14 * s)
        w = (card.width - 2 * int(24 * s) - gap) // 2
        y = card.bottom - int(24 * s) - int(52 * s)
        self.yes_button.rect = pygame.Rect(card.x + int(24 * s), y, w, int(52 * s))
        self.no_button.rect = pygame.Rect(self.yes_button.rect.right + gap, y, w, int(52 * s))

    def draw(self, surface: pygame.Surface) -> None:
        size = surface.get_size()
        s = self.scale(size)
        translucent(surface, theme.BACKGROUND, surface.get_rect(), 0, 170)
        card = self._card(size)
        translucent(surface, theme.SHADOW, card.move(0, int(5 * s)), int(18 * s), theme.SHADOW.a)
        pygame.draw.rect(surface, theme.PANEL_HIGH, card, border_radius=int(18 * s))
        fonts = self.fonts
        room = card.width - 48 * s
        question, consequence = self.question, self.consequence
        title = fonts.render(question, fonts.fit(question, 30 * s, room), theme.TEXT)
        blit_center(surface, title, (card.centerx, card.y + int(44 * s)))
        line = fonts.render(consequence, fonts.fit(consequence, 20 * s, room, light=True), theme.MUTED, light=True)
        blit_center(surface, line, (card.centerx, card.y + int(86 * s)))
        self.buttons.draw(surface, fonts, s)

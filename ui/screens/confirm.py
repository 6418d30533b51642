"""A question over the screen below it: "Leave this game?", with a way to go ahead and a way back.

It is an overlay (the App draws the screen under it, dimmed), so the player still sees
what they are about to leave. Esc, or the second button, keeps things as they are;
it is the filled one and the focus starts there, so a stray Enter never does the
irreversible thing. The question and its consequence wrap inside the card.
The result handed back is True to go ahead, False to stay.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from ui import theme
from ui.i18n import L_, Text, shown
from ui.render import blit_center, translucent, wrap_text
from ui.screens.base import Screen
from ui.widgets import Button, ButtonStyle

QUESTION = 30  # the question's size (default window units)
CONSEQUENCE = 20


class ConfirmScreen(Screen):
    """A card with a question, a line of consequence, and two buttons."""

    name = "confirm"
    overlay = True

    def __init__(self, question: Text, consequence: Text, yes: Text, no: Text):
        super().__init__()
        self._question = question  # kept as given: translated when read (ui.i18n)
        self._consequence = consequence
        self.yes_button = Button(yes, lambda: self.close(True))
        self.no_button = Button(no, lambda: self.close(False), style=ButtonStyle.PRIMARY, hint=L_("Esc"))
        self.buttons.set_rows([[self.yes_button, self.no_button]])
        self.buttons.focus_on(self.no_button)  # the filled button is the one Enter presses: staying

    @property
    def question(self) -> str:
        return shown(self._question)

    @property
    def consequence(self) -> str:
        return shown(self._consequence)

    def back(self) -> None:
        self.close(False)

    def _measure(self, size: tuple[int, int]) -> ConfirmLayout:
        s = self.scale(size)
        fonts = self.fonts
        width = min(size[0] - int(32 * s), int(460 * s * theme.text_scale()))
        room = width - int(48 * s)
        question = wrap_text(fonts.get(QUESTION * s), self.question, room, 2)
        consequence = wrap_text(fonts.get(CONSEQUENCE * s, light=True), self.consequence, room, 4)
        question_line = fonts.get(QUESTION * s).get_linesize()
        consequence_line = fonts.get(CONSEQUENCE * s, light=True).get_linesize()
        pad, gap, button = int(24 * s), int(10 * s), int(52 * s)
        height = pad + len(question) * question_line + gap + len(consequence) * consequence_line + pad + button + pad
        card = pygame.Rect(0, 0, width, height)
        card.center = (size[0] // 2, size[1] // 2)
        return ConfirmLayout(s, card, question, question_line, consequence, consequence_line, card.bottom - pad - button)

    def layout(self, size: tuple[int, int]) -> None:
        lay = self._measure(size)
        s, card = lay.scale, lay.card
        gap = int(14 * s)
        w = (card.width - 2 * int(24 * s) - gap) // 2
        self.yes_button.rect = pygame.Rect(card.x + int(24 * s), lay.buttons_y, w, int(52 * s))
        self.no_button.rect = pygame.Rect(self.yes_button.rect.right + gap, lay.buttons_y, w, int(52 * s))

    def draw(self, surface: pygame.Surface) -> None:
        lay = self._measure(surface.get_size())
        s, card, fonts = lay.scale, lay.card, self.fonts
        translucent(surface, theme.BACKGROUND, surface.get_rect(), 0, 170)
        translucent(surface, theme.SHADOW, card.move(0, int(5 * s)), int(18 * s), theme.SHADOW.a)
        pygame.draw.rect(surface, theme.PANEL_HIGH, card, border_radius=int(18 * s))
        y = card.y + int(24 * s)
        for line in lay.question:
            blit_center(surface, fonts.render(line, QUESTION * s, theme.TEXT), (card.centerx, y + lay.question_line / 2))
            y += lay.question_line
        y += int(10 * s)
        for line in lay.consequence:
            image = fonts.render(line, CONSEQUENCE * s, theme.MUTED, light=True)
            blit_center(surface, image, (card.centerx, y + lay.consequence_line / 2))
            y += lay.consequence_line
        self.buttons.draw(surface, fonts, s)


@dataclass(frozen=True)
class ConfirmLayout:
    """The card for one window size: its lines of question and of consequence, and the buttons' row (window pixels)."""

    scale: float
    card: pygame.Rect
    question: list[str]
    question_line: int
    consequence: list[str]
    consequence_line: int
    buttons_y: int

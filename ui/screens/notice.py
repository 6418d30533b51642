"""Simple message screens: a notice with a way back, and the error screen.

The error screen is what the player sees instead of a traceback: what went wrong in a
sentence, and the ways out (back to the menu, or quit).
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from ui import theme
from ui.i18n import L_, Text, _, later, say, shown
from ui.render import blit_center, draw_card, wrap_text
from ui.screens.base import Screen
from ui.widgets import Button, ButtonStyle

BACK_KEYS: tuple[int, ...] = (pygame.K_ESCAPE, pygame.K_BACKSPACE)
NOTICE_MARGIN = 12  # between the card and the window's top and bottom edges (default window units)
TITLE_LINES = 3  # a longer title ends in '…'


@dataclass(frozen=True)
class NoticeLayout:
    """A notice card for one window size: where its title and message lines and its buttons go (window pixels)."""

    scale: float
    card: pygame.Rect
    inner: int  # the width of the text inside the card
    title_lines: list[str]
    title_size: float
    title_line: int
    title_top: int
    message_lines: list[str]
    message_size: float
    message_line: int
    message_top: int
    button_y: int

    @classmethod
    def of(cls, fonts: theme.Fonts, size: tuple[int, int], s: float, title: str, message: str) -> NoticeLayout:
        """The card for ``title`` and ``message`` at scale ``s``, centred in a window of ``size``."""
        grow = theme.text_scale()
        card_w = min(size[0] - int(24 * s), max(int(400 * s), int(480 * s * grow) + int(64 * s)))
        inner = card_w - int(64 * s)
        title_size, message_size = 40 * s, 20 * s
        title_font, message_font = fonts.get(title_size), fonts.get(message_size)
        title_lines = wrap_text(title_font, title, inner, TITLE_LINES)
        message_lines = wrap_text(message_font, message, inner)
        title_line, message_line = title_font.get_linesize(), max(int(30 * s), message_font.get_linesize())
        pad, gap, before_buttons, button = int(32 * s), int(24 * s), int(36 * s), int(52 * s)
        height = pad + len(title_lines) * title_line + gap + len(message_lines) * message_line + before_buttons + button + pad
        card = pygame.Rect(0, max(int(NOTICE_MARGIN * s), (size[1] - height) // 2), card_w, height)
        card.centerx = size[0] // 2
        title_top = card.y + pad
        message_top = title_top + len(title_lines) * title_line + gap
        button_y = message_top + len(message_lines) * message_line + before_buttons
        return cls(s, card, inner, title_lines, title_size, title_line, title_top, message_lines, message_size, message_line,
                   message_top, button_y)


def place_row(buttons: list[Button], lay: NoticeLayout, width: float) -> None:
    """``buttons`` side by side, centred under a notice card's message, each ``width`` wide at most (default units)."""
    s, gap = lay.scale, int(16 * lay.scale)
    w = min(int(width * s * theme.text_scale()), (lay.inner + int(48 * s) - gap * (len(buttons) - 1)) // len(buttons))
    left = lay.card.centerx - (len(buttons) * w + (len(buttons) - 1) * gap) // 2
    for i, b in enumerate(buttons):
        b.rect = pygame.Rect(left + i * (w + gap), lay.button_y, w, int(52 * s))


class NoticeScreen(Screen):
    """A title, a message and a button that goes back (Enter, Esc or a click)."""

    name = "notice"
    back_keys = BACK_KEYS

    def __init__(self, title: Text, message: Text, *, button: Text | None = None):
        super().__init__()
        self.title = title
        self.message = message
        self.buttons.set_rows([[Button(L_("Back") if button is None else button, self.close, style=ButtonStyle.PRIMARY)]])

    @property
    def title(self) -> str:
        """The card's title, in the language in use."""
        return shown(self._title)

    @title.setter
    def title(self, text: Text) -> None:
        self._title = text

    @property
    def message(self) -> str:
        """The card's message, in the language in use."""
        return shown(self._message)

    @message.setter
    def message(self, text: Text) -> None:
        self._message = text

    def layout(self, size: tuple[int, int]) -> None:
        self._place(self._measure(size))

    def _measure(self, size: tuple[int, int]) -> NoticeLayout:
        """The card for a window of ``size``: the title wrapped (three lines at most), the message, the buttons.

        If large text does not fit the window, the card is drawn at a smaller scale until it does.
        """
        fonts = self.fonts
        s = self.scale(size)
        for _attempt in range(4):
            lay = NoticeLayout.of(fonts, size, s, self.title, self.message)
            room = size[1] - 2 * int(NOTICE_MARGIN * s)
            if lay.card.height <= room:
                break
            s *= max(0.5, room / lay.card.height)
        return lay

    def _place(self, lay: NoticeLayout) -> None:
        s = lay.scale
        for b in self.buttons.buttons:
            b.rect = pygame.Rect(0, 0, min(int(200 * s * theme.text_scale()), lay.inner), int(52 * s))
            b.rect.midtop = (lay.card.centerx, lay.button_y)

    def draw(self, surface: pygame.Surface) -> None:
        fonts = self.fonts
        lay = self._measure(surface.get_size())
        s = lay.scale
        draw_card(surface, lay.card.y, lay.card.width, lay.card.height, s)
        y = float(lay.title_top)
        for line in lay.title_lines:
            blit_center(surface, fonts.render(line, lay.title_size, self.title_color), (lay.card.centerx, y + lay.title_line / 2))
            y += lay.title_line
        y = float(lay.message_top)
        for line in lay.message_lines:
            if line:
                image = fonts.render(line, lay.message_size, theme.MUTED)
                blit_center(surface, image, (lay.card.centerx, y + lay.message_line / 2))
            y += lay.message_line
        self.buttons.draw(surface, fonts, s)

    title_color = theme.TEXT


class ErrorScreen(NoticeScreen):
    """Shown after an unexpected error instead of a traceback: the message, back to the menu, or quit."""

    name = "error"
    title_color = theme.ERROR
    back_keys = (pygame.K_ESCAPE,)

    def __init__(self, message: str):
        super().__init__(L_("Something went wrong"), message)
        self.message = later(
            lambda: say(message) + "\n\n" + _("The details are in the log. You can go back to the menu or quit."))
        home = Button(L_("Back to menu"), self._home, style=ButtonStyle.PRIMARY)
        self.buttons.set_rows([[home, Button(L_("Quit"), self._quit)]])

    def _home(self) -> None:
        assert self.app is not None
        self.app.reset(self.app.home())

    def _quit(self) -> None:
        assert self.app is not None
        self.app.quit(1)

    def back(self) -> None:
        """Esc quits: after an unexpected error there is no screen to go back to."""
        self._quit()

    def _place(self, lay: NoticeLayout) -> None:
        place_row(self.buttons.buttons, lay, 190)

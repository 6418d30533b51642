"""Simple message screens: a notice with a way back, and the error screen.

The error screen is what the player sees instead of a traceback: what went wrong in a
sentence, and the ways out (back to the menu, or quit).
"""

from __future__ import annotations

import pygame

from ui import theme
from ui.i18n import L_, Text, _, later, say, shown
from ui.render import blit_center, draw_card, wrap_text
from ui.screens.base import Screen
from ui.widgets import Button, ButtonStyle

BACK_KEYS: tuple[int, ...] = (pygame.K_ESCAPE, pygame.K_BACKSPACE)


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
        self._place(size, self._message_height(size))

    def _message_height(self, size: tuple[int, int]) -> int:
        s = self.scale(size)
        width = self._text_width(size)
        return len(self._lines(size, width)) * int(30 * s)

    def _text_width(self, size: tuple[int, int]) -> int:
        s = self.scale(size)
        return int(min(size[0] - 64 * s, 480 * s))

    def _lines(self, size: tuple[int, int], width: int) -> list[str]:
        fonts = self.app.fonts if self.app is not None else theme.Fonts()
        return wrap_text(fonts.get(20 * self.scale(size)), self.message, width)

    def _block(self, size: tuple[int, int], message_height: int) -> tuple[int, int]:
        """Top of the title and the y of the button row, the whole block centred vertically."""
        s = self.scale(size)
        block = int(54 * s) + int(24 * s) + message_height + int(36 * s) + int(52 * s)
        top = max(int(24 * s), (size[1] - block) // 2)
        button_y = top + int(54 * s) + int(24 * s) + message_height + int(36 * s)
        return top, button_y

    def _place(self, size: tuple[int, int], message_height: int) -> None:
        s = self.scale(size)
        _, button_y = self._block(size, message_height)
        for b in self.buttons.buttons:
            b.rect = pygame.Rect(0, 0, int(200 * s), int(52 * s))
            b.rect.midtop = (size[0] // 2, button_y)

    def draw(self, surface: pygame.Surface) -> None:
        fonts = self.fonts
        size = surface.get_size()
        s = self.scale(size)
        width = self._text_width(size)
        lines = self._lines(size, width)
        top, button_y = self._block(size, len(lines) * int(30 * s))
        card_w = min(size[0] - int(24 * s), max(int(400 * s), width + int(64 * s)))
        card_top = top - int(32 * s)
        draw_card(surface, card_top, card_w, button_y + int(52 * s) + int(32 * s) - card_top, s)
        title_size = fonts.fit(self.title, 40 * s, size[0] - 48 * s)
        blit_center(surface, fonts.render(self.title, title_size, self.title_color), (size[0] / 2, top + 27 * s))
        y = top + int(54 * s) + int(24 * s)
        for line in lines:
            blit_center(surface, fonts.render(line, 20 * s, theme.MUTED), (size[0] / 2, y + 15 * s))
            y += int(30 * s)
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
            lambda: f"{say(message)}\n\n{_('The details are in the log. You can go back to the menu or quit.')}")
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

    def _place(self, size: tuple[int, int], message_height: int) -> None:
        s = self.scale(size)
        _, button_y = self._block(size, message_height)
        w, gap = int(190 * s), int(16 * s)
        left = size[0] // 2 - w - gap // 2
        for i, b in enumerate(self.buttons.buttons):
            b.rect = pygame.Rect(left + i * (w + gap), button_y, w, int(52 * s))


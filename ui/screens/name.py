"""Your name, asked once before the first LAN game (online play asks it on the sign-in form).

The name is what the other player sees; it is remembered in the profile, so the next
LAN game starts at once. Enter continues, Esc goes back.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame

from net.limits import MAX_NAME_LENGTH, normalize_name
from ui import theme
from ui.render import blit_center
from ui.screens.base import Screen
from ui.screens.netkit import FormFocus, draw_field, draw_form_card
from ui.textfield import TextField
from ui.widgets import ENTER_KEYS, Button, ButtonStyle, key_down


class NameScreen(Screen):
    """One field, the player's name, then Continue or Back."""

    name = "name"

    def __init__(self, name: str, on_done: Callable[[str], None]):
        super().__init__()
        self.on_done = on_done
        self.field = TextField(name[:MAX_NAME_LENGTH], placeholder="Your name", max_length=MAX_NAME_LENGTH,
                               on_submit=lambda _text: self.submit())
        self.continue_button = Button("Continue", self.submit, style=ButtonStyle.PRIMARY, hint="Enter")
        self.back_button = Button("Back", self.back, hint="Esc")
        self.buttons.set_rows([[self.continue_button, self.back_button]])
        self.buttons.focus_visible = False
        self.focus = FormFocus(self.buttons, lambda: [self.field, self.continue_button, self.back_button])
        self.error: str | None = None

    def on_mount(self) -> None:
        self.focus.focus(self.field)
        self.field.select_all()  # the name offered is a suggestion: typing replaces it

    def submit(self) -> None:
        try:
            name = normalize_name(self.field.text)
        except ValueError as exc:
            self.error = str(exc)
            self.focus.focus(self.field)
            return
        self.on_done(name)

    def handle(self, event: pygame.event.Event) -> bool:
        if self.handle_back(event) or self.focus.handle(event):
            return True
        if key_down(event, *ENTER_KEYS):
            self.submit()
            return True
        return False

    def _metrics(self, size: tuple[int, int]) -> dict[str, int]:
        heights = dict(pad=28, title=46, subtitle=28, gap=18, label=24, field=46, error=44, button=52)
        rows = ["pad", "title", "subtitle", "gap", "label", "field", "error", "button", "pad"]
        m = self.column_metrics(size, heights, rows, width=440)
        m["inner"] = m["width"] - 2 * m["pad"]
        return m

    def layout(self, size: tuple[int, int]) -> None:
        s = self.scale(size)
        m = self._metrics(size)
        left = (size[0] - m["inner"]) // 2
        y = m["top"] + m["pad"] + m["title"] + m["subtitle"] + m["gap"] + m["label"]
        self.field.rect = pygame.Rect(left, y, m["inner"], m["field"])
        y += m["field"] + m["error"]
        gap = int(14 * s)
        w = (m["inner"] - gap) // 2
        self.continue_button.rect = pygame.Rect(left, y, w, m["button"])
        self.back_button.rect = pygame.Rect(left + w + gap, y, m["inner"] - w - gap, m["button"])

    def draw(self, surface: pygame.Surface) -> None:
        fonts = self.fonts
        size = surface.get_size()
        s = self.scale(size)
        m = self._metrics(size)
        cx = size[0] / 2
        draw_form_card(surface, fonts, s, m, "What is your name?", "The other player sees it, and the game remembers it.")
        draw_field(surface, fonts, s, self.field, "Your name", error=self.error is not None)
        if self.error:
            blit_center(surface, fonts.render(self.error, fonts.fit(self.error, theme.small(15 * s), m["inner"], light=True),
                                              theme.ERROR, light=True), (cx, self.field.rect.bottom + m["error"] / 2))
        self.buttons.draw(surface, fonts, s)
        self.draw_footer(surface, "Enter continues  ·  Esc goes back", m["footer"])

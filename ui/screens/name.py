"""Your name, asked once before the first LAN game (online play asks it on the sign-in form).

The name is what the other player sees; it is remembered in the profile, so the next
LAN game starts at once. Enter continues, Esc goes back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygame

from net.limits import MAX_NAME_LENGTH
from ui import theme
from ui.i18n import L_, _, say
from ui.screens.base import Canvas
from ui.screens.form import Focusable, FormRows, FormScreen, draw_field, draw_form_card, form_column
from ui.screens.layout import ColumnLayout
from ui.text import check_name
from ui.textfield import TextField
from ui.widgets import Button, ButtonStyle


@dataclass(frozen=True)
class NameRows(FormRows):
    text_rows = FormRows.text_rows | {"label", "error"}

    pad: int = 28
    title: int = 46
    subtitle: int = 40
    gap: int = 18
    label: int = 24
    field: int = 46
    error: int = 44
    button: int = 52


NameLayout = ColumnLayout[NameRows]


class NameScreen(FormScreen[NameLayout]):
    """One field, the player's name, then Continue or Back."""

    name = "name"

    def __init__(self, name: str, on_done: Callable[[str], None]):
        super().__init__()
        self.on_done = on_done
        self.field = TextField(name[:MAX_NAME_LENGTH], placeholder=L_("Your name"), max_length=MAX_NAME_LENGTH,
                               on_submit=lambda _text: self.submit())
        self.continue_button = Button(L_("Continue"), self.submit, style=ButtonStyle.PRIMARY, hint=L_("Enter"))
        self.back_button = Button(L_("Back"), self.back, hint=L_("Esc"))
        self.buttons.set_rows([[self.continue_button, self.back_button]])
        self.buttons.focus_visible = False

    def focus_order(self) -> Sequence[Focusable]:
        return [self.field, self.continue_button, self.back_button]

    def on_mount(self) -> None:
        self.focus.focus(self.field)
        self.field.select_all()  # the name offered is a suggestion: typing replaces it

    def submit(self) -> None:
        self.submit_field(self.field, check_name, self.on_done)  # normalised, and refused if it cannot be shown

    def on_enter(self) -> bool:
        self.submit()
        return True

    def measure(self, size: tuple[int, int]) -> NameLayout:
        return form_column(
            size, NameRows(), lambda h: (h.pad, h.title, h.subtitle, h.gap, h.label, h.field, h.error, h.button, h.pad),
            width=440,
        )

    def place(self, lay: NameLayout) -> None:
        col, h = lay.column, lay.rows
        left = col.inner_left
        y = col.top + h.pad + h.title + h.subtitle + h.gap + h.label
        self.field.rect = pygame.Rect(left, y, col.inner, h.field)
        y += h.field + h.error
        gap = int(14 * col.scale)
        w = (col.inner - gap) // 2
        self.continue_button.rect = pygame.Rect(left, y, w, h.button)
        self.back_button.rect = pygame.Rect(left + w + gap, y, col.inner - w - gap, h.button)

    def paint(self, canvas: Canvas, lay: NameLayout) -> None:
        s = canvas.scale
        draw_form_card(canvas, lay, _("What is your name?"), _("The other player sees it, and the game remembers it."))
        draw_field(canvas.surface, canvas.fonts, s, self.field, _("Your name"), error=self.error is not None, counter=True)
        if self.error:
            canvas.fitted(say(self.error), theme.small(15 * s), lay.column.inner, theme.ERROR,
                          (canvas.center_x, self.field.rect.bottom + lay.rows.error / 2), light=True)
        self.buttons.draw(canvas.surface, canvas.fonts, s)
        self.draw_footer(canvas.surface, _("Enter continues  ·  Esc goes back"), lay.column.footer)

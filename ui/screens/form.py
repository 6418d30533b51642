"""What the screens with text fields share: one focus order, a check per field with its refusal shown there.

The sign-in, name, friend-code and LAN-join screens are ``FormScreen``s: a value is
checked where it was typed (``read``, with a ``net.limits`` check), a refusal is shown
at its field in plain words and the field gets the focus, and Tab (or Up/Down) walks
one order across fields and buttons (``FormFocus``). The card forms measure their
column from ``FormRows`` (pad, title, subtitle, then their own rows) and draw it with
``draw_form_card``; ``draw_field`` draws a field with its label and its refusal ring.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

import pygame

from game.phrase import text_of
from ui import theme
from ui.i18n import ngettext
from ui.render import draw_card
from ui.screens.base import Canvas, Layout, MeasuredScreen
from ui.screens.layout import ColumnLayout, Heights
from ui.textfield import TextField
from ui.widgets import ENTER_KEYS, Button, ButtonGroup, key_down

T = TypeVar("T")
L = TypeVar("L", bound=Layout)

MAX_SERVER_LENGTH = 200  # what a field for a server's address holds (the sign-in form's, the LAN list's)

Focusable: TypeAlias = TextField | Button


class FormFocus:
    """One keyboard focus across a screen's text fields and buttons, in the order ``items()`` gives.

    Tab / Shift+Tab (and Up / Down) walk the whole order, wrapping round; a focused field
    gets its keys first (so typing 'm' is text, not the mute key); a click focuses the
    field under it or presses a button. The buttons must all be in ``buttons``.
    """

    def __init__(self, buttons: ButtonGroup, items: Callable[[], Sequence[Focusable]]):
        self.buttons = buttons
        self._items = items

    @property
    def fields(self) -> list[TextField]:
        return [i for i in self._items() if isinstance(i, TextField)]

    @property
    def field(self) -> TextField | None:
        """The text field with focus, if one has it."""
        return next((f for f in self.fields if f.focused), None)

    @property
    def current(self) -> Focusable | None:
        field = self.field
        if field is not None:
            return field
        return self.buttons.focus if self.buttons.focus_visible else None

    def focus(self, item: Focusable | None) -> None:
        """Give focus to ``item`` (a field, an enabled button, or None for nothing)."""
        for f in self.fields:
            f.focused = f is item
            if f is item:
                f.caret = len(f.text)
        if isinstance(item, Button) and item.enabled:
            self.buttons.focus_on(item)
            self.buttons.focus_visible = True
        else:
            self.buttons.focus_visible = False

    def move(self, delta: int) -> None:
        """Focus the next (``delta`` 1) or previous (-1) item, wrapping round."""
        items = [i for i in self._items() if not isinstance(i, Button) or i.enabled]
        if not items:
            return
        current = self.current
        if current in items:
            index = (items.index(current) + delta) % len(items)
        else:
            index = 0 if delta > 0 else len(items) - 1
        self.focus(items[index])

    def handle(self, event: pygame.event.Event) -> bool:
        """Route one input event; True if a field or a button used it."""
        if event.type in (pygame.MOUSEMOTION, pygame.WINDOWLEAVE, pygame.MOUSEBUTTONUP):
            return self.buttons.handle(event)  # hover and clicks work whatever has the keyboard
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            hit = False
            for f in self.fields:
                hit = f.handle(event) or hit  # every field hears the click, to drop focus if it missed
            if hit:
                self.buttons.focus_visible = False
                return True
            return self.buttons.handle(event)
        if key_down(event, pygame.K_TAB):
            self.move(-1 if event.mod & pygame.KMOD_SHIFT else 1)
            return True
        field = self.field
        if field is not None and field.handle(event):
            return True
        if key_down(event, pygame.K_UP, pygame.K_DOWN):
            self.move(-1 if event.key == pygame.K_UP else 1)
            return True
        if field is not None:
            return event.type == pygame.TEXTINPUT
        return self.buttons.handle(event)


class FieldRefused(Exception):
    """A field's value was refused (the form shows why at the field): whatever was being submitted stops."""


class FormScreen(MeasuredScreen[L]):
    """A screen with text fields and buttons in one focus order (``focus_order``), whose values are checked.

    Esc goes back; a key no field or button takes goes to ``on_enter`` if it is Enter.
    """

    def __init__(self) -> None:
        super().__init__()
        self.focus = FormFocus(self.buttons, self.focus_order)
        self.error: str | None = None  # the last refusal, shown at its field
        self.error_field: TextField | None = None
        self._refused: tuple[str, Callable[[str], object] | None] = ("", None)  # the text refused, and its check

    def focus_order(self) -> Sequence[Focusable]:
        """The fields and buttons in the order Tab walks them."""
        raise NotImplementedError

    def _focusable(self) -> list[Focusable]:
        return [i for i in self.focus_order() if not isinstance(i, Button) or i.enabled]

    def tab_leaves(self, delta: int) -> bool:
        items = self._focusable()
        return not items or self.focus.current is items[-1 if delta > 0 else 0]

    def focus_edge(self, delta: int) -> None:
        items = self._focusable()
        if items:
            self.focus.focus(items[0 if delta > 0 else -1])

    def blur(self) -> None:
        self.focus.focus(None)

    def read(self, field: TextField, check: Callable[[str], T]) -> T:
        """``check`` of the field's text; if it refuses (ValueError), the refusal is shown and FieldRefused raised."""
        try:
            return check(field.text)
        except ValueError as exc:
            self.refuse(field, text_of(exc), check)  # a Phrase from net.limits: shown translated (ui.i18n.say)
            raise FieldRefused from None

    def submit_field(self, field: TextField, check: Callable[[str], T], then: Callable[[T], object]) -> None:
        """Go on with ``then`` and the field's checked value, or show why it was refused."""
        try:
            value = self.read(field, check)
        except FieldRefused:
            return
        self.error = self.error_field = None
        then(value)

    def refuse(self, field: TextField, message: str, check: Callable[[str], object] | None = None) -> None:
        """Show ``message`` at ``field`` and give it the focus.

        The refusal goes as soon as the field's text passes ``check`` (without one: as soon as it changes).
        """
        self.error = message
        self.error_field = field
        self._refused = (field.text, check)
        self.focus.focus(field)

    def handle(self, event: pygame.event.Event) -> bool:
        used = self.handle_back(event) or self.focus.handle(event) or (key_down(event, *ENTER_KEYS) and self.on_enter())
        self._forget_fixed_refusal()
        return used

    def _forget_fixed_refusal(self) -> None:
        """Clear the refusal shown once the field it was about holds something acceptable."""
        field = self.error_field
        if field is None or field.text == self._refused[0]:
            return
        check = self._refused[1]
        if check is not None:
            try:
                check(field.text)
            except ValueError:
                return
        self.error = self.error_field = None

    def on_enter(self) -> bool:
        """Enter, when no field or button took it; True if it did something."""
        return False


@dataclass(frozen=True)
class FormRows(Heights):
    """The rows every card form starts with (default-window units); a form adds its own."""

    text_rows = frozenset({"title", "subtitle"})


    pad: int = 26  # the card's margin, above the title and below the last row
    title: int = 44
    subtitle: int = 40  # two lines of it at most


F = TypeVar("F", bound=FormRows)


def form_column(size: tuple[int, int], rows: F, order: Callable[[F], Sequence[int]], *, width: float) -> ColumnLayout[F]:
    """A card form's column: ``rows`` in ``order``, centred, the card's margin its ``pad``."""
    return ColumnLayout.centred(size, rows, order, width=width, pad=lambda h: h.pad)


def draw_form_card(canvas: Canvas, lay: ColumnLayout[F], title: str, subtitle: str) -> float:
    """A form's card with the title and the muted subtitle (two lines at most), fitted to the card; the y under the subtitle."""
    col, h, s = lay.column, lay.rows, canvas.scale
    cx = canvas.center_x
    draw_card(canvas.surface, col.top, col.width, col.height, s)
    y = col.top + h.pad
    canvas.fitted(title, 34 * s, col.inner, theme.TEXT, (cx, y + h.title / 2))
    y += h.title
    if subtitle:  # one line if it fits at its size or a little smaller, else two
        size = theme.small(16 * s)
        shown, fitted = canvas.fonts.fit_line(subtitle, size, col.inner, light=True)
        if shown == subtitle:
            canvas.text(shown, fitted, theme.MUTED, (cx, y + h.subtitle / 2), light=True)
        else:
            line = min(h.subtitle / 2, canvas.fonts.get(size, light=True).get_linesize())
            canvas.wrapped(subtitle, size, col.inner, theme.MUTED, y + h.subtitle / 2 - line, light=True, max_lines=2,
                           line_height=line)
    return y + h.subtitle


def draw_field(
    surface: pygame.Surface,
    fonts: theme.Fonts,
    scale: float,
    field: TextField,
    label: str,
    *,
    error: bool = False,
    counter: bool = False,
) -> None:
    """A text field with its label just above it; a red ring when its value was refused.

    With ``counter``, the characters still free are counted at the label's right end (a name's field).
    """
    size = theme.small(16 * scale)
    room = field.rect.width - 8 * scale
    bottom = field.rect.y - 6 * scale
    if counter:
        left = max(0, field.max_length - len(field.text))
        count = ngettext("{n} character left", "{n} characters left", left).format(n=left)
        shown = fonts.line(count, size, room / 2, theme.ERROR if left == 0 else theme.MUTED, light=True)
        surface.blit(shown, shown.get_rect(bottomright=(field.rect.right - 4 * scale, bottom)))
        room -= shown.get_width() + 12 * scale
    image = fonts.line(label, size, room, theme.MUTED, light=True)
    surface.blit(image, image.get_rect(bottomleft=(field.rect.x + 4 * scale, bottom)))
    field.draw(surface, fonts, scale)
    if error:
        radius = max(4, int(10 * scale))
        pygame.draw.rect(surface, theme.ERROR, field.rect, width=max(2, int(2 * scale)), border_radius=radius)

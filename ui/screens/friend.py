"""Play a friend: make a code to share, or type the one a friend shared; then wait for each other.

Two friends who queue with the same code are paired with each other and nobody else
(``net.friendcode``; the matchmaker's properties on the wire). Making a code shows it
large, with a button that copies it to the clipboard; typing one checks it at once
(only letters and digits that cannot be mistaken for each other). Esc goes back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygame

from net.friendcode import ALPHABET, MAX_LENGTH, make_code
from net.limits import check_friend_code
from ui import clipboard, theme
from ui.i18n import L_, _, say
from ui.screens.base import Canvas
from ui.screens.form import Focusable, FormRows, FormScreen, draw_field, draw_form_card, form_column
from ui.screens.layout import ColumnLayout
from ui.textfield import TextField
from ui.widgets import Button, ButtonStyle, key_down


@dataclass(frozen=True)
class FriendRows(FormRows):
    text_rows = FormRows.text_rows | {"code", "copied", "rule", "label", "error"}

    code: int = 78
    copied: int = 40  # the note after copying, clear of the focus ring of the buttons under it
    button: int = 50
    gap: int = 12
    rule: int = 38  # "or", between the buttons' focus ring and the field's label
    label: int = 24
    field: int = 46
    error: int = 40


FriendLayout = ColumnLayout[FriendRows]




class FriendScreen(FormScreen[FriendLayout]):
    """Your code (made here) and a field for theirs; either way, Play goes to the matchmaker with the code."""

    name = "friend"

    def __init__(self, on_code: Callable[[str], object], on_back: Callable[[], object], *, code: str | None = None,
                 typed: str = ""):
        """``code``: ours (else a new one); ``typed``: the friend's code typed before (the field shows it again)."""
        super().__init__()
        self.on_code = on_code
        self.on_back = on_back
        self.code = code or make_code()
        self.copied: bool | None = None  # after "Copy the code": whether the system's clipboard took it
        self.field = TextField(typed, placeholder=L_("their code, e.g. {example}", example="K7QXM"), max_length=MAX_LENGTH + 2,
                               allowed=lambda ch: ch.upper() in ALPHABET or ch in " -", on_refused=self._not_in_codes,
                               on_submit=lambda _t: self.join())
        self.share_button = Button(L_("Wait for my friend"), self.share, style=ButtonStyle.PRIMARY)
        self.copy_button = Button(L_("Copy the code"), self.copy, hint=L_("Ctrl+C"))
        self.join_button = Button(L_("Join"), self.join)
        self.back_button = Button(L_("Back"), self.back, hint=L_("Esc"))
        self.buttons.set_rows([[self.share_button, self.copy_button], [self.join_button], [self.back_button]])

    def focus_order(self) -> Sequence[Focusable]:
        return [self.share_button, self.copy_button, self.field, self.join_button, self.back_button]

    def on_mount(self) -> None:
        if self.field.text:
            self.focus.focus(self.field)  # back from waiting for that friend: their code, ready to join again
            return
        self.buttons.focus_on(self.share_button)
        self.buttons.focus_visible = True

    def _not_in_codes(self, refused: str) -> None:
        """A character no code has was typed: say at once which ones codes use (look-alikes are left out of them)."""
        shown = " ".join(dict.fromkeys(c.upper() for c in refused if not c.isspace()))
        if shown:
            self.refuse(self.field, _("Codes have no {characters}: they use A to Z except I, L and O, and 2 to 9.").format(
                characters=shown))

    def back(self) -> None:
        self.on_back()

    # Actions ----------------------------------------------------------------------------------

    def share(self) -> None:
        """Queue with our own code: the friend types it on their side."""
        self.on_code(self.code)

    def copy(self) -> None:
        self.copied = clipboard.copy(self.code)

    def join(self) -> None:
        """Queue with the code typed, if it is one."""
        self.submit_field(self.field, check_friend_code, self.on_code)

    def handle(self, event: pygame.event.Event) -> bool:
        if key_down(event, pygame.K_c) and event.mod & pygame.KMOD_CTRL and self.focus.field is None:
            self.copy()
            return True
        return super().handle(event)

    def on_enter(self) -> bool:
        (self.join if self.field.text.strip() else self.share)()
        return True

    # Layout and drawing -------------------------------------------------------------------------

    def measure(self, size: tuple[int, int]) -> FriendLayout:
        return form_column(
            size, FriendRows(),
            lambda h: (h.pad, h.title, h.subtitle, h.code, h.copied, h.button, h.rule, h.label, h.field, h.error, h.gap,
                       h.button, h.pad),
            width=480,
        )

    def place(self, lay: FriendLayout) -> None:
        col, h, s = lay.column, lay.rows, lay.column.scale
        left = col.inner_left
        y = col.top + h.pad + h.title + h.subtitle + h.code + h.copied
        gap = int(12 * s)
        w = (col.inner - gap) // 2
        self.share_button.rect = pygame.Rect(left, y, w, h.button)
        self.copy_button.rect = pygame.Rect(left + w + gap, y, col.inner - w - gap, h.button)
        y += h.button + h.rule + h.label
        join_w = int(110 * s)
        self.field.rect = pygame.Rect(left, y, col.inner - join_w - gap, h.field)
        self.join_button.rect = pygame.Rect(self.field.rect.right + gap, y, join_w, h.field)
        y += h.field + h.error
        self.back_button.rect = pygame.Rect(0, y + h.gap, int(200 * s), h.button)
        self.back_button.rect.centerx = col.window[0] // 2

    def paint(self, canvas: Canvas, lay: FriendLayout) -> None:
        surface, fonts, s, h = canvas.surface, canvas.fonts, canvas.scale, lay.rows
        cx = canvas.center_x
        y = draw_form_card(canvas, lay, _("Play a friend"), _("Give your friend this code, or type theirs."))
        box = pygame.Rect(0, 0, min(int(260 * s * theme.text_scale()), lay.column.inner), h.code - int(10 * s))
        box.center = (int(cx), int(y + h.code / 2))
        pygame.draw.rect(surface, theme.PANEL_HIGH, box, border_radius=int(14 * s))
        spaced = " ".join(self.code)
        canvas.fitted(spaced, 58 * s, box.width - 20 * s, theme.ACCENT, box.center, shrink=0)  # a code is never cut
        y += h.code
        if self.copied is not None:  # the code stays large above, to be read out when copying failed
            note, tone = (_("Copied to the clipboard"), theme.O_COLOR) if self.copied else (
                _("Copying did not work: read the code out to your friend"), theme.ERROR)
            canvas.fitted(note, theme.small(15 * s), lay.column.inner, tone, (cx, y + h.copied / 2), light=True)
        y += h.copied + h.button
        canvas.text(_("or"), theme.small(16 * s), theme.MUTED, (cx, y + h.rule / 2), light=True)
        draw_field(surface, fonts, s, self.field, _("Your friend's code"), error=self.error is not None)
        if self.error:
            canvas.fitted(say(self.error), theme.small(15 * s), lay.column.inner, theme.ERROR,
                          (cx, self.field.rect.bottom + h.error / 2), light=True)
        self.buttons.draw(surface, fonts, s)
        self.draw_footer(surface, _("Enter plays  ·  Tab moves  ·  Esc goes back"), lay.column.footer)

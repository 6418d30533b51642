"""Play a friend: make a code to share, or type the one a friend shared; then wait for each other.

Two friends who queue with the same code are paired with each other and nobody else
(``net.friendcode``; the matchmaker's properties on the wire). Making a code shows it
large, with a button that copies it to the clipboard; typing one checks it at once
(only letters and digits that cannot be mistaken for each other). Esc goes back.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame

from net.friendcode import ALPHABET, MAX_LENGTH, make_code
from net.limits import check_friend_code
from ui import clipboard, theme
from ui.render import blit_center
from ui.screens.base import Screen
from ui.screens.netkit import FormFocus, draw_field, draw_form_card
from ui.textfield import TextField
from ui.widgets import ENTER_KEYS, Button, ButtonStyle, key_down


class FriendScreen(Screen):
    """Your code (made here) and a field for theirs; either way, Play goes to the matchmaker with the code."""

    name = "friend"

    def __init__(self, on_code: Callable[[str], object], on_back: Callable[[], object], *, code: str | None = None):
        super().__init__()
        self.on_code = on_code
        self.on_back = on_back
        self.code = code or make_code()
        self.copied: bool | None = None  # after "Copy the code": whether the system's clipboard took it
        self.field = TextField(placeholder="their code, e.g. K7QXM", max_length=MAX_LENGTH + 2,
                               allowed=lambda ch: ch.upper() in ALPHABET or ch in " -", on_submit=lambda _t: self.join())
        self.share_button = Button("Wait for my friend", self.share, style=ButtonStyle.PRIMARY)
        self.copy_button = Button("Copy the code", self.copy, hint="Ctrl+C")
        self.join_button = Button("Join", self.join)
        self.back_button = Button("Back", self.back, hint="Esc")
        self.buttons.set_rows([[self.share_button, self.copy_button], [self.join_button], [self.back_button]])
        self.focus = FormFocus(self.buttons, lambda: [self.share_button, self.copy_button, self.field, self.join_button,
                                                      self.back_button])
        self.error: str | None = None

    def on_mount(self) -> None:
        self.buttons.focus_on(self.share_button)
        self.buttons.focus_visible = True

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
        try:
            code = check_friend_code(self.field.text)
        except ValueError as exc:
            self.error = str(exc)
            self.focus.focus(self.field)
            return
        self.error = None
        self.on_code(code)

    def handle(self, event: pygame.event.Event) -> bool:
        if self.handle_back(event):
            return True
        if (key_down(event, pygame.K_c) and event.mod & pygame.KMOD_CTRL and self.focus.field is None):
            self.copy()
            return True
        if self.focus.handle(event):
            return True
        if key_down(event, *ENTER_KEYS):
            (self.join if self.field.text.strip() else self.share)()
            return True
        return False

    # Layout and drawing -------------------------------------------------------------------------

    def _metrics(self, size: tuple[int, int]) -> dict[str, int]:
        heights = dict(pad=26, title=44, subtitle=26, code=78, copied=24, button=50, gap=12, rule=30, label=24,
                       field=46, error=40)
        rows = ["pad", "title", "subtitle", "code", "copied", "button", "rule", "label", "field", "error", "button",
                "gap", "button", "pad"]
        m = self.column_metrics(size, heights, rows, width=480, min_top=8)
        m["inner"] = m["width"] - 2 * m["pad"]
        return m

    def layout(self, size: tuple[int, int]) -> None:
        s = self.scale(size)
        m = self._metrics(size)
        left = (size[0] - m["inner"]) // 2
        y = m["top"] + m["pad"] + m["title"] + m["subtitle"] + m["code"] + m["copied"]
        gap = int(12 * s)
        w = (m["inner"] - gap) // 2
        self.share_button.rect = pygame.Rect(left, y, w, m["button"])
        self.copy_button.rect = pygame.Rect(left + w + gap, y, m["inner"] - w - gap, m["button"])
        y += m["button"] + m["rule"] + m["label"]
        join_w = int(110 * s)
        self.field.rect = pygame.Rect(left, y, m["inner"] - join_w - gap, m["field"])
        self.join_button.rect = pygame.Rect(self.field.rect.right + gap, y, join_w, m["field"])
        y += m["field"] + m["error"]
        self.back_button.rect = pygame.Rect(0, y + m["button"] + m["gap"] - m["button"], int(200 * s), m["button"])
        self.back_button.rect.centerx = size[0] // 2

    def draw(self, surface: pygame.Surface) -> None:
        fonts = self.fonts
        size = surface.get_size()
        s = self.scale(size)
        m = self._metrics(size)
        cx = size[0] / 2
        y = draw_form_card(surface, fonts, s, m, "Play a friend", "Give your friend this code, or type theirs.")
        box = pygame.Rect(0, 0, int(260 * s), m["code"] - int(10 * s))
        box.center = (int(cx), int(y + m["code"] / 2))
        pygame.draw.rect(surface, theme.PANEL_HIGH, box, border_radius=int(14 * s))
        spaced = " ".join(self.code)
        blit_center(surface, fonts.render(spaced, fonts.fit(spaced, 58 * s, box.width - 20 * s), theme.ACCENT), box.center)
        y += m["code"]
        if self.copied is not None:  # the code stays large above, to be read out when copying failed
            note, tone = ("Copied to the clipboard", theme.O_COLOR) if self.copied else (
                "Copying did not work: read the code out to your friend", theme.ERROR)
            blit_center(surface, fonts.render(note, fonts.fit(note, theme.small(15 * s), m["inner"], light=True), tone,
                                              light=True), (cx, y + m["copied"] / 2))
        y += m["copied"] + m["button"]
        blit_center(surface, fonts.render("or", theme.small(16 * s), theme.MUTED, light=True), (cx, y + m["rule"] / 2))
        draw_field(surface, fonts, s, self.field, "Your friend's code", error=self.error is not None)
        if self.error:
            text = self.error
            blit_center(surface, fonts.render(text, fonts.fit(text, theme.small(15 * s), m["inner"], light=True), theme.ERROR,
                                              light=True), (cx, self.field.rect.bottom + m["error"] / 2))
        self.buttons.draw(surface, fonts, s)
        self.draw_footer(surface, "Enter plays  ·  Tab moves  ·  Esc goes back", m["footer"])

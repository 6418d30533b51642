"""Sign in to play online: your name, the server's host:port and its key, remembered for next time.

The fields start with what the player used last (the profile), else the defaults of a
local Nakama server (127.0.0.1:7350, key ``defaultkey``). Tab (or Up/Down) moves between
the fields and the buttons, Enter signs in from anywhere, Esc goes back. A value that
cannot work is refused here in plain words, before anything goes on the network.
"""

from __future__ import annotations

import pygame

from game.ui import theme
from game.ui.render import blit_center, draw_card, wrap_text
from game.ui.screens.base import Screen
from game.ui.screens.netflow import NetFlow
from game.ui.screens.netkit import FormFocus, draw_field
from game.ui.userdata import MAX_NAME_LENGTH
from game.ui.widgets import ENTER_KEYS, Button, TextField, key_down
from net.address import ServerAddress

MAX_SERVER_LENGTH = 200
MAX_KEY_LENGTH = 128


def check_server(text: str) -> str:
    """``text`` as typed (trimmed) if it is a server address; ValueError with a sentence a player can act on."""
    try:
        ServerAddress.parse(text)
    except ValueError as exc:
        reason = str(exc)
        reason = reason[:1].upper() + reason[1:]
        raise ValueError(f"{reason}. Type host:port or https://host, for example 127.0.0.1:7350.") from None
    return text.strip()


def check_name(text: str) -> str:
    """The name trimmed; ValueError if nothing is left."""
    name = text.strip()
    if not name:
        raise ValueError("Type your name: it is what your opponent sees.")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"A name has at most {MAX_NAME_LENGTH} characters.")
    return name


class LoginScreen(Screen):
    """Name, server and key, then Sign in (to matchmaking) or Back (to the menu)."""

    name = "login"

    def __init__(self) -> None:
        super().__init__()
        self.name_field = TextField(placeholder="Your name", max_length=MAX_NAME_LENGTH, on_submit=self._submitted)
        self.server_field = TextField(placeholder="host:port", max_length=MAX_SERVER_LENGTH, on_submit=self._submitted)
        self.key_field = TextField(placeholder="Server key", max_length=MAX_KEY_LENGTH, on_submit=self._submitted)
        self.fields = (self.name_field, self.server_field, self.key_field)
        self.labels = ("Your name", "Server (host:port)", "Server key")
        self.sign_in_button = Button("Sign in", self.submit, style="primary", hint="Enter")
        self.back_button = Button("Back", self.back, hint="Esc")
        self.buttons.set_rows([[self.sign_in_button, self.back_button]])
        self.buttons.focus_visible = False
        self.focus = FormFocus(self.buttons, lambda: [*self.fields, self.sign_in_button, self.back_button])
        self.error: str | None = None
        self.error_field: TextField | None = None

    def on_mount(self) -> None:
        assert self.app is not None
        profile = self.app.userdata.profile
        self.name_field.text = profile.name[:MAX_NAME_LENGTH]
        self.server_field.text = profile.server
        self.key_field.text = profile.server_key
        for field in self.fields:
            field.caret = len(field.text)
        self.focus.focus(self.name_field)

    # Actions -------------------------------------------------------------------------------

    def _submitted(self, _text: str) -> None:
        self.submit()

    def submit(self) -> None:
        """Check the fields; if they can work, remember them and go and find an opponent."""
        assert self.app is not None
        try:
            name = check_name(self.name_field.text)
        except ValueError as exc:
            self._refuse(self.name_field, str(exc))
            return
        try:
            server = check_server(self.server_field.text)
        except ValueError as exc:
            self._refuse(self.server_field, str(exc))
            return
        key = self.key_field.text.strip()
        if not key:
            self._refuse(self.key_field, "Type the server key (a stock Nakama server uses defaultkey).")
            return
        self.error = self.error_field = None
        self.app.userdata.update_profile(name=name, server=server, server_key=key)
        NetFlow.online(self.app, server, key, name).begin(replace=True)

    def _refuse(self, field: TextField, message: str) -> None:
        self.error = message
        self.error_field = field
        self.focus.focus(field)

    # Input --------------------------------------------------------------------------------------

    def handle(self, event: pygame.event.Event) -> bool:
        if self.handle_back(event) or self.focus.handle(event):
            return True
        if key_down(event, *ENTER_KEYS):
            self.submit()
            return True
        return False

    # Layout and drawing -------------------------------------------------------------------------

    def _metrics(self, size: tuple[int, int]) -> dict[str, int]:
        heights = dict(pad=30, title=46, subtitle=28, gap=20, label=24, field=46, field_gap=12, error=50, button=52)
        fields = ["field_gap", "label", "field"] * len(self.fields)  # with a gap between each two
        rows = ["pad", "title", "subtitle", "gap", *fields[1:], "error", "button", "pad"]
        m = self.column_metrics(size, heights, rows, width=460)
        m["inner"] = m["width"] - 2 * m["pad"]
        return m

    def layout(self, size: tuple[int, int]) -> None:
        s = self.scale(size)
        m = self._metrics(size)
        left = (size[0] - m["inner"]) // 2
        y = m["top"] + m["pad"] + m["title"] + m["subtitle"] + m["gap"]
        for field in self.fields:
            y += m["label"]
            field.rect = pygame.Rect(left, y, m["inner"], m["field"])
            y += m["field"] + m["field_gap"]
        y += m["error"] - m["field_gap"]
        gap = int(14 * s)
        w = (m["inner"] - gap) // 2
        self.sign_in_button.rect = pygame.Rect(left, y, w, m["button"])
        self.back_button.rect = pygame.Rect(left + w + gap, y, m["inner"] - w - gap, m["button"])

    def draw(self, surface: pygame.Surface) -> None:
        fonts = self.fonts
        size = surface.get_size()
        s = self.scale(size)
        m = self._metrics(size)
        cx = size[0] / 2
        draw_card(surface, m["top"], m["width"], m["height"], s)
        y = m["top"] + m["pad"]
        blit_center(surface, fonts.render("Play online", 36 * s, theme.TEXT), (cx, y + m["title"] / 2))
        y += m["title"]
        subtitle = "Sign in to a game server to find an opponent."
        size_sub = fonts.fit(subtitle, theme.small(16 * s), m["inner"])
        blit_center(surface, fonts.render(subtitle, size_sub, theme.MUTED), (cx, y + m["subtitle"] / 2))
        for field, label in zip(self.fields, self.labels):
            draw_field(surface, fonts, s, field, label, error=field is self.error_field)
        if self.error:
            font_size = theme.small(15 * s)
            lines = wrap_text(fonts.get(font_size), self.error, m["inner"])[:2]
            line_height = int(20 * s)
            area_top = self.key_field.rect.bottom
            top = area_top + (self.sign_in_button.rect.top - area_top - len(lines) * line_height) / 2
            for line in lines:
                blit_center(surface, fonts.render(line, font_size, theme.X_COLOR), (cx, top + line_height / 2))
                top += line_height
        self.buttons.draw(surface, fonts, s)
        self.draw_footer(surface, "Tab moves  ·  Enter signs in  ·  Esc goes back", m["footer"])

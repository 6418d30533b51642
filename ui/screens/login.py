"""Sign in to play online: your name and the server, with the key and a private authority under "Advanced".

The fields start with what the player used last (the profile), else the defaults of a
local server (127.0.0.1:7350, key ``defaultkey``). A server is written as players write
it: ``host:port``, ``https://host`` (TLS) and the like (``net.address``). Tab (or
Up/Down) moves between the fields and the buttons, Enter finds an opponent from
anywhere, Esc goes back. A value that cannot work is refused here, at its field, in
plain words, before anything goes on the network; a field keeps its text after an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pygame

from net.address import DEFAULT_SERVER_KEY
from net.limits import MAX_NAME_LENGTH, check_server, normalize_name
from net.tls import TlsConfigError, check_pem
from ui import theme
from ui.render import blit_center, wrap_text
from ui.screens.base import Screen
from ui.screens.netkit import FormFocus, draw_field, draw_form_card
from ui.textfield import TextField
from ui.widgets import ENTER_KEYS, Button, ButtonStyle, key_down

MAX_SERVER_LENGTH = 200
MAX_KEY_LENGTH = 128
MAX_PATH_LENGTH = 400


def check_ca_file(text: str) -> str | None:
    """None for an empty field, else the path if it holds PEM certificates; ValueError saying what is wrong."""
    path = text.strip()
    if not path:
        return None
    try:
        check_pem(path, "certificate authority file", "CERTIFICATE")
    except TlsConfigError as exc:
        message = str(exc)
        raise ValueError(message[:1].upper() + message[1:] + ".") from None
    return path


@dataclass(frozen=True)
class LoginForm:
    """What the player filled in: who, where, with which key (and authority), and whether to play a friend."""

    name: str
    server: str
    key: str
    ca_file: str | None
    friend: bool = False


class LoginScreen(Screen):
    """Name and server (key and authority under Advanced), then Find an opponent, Play a friend, or Back."""

    name = "login"

    def __init__(self, on_submit: Callable[[LoginForm], None], *, error: tuple[str, str] | None = None):
        """``error``: (field, message) to show at once, e.g. ("key", "The server key was refused")."""
        super().__init__()
        self.on_submit = on_submit
        self.name_field = TextField(placeholder="Your name", max_length=MAX_NAME_LENGTH, on_submit=self._submitted)
        self.server_field = TextField(placeholder="host:port or https://host", max_length=MAX_SERVER_LENGTH,
                                      on_submit=self._submitted)
        self.key_field = TextField(placeholder="Server key", max_length=MAX_KEY_LENGTH, on_submit=self._submitted)
        self.ca_field = TextField(placeholder="PEM file (optional)", max_length=MAX_PATH_LENGTH, on_submit=self._submitted)
        self.find_button = Button("Find an opponent", self.submit, style=ButtonStyle.PRIMARY, hint="Enter")
        self.friend_button = Button("Play a friend", self.submit_friend)
        self.advanced_button = Button("Advanced: key, certificate", self.toggle_advanced, style=ButtonStyle.QUIET)
        self.back_button = Button("Back", self.back, hint="Esc")
        self.advanced = False
        self.focus = FormFocus(self.buttons, self._focus_order)
        self.error: str | None = None
        self.error_field: TextField | None = None
        self._initial_error = error
        self._set_buttons()

    @property
    def fields(self) -> tuple[TextField, ...]:
        return (self.name_field, self.server_field, *((self.key_field, self.ca_field) if self.advanced else ()))

    @property
    def labels(self) -> tuple[str, ...]:
        return ("Your name", "Server", *(("Server key", "Certificate authority (self-hosted servers)") if self.advanced else ()))

    def _focus_order(self) -> list[TextField | Button]:
        return [*self.fields, self.find_button, self.friend_button, self.advanced_button, self.back_button]

    def _set_buttons(self) -> None:
        self.advanced_button.label = "Hide the advanced settings" if self.advanced else "Advanced: key, certificate"
        self.buttons.set_rows([[self.find_button, self.friend_button], [self.advanced_button], [self.back_button]])
        self.buttons.focus_visible = False
        self.relayout()

    def on_mount(self) -> None:
        assert self.app is not None
        profile = self.app.userdata.profile
        self.name_field.text = profile.name[:MAX_NAME_LENGTH]
        self.server_field.text = profile.server
        self.key_field.text = profile.server_key
        self.ca_field.text = profile.ca_file
        for field in (self.name_field, self.server_field, self.key_field, self.ca_field):
            field.caret = len(field.text)
        self.advanced = bool(profile.ca_file) or profile.server_key != DEFAULT_SERVER_KEY
        self._set_buttons()
        self.focus.focus(self.name_field)
        if not profile.name_chosen:
            self.name_field.select_all()  # "Player" is only a suggestion: typing replaces it
        if self._initial_error is not None:
            which, message = self._initial_error
            field = {"key": self.key_field, "server": self.server_field, "ca": self.ca_field}.get(which, self.name_field)
            if field in (self.key_field, self.ca_field):
                self.advanced = True
                self._set_buttons()
            self._refuse(field, message)

    # Actions -------------------------------------------------------------------------------

    def toggle_advanced(self) -> None:
        self.advanced = not self.advanced
        self._set_buttons()
        self.focus.focus(self.key_field if self.advanced else self.advanced_button)

    def _submitted(self, _text: str) -> None:
        self.submit()

    def submit_friend(self) -> None:
        self.submit(friend=True)

    def submit(self, friend: bool = False) -> None:
        """Check the fields; if they can work, hand them on (the flow remembers them and signs in)."""
        checks: list[tuple[TextField, Callable[[str], object]]] = [
            (self.name_field, normalize_name), (self.server_field, check_server), (self.key_field, _check_key),
            (self.ca_field, check_ca_file),
        ]
        values: list[object] = []
        for field, check in checks:
            try:
                values.append(check(field.text))
            except ValueError as exc:
                if field in (self.key_field, self.ca_field) and not self.advanced:
                    self.advanced = True
                    self._set_buttons()
                self._refuse(field, str(exc))
                return
        self.error = self.error_field = None
        name, server, key, ca_file = values
        self.on_submit(LoginForm(str(name), str(server), str(key), ca_file if isinstance(ca_file, str) else None, friend))

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
        heights = dict(pad=26, title=44, subtitle=26, gap=12, label=22, field=44, field_gap=8, error=46, button=50,
                       button_gap=10, link=34)
        fields = ["field_gap", "label", "field"] * len(self.fields)
        rows = ["pad", "title", "subtitle", "gap", *fields[1:], "error", "button", "button_gap", "link", "button_gap",
                "button", "pad"]
        m = self.column_metrics(size, heights, rows, width=480, min_top=8)
        m["inner"] = m["width"] - 2 * m["pad"]
        return m

    def layout(self, size: tuple[int, int]) -> None:
        s = self.scale(size)
        m = self._metrics(size)
        left = (size[0] - m["inner"]) // 2
        y = m["top"] + m["pad"] + m["title"] + m["subtitle"] + m["gap"]
        for field in (self.name_field, self.server_field, self.key_field, self.ca_field):
            field.rect = pygame.Rect(0, 0, 0, 0)
        for field in self.fields:
            y += m["label"]
            field.rect = pygame.Rect(left, y, m["inner"], m["field"])
            y += m["field"] + m["field_gap"]
        y += m["error"] - m["field_gap"]
        gap = int(12 * s)
        w = (m["inner"] - gap) // 2
        self.find_button.rect = pygame.Rect(left, y, w, m["button"])
        self.friend_button.rect = pygame.Rect(left + w + gap, y, m["inner"] - w - gap, m["button"])
        y += m["button"] + m["button_gap"]
        self.advanced_button.rect = pygame.Rect(left, y, m["inner"], m["link"])
        y += m["link"] + m["button_gap"]
        self.back_button.rect = pygame.Rect(0, y, int(200 * s), m["button"])
        self.back_button.rect.centerx = size[0] // 2

    def draw(self, surface: pygame.Surface) -> None:
        fonts = self.fonts
        size = surface.get_size()
        s = self.scale(size)
        m = self._metrics(size)
        cx = size[0] / 2
        draw_form_card(surface, fonts, s, m, "Play online", "Sign in to a game server to find an opponent.")
        for field, label in zip(self.fields, self.labels, strict=True):
            draw_field(surface, fonts, s, field, label, error=field is self.error_field)
        if self.error:
            font_size = theme.small(15 * s)
            lines = wrap_text(fonts.get(font_size, light=True), self.error, m["inner"])[:2]
            line_height = max(18, int(20 * s))
            area_top = self.fields[-1].rect.bottom
            top = area_top + (self.find_button.rect.top - area_top - len(lines) * line_height) / 2
            for line in lines:
                blit_center(surface, fonts.render(line, font_size, theme.ERROR, light=True), (cx, top + line_height / 2))
                top += line_height
        self.buttons.draw(surface, fonts, s)
        self.draw_footer(surface, "Tab moves  ·  Enter finds an opponent  ·  Esc goes back", m["footer"])


def _check_key(text: str) -> str:
    key = text.strip()
    if not key:
        raise ValueError(f"Type the server key (a stock Nakama server uses {DEFAULT_SERVER_KEY}).")
    return key

"""Sign in to play online: your name and the server, with the key and a private authority under "Advanced".

The fields start with what the player used last (the profile), else the defaults of a
local server (127.0.0.1:7350, key ``defaultkey``). A server is written as players write
it: ``host:port``, ``https://host`` (TLS) and the like (``net.address``). Tab (or
Up/Down) moves between the fields and the buttons, Enter finds an opponent from
anywhere, Esc goes back. A value that cannot work is refused here, at its field, in
plain words, before anything goes on the network; a field keeps its text after an error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import pygame

from game.phrase import Phrase, text_of
from net.address import DEFAULT_SERVER_KEY
from net.limits import MAX_NAME_LENGTH, check_server
from net.tls import TlsConfigError, check_pem
from ui import theme
from ui.i18n import L_, _, say
from ui.render import wrap_text
from ui.screens.base import Canvas
from ui.screens.form import (
    MAX_SERVER_LENGTH,
    FieldRefused,
    Focusable,
    FormRows,
    FormScreen,
    draw_field,
    draw_form_card,
    form_column,
)
from ui.screens.layout import ColumnLayout
from ui.text import check_name
from ui.textfield import TextField
from ui.widgets import Button, ButtonStyle

MAX_KEY_LENGTH = 128
MAX_PATH_LENGTH = 400

LoginField = Literal["name", "server", "key", "ca"]  # a field of the form, as a refusal from elsewhere names it


def check_ca_file(text: str) -> str | None:
    """None for an empty field, else the path if it holds PEM certificates; ValueError saying what is wrong."""
    path = text.strip()
    if not path:
        return None
    try:
        check_pem(path, Phrase("certificate authority file"), "CERTIFICATE")
    except TlsConfigError as exc:
        raise ValueError(Phrase("{reason:cap}.", reason=text_of(exc))) from None
    return path


@dataclass(frozen=True)
class LoginForm:
    """What the player filled in: who, where, with which key (and authority), and whether to play a friend."""

    name: str
    server: str
    key: str
    ca_file: str | None
    friend: bool = False


@dataclass(frozen=True)
class LoginRows(FormRows):
    text_rows = FormRows.text_rows | {"label", "error", "link"}

    gap: int = 12
    label: int = 22
    field: int = 44
    field_gap: int = 8
    error: int = 54  # two lines and a margin above the buttons
    button: int = 50
    button_gap: int = 10
    link: int = 34


LoginLayout = ColumnLayout[LoginRows]


class LoginScreen(FormScreen[LoginLayout]):
    """Name and server (key and authority under Advanced), then Find an opponent, Play a friend, or Back."""

    name = "login"

    def __init__(self, on_submit: Callable[[LoginForm], None], *, error: tuple[LoginField, str] | None = None,
                 on_leaderboard: Callable[[LoginForm], object] | None = None):
        """``error``: (field, message) to show at once, e.g. ("key", "The server key was refused");
        ``on_leaderboard``: show that server's leaderboard (a Leaderboard button beside Back)."""
        super().__init__()
        self.on_submit = on_submit
        self.on_leaderboard = on_leaderboard
        self.leaderboard_button = Button(L_("Leaderboard"), self.show_leaderboard)
        self.name_field = TextField(placeholder=L_("Your name"), max_length=MAX_NAME_LENGTH, on_submit=self._submitted)
        self.server_field = TextField(placeholder=L_("host:port or https://host"), max_length=MAX_SERVER_LENGTH,
                                      on_submit=self._submitted)
        self.key_field = TextField(placeholder=L_("Server key"), max_length=MAX_KEY_LENGTH, on_submit=self._submitted)
        self.ca_field = TextField(placeholder=L_("PEM file (optional)"), max_length=MAX_PATH_LENGTH, on_submit=self._submitted)
        self.find_button = Button(L_("Find an opponent"), self.submit, style=ButtonStyle.PRIMARY, hint=L_("Enter"))
        self.friend_button = Button(L_("Play a friend"), self.submit_friend)
        self.advanced_button = Button(L_("Advanced: key, certificate"), self.toggle_advanced, style=ButtonStyle.QUIET)
        self.back_button = Button(L_("Back"), self.back, hint=L_("Esc"))
        self.advanced = False
        self._initial_error = error
        self._set_buttons()

    @property
    def fields(self) -> tuple[TextField, ...]:
        return (self.name_field, self.server_field, *((self.key_field, self.ca_field) if self.advanced else ()))

    @property
    def labels(self) -> tuple[str, ...]:
        return (_("Your name"), _("Server"),
                *((_("Server key"), _("Certificate authority (self-hosted servers)")) if self.advanced else ()))

    def focus_order(self) -> Sequence[Focusable]:
        return [*self.fields, self.find_button, self.friend_button, self.advanced_button, *self._last_row]

    @property
    def _last_row(self) -> list[Button]:
        return [self.leaderboard_button, self.back_button] if self.on_leaderboard is not None else [self.back_button]

    def _set_buttons(self) -> None:
        self.advanced_button.label = L_("Hide the advanced settings") if self.advanced else L_("Advanced: key, certificate")
        self.buttons.set_rows([[self.find_button, self.friend_button], [self.advanced_button], self._last_row])
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
            fields = {"name": self.name_field, "server": self.server_field, "key": self.key_field, "ca": self.ca_field}
            self.refuse(fields[which], message)
            if which == "name":
                self.name_field.select_all()  # a name the server refused: typing replaces it

    # Actions -------------------------------------------------------------------------------

    def toggle_advanced(self) -> None:
        self.advanced = not self.advanced
        self._set_buttons()
        self.focus.focus(self.key_field if self.advanced else self.advanced_button)

    def _submitted(self, _text: str) -> None:
        self.submit()

    def submit_friend(self) -> None:
        self.submit(friend=True)

    def show_leaderboard(self) -> None:
        """The leaderboard of the server typed, once the fields can work (it signs in there to read it)."""
        form = self._form()
        if form is not None and self.on_leaderboard is not None:
            self.on_leaderboard(form)

    def _form(self, friend: bool = False) -> LoginForm | None:
        """The form if every field can work; else None, the first refusal shown at its field."""
        try:
            return LoginForm(
                name=self.read(self.name_field, check_name),
                server=str(self.read(self.server_field, check_server)),
                key=self.read(self.key_field, _check_key),
                ca_file=self.read(self.ca_field, check_ca_file),
                friend=friend,
            )
        except FieldRefused:
            return None

    def submit(self, friend: bool = False) -> None:
        """Check the fields in order; if they can work, hand them on (the flow remembers them and signs in)."""
        try:
            form = LoginForm(
                name=self.read(self.name_field, check_name),  # normalised, and refused if it cannot be shown
                server=str(self.read(self.server_field, check_server)),
                key=self.read(self.key_field, _check_key),
                ca_file=self.read(self.ca_field, check_ca_file),
                friend=friend,
            )
        except FieldRefused:
            return
        self.error = self.error_field = None
        self.on_submit(form)

    def refuse(self, field: TextField, message: str, check: Callable[[str], object] | None = None) -> None:
        if field in (self.key_field, self.ca_field) and not self.advanced:
            self.advanced = True  # the refused field must be on screen
            self._set_buttons()
        super().refuse(field, message, check)

    def on_enter(self) -> bool:
        self.submit()
        return True

    # Layout and drawing -------------------------------------------------------------------------

    def measure(self, size: tuple[int, int]) -> LoginLayout:
        def order(h: LoginRows) -> list[int]:
            fields = [h.field_gap, h.label, h.field] * len(self.fields)
            return [h.pad, h.title, h.subtitle, h.gap, *fields[1:], h.error, h.button, h.button_gap, h.link, h.button_gap,
                    h.button, h.pad]

        return form_column(size, LoginRows(), order, width=480)

    def place(self, lay: LoginLayout) -> None:
        col, h, s = lay.column, lay.rows, lay.column.scale
        left, inner = col.inner_left, col.inner
        y = col.top + h.pad + h.title + h.subtitle + h.gap
        for field in (self.name_field, self.server_field, self.key_field, self.ca_field):
            field.rect = pygame.Rect(0, 0, 0, 0)
        for field in self.fields:
            y += h.label
            field.rect = pygame.Rect(left, y, inner, h.field)
            y += h.field + h.field_gap
        y += h.error - h.field_gap
        gap = int(12 * s)
        w = (inner - gap) // 2
        self.find_button.rect = pygame.Rect(left, y, w, h.button)
        self.friend_button.rect = pygame.Rect(left + w + gap, y, inner - w - gap, h.button)
        y += h.button + h.button_gap
        self.advanced_button.rect = pygame.Rect(left, y, inner, h.link)
        y += h.link + h.button_gap
        last = self._last_row
        if len(last) == 1:
            self.back_button.rect = pygame.Rect(0, y, int(200 * s), h.button)
            self.back_button.rect.centerx = col.window[0] // 2
        else:  # Leaderboard and Back, lined up with the two buttons above them
            self.leaderboard_button.rect = pygame.Rect(left, y, w, h.button)
            self.back_button.rect = pygame.Rect(left + w + gap, y, inner - w - gap, h.button)

    def paint(self, canvas: Canvas, lay: LoginLayout) -> None:
        surface, fonts, s = canvas.surface, canvas.fonts, canvas.scale
        draw_form_card(canvas, lay, _("Play online"), _("Sign in to a game server to find an opponent."))
        for field, label in zip(self.fields, self.labels, strict=True):
            draw_field(surface, fonts, s, field, label, error=field is self.error_field, counter=field is self.name_field)
        if self.error:
            font_size = theme.small(15 * s)
            font = fonts.get(font_size, light=True)
            lines = wrap_text(font, say(self.error), lay.column.inner, max_lines=2)
            line_height = font.get_linesize()  # the lines' own height: a wider one pushed the second onto the buttons
            area_top = self.fields[-1].rect.bottom
            top = area_top + (self.find_button.rect.top - area_top - len(lines) * line_height) / 2
            for line in lines:
                canvas.text(line, font_size, theme.ERROR, (canvas.center_x, top + line_height / 2), light=True)
                top += line_height
        self.buttons.draw(surface, fonts, s)
        self.draw_footer(surface, _("Tab moves  ·  Enter finds an opponent  ·  Esc goes back"), lay.column.footer)


def _check_key(text: str) -> str:
    key = text.strip()
    if not key:
        raise ValueError(Phrase("Type the server key (a stock Nakama server uses {key}).", key=DEFAULT_SERVER_KEY))
    return key

"""Settings: language, theme, text size, sounds and the player's name, each kept in the player's profile.

Each setting is a row that shows its value; Enter, a click or Right shows the next value
and Left the one before, and the change takes effect at once (the language, the theme and
the text size from the next frame) and is remembered. The name is the one other players
see on the LAN and online: Enter in its field keeps it (checked as everywhere a name is
typed); online, the server takes it the next time the player signs in (a name taken
there gets its nearest free variant, as at any sign-in). Leaving keeps a name typed and
not yet kept, if it is a name. Esc goes back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pygame

from net.limits import MAX_NAME_LENGTH
from ui import i18n, theme
from ui.i18n import L_, N_, Text, _, say
from ui.render import blit_center, wrap_text
from ui.screens.base import Canvas
from ui.screens.form import FieldRefused, Focusable, FormRows, FormScreen, draw_field, draw_form_card, form_column
from ui.screens.layout import ColumnLayout
from ui.text import check_name
from ui.textfield import TextField
from ui.theme import Fonts
from ui.widgets import Button, ButtonStyle, key_down

if TYPE_CHECKING:
    from ui.app import App

THEME_NAMES = {"dark": N_("Dark"), "light": N_("Light"), "high-contrast": N_("High contrast")}
ON_OFF = ((True, N_("On")), (False, N_("Off")))


class SettingRow(Button):
    """One setting: its name on the left and its value on the right, between arrows; pressing it shows the next value."""

    def __init__(self, label: Text, options: Callable[[], Sequence[tuple[object, str]]], current: Callable[[], object],
                 choose: Callable[[object], None]):
        super().__init__(label, lambda: self.step(1))
        self.options = options  # (value, what it is called, in the language in use)
        self.current = current
        self.choose = choose

    @property
    def value_text(self) -> str:
        """What the setting is now, as the row shows it."""
        now = self.current()
        return next((text for value, text in self.options() if value == now), "")

    def step(self, delta: int) -> None:
        """Choose the next value (``delta`` 1) or the one before (-1), going round."""
        options = [value for value, _text in self.options()]
        now = self.current()
        index = options.index(now) if now in options else -1
        self.choose(options[(index + delta) % len(options)])

    def draw(self, surface: pygame.Surface, fonts: Fonts, scale: float, *, hovered: bool, focused: bool,
             pressed: bool) -> None:
        rect = self.rect
        if rect.width <= 0 or rect.height <= 0:
            return
        s = scale
        radius = max(4, int(12 * s))
        pygame.draw.rect(surface, theme.BUTTON_HOVER if hovered else theme.BUTTON, rect, border_radius=radius)
        if theme.outlined():
            pygame.draw.rect(surface, theme.OUTLINE, rect, width=max(1, int(1.5 * s)), border_radius=radius)
        if focused:
            ring = rect.inflate(int(8 * s) + 2, int(8 * s) + 2)
            pygame.draw.rect(surface, theme.ACCENT, ring, width=max(2, int(2.5 * s)), border_radius=radius + int(4 * s))
        pad = int(14 * s)
        label_width = min(fonts.get(20 * s).size(self.label)[0], int(rect.width * 0.45))
        label = fonts.line(self.label, 20 * s, label_width, theme.TEXT)
        surface.blit(label, label.get_rect(midleft=(rect.x + pad, rect.centery)))
        value = fonts.line(f"‹  {self.value_text}  ›", 20 * s, rect.width - label.get_width() - 3 * pad, theme.ACCENT)
        surface.blit(value, value.get_rect(midright=(rect.right - pad, rect.centery)))


@dataclass(frozen=True)
class SettingsRows(FormRows):
    text_rows = FormRows.text_rows | {"label", "note", "error"}

    pad: int = 22
    title: int = 46
    subtitle: int = 0
    row: int = 44
    row_gap: int = 8
    gap: int = 12
    label: int = 24
    field: int = 44
    note: int = 40  # two lines and a margin (more where the language and the text size need them: NOTE_LINE each)
    error: int = 24
    button: int = 50


SettingsLayout = ColumnLayout[SettingsRows]
ROWS = 5
NOTE_LINE = 18  # a line of the note under the name field (default-window units)
NOTE_LINES = 3  # the most lines it takes
NOTE_LEADING = 0.9  # its lines this much closer than the font's own line height (wide for Japanese)


class SettingsScreen(FormScreen[SettingsLayout]):
    """The settings in rows, the name field, and Back."""

    name = "settings"

    def __init__(self) -> None:
        super().__init__()
        self.language_row = SettingRow(L_("Language"), self._languages, self._language, self._set_language)
        self.theme_row = SettingRow(L_("Theme"), self._themes, self._theme, self._set_theme)
        self.size_row = SettingRow(L_("Text size"), self._sizes, self._size, self._set_size)
        self.sound_row = SettingRow(L_("Game sounds"), self._on_off, self._sound, self._set_sound)
        self.cue_row = SettingRow(L_("Attention cues"), self._on_off, self._cues, self._set_cues)
        self.rows = [self.language_row, self.theme_row, self.size_row, self.sound_row, self.cue_row]
        self.name_field = TextField(placeholder=L_("Your name"), max_length=MAX_NAME_LENGTH,
                                    on_submit=self._submitted)
        self.back_button = Button(L_("Back"), self.back, style=ButtonStyle.PRIMARY, hint=L_("Esc"))
        self.buttons.set_rows([*([row] for row in self.rows), [self.back_button]])
        self.saved = False  # the name was just kept (said under the field until it is edited)

    def focus_order(self) -> Sequence[Focusable]:
        return [*self.rows, self.name_field, self.back_button]

    def on_mount(self) -> None:
        assert self.app is not None
        self.name_field.text = self.app.userdata.profile.name
        self.name_field.caret = len(self.name_field.text)
        self.focus.focus(self.language_row)

    # The settings ---------------------------------------------------------------------------------------

    @property
    def _app(self) -> App:
        assert self.app is not None, "the screen is not shown"
        return self.app

    def _languages(self) -> list[tuple[object, str]]:
        system = i18n.match_language(i18n.system_languages()) or "en"
        names = dict(i18n.available_languages())
        automatic = _("As the computer ({language})").format(language=names.get(system, system))
        return [("", automatic), *i18n.available_languages()]

    def _language(self) -> object:
        return self._app.userdata.profile.language

    def _set_language(self, code: object) -> None:
        self._app.use_language(str(code))

    @staticmethod
    def _themes() -> list[tuple[object, str]]:
        return [(name, _(THEME_NAMES[name])) for name in theme.PALETTES]

    def _theme(self) -> object:
        return theme.current_theme()

    def _set_theme(self, name: object) -> None:
        self._app.use_theme(str(name))

    @staticmethod
    def _sizes() -> list[tuple[object, str]]:
        return [(percent, _("{percent} %").format(percent=percent)) for percent in theme.TEXT_SIZES]

    def _size(self) -> object:
        return self._app.userdata.profile.text_size

    def _set_size(self, percent: object) -> None:
        self._app.use_text_size(percent if isinstance(percent, int) else theme.TEXT_SIZES[0])

    @staticmethod
    def _on_off() -> list[tuple[object, str]]:
        return [(value, _(text)) for value, text in ON_OFF]

    def _sound(self) -> object:
        return not self._app.sounds.muted

    def _set_sound(self, on: object) -> None:
        self._app.set_muted(not on)

    def _cues(self) -> object:
        return self._app.userdata.profile.cue_sounds

    def _set_cues(self, on: object) -> None:
        self._app.userdata.update_profile(cue_sounds=bool(on))

    # The name ---------------------------------------------------------------------------------------------

    def _submitted(self, _text: str) -> None:
        self.keep_name()

    def keep_name(self) -> bool:
        """Keep the name typed if it is one (else say why at the field); True if it was kept or had not changed."""
        profile = self._app.userdata.profile
        try:
            name = self.read(self.name_field, check_name)
        except FieldRefused:
            return False
        self.error = self.error_field = None
        if name != profile.name or not profile.name_chosen:
            self._app.userdata.update_profile(name=name, name_chosen=True)
            self.saved = True
        self.name_field.text = name
        self.name_field.caret = len(name)
        return True

    # Input -------------------------------------------------------------------------------------------------

    def back(self) -> None:
        """Leave, keeping a name typed (if it is not one, the field says why and the screen stays)."""
        if self.name_field.text != self._app.userdata.profile.name and not self.keep_name():
            return
        self.close()

    def handle(self, event: pygame.event.Event) -> bool:
        current = self.focus.current
        if key_down(event, pygame.K_LEFT, pygame.K_RIGHT) and isinstance(current, SettingRow):
            current.step(-1 if event.key == pygame.K_LEFT else 1)
            return True
        before = self.name_field.text
        used = super().handle(event)
        if self.name_field.text != before:
            self.saved = False
        return used

    # Layout and drawing --------------------------------------------------------------------------------------

    def measure(self, size: tuple[int, int]) -> SettingsLayout:
        def order(h: SettingsRows) -> list[int]:
            rows = [h.row, h.row_gap] * ROWS
            return [h.pad, h.title, *rows[:-1], h.gap, h.label, h.field, h.note, h.error, h.button, h.pad]

        rows = SettingsRows()
        lay = form_column(size, rows, order, width=500)
        note = self._note_units(lay)
        if note > rows.note:  # a long language, large text: the note gets the lines it needs
            lay = form_column(size, replace(rows, note=note), order, width=500)
        return lay

    @staticmethod
    def _name_note() -> str:
        return _("Other players see it. Online, a new name counts from your next sign-in.")

    def _note_lines(self, lay: SettingsLayout) -> int:
        """The lines the note under the name needs in ``lay``'s column (at most ``NOTE_LINES``)."""
        font = self.fonts.get(theme.small(14 * lay.scale), light=True)
        return min(NOTE_LINES, len(wrap_text(font, self._name_note(), lay.column.inner)))

    def _note_units(self, lay: SettingsLayout) -> int:
        """The note's row in default-window units: its lines at the font's own line height, a little tightened."""
        font = self.fonts.get(theme.small(14 * lay.scale), light=True)
        line = max(NOTE_LINE, math.ceil(font.get_linesize() * NOTE_LEADING / (lay.scale * theme.text_scale())))
        return self._note_lines(lay) * line + 4

    def place(self, lay: SettingsLayout) -> None:
        col, h = lay.column, lay.rows
        left, inner = col.inner_left, col.inner
        y = col.top + h.pad + h.title
        for row in self.rows:
            row.rect = pygame.Rect(left, y, inner, h.row)
            y += h.row + h.row_gap
        y += h.gap - h.row_gap + h.label
        self.name_field.rect = pygame.Rect(left, y, inner, h.field)
        y += h.field + h.note + h.error
        self.back_button.rect = pygame.Rect(0, y, min(int(200 * lay.scale * theme.text_scale()), inner), h.button)
        self.back_button.rect.centerx = col.window[0] // 2

    def paint(self, canvas: Canvas, lay: SettingsLayout) -> None:
        surface, fonts, s = canvas.surface, canvas.fonts, canvas.scale
        col, h = lay.column, lay.rows
        draw_form_card(canvas, lay, _("Settings"), "")
        self.buttons.draw(surface, fonts, s)
        draw_field(surface, fonts, s, self.name_field, _("Your name"), error=self.error is not None, counter=True)
        y = self.name_field.rect.bottom
        lines = max(2, self._note_lines(lay))
        canvas.wrapped(self._name_note(), theme.small(14 * s), col.inner, theme.MUTED, y + 2 * s, light=True,
                       max_lines=lines, line_height=(h.note - 4 * s) / lines)
        y += h.note
        if self.error:
            canvas.fitted(say(self.error), theme.small(15 * s), col.inner, theme.ERROR, (canvas.center_x, y + h.error / 2),
                          light=True)
        elif self.saved:
            image = fonts.line(_("Name kept"), theme.small(15 * s), col.inner, theme.O_COLOR, light=True)
            blit_center(surface, image, (canvas.center_x, y + h.error / 2))
        hints = _("Enter or ← → change  ·  Tab moves  ·  Esc goes back")
        self.draw_footer(surface, hints, col.footer)


def open_settings(app: App) -> None:
    """Show the settings over the screen on top (the menu's button, and S or F2 there)."""
    app.push(SettingsScreen())

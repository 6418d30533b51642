"""Widgets the screens share: buttons in keyboard-navigable groups, and the sound switch (the text field is
``ui.textfield``'s).

Widgets hold state and draw themselves; a screen gives them their rectangles each time it
lays itself out (from the window size), so they follow every resize.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Sequence

import pygame

from ui import theme
from ui.i18n import Text, shown
from ui.render import SUPERSAMPLE, arc_band, blit_center, thick_line, translucent
from ui.theme import Fonts

ENTER_KEYS = (pygame.K_RETURN, pygame.K_KP_ENTER)
ACTIVATE_KEYS = (*ENTER_KEYS, pygame.K_SPACE)
HINT_SHARE = 0.87  # a button's key hint is drawn only if its text is at most this share of the label's


def key_down(event: pygame.event.Event, *keys: int) -> bool:
    """True if ``event`` presses one of ``keys``: the test every screen's key handling starts with."""
    return event.type == pygame.KEYDOWN and event.key in keys


class ButtonStyle(enum.Enum):
    """How much a button stands out."""

    PRIMARY = "primary"  # the main action: filled with the accent colour
    NORMAL = "normal"
    QUIET = "quiet"  # a link-like action: no fill until hovered


class Button:
    """A rounded button with a label, an optional small caption under it, and an action.

    Label, caption and hint are kept as given (``ui.i18n.Text``: ``L_("Quit")`` is
    translated each time it is read) and read as the ``str`` shown now.
    """

    def __init__(
        self,
        label: Text,
        on_press: Callable[[], None],
        *,
        style: ButtonStyle = ButtonStyle.NORMAL,
        caption: Text = "",
        enabled: bool = True,
        hint: Text = "",
    ):
        self.label = label
        self.on_press = on_press
        self.style = style
        self.caption = caption
        self.enabled = enabled
        self.hint = hint  # a keyboard shortcut shown to the right of the label, e.g. "R"
        self.rect = pygame.Rect(0, 0, 0, 0)

    @property
    def label(self) -> str:
        return shown(self._label)

    @label.setter
    def label(self, text: Text) -> None:
        self._label = text

    @property
    def caption(self) -> str:
        return shown(self._caption)

    @caption.setter
    def caption(self, text: Text) -> None:
        self._caption = text

    @property
    def hint(self) -> str:
        return shown(self._hint)

    @hint.setter
    def hint(self, text: Text) -> None:
        self._hint = text

    def __repr__(self) -> str:
        return f"<Button {self.label!r} at {tuple(self.rect)}{'' if self.enabled else ' disabled'}>"

    def press(self) -> None:
        if self.enabled:
            self.on_press()

    def _colors(self, hovered: bool, pressed: bool) -> tuple[pygame.Color | None, pygame.Color, pygame.Color]:
        """The fill (None: none), the label's and the caption's colours, for the style and the state."""
        if self.style is ButtonStyle.PRIMARY and self.enabled:
            return theme.ACCENT_HOVER if hovered and not pressed else theme.ACCENT, theme.ON_ACCENT, theme.ON_ACCENT
        if self.style is ButtonStyle.QUIET:
            return theme.BUTTON if hovered else None, theme.TEXT if hovered else theme.MUTED, theme.MUTED
        if not self.enabled:
            return theme.BUTTON_DISABLED, theme.MUTED, theme.MUTED
        fill = theme.BUTTON_PRESSED if pressed else theme.BUTTON_HOVER if hovered else theme.BUTTON
        return fill, theme.TEXT, theme.MUTED

    def _hint_image(self, fonts: Fonts, scale: float, color: pygame.Color) -> pygame.Surface | None:
        """The key hint's image, or None: none given, or it could not be drawn clearly smaller than the label.

        Hints keep to a legible size while labels shrink with the window, so in a small window a
        hint would be as big as the label beside it and read as part of it ("Play Space"); there
        the footer alone says the keys.
        """
        if not self.hint:
            return None
        size = theme.small(13 * scale)
        if theme.font_pixels(size) > HINT_SHARE * theme.font_pixels(22 * scale):
            return None
        return fonts.render(self.hint, size, color, light=True)

    def draw(
        self, surface: pygame.Surface, fonts: Fonts, scale: float, *, hovered: bool, focused: bool, pressed: bool
    ) -> None:
        """Draw in the state given: hover lightens, press darkens, focus adds an accent ring."""
        rect = self.rect
        if rect.width <= 0 or rect.height <= 0:
            return
        radius = max(4, int(12 * scale))
        hovered = hovered and self.enabled
        pressed = pressed and self.enabled
        fill, text_color, caption_color = self._colors(hovered, pressed)
        body = rect.move(0, max(1, int(2 * scale))) if pressed else rect
        if fill is not None:
            if not pressed and self.style is not ButtonStyle.QUIET:
                translucent(surface, theme.SHADOW, rect.move(0, max(2, int(3 * scale))), radius, theme.SHADOW.a)
            pygame.draw.rect(surface, fill, body, border_radius=radius)
        if theme.outlined() and self.style is not ButtonStyle.QUIET:  # high contrast: every button has an edge
            pygame.draw.rect(surface, theme.OUTLINE, body, width=max(1, int(1.5 * scale)), border_radius=radius)
        if focused:
            ring = body.inflate(int(8 * scale) + 2, int(8 * scale) + 2)
            ring_width = max(2, int(2.5 * scale))
            pygame.draw.rect(surface, theme.ACCENT, ring, width=ring_width, border_radius=radius + int(4 * scale))
        hint = self._hint_image(fonts, scale, caption_color if self.style is ButtonStyle.PRIMARY else theme.MUTED)
        # The label is centred clear of the key hint on the right; if both cannot fit, the hint goes.
        room = body.width - 24 * scale - (2 * (hint.get_width() + 10 * scale) if hint is not None else 0)
        if hint is not None and fonts.get(22 * scale).size(self.label)[0] > room:
            hint, room = None, body.width - 24 * scale
        label = fonts.line(self.label, 22 * scale, room, text_color)
        if self.caption:
            caption = fonts.line(self.caption, theme.small(15 * scale), body.width - 16 * scale, caption_color, light=True,
                                 shrink=0)  # a record: smaller rather than cut
            gap = 4 * scale
            total = label.get_height() + gap + caption.get_height()
            top = body.centery - total / 2
            blit_center(surface, label, (body.centerx, top + label.get_height() / 2))
            blit_center(surface, caption, (body.centerx, top + label.get_height() + gap + caption.get_height() / 2))
        else:
            blit_center(surface, label, body.center)
        if hint is not None:
            surface.blit(hint, hint.get_rect(midright=(body.right - 10 * scale, body.centery)))


class ButtonGroup:
    """Buttons in rows: hover and click with the mouse, arrows/Tab to move focus, Enter/Space to press.

    A click presses a button when the mouse goes up over the button it went down on,
    as desktop buttons do. Rows let Up/Down jump between rows to the nearest button.
    """

    def __init__(self, rows: Sequence[Sequence[Button]] = (), *, focus_visible: bool = True):
        self.rows: list[list[Button]] = []
        self.focus: Button | None = None
        self.hover: Button | None = None
        self._pressed: Button | None = None
        self._row_memory: dict[int, Button] = {}  # the button last focused in each row
        self.focus_visible = focus_visible
        self.set_rows(rows)

    @property
    def buttons(self) -> list[Button]:
        return [b for row in self.rows for b in row]

    @property
    def labels(self) -> list[str]:
        return [b.label for b in self.buttons]

    def set_rows(self, rows: Sequence[Sequence[Button]]) -> None:
        """Replace the buttons, keeping focus on a button with the same label if there is one."""
        old = self.focus.label if self.focus is not None else None
        self.rows = [list(r) for r in rows if r]
        buttons = self.buttons
        self.focus = next((b for b in buttons if b.label == old and b.enabled), None)
        if self.focus is None:
            self.focus = next((b for b in buttons if b.enabled), None)
        if self.hover not in buttons:
            self.hover = None
        if self._pressed not in buttons:
            self._pressed = None
        self._row_memory = {}

    def find(self, label: str) -> Button | None:
        """The button labelled ``label`` (exactly, else ignoring case)."""
        buttons = self.buttons
        return next((b for b in buttons if b.label == label), None) or next(
            (b for b in buttons if b.label.casefold() == label.casefold()), None
        )

    def at(self, pos: tuple[int, int]) -> Button | None:
        return next((b for b in self.buttons if b.rect.collidepoint(pos)), None)

    def focus_on(self, button: Button | None) -> None:
        if button is None or button.enabled:
            self.focus = button

    # Input ------------------------------------------------------------------------------

    def handle(self, event: pygame.event.Event) -> bool:
        """React to a mouse or key event; True if it was for these buttons."""
        if event.type == pygame.MOUSEMOTION:
            self.hover = self.at(event.pos)
            return False  # others may track the mouse too
        if event.type == pygame.WINDOWLEAVE:
            self.hover = None
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            hit = self.at(event.pos)
            if hit is not None and hit.enabled:
                self._pressed = hit
                self.hover = hit
                return True
            return False
        if event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            pressed, self._pressed = self._pressed, None
            hit = self.at(event.pos)
            if pressed is not None and hit is pressed:
                self.focus = hit
                hit.press()
                return True
            return pressed is not None
        if event.type == pygame.KEYDOWN:
            return self._key(event)
        return False

    def _key(self, event: pygame.event.Event) -> bool:
        key = event.key
        if key in ACTIVATE_KEYS:
            if self.focus is not None and self.focus.enabled:
                self.focus_visible = True
                self.focus.press()
                return True
            return False
        if key == pygame.K_TAB:
            self._step(-1 if event.mod & pygame.KMOD_SHIFT else 1)
            return True
        if key in (pygame.K_LEFT, pygame.K_RIGHT):
            return self._sideways(-1 if key == pygame.K_LEFT else 1)
        if key in (pygame.K_UP, pygame.K_DOWN):
            return self._vertical(-1 if key == pygame.K_UP else 1)
        return False

    def _step(self, delta: int) -> None:
        enabled = [b for b in self.buttons if b.enabled]
        if not enabled:
            return
        self.focus_visible = True
        if self.focus is None or self.focus not in enabled:
            self.focus = enabled[0 if delta > 0 else -1]
            return
        i = enabled.index(self.focus)
        self.focus = enabled[(i + delta) % len(enabled)]

    def _position(self) -> tuple[int, int] | None:
        for r, row in enumerate(self.rows):
            for c, b in enumerate(row):
                if b is self.focus:
                    return r, c
        return None

    def _sideways(self, delta: int) -> bool:
        pos = self._position()
        if pos is None:
            self._step(delta)
            return True
        r, c = pos
        row = self.rows[r]
        c += delta
        while 0 <= c < len(row) and not row[c].enabled:
            c += delta
        if 0 <= c < len(row):
            self.focus = row[c]
            self.focus_visible = True
            return True
        return False

    def _vertical(self, delta: int) -> bool:
        pos = self._position()
        if pos is None:
            self._step(delta)
            return True
        r, _ = pos
        x = self.focus.rect.centerx if self.focus is not None else 0
        if self.focus is not None:
            self._row_memory[r] = self.focus
        r += delta
        while 0 <= r < len(self.rows):
            candidates = [b for b in self.rows[r] if b.enabled]
            if candidates:
                remembered = self._row_memory.get(r)
                if remembered in candidates:  # back into a row: where we left it
                    self.focus = remembered
                else:  # otherwise the button nearest above or below
                    self.focus = min(candidates, key=lambda b: abs(b.rect.centerx - x))
                self.focus_visible = True
                return True
            r += delta
        return False

    # Drawing --------------------------------------------------------------------------------

    def draw(self, surface: pygame.Surface, fonts: Fonts, scale: float) -> None:
        for b in self.buttons:
            b.draw(
                surface,
                fonts,
                scale,
                hovered=b is self.hover,
                focused=self.focus_visible and b is self.focus,
                pressed=b is self._pressed and b is self.hover,
            )


class SpeakerButton:
    """The sound switch in the bottom-right corner of every screen: a speaker with waves, or struck through; M too.

    It is the last stop of every screen's Tab order (the App moves the focus to it and back).
    """

    def __init__(self, on_press: Callable[[], object]):
        self.on_press = on_press
        self.hovered = False
        self.focused = False
        self._pressed = False

    @staticmethod
    def rect_for(size: tuple[int, int]) -> pygame.Rect:
        s = theme.scale_for(size)
        height = max(26, int(32 * s))
        width = int(height * (1.5 + 0.5 * theme.text_scale()))  # its key letter grows with the text size
        margin = max(4, int(8 * s))
        return pygame.Rect(size[0] - margin - width, size[1] - margin - height, width, height)

    def handle(self, event: pygame.event.Event, size: tuple[int, int]) -> bool:
        """True if the event was a click on the button (the screen does not see it then)."""
        rect = self.rect_for(size)
        if event.type == pygame.MOUSEMOTION:
            self.hovered = rect.collidepoint(event.pos)
            return False
        if event.type == pygame.WINDOWLEAVE:
            self.hovered = False
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1 and rect.collidepoint(event.pos):
            self._pressed = True
            return True
        if event.type == pygame.MOUSEBUTTONUP and event.button == 1 and self._pressed:
            self._pressed = False
            if rect.collidepoint(event.pos):
                self.on_press()
            return True
        return False

    def draw(self, surface: pygame.Surface, fonts: Fonts, *, muted: bool) -> None:
        rect = self.rect_for(surface.get_size())
        s = rect.height / 32
        pygame.draw.rect(surface, theme.BUTTON_HOVER if self.hovered else theme.PANEL, rect, border_radius=rect.height // 2)
        if self.focused:
            ring = rect.inflate(int(6 * s) + 2, int(6 * s) + 2)
            pygame.draw.rect(surface, theme.ACCENT, ring, width=max(2, int(2.5 * s)), border_radius=ring.height // 2)
        key = fonts.render("M", theme.small(13 * s), theme.MUTED, light=True)
        surface.blit(key, key.get_rect(midleft=(rect.x + 9 * s, rect.centery)))
        icon = speaker_icon(rect.height, tuple(theme.MUTED if muted else theme.TEXT), tuple(theme.ERROR) if muted else None)
        surface.blit(icon, (rect.right - (30 + ICON_CENTRE[0]) * s, rect.centery - ICON_CENTRE[1] * s))


ICON_UNITS = (28, 24)  # the speaker icon's box, in a 32-unit-high pill's units
ICON_CENTRE = (8, 12)  # where the speaker's centre is in that box


@functools.lru_cache(maxsize=8)
def speaker_icon(height: int, color: tuple[int, ...], cross: tuple[int, ...] | None) -> pygame.Surface:
    """The speaker for a pill ``height`` pixels high, with two waves, or (``cross``: its colour) struck through.

    Drawn large and scaled down, so the waves stay two clean curves in the smallest window.
    """
    s = height / 32 * SUPERSAMPLE
    layer = pygame.Surface((round(ICON_UNITS[0] * s), round(ICON_UNITS[1] * s)), pygame.SRCALPHA)
    cx, cy = ICON_CENTRE[0] * s, ICON_CENTRE[1] * s
    body = [(cx - 6 * s, cy - 4 * s), (cx - 2 * s, cy - 4 * s), (cx + 4 * s, cy - 9 * s),
            (cx + 4 * s, cy + 9 * s), (cx - 2 * s, cy + 4 * s), (cx - 6 * s, cy + 4 * s)]
    pygame.draw.polygon(layer, color, body)
    width = 2.2 * s
    if cross is not None:
        x0 = cx + 9 * s
        thick_line(layer, pygame.Color(cross), (x0, cy - 5 * s), (x0 + 9 * s, cy + 5 * s), width)
        thick_line(layer, pygame.Color(cross), (x0, cy + 5 * s), (x0 + 9 * s, cy - 5 * s), width)
    else:
        for radius in (8.5 * s, 14 * s):
            arc_band(layer, color, (cx, cy), radius, width, -0.75, 0.75)
    size = (round(ICON_UNITS[0] * height / 32), round(ICON_UNITS[1] * height / 32))
    return pygame.transform.smoothscale(layer, size)

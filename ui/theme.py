"""The client's look: the themes' palettes, the text size, window sizes, the scale of a layout, and cached fonts and text.

Every screen computes its layout from the surface size on each draw, so sizes here are
given for the default 640x720 window and multiplied by ``scale_for(size)``. Text is set
in Inter (``assets/fonts``, SIL Open Font License), which stays even at small sizes (``ui.text`` draws
what Inter lacks in the Noto fonts beside it), at the player's text size (``set_text_size``:
100, 125 or 150 %).

Three themes (``PALETTES``): dark (the game's own), light, and high contrast. The module's
colours (``BACKGROUND``, ``TEXT``...) are the theme in use: ``use`` changes them in place,
so every holder of one (a table of colours, a default argument) draws in the new theme
from the next frame. Every colour pair used for text meets WCAG AA contrast (4.5:1) in
every theme, and AAA (7:1) in high contrast; X and O differ by shape and stay apart in
colour for the three kinds of colour blindness (tests/ui/test_theme.py checks both).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import pygame

from ui import records
from ui.resources import assets_dir
from ui.text import TextFont
from ui.textcut import ellipsize

# Palette ----------------------------------------------------------------------


@dataclass(frozen=True)
class Palette:
    """One theme's colours, as hex strings (``shadow`` with its alpha)."""

    background: str
    grid: str
    x: str  # the X mark (and the word "Tic" of the title)
    o: str  # the O mark; also text (4.5:1 on every surface) and a fill under ``on_accent`` text
    text: str
    muted: str  # secondary text: still 4.5:1 on every surface it sits on
    accent: str  # the yellow of the game: focus, the main button, highlights; also text
    error: str  # text and notices about failures (the X colour, made readable as text)
    panel: str  # the surfaces that sit on the background
    panel_high: str
    button: str
    button_hover: str
    button_pressed: str
    button_disabled: str
    on_accent: str  # text on an accent, error or O fill
    accent_hover: str
    shadow: tuple[int, int, int, int]
    outline: str = "#00000000"  # drawn round buttons, fields and cards where it is not transparent (high contrast)


DARK = Palette(
    background="#1e2430", grid="#3a4356", x="#ff6b6b", o="#4ecdc4", text="#e8ecf1", muted="#a9b3c4",
    accent="#ffd166", error="#ff8f8f", panel="#262d3b", panel_high="#2e3647", button="#2c3445",
    button_hover="#364055", button_pressed="#232a37", button_disabled="#242a36", on_accent="#1e2430",
    accent_hover="#ffdc85", shadow=(10, 13, 19, 140),
)
LIGHT = Palette(
    background="#eef1f5", grid="#8893a5", x="#d32f3c", o="#05636c", text="#172030", muted="#465264",
    accent="#8a4f00", error="#b3261e", panel="#ffffff", panel_high="#f1f3f7", button="#e3e8ef",
    button_hover="#d6dde8", button_pressed="#c9d2df", button_disabled="#eceff3", on_accent="#ffffff",
    accent_hover="#9d5b00", shadow=(40, 50, 70, 46),
)
HIGH_CONTRAST = Palette(
    background="#000000", grid="#b8b8b8", x="#ff8a8a", o="#4fe3f0", text="#ffffff", muted="#d4d4d4",
    accent="#ffd60a", error="#ffa3a3", panel="#0b0b0b", panel_high="#141414", button="#101010",
    button_hover="#1e1e1e", button_pressed="#080808", button_disabled="#0b0b0b", on_accent="#000000",
    accent_hover="#ffe24d", shadow=(0, 0, 0, 0), outline="#d4d4d4",
)

PALETTES: dict[str, Palette] = {"dark": DARK, "light": LIGHT, "high-contrast": HIGH_CONTRAST}
DEFAULT_THEME = "dark"

BACKGROUND = pygame.Color(DARK.background)
GRID = pygame.Color(DARK.grid)
X_COLOR = pygame.Color(DARK.x)
O_COLOR = pygame.Color(DARK.o)
TEXT = pygame.Color(DARK.text)
MUTED = pygame.Color(DARK.muted)
ACCENT = pygame.Color(DARK.accent)
ERROR = pygame.Color(DARK.error)
PANEL = pygame.Color(DARK.panel)
PANEL_HIGH = pygame.Color(DARK.panel_high)
BUTTON = pygame.Color(DARK.button)
BUTTON_HOVER = pygame.Color(DARK.button_hover)
BUTTON_PRESSED = pygame.Color(DARK.button_pressed)
BUTTON_DISABLED = pygame.Color(DARK.button_disabled)
ON_ACCENT = pygame.Color(DARK.on_accent)  # text on an accent background
ACCENT_HOVER = pygame.Color(DARK.accent_hover)
SHADOW = pygame.Color(DARK.shadow)
OUTLINE = pygame.Color(DARK.outline)

MARK_COLORS = {1: X_COLOR, 2: O_COLOR}
MARK_TEXT = {1: ERROR, 2: O_COLOR}  # the marks' colours where they colour text (4.5:1 on every panel)

_COLOURS = {
    "background": BACKGROUND, "grid": GRID, "x": X_COLOR, "o": O_COLOR, "text": TEXT, "muted": MUTED, "accent": ACCENT,
    "error": ERROR, "panel": PANEL, "panel_high": PANEL_HIGH, "button": BUTTON, "button_hover": BUTTON_HOVER,
    "button_pressed": BUTTON_PRESSED, "button_disabled": BUTTON_DISABLED, "on_accent": ON_ACCENT,
    "accent_hover": ACCENT_HOVER, "shadow": SHADOW, "outline": OUTLINE,
}
_theme = DEFAULT_THEME


def use(name: str) -> str:
    """Draw in the theme called ``name`` (one of ``PALETTES``; an unknown name is the default); the name in use."""
    global _theme
    name = name if name in PALETTES else DEFAULT_THEME
    palette = PALETTES[name]
    for field_name, colour in _COLOURS.items():
        colour.update(pygame.Color(getattr(palette, field_name)))  # in place: every holder of it sees the new theme
    _theme = name
    return name


def current_theme() -> str:
    """The name of the theme in use."""
    return _theme


def outlined() -> bool:
    """True if the theme draws outlines round buttons, fields and cards (high contrast)."""
    return OUTLINE.a > 0


# Window -----------------------------------------------------------------------

TITLE = "Tic-Tac-Toe"
DEFAULT_SIZE = (640, 720)
MIN_SIZE = (480, 540)
FPS = 60


def scale_for(size: tuple[int, int]) -> float:
    """How much bigger than the default window ``size`` is (the smaller of the two ratios)."""
    return max(0.25, min(size[0] / DEFAULT_SIZE[0], size[1] / DEFAULT_SIZE[1]))


FOOTER_HEIGHT = 40  # the key hint's strip at the bottom of every screen (default window)

FONT_DIR = assets_dir() / "fonts"
FONT_FILES = {False: "Inter-SemiBold.otf", True: "Inter-Regular.otf"}  # by ``light``
FONT_SCALE = 0.72  # sizes in layouts are nominal: this many pixels of Inter per unit
MIN_TEXT_PX = 12  # no text is drawn smaller, whatever the window
LINE_SHRINK = 0.8  # a line of text may be drawn this much smaller to fit before it is shortened
SMALL_TEXT_PX = 13  # captions, hints and notes: at least this many pixels at the default size and above


TEXT_SIZES = records.TEXT_SIZES  # the text sizes a player can choose, in per cent of the game's own
_text_scale = 1.0


def set_text_size(percent: int) -> int:
    """Draw text at ``percent`` of its size (one of ``TEXT_SIZES``; another value is 100); the size in use."""
    global _text_scale
    percent = percent if percent in TEXT_SIZES else TEXT_SIZES[0]
    _text_scale = percent / 100
    return percent


def text_scale() -> float:
    """How much bigger than the game's own the player's text size is (1.0, 1.25 or 1.5)."""
    return _text_scale


def min_text_pixels() -> int:
    """The smallest text drawn at the player's text size (``MIN_TEXT_PX`` at 100 %)."""
    return round(MIN_TEXT_PX * _text_scale)


def small(size: float) -> float:
    """A caption or hint size: ``size``, but never under ``SMALL_TEXT_PX`` pixels."""
    return max(size, SMALL_TEXT_PX / FONT_SCALE)


def clamp_size(size: tuple[int, int]) -> tuple[int, int]:
    """``size`` grown to at least ``MIN_SIZE``."""
    return (max(MIN_SIZE[0], int(size[0])), max(MIN_SIZE[1], int(size[1])))


# Fonts and rendered text ------------------------------------------------------------


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A small least-recently-used cache; rendering the same text every frame is wasted work."""

    def __init__(self, capacity: int):
        self._capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


def font_pixels(size: float) -> int:
    """The pixel size of Inter drawn for a nominal ``size`` at the player's text size (never under ``min_text_pixels``)."""
    return max(min_text_pixels(), round(size * FONT_SCALE * _text_scale))


class Fonts:
    """Inter at any size, semi-bold or regular (``light``), and rendered text, both cached.

    The font ships with the game, so layouts measured here hold on every machine. Needs
    ``pygame.font`` to be initialised.
    """

    def __init__(self, font_capacity: int = 48, text_capacity: int = 512):
        self._fonts: LruCache[tuple[int, bool], pygame.font.Font] = LruCache(font_capacity)
        self._texts: LruCache[tuple[str, int, bool, tuple[int, ...]], pygame.Surface] = LruCache(text_capacity)

    def get(self, size: float, light: bool = False) -> pygame.font.Font:
        """The font at nominal ``size`` (see ``font_pixels``)."""
        px = font_pixels(size)
        font = self._fonts.get((px, light))
        if font is None:
            font = TextFont(FONT_DIR / FONT_FILES[light], px)  # Inter, falling back to Noto for other scripts
            self._fonts.put((px, light), font)
        return font

    def render(self, text: str, size: float, color: pygame.Color | tuple[int, ...], light: bool = False) -> pygame.Surface:
        """``text`` rendered antialiased at ``size`` in ``color``; the same surface for the same request."""
        key = (text, font_pixels(size), light, tuple(pygame.Color(color)))
        surface = self._texts.get(key)
        if surface is None:
            surface = self.get(size, light).render(text, True, color)
            self._texts.put(key, surface)
        return surface

    def fit(self, text: str, size: float, max_width: float, light: bool = False, *, least: float = 0.0) -> float:
        """The largest size up to ``size`` at which ``text`` is at most ``max_width`` pixels wide.

        It goes no smaller than ``least`` (nominal) nor than the smallest text, even if ``text`` is wider then.
        """
        floor = max(min_text_pixels(), font_pixels(least) if least else 0)
        while font_pixels(size) > floor and self.get(size, light).size(text)[0] > max_width:
            size *= 0.94
        return size

    def fit_line(self, text: str, size: float, max_width: float, light: bool = False, *,
                 shrink: float = LINE_SHRINK) -> tuple[str, float]:
        """``text`` for one line at most ``max_width`` wide, and its size: down to ``shrink`` of ``size`` (0: to the
        smallest text), then shortened with '…' (``ui.textcut.ellipsize``)."""
        if "  " in text and self.get(size, light).size(text)[0] > max_width:
            text = " ".join(text.split())  # first the wide gaps between parts ("W 3  ·  L 1") narrow to one space
        fitted = self.fit(text, size, max_width, light, least=size * shrink)
        font = self.get(fitted, light)
        return ellipsize(text, lambda candidate: font.size(candidate)[0] <= max_width), fitted

    def line(self, text: str, size: float, max_width: float, color: pygame.Color | tuple[int, ...],
             light: bool = False, *, shrink: float = LINE_SHRINK) -> pygame.Surface:
        """``text`` rendered on one line at most ``max_width`` wide (``fit_line``)."""
        shown, fitted = self.fit_line(text, size, max_width, light, shrink=shrink)
        return self.render(shown, fitted, color, light)

    def clear(self) -> None:
        self._fonts.clear()
        self._texts.clear()

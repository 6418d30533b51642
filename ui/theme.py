"""The client's look: palette, window sizes, the scale of a layout, and cached fonts and text.

Every screen computes its layout from the surface size on each draw, so sizes here are
given for the default 640x720 window and multiplied by ``scale_for(size)``. Text is set
in Inter (``assets/fonts``, SIL Open Font License), which stays even at small sizes (``ui.text`` draws
what Inter lacks in the Noto fonts beside it);
every colour pair used for text meets WCAG AA contrast (4.5:1, checked by a test).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

import pygame

from ui.resources import assets_dir
from ui.text import TextFont

# Palette ----------------------------------------------------------------------

BACKGROUND = pygame.Color("#1e2430")
GRID = pygame.Color("#3a4356")
X_COLOR = pygame.Color("#ff6b6b")
O_COLOR = pygame.Color("#4ecdc4")
TEXT = pygame.Color("#e8ecf1")
MUTED = pygame.Color("#a9b3c4")  # secondary text: still 4.5:1 on every surface it sits on
ACCENT = pygame.Color("#ffd166")
ERROR = pygame.Color("#ff8f8f")  # text and notices about failures (the X colour, lightened for contrast)

# Shades derived from the palette for surfaces that sit on the background.
PANEL = pygame.Color("#262d3b")
PANEL_HIGH = pygame.Color("#2e3647")
BUTTON = pygame.Color("#2c3445")
BUTTON_HOVER = pygame.Color("#364055")
BUTTON_PRESSED = pygame.Color("#232a37")
BUTTON_DISABLED = pygame.Color("#242a36")
ON_ACCENT = pygame.Color("#1e2430")  # text on an accent background
ACCENT_HOVER = pygame.Color("#ffdc85")
SHADOW = pygame.Color(10, 13, 19, 140)

MARK_COLORS = {1: X_COLOR, 2: O_COLOR}
MARK_TEXT = {1: ERROR, 2: O_COLOR}  # the marks' colours where they colour text (4.5:1 on every panel)

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
SMALL_TEXT_PX = 13  # captions, hints and notes: at least this many pixels at the default size and above


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
    """The pixel size of Inter drawn for a nominal ``size`` (never under ``MIN_TEXT_PX``)."""
    return max(MIN_TEXT_PX, round(size * FONT_SCALE))


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

    def fit(self, text: str, size: float, max_width: float, light: bool = False) -> float:
        """The largest size up to ``size`` at which ``text`` is at most ``max_width`` pixels wide (or the smallest text)."""
        while font_pixels(size) > MIN_TEXT_PX and self.get(size, light).size(text)[0] > max_width:
            size *= 0.94
        return size

    def clear(self) -> None:
        self._fonts.clear()
        self._texts.clear()

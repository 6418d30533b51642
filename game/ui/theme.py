"""The client's look: palette, window sizes, the scale of a layout, and cached fonts and text.

Every screen computes its layout from the surface size on each draw, so sizes here are
given for the default 640x720 window and multiplied by ``scale_for(size)``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Hashable

import pygame

# Palette ----------------------------------------------------------------------

BACKGROUND = pygame.Color("#1e2430")
GRID = pygame.Color("#3a4356")
X_COLOR = pygame.Color("#ff6b6b")
O_COLOR = pygame.Color("#4ecdc4")
TEXT = pygame.Color("#e8ecf1")
MUTED = pygame.Color("#8a94a7")
ACCENT = pygame.Color("#ffd166")

# Shades derived from the palette for surfaces that sit on the background.
PANEL = pygame.Color("#262d3b")
PANEL_HIGH = pygame.Color("#2e3647")
BUTTON = pygame.Color("#2c3445")
BUTTON_HOVER = pygame.Color("#3a4458")
BUTTON_PRESSED = pygame.Color("#232a37")
BUTTON_DISABLED = pygame.Color("#242a36")
ON_ACCENT = pygame.Color("#1e2430")  # text on an accent background
ACCENT_HOVER = pygame.Color("#ffdc85")
SHADOW = pygame.Color(10, 13, 19, 140)

MARK_COLORS = {1: X_COLOR, 2: O_COLOR}

# Window -----------------------------------------------------------------------

TITLE = "Tic-Tac-Toe"
DEFAULT_SIZE = (640, 720)
MIN_SIZE = (480, 540)
FPS = 60


def scale_for(size: tuple[int, int]) -> float:
    """How much bigger than the default window ``size`` is (the smaller of the two ratios)."""
    return max(0.25, min(size[0] / DEFAULT_SIZE[0], size[1] / DEFAULT_SIZE[1]))


SMALL_TEXT_MIN = 12  # pixels: captions and hints stay legible in the smallest window


def small(size: float) -> float:
    """A caption or hint size, never below ``SMALL_TEXT_MIN``."""
    return max(SMALL_TEXT_MIN, size)


def clamp_size(size: tuple[int, int]) -> tuple[int, int]:
    """``size`` grown to at least ``MIN_SIZE``."""
    return (max(MIN_SIZE[0], int(size[0])), max(MIN_SIZE[1], int(size[1])))


# Fonts and rendered text ------------------------------------------------------------


class LruCache:
    """A small least-recently-used cache; rendering the same text every frame is wasted work."""

    def __init__(self, capacity: int):
        self._capacity = capacity
        self._items: OrderedDict[Hashable, object] = OrderedDict()

    def get(self, key: Hashable) -> object | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: Hashable, value: object) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


class Fonts:
    """pygame's bundled font at any pixel size, and rendered text, both cached.

    The bundled font (FreeSansBold) looks the same on every machine, so layouts measured
    here hold everywhere. Needs ``pygame.font`` to be initialised.
    """

    def __init__(self, font_capacity: int = 48, text_capacity: int = 512):
        self._fonts = LruCache(font_capacity)
        self._texts = LruCache(text_capacity)

    def get(self, size: float) -> pygame.font.Font:
        """The font at ``size`` pixels (rounded, at least 8)."""
        px = max(8, int(round(size)))
        font = self._fonts.get(px)
        if font is None:
            font = pygame.font.Font(None, px)
            self._fonts.put(px, font)
        return font  # type: ignore[return-value]

    def render(self, text: str, size: float, color: pygame.Color | tuple[int, ...]) -> pygame.Surface:
        """``text`` rendered antialiased at ``size`` in ``color``; the same surface for the same request."""
        key = (text, max(8, int(round(size))), tuple(pygame.Color(color)))
        surface = self._texts.get(key)
        if surface is None:
            surface = self.get(size).render(text, True, color)
            self._texts.put(key, surface)
        return surface  # type: ignore[return-value]

    def fit(self, text: str, size: float, max_width: float) -> float:
        """The largest size up to ``size`` at which ``text`` is at most ``max_width`` pixels wide."""
        while size > 8 and self.get(size).size(text)[0] > max_width:
            size *= 0.92
        return size

    def clear(self) -> None:
        self._fonts.clear()
        self._texts.clear()

"""Drawing primitives the screens share: smooth marks, thick antialiased strokes, easing, cards.

Marks are drawn once at twice their size and smoothscaled down, which gives soft
edges without per-frame cost; the cache keeps the few sizes a window uses.
"""

from __future__ import annotations

import math

import pygame
import pygame.gfxdraw

from ui.textcut import ELLIPSIS, break_points, ellipsize
from ui.theme import MARK_COLORS, OUTLINE, PANEL, LruCache

SUPERSAMPLE = 2
STROKE = 0.13  # a mark's stroke width as a share of its size

_marks: LruCache[tuple[int, int, tuple[int, ...]], pygame.Surface] = LruCache(64)


def ease_out_cubic(t: float) -> float:
    t = min(1.0, max(0.0, t))
    return 1 - (1 - t) ** 3


def ease_out_back(t: float) -> float:
    """Overshoots a little before settling: the 'pop' of a placed mark."""
    t = min(1.0, max(0.0, t))
    c1 = 1.70158
    c3 = c1 + 1
    return 1 + c3 * (t - 1) ** 3 + c1 * (t - 1) ** 2


Point = tuple[float, float]


def thick_line(surface: pygame.Surface, color: pygame.Color, start: Point, end: Point, width: float) -> None:
    """A straight stroke ``width`` pixels thick with round caps and antialiased edges."""
    (x1, y1), (x2, y2) = start, end
    r = max(1.0, width / 2)
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy)
    if length >= 0.5:
        nx, ny = -dy / length * r, dx / length * r
        points = [(x1 + nx, y1 + ny), (x2 + nx, y2 + ny), (x2 - nx, y2 - ny), (x1 - nx, y1 - ny)]
        ipoints = [(round(x), round(y)) for x, y in points]
        pygame.gfxdraw.aapolygon(surface, ipoints, color)
        pygame.gfxdraw.filled_polygon(surface, ipoints, color)
    for x, y in ((x1, y1), (x2, y2)):
        pygame.gfxdraw.aacircle(surface, round(x), round(y), round(r), color)
        pygame.gfxdraw.filled_circle(surface, round(x), round(y), round(r), color)


SUPERSAMPLE = 4  # small icons are drawn this many times larger, then scaled down: smooth curves at any size


def arc_band(surface: pygame.Surface, color: pygame.Color | tuple[int, ...], center: Point, radius: float, width: float,
             start: float, stop: float) -> None:
    """A thick arc of ``radius`` from angle ``start`` to ``stop`` (radians, clockwise on screen), round at both ends.

    One polygon, so it has none of the gaps ``pygame.draw.arc`` leaves in a wide arc.
    """
    cx, cy = center
    steps = max(4, int(abs(stop - start) * radius / 2))
    angles = [start + (stop - start) * i / steps for i in range(steps + 1)]
    outer = [(cx + (radius + width / 2) * math.cos(a), cy + (radius + width / 2) * math.sin(a)) for a in angles]
    inner = [(cx + (radius - width / 2) * math.cos(a), cy + (radius - width / 2) * math.sin(a)) for a in reversed(angles)]
    pygame.draw.polygon(surface, color, outer + inner)
    for a in (start, stop):
        pygame.draw.circle(surface, color, (cx + radius * math.cos(a), cy + radius * math.sin(a)), width / 2)


def _draw_mark(player: int, size: int, color: pygame.Color) -> pygame.Surface:
    big = size * SUPERSAMPLE
    surface = pygame.Surface((big, big), pygame.SRCALPHA)
    width = max(2.0, big * STROKE)
    inset = width / 2 + big * 0.06
    if player == 1:
        thick_line(surface, color, (inset, inset), (big - inset, big - inset), width)
        thick_line(surface, color, (big - inset, inset), (inset, big - inset), width)
    else:
        center = big / 2
        outer = big / 2 - big * 0.06
        inner = outer - width
        pygame.draw.circle(surface, color, (center, center), outer)
        pygame.draw.circle(surface, (0, 0, 0, 0), (center, center), max(1.0, inner))
    return pygame.transform.smoothscale(surface, (size, size))


def mark_surface(player: int, size: int, color: pygame.Color | None = None) -> pygame.Surface:
    """Player ``player``'s mark (1 X, 2 O) as a ``size``-pixel square with soft edges (cached)."""
    size = max(4, int(size))
    color = pygame.Color(color if color is not None else MARK_COLORS[player])
    key = (player, size, tuple(color))
    surface = _marks.get(key)
    if surface is None:
        surface = _draw_mark(player, size, color)
        _marks.put(key, surface)
    return surface


def blit_center(surface: pygame.Surface, image: pygame.Surface, center: tuple[float, float]) -> pygame.Rect:
    """Blit ``image`` centred on ``center``; its rect."""
    rect = image.get_rect(center=(round(center[0]), round(center[1])))
    surface.blit(image, rect)
    return rect


def translucent(
    surface: pygame.Surface, color: pygame.Color | tuple[int, ...], rect: pygame.Rect, radius: int = 0, alpha: int = 255
) -> None:
    """Fill ``rect`` with ``color`` at ``alpha`` (rounded corners), blended onto ``surface``."""
    if rect.width <= 0 or rect.height <= 0:
        return
    layer = pygame.Surface(rect.size, pygame.SRCALPHA)
    c = pygame.Color(color)
    c.a = max(0, min(255, int(alpha)))
    pygame.draw.rect(layer, c, layer.get_rect(), border_radius=radius)
    surface.blit(layer, rect.topleft)


def draw_card(surface: pygame.Surface, top: int, width: int, height: int, scale: float) -> pygame.Rect:
    """The rounded panel a screen's content sits on, centred across ``surface`` from ``top``; its rect."""
    card = pygame.Rect(0, top, width, height)
    card.centerx = surface.get_width() // 2
    pygame.draw.rect(surface, PANEL, card, border_radius=int(20 * scale))
    if OUTLINE.a:  # high contrast: the card has an edge
        pygame.draw.rect(surface, OUTLINE, card, width=max(1, int(1.5 * scale)), border_radius=int(20 * scale))
    return card


def fit_width(font: pygame.font.Font, text: str, max_width: float) -> str:
    """``text``, shortened with '…' (``ui.text.ellipsize``) if it is wider than ``max_width`` pixels in ``font``."""
    return ellipsize(text, lambda candidate: font.size(candidate)[0] <= max_width)


def wrap_text(font: pygame.font.Font, text: str, max_width: float, max_lines: int | None = None) -> list[str]:
    """``text`` broken into lines at most ``max_width`` pixels wide, at spaces or where a script without them may break.

    A word wider than a line is shortened with '…'; past ``max_lines`` lines the last one
    kept ends in '…'. Line breaks in ``text`` start new paragraphs (an empty line stays).
    """
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for piece, spaced in break_points(paragraph):
            candidate = f"{line}{' ' if spaced else ''}{piece}" if line else piece
            if not line or font.size(candidate)[0] <= max_width:
                line = candidate
            else:
                lines.append(fit_width(font, line, max_width))
                line = piece
        lines.append(fit_width(font, line, max_width))
    if max_lines is not None and len(lines) > max_lines:
        kept = lines[:max_lines]
        kept[-1] = fit_width(font, kept[-1].rstrip(ELLIPSIS) + ELLIPSIS, max_width) if kept[-1] else ELLIPSIS
        return kept
    return lines

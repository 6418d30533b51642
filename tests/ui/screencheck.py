"""Looking at a screen as a player does: where its text landed, and whether any of it is cut, spills or collides.

``look_at(app, screen, size)`` draws ``screen`` (settled, as after its animations) on a
surface that notes every text image blitted on it (the ones ``theme.Fonts.render``
made) and every box drawn under them (``pygame.draw.rect`` fills and outlines, and
blitted layers), and returns a ``Drawing``. ``Drawing.problems()`` lists, in words, each
text that

* leaves the window, or is cut by a clip (a focused text field may scroll its own text),
* sits on a box (a card, a button, a pill) but runs over its edge,
* crosses an outline it is not inside (a focus ring, a field's border),
* overlaps another text, or
* comes within ``SPEAKER_MARGIN`` pixels of the speaker pill in the corner.

Text hidden by what is drawn over it later (a dialog over the board) is not judged.
The tests of every screen at the smallest window (test_screens.py) use it, and so can
the every-language test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pygame

from ui import theme
from ui.screens.base import Screen
from ui.textfield import TextField
from ui.widgets import SpeakerButton

SPEAKER_MARGIN = 6  # pixels between any text and the speaker pill
TOLERANCE = 1  # antialiasing may reach a pixel past an edge
INK_ALPHA = 96  # a pixel at least this opaque is ink (fainter ones are the antialiased fringe)


@dataclass(frozen=True)
class DrawnText:
    text: str
    ink: pygame.Rect  # where its visible pixels are, in window pixels
    clip: pygame.Rect | None  # the surface's clip when it was drawn
    order: int


@dataclass(frozen=True)
class Box:
    rect: pygame.Rect
    outline: int  # 0 for a filled box, else the outline's width
    order: int


@dataclass
class Drawing:
    """What one frame drew: its texts and boxes, in drawing order."""

    size: tuple[int, int]
    name: str
    texts: list[DrawnText] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    scrolling: list[pygame.Rect] = field(default_factory=list)  # focused fields: their text may be cut by their clip
    image: pygame.Surface | None = None

    @property
    def shown(self) -> list[DrawnText]:
        """The texts not covered by something drawn over them later."""
        return [t for t in self.texts if not any(b.order > t.order and b.outline == 0 and b.rect.contains(t.ink)
                                                   for b in self.boxes)]

    def find(self, text: str) -> DrawnText | None:
        return next((t for t in self.shown if t.text == text), None)

    def problems(self) -> list[str]:
        out: list[str] = []
        shown = [t if t.clip is None else DrawnText(t.text, t.ink.clip(t.clip), t.clip, t.order) for t in self.shown]
        for t in shown:
            out.extend(f"{self.name}: {t.text!r} {problem}" for problem in self._problems_of(t))
        for i, a in enumerate(shown):
            for b in shown[i + 1:]:
                overlap = a.ink.clip(b.ink)
                if overlap.width > TOLERANCE and overlap.height > TOLERANCE:
                    out.append(f"{self.name}: {a.text!r} at {tuple(a.ink)} overlaps {b.text!r} at {tuple(b.ink)}")
        return out

    def _problems_of(self, drawn: DrawnText) -> Iterator[str]:
        window = pygame.Rect((0, 0), self.size)
        t = drawn
        if drawn.clip is not None:
            if not _inside(drawn.ink, drawn.clip) and not any(f.contains(drawn.clip) for f in self.scrolling):
                yield f"at {tuple(drawn.ink)} is cut by a clip at {tuple(drawn.clip)}"
            t = DrawnText(drawn.text, drawn.ink.clip(drawn.clip), None, drawn.order)  # judged by what shows
        if not window.contains(t.ink):
            yield f"at {tuple(t.ink)} leaves the {self.size[0]}x{self.size[1]} window"
        speaker = SpeakerButton.rect_for(self.size).inflate(2 * SPEAKER_MARGIN, 2 * SPEAKER_MARGIN)
        if t.ink.colliderect(speaker):
            yield f"at {tuple(t.ink)} comes within {SPEAKER_MARGIN} px of the speaker pill"
        under = [b for b in self.boxes if b.order < t.order and b.outline == 0 and b.rect.collidepoint(t.ink.center)]
        if under:
            box = max(under, key=lambda b: b.order)  # the one it sits on: the last drawn under it
            if not _inside(t.ink, box.rect):
                yield f"at {tuple(t.ink)} runs over the edge of the box at {tuple(box.rect)} it sits on"
        for ring in (b for b in self.boxes if b.outline and t.ink.colliderect(b.rect)):
            inner = ring.rect.inflate(-2 * ring.outline, -2 * ring.outline)
            if not _inside(t.ink, inner):
                yield f"at {tuple(t.ink)} crosses the outline at {tuple(ring.rect)}"


def _inside(ink: pygame.Rect, box: pygame.Rect) -> bool:
    return box.inflate(2 * TOLERANCE, 2 * TOLERANCE).contains(ink)


class RecordingSurface(pygame.Surface):
    """A window-sized surface that notes what is drawn on it."""

    def __init__(self, size: tuple[int, int], drawing: Drawing, names: dict[int, str]):
        super().__init__(size, 0, 32)
        self.drawing = drawing
        self.names = names  # id of a text image -> its text

    def note_box(self, rect: pygame.Rect, outline: int) -> None:
        self.drawing.boxes.append(Box(pygame.Rect(rect), outline, self._next()))

    def _next(self) -> int:
        return len(self.drawing.texts) + len(self.drawing.boxes)

    def blit(self, source: pygame.Surface, dest: Any, area: Any = None, special_flags: int = 0) -> pygame.Rect:  # type: ignore[override]
        drawn = super().blit(source, dest, area, special_flags)
        at = pygame.Rect(dest if isinstance(dest, pygame.Rect) else (dest, (0, 0))).topleft
        text = self.names.get(id(source))
        if text is None:
            if source.get_width() > 0 and source.get_height() > 0:
                self.drawing.boxes.append(Box(pygame.Rect(at, source.get_size()), 0, self._next()))
            return drawn
        ink = source.get_bounding_rect(INK_ALPHA)
        if area is not None:
            ink = ink.clip(pygame.Rect(area)).move(-pygame.Rect(area).x, -pygame.Rect(area).y)
        ink = ink.move(at)
        clip = self.get_clip()
        clipped = clip != self.get_rect()
        self.drawing.texts.append(DrawnText(text, ink, clip if clipped else None, self._next()))
        return drawn


@contextmanager
def _noting(names: dict[int, str]) -> Iterator[None]:
    """While open, the App's fonts name the images they make, and pygame.draw.rect notes its boxes on a recorder."""
    render, draw_rect = theme.Fonts.render, pygame.draw.rect

    def naming_render(self: theme.Fonts, text: str, *args: Any, **kwargs: Any) -> pygame.Surface:
        image = render(self, text, *args, **kwargs)
        names[id(image)] = text
        return image

    def noting_rect(surface: pygame.Surface, color: Any, rect: Any, width: int = 0, *args: Any, **kwargs: Any) -> pygame.Rect:
        drawn = draw_rect(surface, color, rect, width, *args, **kwargs)
        if isinstance(surface, RecordingSurface) and pygame.Color(color).a > 0:
            surface.note_box(pygame.Rect(rect), width)
        return drawn

    theme.Fonts.render = naming_render  # type: ignore[method-assign]
    pygame.draw.rect = noting_rect
    try:
        yield
    finally:
        theme.Fonts.render = render  # type: ignore[method-assign]
        pygame.draw.rect = draw_rect


def look_at(screen: Screen, size: tuple[int, int]) -> Drawing:
    """Draw ``screen`` (shown by an App, or given one) settled in a window of ``size``, and note what was drawn."""
    assert screen.app is not None, "the screen needs an App for its fonts"
    drawing = Drawing(size, screen.name)
    names: dict[int, str] = {}
    with _noting(names):
        surface = RecordingSurface(size, drawing, names)
        surface.fill(theme.BACKGROUND)
        screen.relayout()
        screen.ensure_layout(size)
        drawing.scrolling = [f.rect for f in _fields(screen) if f.focused]
        with screen.settled():
            _draw_with_what_is_under(screen, surface)
    drawing.image = surface
    screen.relayout()
    return drawing


def _draw_with_what_is_under(screen: Screen, surface: pygame.Surface) -> None:
    app = screen.app
    assert app is not None
    if screen.overlay and app.screens and screen in app.screens:
        index = app.screens.index(screen)
        if index > 0:
            below = app.screens[index - 1]
            below.ensure_layout(surface.get_size())
            with below.settled():
                below.draw(surface)
    screen.draw(surface)


def _fields(screen: Screen) -> list[TextField]:
    return [value for value in vars(screen).values() if isinstance(value, TextField)]

"""Text in any script a player may type: the one place where strings become pixels.

Inter (the game's face) draws Latin, Greek and Cyrillic; what it lacks is drawn by the
Noto fallbacks shipped beside it in ``assets/fonts`` (Arabic, Hebrew, CJK, emoji; made by
``packaging/make_fonts.py``), one run of characters at a time. ``TextFont`` is a
``pygame.font.Font`` whose ``render`` and ``size`` do that, so every caller of
``theme.Fonts`` gets it without knowing. Right-to-left text is put in display order by the
Unicode bidirectional algorithm (python-bidi) and shaped by SDL_ttf's HarfBuzz, which
joins Arabic letters once told the run's script. ``can_draw`` says whether a string can be
drawn with no missing-glyph box, for the fields where names are typed.

What a font covers is read from its own character map (``coverage``), so the answer does
not depend on pygame being initialised.
"""

from __future__ import annotations

import importlib
import struct
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pygame

from game.phrase import N_, Phrase
from net.limits import normalize_name
from ui.resources import assets_dir
from ui.textcut import ignorable as _ignorable
from ui.textcut import mark as _mark

if TYPE_CHECKING:
    from pygame._common import ColorValue  # a name of pygame's type stubs only

FONT_DIR = assets_dir() / "fonts"
PRIMARY_FILES = ("Inter-SemiBold.otf", "Inter-Regular.otf")

# python-bidi ships no type information: its one function is given its type here.
_get_display: Callable[..., object] = importlib.import_module("bidi").get_display


@dataclass(frozen=True)
class Fallback:
    """A font used where the ones before it lack a character."""

    file: str
    script: str | None = None  # ISO 15924 code HarfBuzz shapes the run with (joining, marks), where it matters
    bitmap: bool = False  # colour bitmaps at one size: drawn at that size, then scaled to the line


FALLBACKS: tuple[Fallback, ...] = (
    Fallback("NotoSansArabic-Regular.ttf", script="Arab"),
    Fallback("NotoSansHebrew-Regular.ttf", script="Hebr"),
    Fallback("NotoSansCJKsc-Subset.otf"),
    Fallback("NotoColorEmoji-Subset.ttf", bitmap=True),
)

_RTL_CLASSES = frozenset({"R", "AL"})


# What a font covers -------------------------------------------------------------------------


def _cmap_format_4(data: bytes, at: int) -> Iterable[int]:
    (count2,) = struct.unpack_from(">H", data, at + 6)
    count = count2 // 2
    ends = struct.unpack_from(f">{count}H", data, at + 14)
    starts = struct.unpack_from(f">{count}H", data, at + 16 + count2)
    deltas = struct.unpack_from(f">{count}h", data, at + 16 + 2 * count2)
    offsets_at = at + 16 + 3 * count2
    offsets = struct.unpack_from(f">{count}H", data, offsets_at)
    for i, (start, end, delta, offset) in enumerate(zip(starts, ends, deltas, offsets, strict=True)):
        last = min(end, 0xFFFE)
        if last < start:
            continue
        if offset == 0:
            yield from (code for code in range(start, last + 1) if (code + delta) & 0xFFFF)
        else:  # the segment's glyphs are listed: one read for all of them
            glyphs = struct.unpack_from(f">{last - start + 1}H", data, offsets_at + 2 * i + offset)
            yield from (start + k for k, glyph in enumerate(glyphs) if glyph and (glyph + delta) & 0xFFFF)


def _cmap_format_12(data: bytes, at: int) -> Iterable[int]:
    (groups,) = struct.unpack_from(">I", data, at + 12)
    for i in range(groups):
        start, end, glyph = struct.unpack_from(">3I", data, at + 16 + 12 * i)
        yield from range(start + (1 if glyph == 0 else 0), end + 1)


@cache
def coverage(path: Path) -> frozenset[int]:
    """The code points the font file at ``path`` maps to a glyph (its best Unicode character map)."""
    data = path.read_bytes()
    (tables,) = struct.unpack_from(">H", data, 4)
    records = {struct.unpack_from(">4s", data, 12 + 16 * i)[0]: struct.unpack_from(">I", data, 12 + 16 * i + 8)[0]
               for i in range(tables)}
    cmap = records[b"cmap"]
    (subtables,) = struct.unpack_from(">H", data, cmap + 2)
    found: dict[int, int] = {}  # format -> offset of a Unicode subtable of that format
    for i in range(subtables):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
        if platform == 0 or (platform == 3 and encoding in (1, 10)):
            (fmt,) = struct.unpack_from(">H", data, cmap + offset)
            found.setdefault(fmt, cmap + offset)
    if 12 in found:
        return frozenset(_cmap_format_12(data, found[12]))
    if 4 in found:
        return frozenset(_cmap_format_4(data, found[4]))
    return frozenset()


@cache
def _chain(font_dir: Path, fallbacks: tuple[Fallback, ...]) -> tuple[frozenset[int], ...]:
    """Coverage of the primary face (both weights must have a character) and of each fallback, in order."""
    primary = coverage(font_dir / PRIMARY_FILES[0]) & coverage(font_dir / PRIMARY_FILES[1])
    return (primary, *(coverage(font_dir / f.file) for f in fallbacks))


def undrawable(text: str, *, font_dir: Path = FONT_DIR, fallbacks: tuple[Fallback, ...] = FALLBACKS) -> str | None:
    """The first character of ``text`` that no shipped font can draw, or None if every one can."""
    chain = _chain(font_dir, fallbacks)
    for char in text:
        if not _ignorable(char) and not any(ord(char) in covered for covered in chain):
            return char
    return None


def can_draw(text: str) -> bool:
    """Whether every character of ``text`` is drawn with a real glyph (none as a missing-glyph box)."""
    return undrawable(text) is None


def describe(char: str) -> str:
    """A character as a message can name it without drawing it (it may have no glyph): ``U+2603, snowman``."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}, {name.lower()}" if name else f"U+{ord(char):04X}"


THE_NAME = N_("The name")


def check_drawable(text: str, what: str = THE_NAME) -> str:
    """``text`` itself if every character of it can be drawn; else ValueError with a message for the player.

    ``what`` is the text's name in the message, marked for translation (``N_``).
    """
    char = undrawable(text)
    if char is not None:
        raise ValueError(Phrase("{what} has a character the game cannot show ({char}): please leave it out",
                                what=Phrase(what), char=describe(char)))
    return text


def check_name(text: str) -> str:
    """A typed name, normalised as ``net.limits`` says, and refused (ValueError) if a character of it cannot be shown."""
    return check_drawable(normalize_name(text))


# Display order ------------------------------------------------------------------------------


def visual_order(text: str) -> str:
    """``text`` in left-to-right display order, right-to-left runs reversed as the bidi algorithm says.

    Each base character keeps its combining marks after it (the bidi reversal puts them before
    it), so HarfBuzz, which reads a run of a right-to-left script given left to right as
    display order, turns the clusters back into reading order and shapes them whole.
    """
    if not any(unicodedata.bidirectional(c) in _RTL_CLASSES for c in text):
        return text
    shown = str(_get_display(text))
    out: list[str] = []
    marks: list[str] = []
    for char in shown:
        if _mark(char):
            marks.append(char)
            continue
        previous_ltr = bool(out) and unicodedata.bidirectional(out[-1]) == "L"
        if marks and unicodedata.bidirectional(char) in _RTL_CLASSES and not previous_ltr:
            out.append(char)
            out.extend(reversed(marks))
        else:
            out.extend(marks)
            out.append(char)
        marks = []
    out.extend(marks)
    return "".join(out)


# Letter spacing ------------------------------------------------------------------------------

LAYOUT_PX = 512  # positions are read from the face at this size, where hinting moves them by 1/512 em at most
LIGATURE_SHIFT = 0.12  # a pair shaped this many ems away from its two glyphs side by side is a ligature: drawn whole

Extent = tuple[int, int, int]  # a glyph's left edge (0 or less), advance and right edge, from its pen position


def _extent(metrics: Sequence[tuple[int, int, int, int, int] | None]) -> Extent | None:
    """(left, advance, right) of a glyph from pygame's metrics of one character; None if the face lacks it."""
    first = metrics[0] if metrics else None
    if first is None:
        return None
    minx, maxx, _miny, _maxy, advance = first
    return min(0, minx), advance, max(advance, maxx)


class Spacing:
    """Where each character of a line goes in one face, at any size, as the face itself spaces them.

    SDL_ttf hints each glyph and rounds its advance to a whole pixel, so at small sizes the
    roundings add up into gaps a player sees ('ser ver'). Here the advances and the
    kerning of each pair (as HarfBuzz shapes it) are read once at ``LAYOUT_PX``, and a
    line's positions are those scaled to the size drawn: each glyph is at most half a pixel
    from where the face puts it.
    """

    def __init__(self, path: str):
        self._face = pygame.font.Font(path, LAYOUT_PX)
        self._glyphs: dict[str, Extent | None] = {}
        self._kerning: dict[str, int | None] = {}

    def glyph(self, char: str) -> Extent | None:
        """The glyph's extent at ``LAYOUT_PX`` (None if the face lacks it)."""
        if char not in self._glyphs:
            self._glyphs[char] = _extent(self._face.metrics(char))
        return self._glyphs[char]

    def kerning(self, pair: str) -> int | None:
        """How much closer (negative) or further the pair's second glyph is set, at ``LAYOUT_PX``; None for a ligature."""
        if pair not in self._kerning:
            first, second = self.glyph(pair[0]), self.glyph(pair[1])
            shift: int | None = None
            if first is not None and second is not None:
                # The pair's width is from the first glyph's left edge to the second's right one.
                shift = self._face.size(pair)[0] + first[0] - first[1] - second[2]
                if abs(shift) > LIGATURE_SHIFT * LAYOUT_PX:
                    shift = None
            self._kerning[pair] = shift
        return self._kerning[pair]

    def positions(self, text: str) -> list[float] | None:
        """The pen position of each character of ``text`` and of the line's end, in ems; None if it must be shaped whole."""
        pen = 0
        out: list[float] = []
        for i, char in enumerate(text):
            glyph = self.glyph(char)
            if glyph is None:
                return None
            out.append(pen / LAYOUT_PX)
            pen += glyph[1]
            if i + 1 < len(text):
                kerning = self.kerning(text[i: i + 2])
                if kerning is None:
                    return None
                pen += kerning
        out.append(pen / LAYOUT_PX)
        return out


@cache
def spacing(path: str) -> Spacing:
    """The spacing of the face at ``path`` (pygame.font must be initialised)."""
    return Spacing(path)


# Drawing ---------------------------------------------------------------------------------


class TextFont(pygame.font.Font):
    """Inter at one pixel size whose ``render`` and ``size`` fall back to the shipped fonts, run by run.

    Text that Inter draws alone (nearly all of the interface) is set glyph by glyph where the
    face spaces it (``Spacing``), not where hinting's rounding would; the fallback faces are
    opened at this size the first time a character needs them, and draw their runs whole.
    """

    def __init__(self, path: Path | str, px: int, *, fallbacks: Sequence[Fallback] = FALLBACKS, font_dir: Path = FONT_DIR):
        super().__init__(str(path), px)
        self.px = px
        self._path = str(path)
        self._glyph_extents: dict[str, Extent | None] = {}
        self._glyph_images: dict[tuple[str, tuple[int, int, int]], pygame.Surface] = {}
        self._sizes: dict[str, tuple[int, int]] = {}  # measured texts: a screen measures the same ones every frame
        self._fallbacks = tuple(fallbacks)
        self._font_dir = font_dir
        self._coverage = (coverage(Path(path)), *(coverage(font_dir / f.file) for f in self._fallbacks))
        self._faces: dict[int, pygame.font.Font] = {}

    def _simple(self, text: str) -> bool:
        """True if Inter draws all of ``text`` left to right (no fallback, no reordering)."""
        if text.isascii():
            return True
        primary = self._coverage[0]
        return all(ord(c) in primary or _ignorable(c) for c in text) and not any(
            unicodedata.bidirectional(c) in _RTL_CLASSES for c in text)

    def _face(self, index: int) -> pygame.font.Font:
        """Font ``index`` of the chain (0: this one), opened on first use."""
        if index == 0:
            return self
        face = self._faces.get(index)
        if face is None:
            fallback = self._fallbacks[index - 1]
            face = pygame.font.Font(str(self._font_dir / fallback.file), self.px)
            if fallback.script is not None:
                face.set_script(fallback.script)
            self._faces[index] = face
        return face

    def _choose(self, char: str, current: int) -> int:
        """The font a character goes to: its run's if that one draws it and it is a mark, space or
        punctuation mark (so runs stay whole), else the first of the chain that has it."""
        code = ord(char)
        if _ignorable(char):
            return current
        if unicodedata.category(char)[0] in "MZP" and code in self._coverage[current]:
            return current
        for index, covered in enumerate(self._coverage):
            if code in covered:
                return index
        return 0  # drawn as Inter's missing-glyph box; the name fields refuse such text (can_draw)

    def runs(self, text: str) -> list[tuple[int, str]]:
        """``text`` in display order, cut into runs of one font each: (font index, characters)."""
        runs: list[tuple[int, str]] = []
        for char in visual_order(text):
            index = self._choose(char, runs[-1][0] if runs else 0)
            if runs and runs[-1][0] == index:
                runs[-1] = (index, runs[-1][1] + char)
            else:
                runs.append((index, char))
        return runs

    def _bitmap_scale(self, face: pygame.font.Font) -> float:
        """How much a bitmap face's line is scaled so that its glyphs stand as tall as Inter's line."""
        return super().get_height() / max(1, face.get_height())

    def _extent(self, index: int, run: str) -> tuple[int, int, int]:
        """(width, ascent, descent) of one run as it is laid out on the line."""
        face = self._face(index)
        width, _ = pygame.font.Font.size(face, run)
        if index and self._fallbacks[index - 1].bitmap:
            face = self
            width = round(width * self._bitmap_scale(self._face(index)))
        # Below the baseline: what is left of the face's line height (SDL_ttf's own rounding), not -descent.
        return width, pygame.font.Font.get_ascent(face), pygame.font.Font.get_height(face) - pygame.font.Font.get_ascent(face)

    def _line(self, runs: list[tuple[int, str]]) -> tuple[list[int], int, int]:
        """Widths of the runs, and the line's ascent and descent (the tallest of its fonts)."""
        extents = [self._extent(index, run) for index, run in runs]
        ascent = max([super().get_ascent(), *(e[1] for e in extents)])
        descent = max([super().get_height() - super().get_ascent(), *(e[2] for e in extents)])
        return [e[0] for e in extents], ascent, descent

    # One face, spaced as the face says ------------------------------------------------------------

    def _placed(self, text: str) -> tuple[list[tuple[str, int]], int, int] | None:
        """Each drawn character of ``text`` with the x of its image, the line's width and where x 0 is; None to shape whole.

        Characters keep their own hinted images (crisp) but stand where the face's unrounded
        advances and kerning put them (``Spacing``).
        """
        if len(text) < 2 or any(_mark(c) or _ignorable(c) for c in text):
            return None
        positions = spacing(self._path).positions(text)
        if positions is None:
            return None
        placed: list[tuple[str, int]] = []
        left, right = 0, round(positions[-1] * self.px)
        for char, at in zip(text, positions, strict=False):
            extent = self._glyph_extent(char)
            if extent is None:
                return None
            x = round(at * self.px) + extent[0]
            left, right = min(left, x), max(right, x + extent[2] - extent[0])
            if not char.isspace():
                placed.append((char, x))
        return placed, right - left, -left

    def _glyph_extent(self, char: str) -> Extent | None:
        if char not in self._glyph_extents:
            self._glyph_extents[char] = _extent(pygame.font.Font.metrics(self, char))
        return self._glyph_extents[char]

    def _glyph_image(self, char: str, rgb: tuple[int, int, int]) -> pygame.Surface:
        key = (char, rgb)
        image = self._glyph_images.get(key)
        if image is None:
            if len(self._glyph_images) > 512:
                self._glyph_images.clear()
            image = self._glyph_images[key] = super().render(char, True, rgb)
        return image

    def _render_placed(self, placed: tuple[list[tuple[str, int]], int, int], color: ColorValue,
                       background: ColorValue | None) -> pygame.Surface:
        glyphs, width, origin = placed
        rgb = pygame.Color(color)
        surface = pygame.Surface((max(1, width), super().get_height()), pygame.SRCALPHA)
        surface.fill((rgb.r, rgb.g, rgb.b, 0))
        for char, x in glyphs:  # one colour throughout: the brightest alpha wins where glyphs touch
            surface.blit(self._glyph_image(char, (rgb.r, rgb.g, rgb.b)), (x + origin, 0), special_flags=pygame.BLEND_RGBA_MAX)
        if background is None:
            return surface
        under = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
        under.fill(background)
        under.blit(surface, (0, 0))
        return under

    def size(self, text: str | bytes) -> tuple[int, int]:
        """Width and height of ``text`` as ``render`` draws it (remembered: fitting a line measures it again and again)."""
        if isinstance(text, bytes):
            return super().size(text)
        known = self._sizes.get(text)
        if known is None:
            if len(self._sizes) > 1024:
                self._sizes.clear()
            known = self._sizes[text] = self._measure(text)
        return known

    def _measure(self, text: str) -> tuple[int, int]:
        if self._simple(text):
            placed = self._placed(text)
            return super().size(text) if placed is None else (placed[1], super().get_height())
        widths, ascent, descent = self._line(self.runs(text))
        return sum(widths), ascent + descent

    def render(
        self, text: str | bytes | None, antialias: bool | Literal[0, 1], color: ColorValue, background: ColorValue | None = None
    ) -> pygame.Surface:
        """``text`` drawn in ``color`` (on ``background`` if given), each run in the font that has its characters."""
        if text is None or isinstance(text, bytes) or not antialias:
            return super().render(text, antialias, color, background)
        if self._simple(text):
            placed = self._placed(text)
            if placed is None:
                return super().render(text, antialias, color, background)
            return self._render_placed(placed, color, background)
        runs = self.runs(text)
        widths, ascent, descent = self._line(runs)
        surface = pygame.Surface((max(1, sum(widths)), ascent + descent), pygame.SRCALPHA)
        if background is not None:
            surface.fill(background)
        x = 0
        for (index, run), width in zip(runs, widths, strict=True):
            face = self._face(index)
            if index == 0:
                image = super().render(run, antialias, color)
                top = ascent - super().get_ascent()
            else:
                image = face.render(run, antialias, color)
                top = ascent - face.get_ascent()
                if self._fallbacks[index - 1].bitmap:
                    scale = pygame.transform.smoothscale if image.get_bitsize() in (24, 32) else pygame.transform.scale
                    image = scale(image, (width, super().get_height()))
                    top = ascent - super().get_ascent()
            surface.blit(image, (x, top))
            x += width
        return surface

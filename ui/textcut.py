"""Where text may be cut: the characters a reader sees (graphemes), the one way of shortening text with '…', and
where a line may break. Pure: no pygame (``ui.boardmodel`` shortens names in its sentences with it).

``ellipsize`` is the one place text is shortened: by a width in pixels (``ui.render.fit_width``,
``theme.Fonts.fit_line``) or in columns (``short_name``, for a player's name inside a sentence).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable


def ignorable(char: str) -> bool:
    """Invisible characters that only steer their neighbours (joiners, marks of direction, variation selectors)."""
    code = ord(char)
    return unicodedata.category(char) == "Cf" or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def mark(char: str) -> bool:
    """A combining mark (an accent written after its letter)."""
    return unicodedata.category(char) in ("Mn", "Me")


ELLIPSIS = "\u2026"
NAME_COLUMNS = 16  # a name in a sentence is shortened to this many columns (a wide character takes two)
# A line never starts with these (closing punctuation, small kana, prolonged sounds) nor ends with the next ones.
_NO_LINE_START = frozenset("、。，．・：；？！）」』】〕〉》ー々ゝゞ…‥ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ,.:;?!)]}%")
_NO_LINE_END = frozenset("（「『【〔〈《([{")
_EMOJI_MODIFIERS = range(0x1F3FB, 0x1F400)
_REGIONAL = range(0x1F1E6, 0x1F200)


def _joins_previous(char: str, previous: str) -> bool:
    """Whether ``char`` belongs to the grapheme before it (a mark, a joiner, a selector, a modifier, after a ZWJ)."""
    code = ord(char)
    return (mark(char) or unicodedata.category(char) == "Mc" or ignorable(char) or code in _EMOJI_MODIFIERS
            or previous == "\u200d")


def graphemes(text: str) -> list[str]:
    """``text`` as the characters a reader sees: a letter with its marks, an emoji with its joiners, a flag's pair."""
    out: list[str] = []
    for char in text:
        previous = out[-1][-1] if out else ""
        flag_pair = bool(out) and ord(char) in _REGIONAL and len(out[-1]) == 1 and ord(out[-1]) in _REGIONAL
        if out and (_joins_previous(char, previous) or flag_pair):
            out[-1] += char
        else:
            out.append(char)
    return out


def ellipsize(text: str, fits: Callable[[str], bool]) -> str:
    """``text`` if ``fits`` takes it, else its longest start that ``fits`` takes with '…' after it.

    The one place where text is shortened: whole graphemes only (never a letter without
    its accent, never half an emoji), and trailing spaces go before the '…'. ``fits`` is
    the measure: a width in pixels (``ui.render.fit_width``) or in columns (``short_name``).
    """
    if fits(text):
        return text
    parts = graphemes(text)
    low, high = 0, len(parts)  # parts[:low] fits with the ellipsis; parts[:high] does not (or is all of it)
    while high - low > 1:
        middle = (low + high) // 2
        if fits("".join(parts[:middle]).rstrip() + ELLIPSIS):
            low = middle
        else:
            high = middle
    return "".join(parts[:low]).rstrip() + ELLIPSIS


def columns(text: str) -> int:
    """How many columns ``text`` takes in a terminal's count: wide and full-width characters two, marks none."""
    return sum(0 if mark(c) or ignorable(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def short_name(name: str, limit: int = NAME_COLUMNS) -> str:
    """A player's name as a sentence shows it: shortened with '…' past ``limit`` columns, so the sentence stays readable."""
    return ellipsize(name, lambda text: columns(text) <= limit)


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _may_break(before: str, char: str) -> bool:
    """Whether a line may break between ``before`` and ``char`` inside a word."""
    return (_wide(char) or _wide(before)) and char not in _NO_LINE_START and before not in _NO_LINE_END \
        and not _joins_previous(char, before)


def break_points(text: str) -> list[tuple[str, bool]]:
    """``text`` cut where a line may break: (piece, whether a space comes before it).

    Between words, and between two characters of a script written without spaces
    (Chinese, Japanese), but never before closing punctuation or after opening punctuation.
    """
    pieces: list[tuple[str, bool]] = []
    for word in text.split():
        spaced = bool(pieces)
        current = ""
        for char in word:
            if current and _may_break(current[-1], char):
                pieces.append((current, spaced))
                current, spaced = char, False
            else:
                current += char
        pieces.append((current, spaced))
    return pieces

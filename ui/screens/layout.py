"""Typed layout measures the screens share: row heights that scale with the window, and a centred column.

A screen names its rows' heights in the default window's units in a frozen dataclass
(a ``Heights``); ``ColumnLayout.centred`` scales them to the window and centres the
rows, in the order the screen gives, above the key-hint footer. Every measure is then an
attribute (``lay.rows.title``, ``lay.column.top``), in window pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import ClassVar, Generic, TypeVar

from ui.theme import FOOTER_HEIGHT, scale_for, text_scale


@dataclass(frozen=True)
class Heights:
    """Named heights in the default window's units; subclasses are frozen dataclasses of ints with defaults.

    The rows named in ``text_rows`` hold a line of text: they grow with the player's text size.
    """

    text_rows: ClassVar[frozenset[str]] = frozenset()

    def scaled(self: H, scale: float, text: float = 1.0) -> H:
        """The heights in the pixels of a window ``scale`` times the default one, text rows ``text`` times more."""
        return replace(self, **{name: int(value * scale * (text if name in self.text_rows else 1.0))
                                for name, value in asdict(self).items()})


H = TypeVar("H", bound=Heights)


@dataclass(frozen=True)
class Column:
    """A column of rows centred across the window, and in the height above the footer (window pixels)."""

    window: tuple[int, int]
    scale: float
    top: int  # the first row's y
    width: int
    height: int  # the rows together
    footer: int  # the key hint's strip at the bottom of the window
    pad: int = 0  # the margin inside a card drawn behind the column

    @property
    def left(self) -> int:
        return (self.window[0] - self.width) // 2

    @property
    def inner(self) -> int:
        """The width inside the card's margins."""
        return self.width - 2 * self.pad

    @property
    def inner_left(self) -> int:
        return (self.window[0] - self.inner) // 2

    @property
    def center_x(self) -> float:
        return self.window[0] / 2

    @property
    def bottom(self) -> int:
        return self.top + self.height


@dataclass(frozen=True)
class ColumnLayout(Generic[H]):
    """A centred column and its rows' heights, both in window pixels."""

    column: Column
    rows: H

    @property
    def scale(self) -> float:
        """The scale the column is drawn at (smaller than the window's when large text would not fit)."""
        return self.column.scale

    @classmethod
    def centred(
        cls,
        size: tuple[int, int],
        heights: H,
        order: Callable[[H], Sequence[int]],
        *,
        width: float,
        margin: float = 32,
        min_top: float = 8,
        footer: float = FOOTER_HEIGHT,
        pad: Callable[[H], int] | None = None,
    ) -> ColumnLayout[H]:
        """``heights`` scaled to a window of ``size``, stacked in the ``order`` given (a row may come again).

        The column is ``width`` wide at most (more with larger text) and ``margin`` narrower than the window; its top
        is centred in the height above the ``footer``, at least ``min_top`` down (all in the
        default window's units). ``pad`` picks the card's inner margin among the rows.
        """
        s = scale_for(size)
        grow = text_scale()
        column_width = min(size[0] - int(margin * s), int(width * s * grow))  # larger text, a wider column
        rows = heights.scaled(s, grow)
        footer_px = int(footer * s)
        top_px = int(min_top * s)
        room = size[1] - footer_px - 2 * top_px
        height = sum(order(rows))
        for _attempt in range(3):  # large text in a small window: all of it a little smaller, so that all of it shows
            if height <= room:
                break
            s *= room / height
            rows = heights.scaled(s, grow)
            height = sum(order(rows))
        column = Column(
            window=size,
            scale=s,
            top=max(top_px, (size[1] - footer_px - height) // 2),
            width=column_width,
            height=height,
            footer=footer_px,
            pad=pad(rows) if pad is not None else 0,
        )
        return cls(column, rows)

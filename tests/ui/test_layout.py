"""Layout measures: heights scale with the window, a column is centred above the footer and never off the top."""

from __future__ import annotations

from dataclasses import dataclass

from ui import theme
from ui.screens.layout import ColumnLayout, Heights
from ui.theme import scale_for


@dataclass(frozen=True)
class Rows(Heights):
    pad: int = 20
    title: int = 45
    body: int = 101


def test_heights_scale_each_rounded_down() -> None:
    assert Rows().scaled(1.0) == Rows()
    assert Rows().scaled(1.5) == Rows(pad=30, title=67, body=151)
    assert Rows(body=7).scaled(0.75) == Rows(pad=15, title=33, body=5)


def test_a_column_is_centred_above_the_footer_in_the_order_given() -> None:
    lay = ColumnLayout.centred((640, 720), Rows(), lambda h: (h.pad, h.title, h.body, h.pad), width=400,
                               pad=lambda h: h.pad)
    col = lay.column
    assert col.height == 20 + 45 + 101 + 20 and col.footer == 40
    assert col.top == (720 - 40 - col.height) // 2 and col.bottom == col.top + col.height
    assert (col.width, col.left, col.inner, col.inner_left) == (400, 120, 360, 140)


def test_a_column_wider_than_the_window_narrows_to_the_margin() -> None:
    lay = ColumnLayout.centred((300, 600), Rows(), lambda h: (h.body,), width=900, margin=32)
    s = scale_for((300, 600))
    assert lay.column.width == 300 - int(32 * s) and lay.scale == s


@dataclass(frozen=True)
class TextRows(Heights):
    text_rows = frozenset({"body"})

    gap: int = 20
    body: int = 101


def test_large_text_grows_its_rows_and_widens_the_column_and_a_column_too_tall_is_drawn_smaller_to_fit() -> None:
    try:
        theme.set_text_size(125)
        assert TextRows().scaled(1.0, theme.text_scale()) == TextRows(gap=20, body=126), "only the rows of text grow"
        lay = ColumnLayout.centred((640, 720), TextRows(), lambda h: (h.body, h.gap), width=400)
        assert lay.scale == 1.0 and lay.column.width == 500 and lay.column.height == 126 + 20
        theme.set_text_size(150)
        size = theme.MIN_SIZE
        lay = ColumnLayout.centred(size, TextRows(), lambda h: (h.body,) * 5, width=400, min_top=8)
        window_scale = scale_for(size)
        assert lay.scale < window_scale, "five rows of large text are taller than the smallest window"
        col = lay.column
        assert col.top >= int(8 * window_scale) and col.bottom <= size[1] - col.footer
        assert lay.rows.body == int(101 * lay.scale * 1.5)
    finally:
        theme.set_text_size(100)

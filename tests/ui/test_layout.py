"""Layout measures: heights scale with the window, a column is centred above the footer and never off the top."""

from __future__ import annotations

from dataclasses import dataclass

from ui.screens.layout import ColumnLayout, Heights


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


def test_a_column_taller_than_the_window_starts_at_its_minimum_top_and_narrows_to_the_margin() -> None:
    lay = ColumnLayout.centred((300, 60), Rows(), lambda h: (h.body, h.body, h.body), width=480, min_top=8)
    col = lay.column
    assert col.scale == 0.25 and lay.rows == Rows(pad=5, title=11, body=25)  # scale_for's floor
    assert col.top == int(8 * 0.25) and col.width == min(300 - int(32 * 0.25), int(480 * 0.25))

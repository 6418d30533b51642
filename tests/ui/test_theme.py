"""The look's promises: text legible at every size, and every text colour readable on every surface it sits on."""

from __future__ import annotations

import pygame
import pytest

from ui import theme
from ui.screens.base import fit_hints

SURFACES = {
    "background": theme.BACKGROUND, "panel": theme.PANEL, "panel-high": theme.PANEL_HIGH, "button": theme.BUTTON,
    "button-hover": theme.BUTTON_HOVER, "button-disabled": theme.BUTTON_DISABLED,
}
TEXT_COLOURS = {"text": theme.TEXT, "muted": theme.MUTED, "accent": theme.ACCENT, "error": theme.ERROR,
                "o": theme.O_COLOR, "x-text": theme.MARK_TEXT[1]}
ON_FILLS = {"accent": theme.ACCENT, "accent-hover": theme.ACCENT_HOVER, "error": theme.ERROR, "o": theme.O_COLOR}


def contrast(a: pygame.Color, b: pygame.Color) -> float:
    """WCAG 2 contrast ratio of two colours."""

    def luminance(c: pygame.Color) -> float:
        def channel(v: int) -> float:
            x = v / 255
            return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("colour", TEXT_COLOURS)
def test_every_text_colour_meets_wcag_aa_on_every_surface(colour: str, surface: str) -> None:
    assert contrast(TEXT_COLOURS[colour], SURFACES[surface]) >= 4.5


@pytest.mark.parametrize("fill", ON_FILLS)
def test_text_on_a_coloured_fill_meets_wcag_aa(fill: str) -> None:
    assert contrast(theme.ON_ACCENT, ON_FILLS[fill]) >= 4.5


def test_no_text_is_drawn_under_the_minimum_and_small_text_is_at_least_13_px() -> None:
    assert min(theme.font_pixels(size) for size in (1, 4, 8, 12, 17)) >= theme.MIN_TEXT_PX == 12
    for nominal in (8, 12, 14, 15, 16):
        assert theme.font_pixels(theme.small(nominal)) >= 13
        assert theme.font_pixels(theme.small(nominal * 0.75)) >= 13  # the smallest window


def test_the_shipped_font_renders_and_fit_never_goes_below_the_minimum(pilot) -> None:
    fonts = pilot.app.fonts
    image = fonts.render("Perfect  ·  Waiting  ·  default key", 20, theme.TEXT)
    assert image.get_width() > 100 and image.get_height() >= 12
    assert theme.font_pixels(fonts.fit("a very long line that cannot fit " * 20, 30, 50)) == theme.MIN_TEXT_PX


def test_a_footer_too_long_for_a_narrow_window_drops_its_last_hints_not_its_size(pilot) -> None:
    fonts = pilot.app.fonts
    text = "Click a waiting game or type an address  ·  Tab moves  ·  Esc goes back"
    shown, size = fit_hints(fonts, text, theme.small(14), 10_000)
    assert shown == text
    room = fonts.get(theme.small(14), light=True).size("Click a waiting game or type an address  ·  Tab moves")[0] + 1
    shown, size = fit_hints(fonts, text, theme.small(14), room)
    assert shown == "Click a waiting game or type an address  ·  Tab moves"
    assert fonts.get(size, light=True).size(shown)[0] <= room and theme.font_pixels(size) >= 13
    shown, _ = fit_hints(fonts, text, theme.small(14), 5)
    assert shown == "Click a waiting game or type an address", "the first hint stays, however narrow"

"""The look's promises: text legible at every size, every text colour readable on every surface it sits on in every
theme (AAA in high contrast), and X and O told apart by people with each kind of colour blindness."""

from __future__ import annotations

import pygame
import pytest

from ui import theme
from ui.screens.base import fit_hints
from ui.theme import PALETTES, Palette

SURFACES = ("background", "panel", "panel_high", "button", "button_hover", "button_disabled")
TEXT_COLOURS = ("text", "muted", "accent", "error", "o")  # the X mark's colour is text only as ``error``
ON_FILLS = ("accent", "accent_hover", "error", "o")  # ``on_accent`` text sits on these
AAA_THEMES = {"high-contrast"}

# Machado, Oliveira & Fernandes (2009), severity 1.0: linear RGB to what a dichromat sees.
DICHROMACY = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}
MIN_MARK_DIFFERENCE = 20.0  # CIELAB distance between the X and O colours as seen (about 2.3 is just noticeable)


def colour(palette: Palette, name: str) -> pygame.Color:
    return pygame.Color(getattr(palette, name))


def linear(c: pygame.Color) -> tuple[float, float, float]:
    def channel(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    return channel(c.r), channel(c.g), channel(c.b)


def luminance(rgb: tuple[float, float, float]) -> float:
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def contrast(a: pygame.Color, b: pygame.Color) -> float:
    """WCAG 2 contrast ratio of two colours."""
    return ratio(linear(a), linear(b))


def seen(rgb: tuple[float, float, float], kind: str) -> tuple[float, float, float]:
    """``rgb`` (linear) as a person with ``kind`` of dichromacy sees it."""
    m = DICHROMACY[kind]
    r, g, b = (min(1.0, max(0.0, row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2])) for row in m)
    return r, g, b


def lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    """CIELAB (D65) of a linear sRGB colour."""
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def difference(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    return sum((p - q) ** 2 for p, q in zip(lab(a), lab(b), strict=True)) ** 0.5


@pytest.mark.parametrize("name", PALETTES)
def test_every_text_colour_meets_wcag_on_every_surface_in_every_theme(name: str) -> None:
    palette, needed = PALETTES[name], 7.0 if name in AAA_THEMES else 4.5
    low = [(text, surface, round(contrast(colour(palette, text), colour(palette, surface)), 2))
           for text in TEXT_COLOURS for surface in SURFACES
           if contrast(colour(palette, text), colour(palette, surface)) < needed]
    assert not low, f"{name}: under {needed}:1: {low}"


@pytest.mark.parametrize("name", PALETTES)
def test_text_on_a_coloured_fill_meets_wcag_in_every_theme(name: str) -> None:
    palette, needed = PALETTES[name], 7.0 if name in AAA_THEMES else 4.5
    for fill in ON_FILLS:
        assert contrast(colour(palette, "on_accent"), colour(palette, fill)) >= needed, (name, fill)


@pytest.mark.parametrize("name", PALETTES)
def test_the_marks_and_the_focus_stand_out_from_where_they_are_drawn(name: str) -> None:
    palette = PALETTES[name]
    for thing in ("x", "o", "accent"):
        for surface in ("background", "panel", "panel_high"):
            assert contrast(colour(palette, thing), colour(palette, surface)) >= 3.0, (name, thing, surface)


@pytest.mark.parametrize("kind", DICHROMACY)
@pytest.mark.parametrize("name", PALETTES)
def test_x_and_o_stay_apart_for_each_kind_of_colour_blindness(name: str, kind: str) -> None:
    palette = PALETTES[name]
    x, o, background = (seen(linear(colour(palette, c)), kind) for c in ("x", "o", "background"))
    assert difference(x, o) >= MIN_MARK_DIFFERENCE, f"{name}, {kind}: X and O look alike"
    assert ratio(x, background) >= 3.0 and ratio(o, background) >= 3.0, f"{name}, {kind}: a mark fades into the background"


def test_the_simulation_tells_colours_a_dichromat_confuses_from_ones_they_do_not() -> None:
    """Red and green of the same lightness merge for protanopes and deuteranopes; blue and yellow stay apart."""
    red, green = linear(pygame.Color("#c05050")), linear(pygame.Color("#407040"))
    assert difference(red, green) > 40
    for kind in ("protanopia", "deuteranopia"):
        assert difference(seen(red, kind), seen(green, kind)) < MIN_MARK_DIFFERENCE
    blue, yellow = linear(pygame.Color("#3050c0")), linear(pygame.Color("#e0c040"))
    assert difference(seen(blue, "deuteranopia"), seen(yellow, "deuteranopia")) > MIN_MARK_DIFFERENCE


def test_x_and_o_differ_by_shape_whatever_their_colour() -> None:
    pygame.init()
    from ui.render import mark_surface

    white = pygame.Color("white")
    x, o = (pygame.mask.from_surface(mark_surface(p, 64, white), 128) for p in (1, 2))
    assert x.overlap_area(o, (0, 0)) < 0.5 * min(x.count(), o.count()), "the X and the O are different shapes"
    assert o.get_at((32, 32)) == 0 and x.get_at((32, 32)) == 1, "the O is hollow where the X crosses"


def test_choosing_a_theme_recolours_the_colours_every_screen_holds() -> None:
    held = theme.MARK_COLORS[2]
    try:
        assert theme.use("light") == "light" and theme.current_theme() == "light"
        assert pygame.Color(theme.LIGHT.background) == theme.BACKGROUND and held == pygame.Color(theme.LIGHT.o)
        assert theme.use("high-contrast") == "high-contrast" and theme.outlined()
        assert theme.use("no such theme") == theme.DEFAULT_THEME and not theme.outlined()
    finally:
        theme.use(theme.DEFAULT_THEME)
    assert pygame.Color(theme.DARK.background) == theme.BACKGROUND


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

"""Every name is drawn: real glyphs in every script a player may type, right-to-left in display order.

A character no font has comes out as a missing-glyph box (the font's .notdef); the tests
render each character of each name alone and compare it with the box every font draws for
U+FFFF, which no font maps. The comparison is shown to catch a box (a character the
shipped fonts lack renders exactly as the box) before it is trusted to find none.
"""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from collections.abc import Iterator

import pygame
import pytest

from ui import text as ui_text
from ui.screens.name import NameScreen
from ui.text import FALLBACKS, FONT_DIR, TextFont, can_draw, check_drawable, spacing, undrawable, visual_order

NAMES = {
    "latin": "Zoë Ångström-Ñúñez",
    "greek": "Σωκράτης Παπαδόπουλος",
    "cyrillic": "Дмитрий Шостакович",
    "chinese": "王小明 張偉",
    "japanese": "やまだ タロウ 山田太郎",
    "korean": "김민준",
    "arabic": "محمد علي",
    "arabic with marks": "سَلام",
    "hebrew": "דוד כהן",
    "emoji": "Ann 😀🎉🐱❤️",
    "mixed": "ali محمد 42 😀",
}
NOT_IN_ANY_FONT = "\U0001D11E"  # MUSICAL SYMBOL G CLEF: none of the shipped fonts has it


@pytest.fixture(scope="module")
def fonts() -> Iterator[tuple[TextFont, TextFont]]:
    pygame.font.init()
    yield TextFont(FONT_DIR / "Inter-SemiBold.otf", 24), TextFont(FONT_DIR / "Inter-Regular.otf", 17)


def _image(surface: pygame.Surface) -> tuple[tuple[int, int], bytes]:
    return surface.get_size(), pygame.image.tobytes(surface, "RGBA")


def _boxes(font: TextFont) -> set[tuple[tuple[int, int], bytes]]:
    """What a missing character looks like, drawn through ``font`` and by each fallback face at its size."""
    boxes = {_image(font.render("\uffff", True, "white"))}
    for fallback in FALLBACKS:
        face = pygame.font.Font(str(FONT_DIR / fallback.file), font.px)
        boxes.add(_image(face.render("\uffff", True, "white")))
    return boxes


def _characters(name: str) -> list[str]:
    """The name's characters, each with the marks and selectors that follow it (drawn together)."""
    out: list[str] = []
    for char in name:
        if out and (ui_text._mark(char) or ui_text._ignorable(char)):
            out[-1] += char
        elif char != " ":
            out.append(char)
    return out


def test_the_box_detector_sees_a_box_where_no_font_has_the_character(fonts) -> None:
    for font in fonts:
        assert _image(font.render(NOT_IN_ANY_FONT, True, "white")) in _boxes(font)
        assert _image(font.render("a", True, "white")) not in _boxes(font)


@pytest.mark.parametrize("script", list(NAMES))
def test_every_character_of_a_name_is_drawn_with_a_real_glyph(fonts, script: str) -> None:
    name = NAMES[script]
    assert can_draw(name)
    for font in fonts:
        boxes = _boxes(font)
        drawn_as_box = [c for c in _characters(name) if _image(font.render(c, True, "white")) in boxes]
        assert not drawn_as_box, f"{script}: drawn as a missing-glyph box: {drawn_as_box}"
        whole = font.render(name, True, "white")
        assert whole.get_size() == font.size(name)
        assert pygame.mask.from_surface(whole).count() > 0


def test_right_to_left_names_read_right_to_left() -> None:
    assert visual_order("דוד כהן") == "ןהכ דוד"
    assert visual_order("Ann and שלום") == "Ann and םולש"
    assert visual_order("שלום Ann") == "Ann םולש"  # a name that starts right-to-left is laid out from the right
    assert visual_order("سَلام") == "مالسَ"  # the mark stays after its letter, for the shaper
    assert visual_order("Zoë") == "Zoë"


def test_hebrew_is_drawn_right_to_left(fonts) -> None:
    """In 'שלום' (shin, lamed, vav, final mem) the lamed is the one letter rising above the others; read right
    to left it is the third of the four letters from the left, where left to right it would be the second."""
    for font in fonts:
        drawn = font.render("שלום", True, "white")
        letters = sorted(pygame.mask.from_surface(drawn).connected_components(), key=lambda m: m.get_bounding_rects()[0].x)
        boxes = [m.get_bounding_rects()[0] for m in letters]
        assert len(boxes) == 4
        tallest = min(range(4), key=lambda i: boxes[i].top)
        assert tallest == 2, boxes


def test_arabic_letters_join(fonts) -> None:
    """Shaped 'سلام' is narrower than its four letters drawn apart (joined forms, the lam-alef ligature)."""
    font = fonts[0]
    apart = sum(font.size(letter)[0] for letter in "سلام")
    assert font.size("سلام")[0] < apart


def test_a_character_no_font_has_is_named_and_refused() -> None:
    assert undrawable(f"ann {NOT_IN_ANY_FONT}") == NOT_IN_ANY_FONT
    assert not can_draw(f"ann {NOT_IN_ANY_FONT}")
    assert not can_draw("\U000F0000")  # private use
    assert check_drawable("ann") == "ann"
    with pytest.raises(ValueError, match=r"cannot show \(U\+1D11E, musical symbol g clef\)"):
        check_drawable(f"ann {NOT_IN_ANY_FONT}")


def test_the_name_screen_refuses_a_name_it_cannot_show() -> None:
    done: list[str] = []
    screen = NameScreen("", done.append)
    screen.field.text = f"ann {NOT_IN_ANY_FONT}"
    screen.submit()
    assert done == [] and screen.error is not None and "U+1D11E" in screen.error
    screen.field.text = "ann 😀 王"
    screen.submit()
    assert done == ["ann 😀 王"]


def test_small_text_is_spaced_as_the_face_spaces_it_not_as_hinting_rounds_it() -> None:
    """SDL_ttf rounds each hinted advance to a whole pixel, which opened gaps such as 'ser ver' at small sizes; the
    line here keeps to the face's own advances and kerning, so it is as wide as the face says to within a pixel."""
    pygame.font.init()
    path = FONT_DIR / "Inter-Regular.otf"
    line = "the server server server"
    drift = 0.0
    for px in (12, 13, 14, 15, 16):
        positions = spacing(str(path)).positions(line)
        assert positions is not None
        ideal = positions[-1] * px
        font = TextFont(path, px)
        assert abs(font.size(line)[0] - ideal) <= 1, px
        assert font.render(line, True, "white").get_width() == font.size(line)[0]
        drift = max(drift, abs(pygame.font.Font(str(path), px).size(line)[0] - ideal))
    assert drift >= 3, "the rounding this replaces drifts by pixels over a line"


def test_kerning_is_kept_and_a_ligature_is_shaped_whole() -> None:
    pygame.font.init()
    face = spacing(str(FONT_DIR / "Inter-Regular.otf"))
    to, t_o = face.kerning("To"), face.kerning("oT")
    assert to is not None and to < 0 and t_o is not None and to < t_o, "T and o are set closer than o and T"
    assert face.positions("a->b") is None, "Inter joins -> into an arrow: that text is drawn as SDL shapes it"
    font = TextFont(FONT_DIR / "Inter-Regular.otf", 20)
    assert font.size("a->b") == pygame.font.Font(str(FONT_DIR / "Inter-Regular.otf"), 20).size("a->b")

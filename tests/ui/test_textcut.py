"""Where text may be cut: whole graphemes only, one ellipsis, names shortened in sentences, lines broken where a
script allows (between words, or between the characters of Chinese and Japanese, minding their punctuation)."""

from __future__ import annotations

import pygame
import pytest

from ui.render import fit_width, wrap_text
from ui.text import FONT_DIR, TextFont
from ui.textcut import ELLIPSIS, break_points, columns, ellipsize, graphemes, short_name


@pytest.fixture(scope="module")
def font() -> TextFont:
    pygame.font.init()
    return TextFont(FONT_DIR / "Inter-Regular.otf", 16)


def test_graphemes_keep_a_letter_with_its_marks_and_an_emoji_with_its_joiners() -> None:
    assert graphemes("e\u0301a") == ["e\u0301", "a"]
    assert graphemes("👍🏽👨\u200d👩\u200d👧🇯🇵x") == ["👍🏽", "👨\u200d👩\u200d👧", "🇯🇵", "x"]


def test_ellipsize_keeps_what_fits_and_never_splits_a_grapheme() -> None:
    assert ellipsize("Ann", lambda t: len(t) <= 3) == "Ann"
    assert ellipsize("Hello world", lambda t: len(t) <= 7) == "Hello" + ELLIPSIS, "the space before the cut goes"
    shortened = ellipsize("ae\u0301e\u0301e\u0301", lambda t: len(t) <= 4)
    assert shortened == "ae\u0301" + ELLIPSIS and not shortened.endswith("e" + ELLIPSIS)
    assert ellipsize("anything", lambda t: t == ELLIPSIS) == ELLIPSIS


def test_a_name_in_a_sentence_is_shortened_by_columns_a_wide_character_taking_two() -> None:
    assert columns("Ann") == 3 and columns("王王") == 4 and columns("e\u0301") == 1
    assert short_name("Ann") == "Ann" and short_name("Bartholomew") == "Bartholomew"
    assert short_name("W" * 20) == "W" * 15 + ELLIPSIS
    assert short_name("王" * 20) == "王" * 7 + ELLIPSIS
    assert short_name(short_name("W" * 20)) == short_name("W" * 20), "shortening twice changes nothing"


def test_lines_break_between_words_and_between_the_characters_of_japanese_but_not_before_closing_marks() -> None:
    assert break_points("Can't reach  the server") == [("Can't", False), ("reach", True), ("the", True), ("server", True)]
    pieces = [piece for piece, _ in break_points("サーバーに接続できません。")]
    assert "".join(pieces) == "サーバーに接続できません。"
    assert all(not piece.startswith(("ー", "。")) for piece in pieces), pieces
    assert [p for p, _ in break_points("「東京」へ")] == ["「東", "京」", "へ"], "an opening bracket stays with what follows"


def test_wrapped_lines_fit_their_width_and_an_overlong_word_or_line_is_ended_with_an_ellipsis(font: TextFont) -> None:
    lines = wrap_text(font, "The server shut down while you were playing", 140)
    assert len(lines) > 1 and all(font.size(line)[0] <= 140 for line in lines)
    assert " ".join(lines) == "The server shut down while you were playing"
    word = wrap_text(font, "W" * 40 + " left", 140)
    assert word[0].endswith(ELLIPSIS) and font.size(word[0])[0] <= 140 and word[1] == "left"
    two = wrap_text(font, "one two three four five six seven eight nine ten", 70, max_lines=2)
    assert len(two) == 2 and two[1].endswith(ELLIPSIS) and font.size(two[1])[0] <= 70
    japanese = wrap_text(font, "サーバーに接続できません。もう一度お試しください。", 120)
    assert len(japanese) > 1 and all(font.size(line)[0] <= 120 for line in japanese)
    assert "".join(japanese) == "サーバーに接続できません。もう一度お試しください。"
    assert wrap_text(font, "one\n\ntwo", 300) == ["one", "", "two"]


def test_fit_width_measures_in_pixels(font: TextFont) -> None:
    assert fit_width(font, "Ann", 500) == "Ann"
    shortened = fit_width(font, "W" * 30, 100)
    assert shortened.endswith(ELLIPSIS) and font.size(shortened)[0] <= 100 < font.size(shortened[:-1] + "W" + ELLIPSIS)[0]

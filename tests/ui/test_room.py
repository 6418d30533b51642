"""Layout rules a player sees at the smallest window and a large one: nothing crowds or covers anything else.

Each test draws a screen of the catalogue (``screens_catalogue``) with ``screencheck.look_at`` and
checks where things landed: rectangles and the ink of texts, not pixels.
"""

from __future__ import annotations

from collections.abc import Iterator

import pygame
import pytest

from tests.ui.screencheck import Drawing, DrawnText, look_at
from tests.ui.screens_catalogue import SCREENS
from ui import i18n, theme
from ui.pilot import Pilot
from ui.screens.boardview import board_layout
from ui.screens.friend import FriendScreen
from ui.screens.netboard import NetBoardScreen
from ui.screens.settings import SettingsScreen

SMALLEST = theme.MIN_SIZE
LARGE = (1600, 1000)
ROOM_ABOVE_BUTTONS = 8  # pixels between the last line of a card and its buttons, at the smallest window


@pytest.fixture(scope="module")
def pilots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[int, int], Pilot]]:
    """An App at the smallest window and one at a large window, for every test of the module."""
    out: dict[tuple[int, int], Pilot] = {}
    with (Pilot.launch(data_dir=tmp_path_factory.mktemp("small"), size=SMALLEST) as small,
          Pilot.launch(data_dir=tmp_path_factory.mktemp("large"), size=LARGE) as large):
        out[SMALLEST], out[LARGE] = small, large
        yield out
    theme.set_text_size(100)
    theme.use(theme.DEFAULT_THEME)


def draw(pilot: Pilot, label: str, size: tuple[int, int], name: str = "Bea") -> Drawing:
    app = pilot.app
    app.reset(app.home())
    return look_at(SCREENS[label](app, name), size)


def text_in(drawing: Drawing, text: str, box: pygame.Rect) -> DrawnText | None:
    return next((t for t in drawing.shown if t.text == text and box.contains(t.ink)), None)


@pytest.mark.parametrize("size", [SMALLEST, LARGE], ids=["480x540", "1600x1000"])
def test_a_key_hint_in_a_button_is_smaller_than_its_label_or_left_out(pilots: dict[tuple[int, int], Pilot],
                                                                      size: tuple[int, int]) -> None:
    drawing = draw(pilots[size], "replay", size)
    screen = pilots[size].app.screen
    back = screen.button_rect("Back")
    assert back is not None
    label, hint = text_in(drawing, "Back", back), text_in(drawing, "Esc", back)
    assert label is not None
    if size == SMALLEST:
        assert hint is None, "at 480 px a hint would be as big as the label and read as part of it"
    else:
        assert hint is not None, "in a large window the button shows its key"
        assert hint.ink.height < label.ink.height and hint.ink.left - label.ink.right > label.ink.height


@pytest.mark.parametrize("look", ["dark", "high-contrast"])
@pytest.mark.parametrize("size", [SMALLEST, LARGE], ids=["480x540", "1600x1000"])
def test_the_reactions_button_sits_inside_our_card_clear_of_its_edge_name_and_score(
        pilots: dict[tuple[int, int], Pilot], size: tuple[int, int], look: str) -> None:
    theme.use(look)
    try:
        drawing = draw(pilots[size], "net-board-reactions", size, name="W" * 20)
    finally:
        theme.use(theme.DEFAULT_THEME)
    screen = pilots[size].app.screen
    assert isinstance(screen, NetBoardScreen)
    button, card = screen.reactions.button_rect, board_layout(size).plates[screen.reactions.me - 1]
    assert button is not None, "reactions are offered: the button is drawn"
    edge = max(2, int(3 * theme.scale_for(size)))  # the card's outline while it is our turn
    assert card.inflate(-2 * edge, -2 * edge).contains(button), f"{tuple(button)} covers the edge of our card {tuple(card)}"
    in_card = [t for t in drawing.shown if card.contains(t.ink)]
    assert {t.text for t in in_card} >= {"You", "0"}, "the card's caption and score are drawn"
    assert [t.text for t in in_card if t.ink.colliderect(button)] == [], "the button covers none of the card's text"


@pytest.mark.parametrize("percent", [100, 150])
@pytest.mark.parametrize("label", ["matchmaking-around", "friend-wait-around", "matchmaking", "reconnecting-search"])
def test_the_waiting_cards_keep_their_text_clear_of_the_buttons_at_the_smallest_window(
        pilots: dict[tuple[int, int], Pilot], label: str, percent: int) -> None:
    theme.set_text_size(percent)
    try:
        drawing = draw(pilots[SMALLEST], label, SMALLEST)
    finally:
        theme.set_text_size(100)
    screen = pilots[SMALLEST].app.screen
    top = min(b.rect.top for b in screen.buttons.buttons)
    above = [t for t in drawing.shown if t.ink.centery < top]
    assert above, "the card has lines above its buttons"
    lowest = max(above, key=lambda t: t.ink.bottom)
    assert top - lowest.ink.bottom >= ROOM_ABOVE_BUTTONS, f"{lowest.text!r} ends {top - lowest.ink.bottom} px above a button"
    cut = [t.text for t in above if "online" in t.text and t.text.endswith("…")]
    assert cut == [], "who is around drops its second part where it does not fit, rather than its end"


@pytest.mark.parametrize("percent", [100, 150])
def test_the_name_help_in_settings_is_whole_in_japanese_at_the_smallest_window(
        pilots: dict[tuple[int, int], Pilot], percent: int) -> None:
    pilot = pilots[SMALLEST]
    pilot.app.use_language("ja")
    theme.set_text_size(percent)
    try:
        drawing = draw(pilot, "settings", SMALLEST)
        note = i18n._("Other players see it. Online, a new name counts from your next sign-in.")
    finally:
        theme.set_text_size(100)
        pilot.app.use_language("en")
    screen = pilot.app.screen
    assert isinstance(screen, SettingsScreen)
    below = [t for t in drawing.shown if screen.name_field.rect.bottom <= t.ink.top and t.text.rstrip("…") in note]
    shown = "".join(t.text for t in sorted(below, key=lambda t: t.ink.top))
    assert shown == note, "the help under the name wraps onto as many lines as it needs, never cut with '…'"


@pytest.mark.parametrize("percent", [100, 150])
def test_the_friend_code_card_gives_its_short_lines_room_and_ends_under_back(
        pilots: dict[tuple[int, int], Pilot], percent: int) -> None:
    pilot = pilots[SMALLEST]
    theme.set_text_size(percent)
    try:
        drawing = draw(pilot, "friend", SMALLEST)
        screen = pilot.app.screen
        assert isinstance(screen, FriendScreen)
        lay = screen.measure(SMALLEST)
    finally:
        theme.set_text_size(100)
    copied, alternative = drawing.find("Copied to the clipboard"), drawing.find("or")
    assert copied is not None and alternative is not None
    buttons = screen.share_button.rect
    ring = int(8 * lay.scale) // 2 + 2  # how far a focus ring reaches out of a button
    assert buttons.top - copied.ink.bottom > ring, "the note after copying stays clear of the focus ring under it"
    assert alternative.ink.top - buttons.bottom >= 2 * ring, "'or' is not squeezed against the buttons above it"
    assert lay.column.bottom - screen.back_button.rect.bottom == lay.rows.pad, "no empty row at the card's bottom"


@pytest.mark.parametrize("size", [SMALLEST, LARGE], ids=["480x540", "1600x1000"])
def test_a_sign_in_error_on_two_lines_stays_clear_of_the_buttons_under_it(pilots: dict[tuple[int, int], Pilot],
                                                                          size: tuple[int, int]) -> None:
    drawing = draw(pilots[size], "login", size)
    screen = pilots[size].app.screen
    find = screen.button_rect("Find an opponent")
    assert find is not None
    error = [t for t in drawing.shown if t.text.startswith(("The server at", "wwww"))]
    assert len(error) == 2, "the error takes two lines"
    assert find.top - max(t.ink.bottom for t in error) >= ROOM_ABOVE_BUTTONS * 3 // 4

"""Every screen at the smallest window with the longest names, at every text size: no text cut, spilling or colliding."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.screencheck import look_at
from tests.ui.screens_catalogue import LONG_CJK, LONG_LATIN, SCREENS
from ui import theme
from ui.pilot import Pilot

SMALLEST = theme.MIN_SIZE


@pytest.fixture(scope="module")
def small_pilot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pilot]:
    """One App at the smallest window for every screen of the module (each test starts it over from the menu)."""
    folder: Path = tmp_path_factory.mktemp("screens")
    with Pilot.launch(data_dir=folder, size=SMALLEST) as pilot:
        yield pilot
    theme.set_text_size(100)


@pytest.mark.parametrize(("name", "percent"), [(LONG_LATIN, 100), (LONG_LATIN, 125), (LONG_LATIN, 150), (LONG_CJK, 150)],
                         ids=["latin-100", "latin-125", "latin-150", "cjk-150"])
@pytest.mark.parametrize("label", SCREENS)
def test_every_screen_fits_its_text_at_the_smallest_window(small_pilot: Pilot, label: str, name: str, percent: int) -> None:
    app = small_pilot.app
    app.reset(app.home())
    theme.set_text_size(percent)
    try:
        screen = SCREENS[label](app, name)
        drawing = look_at(screen, SMALLEST)
    finally:
        theme.set_text_size(100)
    assert drawing.texts, "the screen drew some text"
    assert drawing.problems() == []

"""The menu's Quit is drawn as a button like History and Settings beside it, not as bare text that looks disabled."""

from __future__ import annotations

from ui.pilot import Pilot


def test_quit_has_the_same_button_shape_as_its_neighbours(pilot: Pilot) -> None:
    pilot.hover((0, 0))  # nothing hovered or pressed
    surface = pilot.snapshot()
    background = surface.get_at((1, pilot.screen.button_rect("Quit").centery))

    def fill(label: str) -> tuple[int, int, int, int]:
        rect = pilot.screen.button_rect(label)
        assert rect is not None
        return tuple(surface.get_at((rect.x + rect.width // 20 + 3, rect.centery)))  # inside, left of the label

    assert fill("Quit") == fill("History") == fill("Settings")
    assert fill("Quit") != tuple(background), "Quit has a body, not just its label on the background"

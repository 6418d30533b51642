"""The text field the sign-in and join screens will use, driven through a real screen by the pilot."""

from __future__ import annotations

import pygame

from ui.pilot import Pilot
from ui.screens.base import Screen
from ui.textfield import TextField


class NameScreen(Screen):
    """A screen with one field, as the online screens will have."""

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[str] = []
        self.field = TextField(placeholder="Your name", max_length=8, on_submit=self.submitted.append)

    def layout(self, size: tuple[int, int]) -> None:
        self.field.rect = pygame.Rect(40, 40, size[0] - 80, 48)

    def handle(self, event: pygame.event.Event) -> bool:
        return self.field.handle(event)

    def draw(self, surface: pygame.Surface) -> None:
        assert self.app is not None
        self.field.draw(surface, self.app.fonts, 1.0)


def test_typing_editing_and_submitting(pilot: Pilot) -> None:
    screen = NameScreen()
    pilot.app.push(screen)
    pilot.step()
    field = screen.field
    pilot.type("Ada")
    assert field.text == "", "nothing is typed before the field has focus"
    pilot.click(field.rect.center)
    assert field.focused
    pilot.type("Ada\x07 Lovelace")  # control characters are dropped, the rest is cut at max_length
    assert field.text == "Ada Love"
    pilot.press("backspace", "left", "left", "delete", "home")
    assert field.text == "Ada Lv" and field.caret == 0
    pilot.type(">")
    pilot.press("end", "return")
    assert screen.submitted == [">Ada Lv"]
    pilot.press("m")
    assert not pilot.app.sounds.muted, "M typed into a field is text, not the mute key"
    pilot.click((5, 5))
    assert not field.focused


def test_select_all_copy_paste_and_word_delete(pilot: Pilot) -> None:
    screen = NameScreen()
    screen.field.max_length = 30
    pilot.app.push(screen)
    pilot.step()
    field = screen.field
    pilot.click(field.rect.center)
    pilot.type("ann at home")
    pilot.press("backspace", mod=pygame.KMOD_CTRL)  # a word
    assert field.text == "ann at "
    pilot.press("backspace", mod=pygame.KMOD_CTRL)  # the spaces and the word before them
    assert field.text == "ann "
    pilot.press("a", mod=pygame.KMOD_CTRL)
    assert field.selected
    pilot.press("c", mod=pygame.KMOD_CTRL)
    pilot.type("bob")  # typing replaces the selection
    assert field.text == "bob" and not field.selected
    pilot.press("home")
    pilot.press("v", mod=pygame.KMOD_CTRL)  # what was copied, at the caret
    assert field.text == "ann bob" and field.caret == 4
    pilot.press("a", mod=pygame.KMOD_CTRL)
    pilot.press("backspace")
    assert field.text == "" and field.caret == 0


def test_pasting_keeps_only_what_the_field_can_take() -> None:
    from ui import clipboard

    field = TextField(max_length=6, allowed=lambda ch: ch.isdigit())
    field.focused = True
    clipboard.copy("12\n34 ab 5678")
    field.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_v, mod=pygame.KMOD_CTRL, unicode="", scancode=0))
    assert field.text == "123456"


def test_ctrl_backspace_stops_at_a_hyphen_as_at_a_space(pilot: Pilot) -> None:
    screen = NameScreen()
    screen.field.max_length = 30
    pilot.app.push(screen)
    pilot.step()
    field = screen.field
    pilot.click(field.rect.center)
    pilot.type("Bartholomew-the-Grea")
    pilot.press("backspace", mod=pygame.KMOD_CTRL)
    assert field.text == "Bartholomew-the-", "the word after the hyphen goes, not the whole name"
    pilot.press("backspace", mod=pygame.KMOD_CTRL)
    assert field.text == "Bartholomew-the"
    pilot.press("backspace", mod=pygame.KMOD_CTRL)
    assert field.text == "Bartholomew-"
    pilot.type("Zoë")
    pilot.press("backspace", mod=pygame.KMOD_CTRL)
    assert field.text == "Bartholomew-", "an accented letter is part of its word"

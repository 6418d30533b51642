"""A test pilot: drives a real App under SDL's dummy video driver, like Textual's pilot.

It feeds real pygame events (key presses, mouse moves and clicks, window resizes)
through the App's own event queue, runs frames, and moves a fake clock instead of
sleeping, so a test can play minutes of games in milliseconds and then look at what
the screens say (``pilot.screen.banner_text``) or at the pixels (``snapshot``)::

    with Pilot.launch(data_dir=tmp_path) as pilot:
        pilot.click("Perfect")
        pilot.click_cell(2, 2)
        pilot.advance(0.8)

Set ``SDL_VIDEODRIVER=dummy`` (and ``SDL_AUDIODRIVER=dummy``) before pygame starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pygame

from ui import theme
from ui.app import App
from ui.observers import AppObserver
from ui.screens.base import Screen
from ui.screens.board import BoardScreen
from ui.settings import PlaySettings
from ui.userdata import UserData


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not go backwards")
        self.now += seconds


KEY_ALIASES = {"enter": "return", "esc": "escape"}


def key_code(name: str | int) -> int:
    """A pygame key code from a name: 'a', '7', 'kp7' (the keypad's 7), 'return', 'escape', 'up', 'tab', 'space', ..."""
    if isinstance(name, int):
        return name
    lowered = name.lower()
    if lowered.startswith("kp") and len(lowered) > 2:
        lowered = f"keypad {lowered[2:]}"  # SDL's name of a keypad key
    try:
        return pygame.key.key_code(KEY_ALIASES.get(lowered, lowered))
    except ValueError:
        raise ValueError(f"unknown key {name!r}") from None


class Pilot:
    """Drives one App: input, frames and time. The App must have been made with this pilot's clock."""

    def __init__(self, app: App, clock: FakeClock, *, frame_seconds: float = 1 / 30):
        self.app = app
        self.clock = clock
        self.frame_seconds = frame_seconds
        self.mouse = (0, 0)

    @classmethod
    def launch(
        cls,
        *,
        data_dir: Path | str | None = None,
        size: tuple[int, int] = theme.DEFAULT_SIZE,
        settings: PlaySettings = PlaySettings(seed=1),
        observers: Sequence[AppObserver] = (),
        first: Callable[[App], object] | None = None,
    ) -> Pilot:
        """A new App on the menu (then ``first(app)`` if given), with a fake clock, one frame drawn."""
        clock = FakeClock()
        app = App(
            size=size,
            clock=clock,
            wall_clock=lambda: 1_800_000_000.0 + clock.now,
            userdata=UserData(data_dir, background=True) if data_dir is not None else None,
            settings=settings,
            observers=observers,
        )
        app.push(app.home())
        if first is not None:
            first(app)
        pilot = cls(app, clock)
        pilot.step()
        return pilot

    def close(self) -> None:
        self.app.close()

    def __enter__(self) -> Pilot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Looking ----------------------------------------------------------------------------

    @property
    def screen(self) -> Screen:
        """The screen on top."""
        screen = self.app.screen
        if screen is None:
            raise LookupError("no screen is shown (the App has quit)")
        return screen

    @property
    def now(self) -> float:
        return self.clock.now

    def snapshot(self) -> pygame.Surface:
        """A copy of what the window shows now."""
        return self.app.surface.copy()

    # Time ---------------------------------------------------------------------------------

    def step(self, frames: int = 1) -> None:
        """Run ``frames`` frames without moving the clock."""
        for _ in range(frames):
            self.app.step()

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``, running a frame every ``frame_seconds`` of it."""
        left = seconds
        while left > 1e-9:
            dt = min(self.frame_seconds, left)
            self.clock.advance(dt)
            left -= dt
            self.app.step()

    def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0, what: str = "the condition") -> None:
        """Advance the clock until ``condition()`` holds; AssertionError after ``timeout`` fake seconds."""
        waited = 0.0
        while not condition():
            if waited >= timeout:
                raise AssertionError(f"{what} did not happen within {timeout} s (fake time)")
            self.advance(self.frame_seconds)
            waited += self.frame_seconds

    # Input -------------------------------------------------------------------------------

    def post(self, events: Iterable[pygame.event.Event]) -> None:
        """Put raw events on the App's queue and run one frame."""
        for event in events:
            pygame.event.post(event)
        self.step()

    def press(self, *keys: str | int, mod: int = 0) -> None:
        """Press and release each key in turn (one frame each), e.g. ``press('7')``, ``press('up', 'return')``."""
        for key in keys:
            code = key_code(key)
            name = pygame.key.name(code)
            text = name if len(name) == 1 else ""
            self.post(
                [
                    pygame.event.Event(pygame.KEYDOWN, key=code, mod=mod, unicode=text, scancode=0),
                    pygame.event.Event(pygame.KEYUP, key=code, mod=mod, unicode=text, scancode=0),
                ]
            )

    def type(self, text: str) -> None:
        """Type ``text`` as a text-input event (what pygame sends a focused text field)."""
        self.post([pygame.event.Event(pygame.TEXTINPUT, text=text)])

    def hover(self, pos: tuple[int, int]) -> None:
        """Move the mouse to ``pos``."""
        rel = (pos[0] - self.mouse[0], pos[1] - self.mouse[1])
        self.mouse = pos
        self.post([pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=rel, buttons=(0, 0, 0))])

    def click(self, target: str | tuple[int, int], button: int = 1) -> None:
        """Click a button by its label on the top screen, or a position: move there, press, release."""
        if isinstance(target, str):
            rect = self.screen.button_rect(target)
            if rect is None:
                raise LookupError(f"no button {target!r} on {self.screen!r}; buttons: {self.screen.button_labels}")
            pos = rect.center
        else:
            pos = (int(target[0]), int(target[1]))
        self.hover(pos)
        self.post(
            [
                pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button),
                pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button),
            ]
        )

    def caption(self, label: str) -> str:
        """The caption shown under the button labelled ``label`` on the top screen (e.g. a level's record)."""
        button = self.screen.buttons.find(label)
        if button is None:
            raise LookupError(f"no button {label!r} on {self.screen!r}; buttons: {self.screen.button_labels}")
        return button.caption

    def cell_center(self, row: int, col: int) -> tuple[int, int]:
        """The centre of square (row, col) on the board screen shown."""
        screen = self.screen
        if not isinstance(screen, BoardScreen):
            raise LookupError(f"{screen!r} has no board")
        return screen.cell_center(row, col)

    def click_cell(self, row: int, col: int) -> None:
        self.click(self.cell_center(row, col))

    def hover_cell(self, row: int, col: int) -> None:
        self.hover(self.cell_center(row, col))

    def resize(self, width: int, height: int) -> None:
        """Resize the window as a player dragging its edge would (a VIDEORESIZE event)."""
        self.post([pygame.event.Event(pygame.VIDEORESIZE, size=(width, height), w=width, h=height)])

"""The screen contract: what the App calls on the screen at the top of its stack.

A screen reacts to input (``handle``) and to game events (``on_event``), advances its
own state to a clock time (``update``), and draws itself (``draw``). It never does
I/O and never waits: it asks the App (push, pop, sounds) and the App asks it back.
It says when it next needs a frame (``next_deadline``) and whether it is moving
(``animating``), so an idle window can sleep.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

import pygame

from game.ui.theme import scale_for
from game.ui.widgets import ButtonGroup

if TYPE_CHECKING:
    from game.ui.app import App
    from net.messages import Event


class Screen:
    """Base class of every screen; override what you need."""

    name = "screen"  # used in screenshot file names and logs

    def __init__(self) -> None:
        self.app: App | None = None
        self.buttons = ButtonGroup()
        self.skip_animations = False  # draw every animation at its end (screenshots of a settled screen)
        self._layout_size: tuple[int, int] | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    # Lifecycle (called by the App) ---------------------------------------------------

    def on_mount(self) -> None:
        """The screen was pushed; ``self.app`` is set."""

    def on_unmount(self) -> None:
        """The screen was popped or replaced; let go of anything it registered."""

    def on_resume(self) -> None:
        """The screen above was closed; this one is on top again."""

    # Per frame ----------------------------------------------------------------------------

    def handle(self, event: pygame.event.Event) -> bool:
        """A pygame input event; True if it was used (unused keys fall through to the App's shortcuts)."""
        return self.buttons.handle(event)

    def on_event(self, event: "Event") -> None:
        """A game or network event (``net.messages``) from one of the App's event sources."""

    def update(self, now: float) -> None:
        """Advance timers and animations to clock time ``now``."""

    def draw(self, surface: pygame.Surface) -> None:
        """Draw the whole screen onto ``surface``."""

    @property
    def animating(self) -> bool:
        """True while something moves, so the App renders at full frame rate."""
        return False

    def next_deadline(self) -> float | None:
        """The clock time of the next change that is not an animation (a countdown tick), or None."""
        return None

    # Layout ------------------------------------------------------------------------------------

    def layout(self, size: tuple[int, int]) -> None:
        """Place widgets for a window of ``size``; called when the size or the widgets change."""

    def ensure_layout(self, size: tuple[int, int]) -> None:
        """Run ``layout`` if the size changed or ``relayout`` was asked for."""
        if self._layout_size != size:
            self._layout_size = size
            self.layout(size)

    def relayout(self) -> None:
        """Ask for ``layout`` before the next input or drawing (the widgets changed)."""
        self._layout_size = None

    def scale(self, size: tuple[int, int]) -> float:
        return scale_for(size)

    # Helpers -----------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """The clock time of the current frame."""
        return self.app.now if self.app is not None else 0.0

    def close(self, result: Any = None) -> None:
        """Pop this screen (if it is on top), handing ``result`` to whoever pushed it."""
        if self.app is not None and self.app.screen is self:
            self.app.pop(result)

    @property
    def button_labels(self) -> list[str]:
        """The labels of the buttons on screen, in focus order."""
        return self.buttons.labels

    def button_rect(self, label: str) -> pygame.Rect | None:
        """Where the button labelled ``label`` is, or None."""
        button = self.buttons.find(label)
        return button.rect.copy() if button is not None else None

    def progress(self, start: float | None, duration: float) -> float:
        """How far (0..1) an animation that began at ``start`` is; 1 when animations are off or skipped."""
        if start is None or self.skip_animations or duration <= 0:
            return 1.0
        if self.app is not None and not self.app.settings.animations:
            return 1.0
        return min(1.0, max(0.0, (self.now - start) / duration))

    @contextmanager
    def settled(self) -> Iterator[None]:
        """Within this block the screen draws as if every animation had finished."""
        before = self.skip_animations
        self.skip_animations = True
        try:
            yield
        finally:
            self.skip_animations = before

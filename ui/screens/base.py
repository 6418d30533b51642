"""The screen contract: what the App calls on the screen at the top of its stack.

A screen reacts to input (``handle``) and to game events (``on_event``), advances its
own state to a clock time (``update``), and draws itself (``draw``). It never does
I/O and never waits: it asks the App (push, pop, sounds) and the App asks it back.
It says when it next needs a frame (``next_deadline``) and whether it is moving
(``animating``), so an idle window can sleep. Esc goes ``back`` on every screen (by
default it closes the screen), and the key hint at the bottom is drawn the same way
everywhere (``draw_footer``). A screen laid out from the window size is a
``MeasuredScreen``: one typed layout value (``measure``) places its widgets and paints
each frame on a ``Canvas`` (the surface, the App's fonts, the window's scale).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import pygame

from ui import i18n, theme
from ui.render import blit_center, fit_width, wrap_text
from ui.theme import Fonts, scale_for
from ui.widgets import ButtonGroup, SpeakerButton, key_down

FOOTER_SEPARATOR = "  ·  "  # between the key hints of a footer, most important first
SPEAKER_GAP = 16  # the footer keeps this far from the speaker pill (default window units)


def fit_hints(fonts: Fonts, text: str, size: float, room: float) -> tuple[str, float]:
    """The key hints of ``text`` that fit in ``room`` pixels, and their size: a narrow window drops the last ones."""
    hints = text.split(FOOTER_SEPARATOR)
    while True:
        shown = FOOTER_SEPARATOR.join(hints)
        fitted = fonts.fit(shown, size, room, light=True)
        if len(hints) == 1 or fonts.get(fitted, light=True).size(shown)[0] <= room:
            return shown, fitted
        hints.pop()

if TYPE_CHECKING:
    from net.messages import Event
    from ui.app import App



class Layout(Protocol):
    """Where everything of a screen goes for one window size, and the scale it is drawn at."""

    @property
    def scale(self) -> float: ...


L = TypeVar("L", bound=Layout)  # a screen's layout


class Screen:
    """Base class of every screen; override what you need."""

    name = "screen"  # used in screenshot file names and logs
    back_keys: tuple[int, ...] = (pygame.K_ESCAPE,)  # the keys that go ``back``
    overlay = False  # True: drawn over the screen under it (a question about it)
    frame_rate: float = theme.FPS  # frames a second while ``animating`` (a spinner needs few: the App sleeps between)

    def __init__(self) -> None:
        self.app: App | None = None
        self.buttons = ButtonGroup()
        self.skip_animations = False  # draw every animation at its end (screenshots of a settled screen)
        self._layout_size: tuple[int, int] | None = None
        self._layout_language = i18n.generation()  # texts are measured in the language of this generation

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
        """A pygame input event; True if it was used (unused keys fall through to the App's shortcuts).

        By default the buttons get it first, then Esc (``back_keys``) goes ``back``.
        """
        return self.buttons.handle(event) or self.handle_back(event)

    def handle_back(self, event: pygame.event.Event) -> bool:
        """Go ``back`` if ``event`` presses one of ``back_keys``; True if it did."""
        if key_down(event, *self.back_keys):
            self.back()
            return True
        return False

    def back(self) -> None:
        """What Esc does: close this screen (screens whose way out is another say so)."""
        self.close()

    # The keyboard focus, as the App's speaker button shares it -----------------------------------

    def tab_leaves(self, delta: int) -> bool:
        """Whether Tab (``delta`` 1) or Shift+Tab (-1) would go round past the last (first) thing to focus.

        The App then gives the focus to the speaker button in the corner instead.
        """
        enabled = [b for b in self.buttons.buttons if b.enabled]
        if not enabled:
            return True
        return self.buttons.focus_visible and self.buttons.focus is enabled[-1 if delta > 0 else 0]

    def focus_edge(self, delta: int) -> None:
        """Focus the first thing (``delta`` 1) or the last (-1): Tab coming back from the speaker button."""
        enabled = [b for b in self.buttons.buttons if b.enabled]
        if enabled:
            self.buttons.focus_on(enabled[0 if delta > 0 else -1])
            self.buttons.focus_visible = True

    def blur(self) -> None:
        """Show no focus here (the speaker button has it)."""
        self.buttons.focus_visible = False

    def quit_requested(self, ask: bool) -> bool:
        """The window is being closed (``ask``: the player may be asked first) or the process told to stop.

        True if this screen sees to it (it quits the App once done, e.g. after leaving a game); False lets the App quit.
        """
        return False

    def on_event(self, event: Event) -> None:
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
        """Run ``layout`` if the size or the language changed, or ``relayout`` was asked for."""
        if self._layout_size != size or self._layout_language != i18n.generation():
            self._layout_size = size
            self._layout_language = i18n.generation()
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

    @property
    def animations_on(self) -> bool:
        """True while this screen may move: shown, animations on in the settings, not drawn settled."""
        return self.app is not None and self.app.settings.animations and not self.skip_animations

    def progress(self, start: float | None, duration: float) -> float:
        """How far (0..1) an animation that began at ``start`` is; 1 when animations are off or skipped."""
        if start is None or self.skip_animations or duration <= 0:
            return 1.0
        if self.app is not None and not self.app.settings.animations:
            return 1.0
        return min(1.0, max(0.0, (self.now - start) / duration))

    # Drawing helpers -----------------------------------------------------------------------------

    @property
    def fonts(self) -> Fonts:
        """The App's fonts (a screen draws only once it is shown)."""
        assert self.app is not None, "the screen is not shown"
        return self.app.fonts

    def draw_footer(self, surface: pygame.Surface, text: str, height: int) -> None:
        """The key hint ``text``, muted and centred in the bottom ``height`` pixels, clear of the speaker button."""
        width, bottom = surface.get_size()
        speaker = SpeakerButton.rect_for((width, bottom))
        room = 2 * (speaker.left - SPEAKER_GAP * self.scale((width, bottom)) - width / 2)
        shown, size = fit_hints(self.fonts, text, theme.small(14 * self.scale((width, bottom))), room)
        shown = fit_width(self.fonts.get(size, light=True), shown, room)  # the first hint alone may still be too long
        blit_center(surface, self.fonts.render(shown, size, theme.MUTED, light=True), (width / 2, bottom - height / 2))

    def canvas(self, surface: pygame.Surface) -> Canvas:
        """What this frame is drawn with: ``surface``, the App's fonts, the window's scale."""
        return Canvas(surface, self.fonts, self.scale(surface.get_size()))

    @contextmanager
    def settled(self) -> Iterator[None]:
        """Within this block the screen draws as if every animation had finished."""
        before = self.skip_animations
        self.skip_animations = True
        try:
            yield
        finally:
            self.skip_animations = before


@dataclass(frozen=True)
class Canvas:
    """What a screen draws one frame with: the window's surface, the App's fonts, the window's scale."""

    surface: pygame.Surface
    fonts: Fonts
    scale: float

    @property
    def size(self) -> tuple[int, int]:
        return self.surface.get_size()

    @property
    def center_x(self) -> float:
        return self.surface.get_width() / 2

    def text(self, text: str, size: float, color: pygame.Color, center: tuple[float, float], *, light: bool = False) -> None:
        """``text`` at ``size``, centred on ``center``."""
        blit_center(self.surface, self.fonts.render(text, size, color, light), center)

    def fitted(self, text: str, size: float, width: float, color: pygame.Color, center: tuple[float, float], *,
               light: bool = False, shrink: float = theme.LINE_SHRINK) -> None:
        """``text`` on one line at most ``width`` wide, centred on ``center``: smaller if need be (down to ``shrink``
        of ``size``; 0 for as small as text goes), then shortened."""
        shown, fitted = self.fonts.fit_line(text, size, width, light, shrink=shrink)
        self.text(shown, fitted, color, center, light=light)

    def wrapped(self, text: str, size: float, width: float, color: pygame.Color, top: float, *, light: bool = False,
                max_lines: int | None = None, line_height: float | None = None) -> float:
        """``text`` in lines at most ``width`` wide, centred across the window from ``top``; the y under the last line."""
        font = self.fonts.get(size, light)
        step = line_height if line_height is not None else font.get_linesize()
        y = top
        for line in wrap_text(font, text, width, max_lines):
            if line:
                self.text(line, size, color, (self.center_x, y + step / 2), light=light)
            y += step
        return y


class MeasuredScreen(Screen, Generic[L]):
    """A screen laid out by one typed value (``L``) that it measures from the window size.

    ``measure`` says where everything goes for a window size, ``place`` gives the widgets
    their rectangles from it, and ``paint`` draws a frame with it: the measuring and the
    preamble of every draw are here, once.
    """

    def measure(self, size: tuple[int, int]) -> L:
        """Where everything goes in a window of ``size``."""
        raise NotImplementedError

    def place(self, lay: L) -> None:
        """Give the widgets their rectangles."""

    def paint(self, canvas: Canvas, lay: L) -> None:
        """Draw the screen."""

    def layout(self, size: tuple[int, int]) -> None:
        self.place(self.measure(size))

    def draw(self, surface: pygame.Surface) -> None:
        lay = self.measure(surface.get_size())
        self.paint(Canvas(surface, self.fonts, lay.scale), lay)  # the layout's scale: smaller if large text must fit

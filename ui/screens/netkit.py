"""What the networked screens share: waiting with a spinner, elapsed times, a card of choices.

The matchmaking, LAN and error screens all wait on the network and all end in a choice
("Try again" or "Back", "Find a new opponent" or "Menu"), so the pieces live here
once: ``WaitingScreen`` (with ``draw_spinner`` and ``format_elapsed``) for the screens
that wait with Cancel, ``ChoiceScreen`` for every card that ends in buttons. (The forms'
pieces are ``ui.screens.form``'s.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import pygame
import pygame.gfxdraw

from ui import theme
from ui.i18n import L_, Text
from ui.render import blit_center, wrap_text
from ui.screens.base import MeasuredScreen
from ui.screens.layout import ColumnLayout, Heights
from ui.screens.notice import NoticeLayout, NoticeScreen, place_row
from ui.widgets import ACTIVATE_KEYS, Button, ButtonStyle, key_down

SPIN_SECONDS = 1.5  # one turn of the spinner
SPINNER_DOTS = 12
SPINNER_FPS = SPINNER_DOTS / SPIN_SECONDS  # a waiting screen's frames: the head moves a dot a frame, and it stays cheap


def format_elapsed(seconds: float) -> str:
    """A waiting time as a clock shows it: '0:07', '12:30', '1:02:03'."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def draw_spinner(
    surface: pygame.Surface, center: tuple[float, float], radius: float, t: float, color: pygame.Color = theme.ACCENT
) -> None:
    """A ring of dots whose bright head goes round once every ``SPIN_SECONDS``; ``t`` is the time in seconds."""
    head = (t / SPIN_SECONDS) % 1.0 * SPINNER_DOTS
    dot = max(2.0, radius * 0.17)
    for i in range(SPINNER_DOTS):
        behind = (head - i) % SPINNER_DOTS / SPINNER_DOTS  # 0 at the head, nearly 1 just in front of it
        angle = 2 * math.pi * i / SPINNER_DOTS - math.pi / 2
        x = center[0] + math.cos(angle) * radius
        y = center[1] + math.sin(angle) * radius
        r = max(1, round(dot * (1.0 - 0.45 * behind)))
        c = pygame.Color(color)
        c.a = int(255 * max(0.16, 1.0 - behind))
        pygame.gfxdraw.aacircle(surface, round(x), round(y), r, c)
        pygame.gfxdraw.filled_circle(surface, round(x), round(y), r, c)


def draw_lines(
    surface: pygame.Surface,
    fonts: theme.Fonts,
    text: str,
    size: float,
    color: pygame.Color,
    center_x: float,
    top: float,
    width: float,
    line_height: float,
    *,
    light: bool = False,
) -> float:
    """``text`` wrapped to ``width`` and centred under ``top``; the y below the last line."""
    y = top
    for line in wrap_text(fonts.get(size, light), text, int(width)):
        if line:
            blit_center(surface, fonts.render(line, size, color, light), (center_x, y + line_height / 2))
        y += line_height
    return y


@dataclass(frozen=True)
class WaitRows(Heights):
    """The rows every waiting card has (default-window units); a screen adds its own."""

    text_rows = frozenset({"title"})


    pad: int = 30  # the card's margin, above the title and below Cancel
    title: int = 44
    button: int = 52


W = TypeVar("W", bound=WaitRows)


class WaitingScreen(MeasuredScreen[ColumnLayout[W]]):
    """A card that waits on the network with a turning spinner, the time waited, and Cancel.

    Esc cancels; Enter does not, until Tab has put the focus on Cancel (a player typing
    ahead must not cancel by accident). Subclasses say what ``cancel`` does and measure
    their card (``measure``: a centred column of ``WaitRows`` and their own); Cancel sits
    centred at the card's bottom.
    """

    frame_rate = SPINNER_FPS

    def __init__(self) -> None:
        super().__init__()
        self._started: float | None = None
        self.cancel_button = Button(L_("Cancel"), self.cancel, hint=L_("Esc"))
        self.buttons.set_rows([[self.cancel_button]])
        self.buttons.focus_visible = False

    def cancel(self) -> None:
        """Stop waiting (what that means is the subclass's)."""
        raise NotImplementedError

    def back(self) -> None:
        self.cancel()

    @property
    def elapsed(self) -> float:
        """Seconds waited on this screen."""
        return 0.0 if self._started is None else max(0.0, self.now - self._started)

    def on_mount(self) -> None:
        self._started = self.now

    def handle(self, event: pygame.event.Event) -> bool:
        if self.handle_back(event):
            return True
        if key_down(event, *ACTIVATE_KEYS) and not self.buttons.focus_visible:
            return False  # Enter does not cancel by accident; Tab to the button first
        return self.buttons.handle(event)

    @property
    def animating(self) -> bool:
        return self.animations_on  # the spinner turns

    def next_deadline(self) -> float | None:
        """When the seconds waited next change."""
        now = self.now
        base = self._started if self._started is not None else now
        return now + (1.0 - ((now - base) % 1.0))

    def place(self, lay: ColumnLayout[W]) -> None:
        col, h = lay.column, lay.rows
        self.cancel_button.rect = pygame.Rect(0, 0, int(200 * col.scale), h.button)
        self.cancel_button.rect.midbottom = (col.window[0] // 2, col.bottom - h.pad)


@dataclass(frozen=True)
class Choice:
    """One button of a choice card: its label and what it does."""

    label: Text  # kept as given: translated when shown (ui.i18n)
    action: Callable[[], None]


class ChoiceScreen(NoticeScreen):
    """A notice card (title, message) ending in a row of choices; the ``default`` one (the first unless said) is filled
    and has the focus, Esc takes the last.

    ``stuck`` is the one-line reason given to ``App.stuck`` when the card shows: an
    unattended run (``--games``) stops there instead of waiting for a click.
    """

    name = "choice"
    back_keys = (pygame.K_ESCAPE,)

    def __init__(
        self,
        title: Text,
        message: Text,
        choices: Sequence[Choice],
        *,
        title_color: pygame.Color = theme.TEXT,
        stuck: str | None = None,
        default: int = 0,
    ):
        if not choices:
            raise ValueError("a choice screen needs at least one choice")
        super().__init__(title, message)
        self.title_color = title_color
        self.choices = tuple(choices)
        self.stuck_reason = stuck
        last = len(self.choices) - 1
        buttons = [
            Button(c.label, c.action, style=ButtonStyle.PRIMARY if i == default else ButtonStyle.NORMAL,
                   hint=L_("Enter") if i == default else L_("Esc") if i == last else "")
            for i, c in enumerate(self.choices)
        ]  # the keys as every other screen shows them: Enter presses the filled one, Esc the last
        self.buttons.set_rows([buttons])
        self.buttons.focus_on(buttons[default])  # the filled button is the one Enter presses

    def on_mount(self) -> None:
        if self.stuck_reason and self.app is not None:
            self.app.stuck(self.stuck_reason)

    def back(self) -> None:
        self.choices[-1].action()

    def _place(self, lay: NoticeLayout) -> None:
        place_row(self.buttons.buttons, lay, 220)

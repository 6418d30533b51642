"""Waiting for an opponent: connecting, signed in, searching, and reconnecting when the line drops.

The screen only listens: the flow already sent ``SignIn`` and ``FindOpponent``. It
shows what the network thread reports (Connecting..., then Searching), how long the
player has waited and on which server, and keeps a spinner turning so a stalled
server never looks like a frozen game. Cancel (or Esc) withdraws the ticket, lets go
of the server and goes back; a match found opens the board.
"""

from __future__ import annotations

import math

import pygame

from game.ui import theme
from game.ui.render import blit_center
from game.ui.screens.base import Screen
from game.ui.screens.netflow import NetFlow, NetMode
from game.ui.screens.netkit import draw_card, draw_spinner, format_elapsed
from game.ui.widgets import ACTIVATE_KEYS, Button
from net.messages import (
    CancelFind,
    ConnectionLost,
    Connecting,
    Event,
    Failure,
    MatchJoined,
    Reconnected,
    Searching,
    SignedIn,
)


class MatchmakingScreen(Screen):
    """Connecting... then Searching, with the time waited, the server, and Cancel."""

    name = "matchmaking"

    PHASES = ("connecting", "signed_in", "searching", "reconnecting")

    def __init__(self, flow: NetFlow):
        super().__init__()
        self.flow = flow
        self.phase = "connecting"
        self.username = ""  # the name the server knows us by (it may add a number to make it unique)
        self.attempt = 0
        self._retry_at: float | None = None
        self._started: float | None = None
        self.cancel_button = Button("Cancel", self.cancel, hint="Esc")
        self.buttons.set_rows([[self.cancel_button]])
        self.buttons.focus_visible = False

    # What is on screen ------------------------------------------------------------------

    @property
    def title(self) -> str:
        return "Joining a LAN game" if self.flow.mode is NetMode.LAN_JOIN else "Finding an opponent"

    @property
    def elapsed(self) -> float:
        return 0.0 if self._started is None else max(0.0, self.now - self._started)

    @property
    def status_text(self) -> str:
        """What the network is doing, in a few words."""
        if self.phase == "connecting":
            return f"Connecting to {self.flow.server}…"
        if self.phase == "signed_in":
            return "Signed in, joining the matchmaker…"
        if self.phase == "reconnecting":
            return "Connection lost, reconnecting…"
        if self.flow.mode is NetMode.LAN_JOIN:
            return "Joining the game…"
        return "Looking for an opponent…"

    @property
    def detail_text(self) -> str:
        """How long it has taken, or when the next reconnection try is."""
        if self.phase == "reconnecting":
            if self._retry_at is None:
                return f"Attempt {self.attempt}"
            left = max(0, math.ceil(self._retry_at - self.now - 1e-9))
            when = f"next try in {left} s" if left else "trying now…"
            return f"Attempt {self.attempt}  ·  {when}"
        return f"Waiting {format_elapsed(self.elapsed)}"

    @property
    def server_text(self) -> str:
        where = "Game at" if self.flow.mode is NetMode.LAN_JOIN else "Server"
        text = f"{where} {self.flow.server}"
        if self.username:
            text += f"  ·  playing as {self.username}"
        return text

    # Lifecycle and input --------------------------------------------------------------------

    def on_mount(self) -> None:
        self._started = self.now

    def cancel(self) -> None:
        """Stop looking: withdraw the ticket, let go of the server, go back."""
        if self.app is None:
            return
        self.app.network.send(CancelFind())
        if self.flow.mode is NetMode.LAN_JOIN:
            self.flow.browse()
        else:
            self.flow.home()

    def handle(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.cancel()
            return True
        if event.type == pygame.KEYDOWN and event.key in ACTIVATE_KEYS and not self.buttons.focus_visible:
            return False  # Enter does not cancel by accident; Tab to the button first
        return self.buttons.handle(event)

    def on_event(self, event: Event) -> None:
        if isinstance(event, Connecting):
            self.phase = "connecting"
        elif isinstance(event, SignedIn):
            self.username = event.username
            self.phase = "signed_in"
        elif isinstance(event, Searching):
            self.phase = "searching"
            self._retry_at = None
        elif isinstance(event, ConnectionLost):
            self.phase = "reconnecting"
            self.attempt = event.attempt
            self._retry_at = self.now + max(0.0, event.retry_in)
        elif isinstance(event, Reconnected):
            self.phase = "searching"
            self._retry_at = None
        elif isinstance(event, MatchJoined):
            self.flow.matched()
        elif isinstance(event, Failure):
            self.flow.failed(event)
        # Disconnected and HostStopped here can only be the echo of an earlier trip's end: ignored.

    # Time --------------------------------------------------------------------------------------

    @property
    def animating(self) -> bool:
        return self.app is not None and self.app.settings.animations and not self.skip_animations

    def next_deadline(self) -> float | None:
        """The next change of the seconds shown (waited, or to the next try)."""
        now = self.now
        if self._retry_at is not None and self._retry_at > now:
            left = self._retry_at - now
            return now + (left - math.floor(left) or 1.0)
        base = self._started if self._started is not None else now
        return now + (1.0 - ((now - base) % 1.0))

    # Drawing -------------------------------------------------------------------------------------

    def _metrics(self, size: tuple[int, int]) -> dict[str, int]:
        s = self.scale(size)
        m = {
            "pad": int(32 * s),
            "title": int(48 * s),
            "spinner": int(110 * s),
            "status": int(34 * s),
            "detail": int(28 * s),
            "server": int(40 * s),
            "button": int(52 * s),
            "footer": int(40 * s),
        }
        height = m["pad"] * 2 + m["title"] + m["spinner"] + m["status"] + m["detail"] + m["server"] + m["button"]
        m["width"] = min(size[0] - int(32 * s), int(480 * s))
        m["height"] = height
        m["top"] = max(int(12 * s), (size[1] - m["footer"] - height) // 2)
        return m

    def layout(self, size: tuple[int, int]) -> None:
        s = self.scale(size)
        m = self._metrics(size)
        self.cancel_button.rect = pygame.Rect(0, 0, int(200 * s), m["button"])
        self.cancel_button.rect.midbottom = (size[0] // 2, m["top"] + m["height"] - m["pad"])

    def draw(self, surface: pygame.Surface) -> None:
        assert self.app is not None
        fonts = self.app.fonts
        size = surface.get_size()
        s = self.scale(size)
        m = self._metrics(size)
        cx = size[0] / 2
        card = pygame.Rect(0, m["top"], m["width"], m["height"])
        card.centerx = size[0] // 2
        draw_card(surface, card, s)
        y = m["top"] + m["pad"]
        title = self.title
        room = m["width"] - 48 * s
        blit_center(surface, fonts.render(title, fonts.fit(title, 36 * s, room), theme.TEXT), (cx, y + m["title"] / 2))
        y += m["title"]
        reconnecting = self.phase == "reconnecting"
        spin_t = self.now if self.animating else 0.0
        spin_color = theme.X_COLOR if reconnecting else theme.ACCENT
        draw_spinner(surface, (cx, y + m["spinner"] / 2), 30 * s, spin_t, spin_color)
        y += m["spinner"]
        status = self.status_text
        color = theme.X_COLOR if reconnecting else theme.TEXT
        blit_center(surface, fonts.render(status, fonts.fit(status, 22 * s, room), color), (cx, y + m["status"] / 2))
        y += m["status"]
        detail = self.detail_text
        blit_center(surface, fonts.render(detail, theme.small(17 * s), theme.MUTED), (cx, y + m["detail"] / 2))
        y += m["detail"]
        server = self.server_text
        size_server = fonts.fit(server, theme.small(15 * s), m["width"] - 48 * s)
        blit_center(surface, fonts.render(server, size_server, theme.MUTED), (cx, y + m["server"] / 2))
        self.buttons.draw(surface, fonts, s)
        sound = "off" if self.app.sounds.muted else "on"
        hint = f"Esc cancels  ·  M sound {sound}"
        blit_center(
            surface,
            fonts.render(hint, fonts.fit(hint, theme.small(14 * s), size[0] - 32 * s), theme.MUTED),
            (cx, size[1] - m["footer"] / 2),
        )

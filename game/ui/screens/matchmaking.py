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
from game.ui.render import blit_center, draw_card
from game.ui.screens.netflow import NetFlow, NetMode
from game.ui.screens.netkit import WaitingScreen, draw_spinner, format_elapsed
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


class MatchmakingScreen(WaitingScreen):
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

    # What is on screen ------------------------------------------------------------------

    @property
    def title(self) -> str:
        return "Joining a LAN game" if self.flow.mode is NetMode.LAN_JOIN else "Finding an opponent"

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

    # Input and events ------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop looking: withdraw the ticket, let go of the server, go back."""
        if self.app is None:
            return
        self.app.network.send(CancelFind())
        if self.flow.mode is NetMode.LAN_JOIN:
            self.flow.browse()
        else:
            self.flow.home()

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
            self.flow.matched(event.label)
        elif isinstance(event, Failure):
            self.flow.failed(event)
        # Disconnected and HostStopped here can only be the echo of an earlier trip's end: ignored.

    # Time --------------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """The next change of the seconds shown (waited, or to the next try)."""
        now = self.now
        if self._retry_at is not None and self._retry_at > now:
            left = self._retry_at - now
            return now + (left - math.floor(left) or 1.0)
        return super().next_deadline()

    # Drawing -------------------------------------------------------------------------------------

    def _metrics(self, size: tuple[int, int]) -> dict[str, int]:
        heights = dict(pad=32, title=48, spinner=110, status=34, detail=28, server=40, button=52)
        rows = ("pad", "title", "spinner", "status", "detail", "server", "button", "pad")
        return self.column_metrics(size, heights, rows, width=480, min_top=12)

    def draw(self, surface: pygame.Surface) -> None:
        fonts = self.fonts
        size = surface.get_size()
        s = self.scale(size)
        m = self._metrics(size)
        cx = size[0] / 2
        draw_card(surface, m["top"], m["width"], m["height"], s)
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
        self.draw_footer(surface, f"Esc cancels  ·  {self.sound_hint}", m["footer"])

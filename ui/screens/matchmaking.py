"""Waiting for an opponent: connecting, signed in, searching, and reconnecting when the line drops.

The screen only listens: the trip already sent ``SignIn`` and ``FindOpponent``. It
shows what the network thread reports (Connecting..., then Searching), how long the
player has waited, on which server, under which name (and, when the name asked for was
taken, which one the server gave instead, with a way to choose another), and keeps a
spinner turning so a stalled server never looks like a frozen game. Cancel (or Esc)
withdraws the ticket, lets go of the server and goes back; a match found opens the board.
"""

from __future__ import annotations

import math

import pygame

from net.messages import (
    Connecting,
    ConnectionLost,
    Event,
    Failure,
    MatchJoined,
    Reconnected,
    Searching,
    SignedIn,
)
from ui import theme
from ui.render import blit_center, draw_card
from ui.screens.netkit import WaitingScreen, draw_spinner, format_elapsed
from ui.screens.trip import Trip, TripKind
from ui.widgets import Button


class MatchmakingScreen(WaitingScreen):
    """Connecting... then Searching, with the time waited, the server, and Cancel."""

    name = "matchmaking"

    def __init__(self, flow: Trip):
        super().__init__()
        self.flow = flow
        self.phase = "connecting"
        self.username = ""  # the name the server knows us by (another if the one asked for was taken)
        self.renamed_from = ""  # the name asked for, when the server gave another
        self.attempt = 0
        self._retry_at: float | None = None
        self.rename_button = Button("Choose another name", self.flow.back)

    # What is on screen ------------------------------------------------------------------

    @property
    def title(self) -> str:
        if self.flow.kind is TripKind.LAN_JOIN:
            return "Joining a LAN game"
        return "Waiting for your friend" if self.flow.code else "Finding an opponent"

    @property
    def status_text(self) -> str:
        """What the network is doing, in a few words."""
        if self.phase == "connecting":
            return f"Connecting to {self.flow.server}…"
        if self.phase == "signed_in":
            return "Signed in, joining the matchmaker…"
        if self.phase == "reconnecting":
            return "Connection lost, reconnecting…"
        if self.flow.kind is TripKind.LAN_JOIN:
            return "Joining the game…"
        if self.flow.code:
            return f"Your friend joins with the code {self.flow.code}"
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
        where = "Game at" if self.flow.kind is TripKind.LAN_JOIN else "Server"
        text = f"{where} {self.flow.server}"
        if self.username and not self.renamed_from:
            text += f"  ·  playing as {self.username}"
        return text

    @property
    def name_note(self) -> str:
        """'Ann is taken on this server: you play as Ann27', when it is so."""
        if not self.renamed_from:
            return ""
        return f"{self.renamed_from} is taken on this server: you play as {self.username}"

    # Input and events ------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop looking: withdraw the ticket, let go of the server, go back."""
        if self.app is not None:
            self.flow.cancel_search()

    def on_event(self, event: Event) -> None:
        if isinstance(event, Connecting):
            self.phase = "connecting"
        elif isinstance(event, SignedIn):
            self.username = event.username
            self.renamed_from = event.asked if event.renamed else ""
            self.phase = "signed_in"
            if event.renamed and self.flow.kind is TripKind.ONLINE:
                self.buttons.set_rows([[self.cancel_button, self.rename_button]])
                self.relayout()
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
        heights = dict(pad=30, title=48, spinner=104, status=34, detail=28, server=34, note=30, button=52)
        rows = ["pad", "title", "spinner", "status", "detail", "server", *(["note"] if self.name_note else []), "button",
                "pad"]
        return self.column_metrics(size, heights, rows, width=500, min_top=12)

    def layout(self, size: tuple[int, int]) -> None:
        m = self._metrics(size)
        s = self.scale(size)
        buttons = self.buttons.buttons
        w, gap = int(200 * s), int(14 * s)
        if len(buttons) > 1:
            w = min(w, (m["width"] - 2 * m["pad"] - gap) // 2)
        total = len(buttons) * w + (len(buttons) - 1) * gap
        x = size[0] // 2 - total // 2
        y = m["top"] + m["height"] - m["pad"] - m["button"]
        for b in buttons:
            b.rect = pygame.Rect(x, y, w, m["button"])
            x += w + gap

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
        draw_spinner(surface, (cx, y + m["spinner"] / 2), 30 * s, spin_t, theme.ERROR if reconnecting else theme.ACCENT)
        y += m["spinner"]
        status = self.status_text
        color = theme.ERROR if reconnecting else theme.TEXT
        blit_center(surface, fonts.render(status, fonts.fit(status, 22 * s, room), color), (cx, y + m["status"] / 2))
        y += m["status"]
        detail = self.detail_text
        blit_center(surface, fonts.render(detail, theme.small(17 * s), theme.MUTED, light=True), (cx, y + m["detail"] / 2))
        y += m["detail"]
        server = self.server_text
        size_server = fonts.fit(server, theme.small(15 * s), room, light=True)
        blit_center(surface, fonts.render(server, size_server, theme.MUTED, light=True), (cx, y + m["server"] / 2))
        y += m["server"]
        note = self.name_note
        if note:
            blit_center(surface, fonts.render(note, fonts.fit(note, theme.small(16 * s), room), theme.ACCENT),
                        (cx, y + m["note"] / 2))
        self.buttons.draw(surface, fonts, s)
        self.draw_footer(surface, "Esc cancels", m["footer"])

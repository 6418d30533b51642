"""Waiting for an opponent: connecting, signed in, searching, and reconnecting when the line drops.

The screen only listens: the trip already sent ``SignIn`` and ``FindOpponent``. It
shows what the network thread reports (Connecting..., then Searching), how long the
player has waited, on which server, under which name (and, when the name asked for was
taken, which one the server gave instead, with a way to choose another), and keeps a
spinner turning so a stalled server never looks like a frozen game. Cancel (or Esc)
withdraws the ticket, lets go of the server and goes back; a match found opens the board.

Online, it also shows who is around on the server (``ui.around``: asked for every few
seconds, hidden where the server cannot say), and after ``OFFER_AFTER`` seconds of searching
offers a game against the bot while the search goes on (``ui.screens.waitbot``).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import pygame

from net.messages import (
    Connecting,
    ConnectionLost,
    Event,
    Failure,
    MatchJoined,
    Reconnected,
    Searching,
    ShowStats,
    SignedIn,
    StatsLoaded,
    StatsUnavailable,
)
from ui import theme
from ui.around import WhoIsAround
from ui.i18n import L_, _, ngettext
from ui.render import draw_card
from ui.screens.base import Canvas
from ui.screens.layout import ColumnLayout
from ui.screens.netkit import WaitingScreen, WaitRows, draw_spinner, format_elapsed
from ui.screens.trip import Trip, TripKind
from ui.screens.waitbot import OFFER_AFTER, offers_bot, open_wait_bot
from ui.textcut import short_name
from ui.widgets import Button


class Phase(enum.StrEnum):
    """What the network thread last said about the search."""

    CONNECTING = "connecting"
    SIGNED_IN = "signed_in"
    SEARCHING = "searching"
    RECONNECTING = "reconnecting"


@dataclass(frozen=True)
class MatchmakingRows(WaitRows):
    text_rows = WaitRows.text_rows | {"status", "detail", "server", "around", "note"}

    title: int = 48
    spinner: int = 104
    status: int = 34
    detail: int = 28
    server: int = 34
    around: int = 30  # who is around on the server (online)
    offer: int = 62  # the bot's button, above Cancel, once offered
    note: int = 48  # two lines
    gap: int = 14  # between the last line of text and the buttons


MatchmakingLayout = ColumnLayout[MatchmakingRows]


class MatchmakingScreen(WaitingScreen[MatchmakingRows]):
    """Connecting... then Searching, with the time waited, the server, and Cancel."""

    name = "matchmaking"

    def __init__(self, flow: Trip):
        super().__init__()
        self.flow = flow
        self.phase = Phase.CONNECTING
        self.username = ""  # the name the server knows us by (another if the one asked for was taken)
        self.renamed_from = ""  # the name asked for, when the server gave another
        self.attempt = 0
        self._retry_at: float | None = None
        self.rename_button = Button(L_("Choose another name"), lambda: self.flow.choose_another_name(self.renamed_from))
        self.bot_button = Button(L_("Play the bot while you wait"), self.play_bot)
        self.around = WhoIsAround()
        self.searching_since: float | None = None  # when the search was first queued
        self.bot_offered = False
        self._measured: tuple[tuple[object, ...], MatchmakingLayout] | None = None

    # What is on screen ------------------------------------------------------------------

    @property
    def title(self) -> str:
        if self.flow.kind is TripKind.LAN_JOIN:
            return _("Joining a LAN game")
        return _("Waiting for your friend") if self.flow.code else _("Finding an opponent")

    @property
    def status_text(self) -> str:
        """What the network is doing, in a few words."""
        if self.phase is Phase.CONNECTING:
            return _("Connecting to {server}…").format(server=self.flow.server)
        if self.phase is Phase.SIGNED_IN:
            return _("Signed in, joining the matchmaker…")
        if self.phase is Phase.RECONNECTING:
            return _("Connection lost, reconnecting…")
        if self.flow.kind is TripKind.LAN_JOIN:
            return _("Joining the game…")
        if self.flow.code:
            return _("Your friend joins with the code {code}").format(code=self.flow.code)
        return _("Looking for an opponent…")

    @property
    def detail_text(self) -> str:
        """How long it has taken, or when the next reconnection try is."""
        if self.phase is Phase.RECONNECTING:
            if self._retry_at is None:
                return _("Attempt {n}").format(n=self.attempt)
            left = max(0, math.ceil(self._retry_at - self.now - 1e-9))
            when = ngettext("next try in {n} s", "next try in {n} s", left).format(n=left) if left else _("trying now…")
            return _("Attempt {n}  ·  {when}").format(n=self.attempt, when=when)
        return _("Waiting {time}").format(time=format_elapsed(self.elapsed))

    @property
    def server_text(self) -> str:
        lan = self.flow.kind is TripKind.LAN_JOIN
        server, name = self.flow.server, short_name(self.username)
        if self.username and not self.renamed_from:
            if lan:
                return _("Game at {server}  ·  playing as {name}").format(server=server, name=name)
            return _("Server {server}  ·  playing as {name}").format(server=server, name=name)
        return _("Game at {server}").format(server=server) if lan else _("Server {server}").format(server=server)

    @property
    def name_note(self) -> str:
        """'Ann is taken on this server: you play as Ann27', when it is so."""
        if not self.renamed_from:
            return ""
        return _("{asked} is taken on this server: you play as {name}").format(asked=short_name(self.renamed_from),
                                                                               name=short_name(self.username))

    # Input and events ------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop looking: withdraw the ticket, let go of the server, go back."""
        if self.app is not None:
            self.flow.cancel_search()

    def on_event(self, event: Event) -> None:
        if isinstance(event, Connecting):
            self.phase = Phase.CONNECTING
        elif isinstance(event, SignedIn):
            self.username = event.username
            self.renamed_from = event.asked if event.renamed else ""
            self.phase = Phase.SIGNED_IN
            if event.renamed and self.flow.kind is TripKind.ONLINE:
                self._set_buttons()
        elif isinstance(event, Searching):
            self.phase = Phase.SEARCHING
            self._retry_at = None
            if self.searching_since is None:
                self.searching_since = self.now
        elif isinstance(event, ConnectionLost):
            self.phase = Phase.RECONNECTING
            self.attempt = event.attempt
            self._retry_at = self.now + max(0.0, event.retry_in)
        elif isinstance(event, Reconnected):
            self.phase = Phase.SEARCHING
            self._retry_at = None
        elif isinstance(event, MatchJoined):
            self.flow.matched(event.label, event.match_id)
        elif isinstance(event, Failure):
            self.flow.failed(event)
        elif isinstance(event, (StatsLoaded, StatsUnavailable)):
            self.around.on_event(event)
            if self.around.unsupported:
                self.relayout()  # the line of who is around goes
        # Disconnected and HostStopped here can only be the echo of an earlier trip's end: ignored.

    def play_bot(self) -> None:
        """A game against the bot while the search goes on (the offer's button)."""
        if self.app is not None and self.app.screen is self:
            open_wait_bot(self)

    def _set_buttons(self) -> None:
        """Cancel; Choose another name where the name asked for was taken; the bot, once offered."""
        row = [self.cancel_button]
        if self.renamed_from and self.flow.kind is TripKind.ONLINE:
            row.append(self.rename_button)
        self.buttons.set_rows([[self.bot_button], row] if self.bot_offered else [row])
        self.relayout()

    # Time --------------------------------------------------------------------------------------

    @property
    def shows_around(self) -> bool:
        """Online, on a server that can say who is around (until it says it cannot)."""
        return self.flow.kind is TripKind.ONLINE and not self.around.unsupported

    def update(self, now: float) -> None:
        if self.app is None or self.phase not in (Phase.SIGNED_IN, Phase.SEARCHING):
            return
        if self.shows_around and self.around.due(now):
            self.around.asked(now)
            self.app.network.send(ShowStats())
        since = self.searching_since
        if not self.bot_offered and since is not None and now - since >= OFFER_AFTER and offers_bot(self):
            self.bot_offered = True
            self._set_buttons()

    def next_deadline(self) -> float | None:
        """The next change of the seconds shown (waited, or to the next try), the next ask of who is around, the offer."""
        now = self.now
        if self._retry_at is not None and self._retry_at > now:
            left = self._retry_at - now
            return now + (left - math.floor(left) or 1.0)
        due = [d for d in (super().next_deadline(), self.around.next_deadline()) if d is not None]
        if not self.bot_offered and self.searching_since is not None:
            due.append(self.searching_since + OFFER_AFTER)
        return min(due) if due else None

    # Drawing -------------------------------------------------------------------------------------

    def measure(self, size: tuple[int, int]) -> MatchmakingLayout:
        """The card's rows for ``size``; the same for the same rows, so the spinner's frames do not measure again."""
        note, around, offer = bool(self.name_note), self.shows_around, self.bot_offered
        key = (size, note, around, offer, theme.text_scale())
        if self._measured is not None and self._measured[0] == key:
            return self._measured[1]
        lay = ColumnLayout.centred(
            size, MatchmakingRows(),
            lambda h: (h.pad, h.title, h.spinner, h.status, h.detail, h.server, *((h.around,) if around else ()),
                       *((h.note,) if note else ()), h.gap, *((h.offer,) if offer else ()), h.button, h.pad),
            width=500, min_top=12,
        )
        self._measured = (key, lay)
        return lay

    def place(self, lay: MatchmakingLayout) -> None:
        col, h, s = lay.column, lay.rows, lay.column.scale
        gap = int(14 * s)
        y = col.bottom - h.pad - h.button
        for row in reversed(self.buttons.rows):  # the last row at the bottom, the bot's offer above it
            wide = len(row) == 1 and row[0] is self.bot_button
            w = col.width - 2 * h.pad if wide else int(200 * s * theme.text_scale())
            w = min(w, (col.width - 2 * h.pad - (len(row) - 1) * gap) // len(row))
            total = len(row) * w + (len(row) - 1) * gap
            x = col.window[0] // 2 - total // 2
            for b in row:
                b.rect = pygame.Rect(x, y, w, h.button)
                x += w + gap
            y -= h.offer

    def _around_line(self, fonts: theme.Fonts, size: float, room: float) -> str:
        """Who is around, all of it if it fits on its line (a little smaller at most), else only who is online."""
        text = self.around.text
        shown, _size = fonts.fit_line(text, size, room, light=True)
        return text if shown.split() == text.split() else self.around.players_text

    def paint(self, canvas: Canvas, lay: MatchmakingLayout) -> None:
        surface, fonts, s = canvas.surface, canvas.fonts, canvas.scale
        col, h = lay.column, lay.rows
        cx = canvas.center_x
        draw_card(surface, col.top, col.width, col.height, s)
        y = col.top + h.pad
        room = col.width - 48 * s
        canvas.fitted(self.title, 36 * s, room, theme.TEXT, (cx, y + h.title / 2))
        y += h.title
        reconnecting = self.phase is Phase.RECONNECTING
        spin_t = self.now if self.animating else 0.0
        draw_spinner(surface, (cx, y + h.spinner / 2), 30 * s, spin_t, theme.ERROR if reconnecting else theme.ACCENT)
        y += h.spinner
        canvas.fitted(self.status_text, 22 * s, room, theme.ERROR if reconnecting else theme.TEXT, (cx, y + h.status / 2))
        y += h.status
        canvas.text(self.detail_text, theme.small(17 * s), theme.MUTED, (cx, y + h.detail / 2), light=True)
        y += h.detail
        canvas.fitted(self.server_text, theme.small(15 * s), room, theme.MUTED, (cx, y + h.server / 2), light=True)
        y += h.server
        if self.shows_around:
            around = self._around_line(fonts, theme.small(15 * s), room)
            if around:
                canvas.fitted(around, theme.small(15 * s), room, theme.ACCENT, (cx, y + h.around / 2), light=True)
            y += h.around
        note = self.name_note
        if note:
            canvas.wrapped(note, theme.small(16 * s), room, theme.ACCENT, y, max_lines=2, line_height=h.note / 2)
        self.buttons.draw(surface, fonts, s)
        self.draw_footer(surface, _("Esc cancels"), col.footer)

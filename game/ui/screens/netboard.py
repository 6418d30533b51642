"""The board of a networked match: the board screen, a reconnecting overlay, and the ways out.

``NetBoardScreen`` is the ordinary ``BoardScreen`` (names, marks, turn and rematch
countdowns, Leave) driven by the network thread, plus what only a networked match
meets: while the connection is down a card over the board says so (attempt n, next
try in s) until the match is rejoined; when the match ends without the player
choosing it (the opponent left, the host closed the game, the server forgot the
match, a failure) the flow's next screen takes over. Leaving the board for the menu
ends the trip (disconnect, or stop hosting).
"""

from __future__ import annotations

import random

import pygame

from game.rules import Termination
from game.ui import theme
from game.ui.autoplay import AutoPlayer
from game.ui.controller import Controller
from game.ui.render import translucent, wrap_text
from game.ui.screens.board import BoardLayout, BoardScreen, board_layout
from game.ui.screens.netflow import NetFlow, NetMode
from game.ui.screens.netkit import draw_lines
from game.xoxo import MatchLabel
from net.messages import (
    ConnectionLost,
    Disconnected,
    Event,
    Failure,
    MatchGone,
    MatchUpdate,
    OpponentLeft,
    Reconnected,
    ServerClosing,
)

# Servers cap a socket's message rate (our host: 20 a second); an auto player that answered
# at once would pass it, so a networked one waits at least this many seconds.
MIN_AUTO_DELAY = 0.1


class NetBoardScreen(BoardScreen):
    """A board screen for a match on a server or a LAN host; hands over to the flow when the match ends."""

    name = "board"
    leave_label = "Leave"  # leaving ends the match for both players

    def __init__(self, flow: NetFlow, controller: Controller, label: MatchLabel):
        super().__init__(controller, mode=flow.board_mode, label=label)
        self.flow = flow
        self.connection: ConnectionLost | None = None  # the last drop, while we are reconnecting
        self.handed_over = False  # replaced by the flow's next screen: the trip goes on

    # Lifecycle -----------------------------------------------------------------------------------------

    def on_mount(self) -> None:
        super().on_mount()
        app = self.app
        if self.auto is not None and app is not None and app.settings.auto_level:
            low, high = app.settings.auto_delay
            if high < MIN_AUTO_DELAY:  # pace a scripted player to what a server accepts
                rng = random.Random(app.derive_seed(app.next_game_tag("auto-net")))
                delay = (max(low, MIN_AUTO_DELAY), max(high, MIN_AUTO_DELAY))
                self.auto = AutoPlayer(app.settings.auto_level, rng=rng, delay=delay)

    def on_unmount(self) -> None:
        super().on_unmount()  # leaves the match if it is still on
        if not self.handed_over:
            self.flow.end()  # back to the menu (or the App closes): let go of the server

    def _hand_over(self) -> bool:
        """Mark the trip as going on without this board; False if it already did (one hand-over per board)."""
        if self.handed_over or self.app is None or self.app.screen is not self:
            return False
        self.handed_over = True
        if self.auto is not None:
            self.auto.stop()
        return True

    def update(self, now: float) -> None:
        if self.auto is not None and self.app is not None and not self.app.running:
            self.auto.stop()  # the App is quitting (--games done): asking for one more game would start it
        super().update(now)

    # Events ----------------------------------------------------------------------------------------------

    @property
    def notice_text(self) -> str | None:
        if self.notice_kind == "connection":
            return None  # the reconnecting card says it
        return super().notice_text

    def on_event(self, event: Event) -> None:
        if isinstance(event, ConnectionLost):
            self.connection = event
        elif isinstance(event, (Reconnected, MatchUpdate)):
            self.connection = None
        super().on_event(event)
        if isinstance(event, Reconnected) and event.rejoined and self.auto is not None:
            self.auto.retry(self.now, can_rematch=self.can_rematch)  # what it sent while the line was down is lost
        if isinstance(event, OpponentLeft):
            if self._hand_over():
                self.flow.opponent_left(event.name or self._opponent_name(), event.reason, self._outcome_note())
        elif isinstance(event, MatchGone):
            if self._hand_over():
                self.flow.match_ended(
                    "The match is gone",
                    event.message or "The server no longer holds this match.",
                    stuck=event.message or "The server no longer holds the match.",
                )
        elif isinstance(event, Reconnected) and not event.rejoined:
            if self._hand_over():
                self.flow.match_ended(
                    "The match is gone",
                    "You are back online, but the match ended while you were away.",
                    stuck="The match ended while the connection was down.",
                )
        elif isinstance(event, ServerClosing):
            if self._hand_over():
                self.flow.server_closed(event.text, self._outcome_note())
        elif isinstance(event, Disconnected):
            if self._hand_over():
                self.flow.match_ended(
                    "Disconnected",
                    event.message or "The connection to the server closed.",
                    stuck=event.message or "Disconnected from the server.",
                )
        elif isinstance(event, Failure):
            if self._hand_over():
                self.flow.failed(event)

    def _opponent_name(self) -> str:
        view = self.view
        if view is not None and view.you in (1, 2):
            name = view.name_of(3 - view.you)
            if name and name != "?":
                return name
        return "The host" if self.flow.mode is NetMode.LAN_JOIN else "Your opponent"

    def _outcome_note(self) -> str:
        """What the match came to, for the opponent-left screen."""
        view = self.view
        if view is None or view.you not in (1, 2):
            return ""
        me, them = self.score[view.you], self.score[3 - view.you]
        games = len(self.summaries)
        note = ""
        if view.termination is Termination.OPPONENT_LEFT and view.result == "win":
            note = "The game in progress counts as your win. "
        if games:
            note += f"Games won: you {me}, {self._opponent_name()} {them}."
        return note.strip()

    # Drawing ----------------------------------------------------------------------------------------------

    @property
    def reconnect_text(self) -> str:
        """'Attempt 2  ·  next try in 3 s' while reconnecting."""
        lost = self.connection
        if lost is None:
            return ""
        left = self.retry_seconds_left
        if left:
            return f"Reconnecting: attempt {lost.attempt}  ·  next try in {left} s"
        return f"Reconnecting: attempt {lost.attempt}  ·  trying now…"

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        if self.connection is not None and not self.match_over:
            self._draw_reconnecting(surface, board_layout(surface.get_size()))

    def _draw_reconnecting(self, surface: pygame.Surface, lay: BoardLayout) -> None:
        """A card over the dimmed board: connection lost, which attempt, when the next one is."""
        fonts = self.fonts
        s = lay.scale
        translucent(surface, theme.BACKGROUND, lay.board.inflate(int(8 * s), int(8 * s)), int(16 * s), 210)
        width = min(lay.board.width - int(16 * s), int(440 * s))
        held = "Your seat is held for a while: the game picks up where it stopped."
        if self.flow.mode is NetMode.LAN_JOIN:
            held = "If the host is still there, the game picks up where it stopped."
        small = theme.small(15 * s)
        held_lines = len(wrap_text(fonts.get(small), held, int(width - 40 * s)))
        pad, title_h, line_h, small_h = int(20 * s), int(36 * s), int(28 * s), int(21 * s)
        card = pygame.Rect(0, 0, width, 2 * pad + title_h + line_h + int(6 * s) + held_lines * small_h)
        card.center = lay.board.center
        translucent(surface, theme.SHADOW, card.move(0, int(4 * s)), int(18 * s), theme.SHADOW.a)
        pygame.draw.rect(surface, theme.PANEL_HIGH, card, border_radius=int(18 * s))
        pygame.draw.rect(surface, theme.X_COLOR, card, width=max(2, int(2 * s)), border_radius=int(18 * s))
        cx = card.centerx
        room = width - 32 * s
        y = draw_lines(surface, fonts, "Connection lost", 28 * s, theme.X_COLOR, cx, card.y + pad, room, title_h)
        y = draw_lines(surface, fonts, self.reconnect_text, 18 * s, theme.TEXT, cx, y, width - 32 * s, line_h)
        draw_lines(surface, fonts, held, small, theme.MUTED, cx, y + int(6 * s), width - 40 * s, small_h)

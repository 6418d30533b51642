"""The board of a networked match: the board screen, a reconnecting card, and the hand-over when the match ends.

``NetBoardScreen`` is the ordinary ``BoardScreen`` driven by the network thread with a
``NetBoardModel``, plus what only a networked match meets: while the connection is down
a card over the board says so (which attempt, when the next one is, and whether the
server holds our seat, as its label declares) until the match is rejoined; when the
match ends without the player choosing it (the opponent left, the server shut down or
forgot the match, a failure) the trip's next screen takes over. Leaving the board for
the menu ends the trip (disconnect, or stop hosting).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import pygame

from game.phrase import Phrase
from net.messages import (
    Disconnected,
    Event,
    Failure,
    MatchGone,
    OpponentLeft,
    Reconnected,
    ServerClosing,
)
from ui import theme
from ui.controller import Controller
from ui.i18n import L_, N_, Text, _, later, say
from ui.lanwords import for_lan
from ui.netboardmodel import NetBoardModel, gone_text
from ui.render import translucent, wrap_text
from ui.resume import SeatKeeper
from ui.screens.boardview import BoardLayout
from ui.screens.claim import NetBoardPainter, claim_buttons
from ui.screens.confirm import ConfirmScreen
from ui.screens.netkit import draw_lines
from ui.screens.reacting import ReactingBoardScreen
from ui.screens.trip import Trip, TripKind
from ui.widgets import Button, ButtonStyle

if TYPE_CHECKING:
    from ui.app import App

# Servers cap a socket's message rate (our host: 20 a second); an auto player that answered
# at once would pass it, so a networked one waits at least this many seconds.
MIN_AUTO_DELAY = 0.1
MATCH_GONE = N_("The server no longer has this match: it may have ended while you were away.")
MATCH_GONE_LAN = N_("The game's host no longer has this match: it may have ended while you were away.")
CLAIMING = ("claim",)  # the buttons' state while a claim is open (BoardScreen._buttons_for)

log = logging.getLogger(__name__)


class NetBoardScreen(ReactingBoardScreen):  # quick reactions where the server relays them (ui/reactions.py)
    """A board screen for a match on a server or a LAN host; hands over to the flow when the match ends."""

    name = "board"
    leave_label = N_("Leave")  # leaving ends the match for both players
    leave_hint = N_("Esc leave")
    enter_leave_hint = N_("Enter or Esc: leave")
    painter = NetBoardPainter  # an absent opponent's seat hold is a card with its countdown

    def __init__(self, flow: Trip, controller: Controller, model: NetBoardModel, *, match_id: str = ""):
        """``match_id``: the match's id on the server, kept on disk while a game is on (online) to come back to it."""
        self.match_id = match_id
        self.seat: SeatKeeper | None = None  # the note of the game in progress (online matches)
        self.claim_button, self.draw_button = claim_buttons(lambda: self.claim(win=True), lambda: self.claim(win=False))
        self.kept: list[Button] = []  # the ways to play on, once the match ended after a game that stays on screen
        self._quit_question: ConfirmScreen | None = None
        super().__init__(controller, model)
        self.model: NetBoardModel = model
        self.flow = flow
        self.handed_over = False  # replaced by the flow's next screen: the trip goes on

    # Lifecycle -----------------------------------------------------------------------------------------

    def auto_delay(self, app: App) -> tuple[float, float]:
        low, high = app.settings.auto_delay
        return (max(low, MIN_AUTO_DELAY), max(high, MIN_AUTO_DELAY))  # paced to what a server accepts

    def on_mount(self) -> None:
        super().on_mount()
        app = self.app
        if app is not None and self.flow.kind is TripKind.ONLINE and self.match_id:
            self.seat = SeatKeeper(app.userdata, server=self.flow.server, key=self.flow.key, ca_file=self.flow.ca_file,
                                   match_id=self.match_id, device_id=app.userdata.session_device_id(),
                                   wall_clock=app.wall_clock)

    def on_unmount(self) -> None:
        if self.app is not None and self.model.leaving_forfeits:
            lost = self.model.forfeit()  # leaving a game in progress, however the board goes: it counts as lost
            if lost is not None:
                self.app.report_game(lost)
        super().on_unmount()  # leaves the match if it is still on
        if self.seat is not None:
            self.seat.forget()  # left, or over: nothing to come back to
        if not self.handed_over:
            self.flow.end()  # back to the menu (or the App closes): let go of the server

    def update(self, now: float) -> None:
        if self.auto is not None and self.app is not None and not self.app.running:
            self.auto.stop()  # the App is quitting (--games done): asking for one more game would start it
        super().update(now)

    @property
    def leave_warning(self) -> Text:
        def warning() -> str:
            if self.model.connection is not None:  # the line is down: the game may already be over
                return _("If the game is still on, it counts as a loss.")
            return _("It counts as a loss, and ends the match for {name}.").format(name=self.model.opponent_name)

        return later(warning)

    def _countdowns(self) -> list[float | None]:
        retry = self.model.retry_at - self.now if self.model.retry_at is not None else None
        hold = self.model.absence.hold
        held = [hold.ends_at - self.now, hold.claim_at - self.now] if hold is not None else []
        return [*super()._countdowns(), retry, *held]

    # Leaving with the window, or when told to stop -------------------------------------------------------

    def quit_requested(self, ask: bool) -> bool:
        """Closing the window mid-game asks first, as Esc does (it counts as a loss); a stop request (SIGTERM) leaves
        at once. Either way the leave goes to the server and the loss into the player's history, then the App quits."""
        app = self.app
        if app is None or not self.model.leaving_forfeits:
            return False
        if ask and (self._quit_question is None or app.screen is not self._quit_question):
            while app.screen is not self and app.screen is not None:
                app.pop(False)  # a question already over the board (Esc's) gives way to this one
            self._quit_question = ConfirmScreen(self.leave_question, self.leave_warning, L_("Leave and quit"),
                                                L_("Keep playing"))
            app.push(self._quit_question, self._quit_confirmed)
            return True
        self._quit_confirmed(True)  # told to stop, or the window closed a second time while asked: leave
        return True

    def _quit_confirmed(self, result: object) -> None:
        self._quit_question = None
        app = self.app
        if result is True and app is not None:
            if app.screen is not self and app.screen is not None:
                app.pop(False)
            self.leave_now()
            app.quit(app.exit_code)

    # Claims against an absent opponent, and a game kept on screen after the match ended ----------------------

    def claim(self, *, win: bool) -> None:
        """Claim the win (``win``) or call it a draw: the opponent has been away for half their seat hold."""
        self._send(self.model.claim(win))
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        if self.kept:
            return  # the ways to play on, set once the match ended
        if self.model.can_claim:
            if self._buttons_for != CLAIMING:
                self._buttons_for = CLAIMING
                self.buttons.set_rows([[self.claim_button, self.draw_button, self._leave_button]])
                self.buttons.focus_on(None)  # no focus: Enter claims only once the player has tabbed to Claim the win
                self.buttons.focus_visible = False
                self.relayout()
            return
        if self._buttons_for == CLAIMING:
            self._buttons_for = None
        super()._sync_buttons()

    def _keep(self, event: OpponentLeft) -> None:
        """The match ended after a game had finished: its board, result and reason stay, with the ways to play on."""
        if self.auto is not None:
            self.auto.stop()
        choices = self.flow.play_on_choices()
        self.kept = [Button(c.label, self._choosing(c.action), style=ButtonStyle.PRIMARY if i == 0 else ButtonStyle.NORMAL)
                     for i, c in enumerate(choices)]
        self.buttons.set_rows([self.kept])
        self.buttons.focus_on(self.kept[0])
        self.buttons.focus_visible = True
        self.relayout()
        if self.app is not None:
            self.app.stuck(gone_text(event.name or self.model.opponent_name, event.reason, event.me) + ".")

    def _choosing(self, action: Callable[[], None]) -> Callable[[], None]:
        def choose() -> None:
            self.handed_over = True  # the choice moves the trip on (a new search, the menu): leaving must not end it
            action()

        return choose

    def leave(self) -> None:
        if self.kept:
            self.kept[-1].on_press()  # Esc on a kept game: the last choice (the menu)
            return
        super().leave()

    @property
    def hint_text(self) -> str:
        if self.kept:
            return _("Enter chooses  ·  Esc menu")
        if self.model.can_claim:
            return _("Tab to claim the win or call a draw  ·  {esc}").format(esc=_(self.leave_hint))
        return super().hint_text

    # Events ----------------------------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        super().on_event(event)
        if self.seat is not None:
            self.seat.observe(self.model)
        if isinstance(event, Reconnected) and event.rejoined and self.auto is not None:
            self.auto.retry(self.now, can_rematch=self.model.can_rematch)  # what it sent while the line was down is lost
        if isinstance(event, (OpponentLeft, MatchGone, ServerClosing, Disconnected, Failure)) or (
            isinstance(event, Reconnected) and not event.rejoined
        ):
            self._hand_over(event)

    def _hand_over(self, event: Event) -> None:
        """The match is over without the player choosing it: the flow's next screen takes over (once)."""
        if self.handed_over or self.kept or self.app is None or self.app.screen is not self:
            return
        if isinstance(event, OpponentLeft) and self.model.game_kept:
            self._keep(event)
            return
        self.handed_over = True
        if self.auto is not None:
            self.auto.stop()
        flow = self.flow
        note = self.outcome_note()
        if isinstance(event, OpponentLeft):
            flow.opponent_left(event.name or self.model.opponent_name, event.reason, note, event.me)
        elif isinstance(event, MatchGone):  # the server's own reason ("Match not found") is for the log, not the player
            log.info("the match is gone: %s", event.message)
            gone = MATCH_GONE_LAN if self.flow.kind is not TripKind.ONLINE else MATCH_GONE
            flow.match_ended(L_("The match is gone"), L_(gone), stuck=gone)
        elif isinstance(event, Reconnected):
            flow.match_ended(
                L_("The match is gone"),
                L_("You are back online, but the match ended while you were away."),
                stuck="The match ended while the connection was down.",
            )
        elif isinstance(event, ServerClosing):
            flow.server_closed(event.text, note)
        elif isinstance(event, Disconnected):
            lan = self.flow.kind is not TripKind.ONLINE
            gone = event.message or (Phrase("The connection to the game closed.") if lan else
                                     Phrase("The connection to the server closed."))
            gone = for_lan(gone) if lan else gone
            flow.match_ended(L_("Disconnected"), later(lambda: say(gone)), stuck=gone)
        elif isinstance(event, Failure):
            flow.failed(event)

    def outcome_note(self) -> str:
        """What the match came to, for the screen after it: the final score, and the last rated game's change."""
        if not self.model.summaries:
            return ""
        note = _("Final score: {score}.").format(score=self.model.score_text)
        changed = self.model.ratings.my_change(self.model.view) if self.model.label.rated else None
        if changed is not None:
            rating = _("Your rating: {rating} ({change}).").format(rating=changed.after.rating.label, change=changed.text)
            note = f"{note} {rating}"
        return note

    # Drawing ----------------------------------------------------------------------------------------------

    @property
    def held_text(self) -> str:
        """What is true while the connection is down: whether the server holds our seat (its label says)."""
        if self.flow.joined_lan:
            return _("If the host is still there, the game picks up where it stopped.")
        if self.model.label.extended:
            return _("The server holds your seat for a short while: the game picks up where it stopped.")
        return _("This server does not hold seats: the match may be over when you are back.")

    def draw_board(self, surface: pygame.Surface, lay: BoardLayout) -> None:
        super().draw_board(surface, lay)
        if self.model.connection is not None and not self.model.match_over:
            self._draw_reconnecting(surface, lay)

    def _draw_reconnecting(self, surface: pygame.Surface, lay: BoardLayout) -> None:
        """A card over the dimmed board: connection lost, which attempt, when the next one is, what happens to the game."""
        fonts = self.fonts
        s = lay.scale
        translucent(surface, theme.BACKGROUND, lay.board.inflate(int(8 * s), int(8 * s)), int(16 * s), 210)
        width = min(lay.board.width - int(16 * s), int(440 * s))
        held = self.held_text
        small = theme.small(15 * s)
        room = width - 32 * s
        pad = int(20 * s)  # the line heights grow with the player's text size
        title_h = max(int(36 * s), fonts.get(28 * s).get_linesize())
        line_h = max(int(28 * s), fonts.get(18 * s).get_linesize())
        small_h = max(int(21 * s), 18, fonts.get(small, light=True).get_linesize())
        lines = len(wrap_text(fonts.get(18 * s), self.model.reconnect_text, room))
        held_lines = len(wrap_text(fonts.get(small, light=True), held, int(width - 40 * s)))
        card = pygame.Rect(0, 0, width, 2 * pad + title_h + lines * line_h + int(6 * s) + held_lines * small_h)
        card.center = lay.board.center
        translucent(surface, theme.SHADOW, card.move(0, int(4 * s)), int(18 * s), theme.SHADOW.a)
        pygame.draw.rect(surface, theme.PANEL_HIGH, card, border_radius=int(18 * s))
        pygame.draw.rect(surface, theme.ERROR, card, width=max(2, int(2 * s)), border_radius=int(18 * s))
        cx = card.centerx
        y = draw_lines(surface, fonts, _("Connection lost"), 28 * s, theme.ERROR, cx, card.y + pad, room, title_h)
        y = draw_lines(surface, fonts, self.model.reconnect_text, 18 * s, theme.TEXT, cx, y, room, line_h)
        draw_lines(surface, fonts, held, small, theme.MUTED, cx, y + int(6 * s), width - 40 * s, small_h, light=True)

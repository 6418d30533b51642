"""A game against the bot while the search for an opponent goes on ("Play the bot while you wait").

When "Find an opponent" has found nobody for ``OFFER_AFTER`` seconds, the matchmaking
screen offers it (to a person: never to a scripted ``--auto`` run, never with a friend
code). The bot game (Normal) is shown over the matchmaking screen, which stays underneath
with the search queued; the network holds a match the matchmaker finds (``HoldMatches``)
and the screen shows a clear prompt, "bob is ready", with the seconds the match waits for
the player: Play now (Enter) drops the bot game without counting it and opens the board;
Not now (Esc), or the time running out, lets the match go and the search goes on.

"Stop looking" cancels the search (and lets go of the server); the bot game goes on, and
leaving it then goes back to the form the trip started from. Leaving the bot game while
the search goes on shows the matchmaking screen again (a game in progress is not counted);
games finished meanwhile count as any game against the bot.

The bot game's own events are polled here (its controller is not an App source), so the
App's events reaching this screen are the network's: the search's and who is around go to
the matchmaking screen underneath; a match found, joined or failed is this screen's.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pygame

from game.bot import Level, warm_up
from net.messages import (
    CancelFind,
    DeclineMatch,
    Disconnected,
    Event,
    Failure,
    HoldMatches,
    MatchJoined,
    OpponentFound,
    OpponentMissed,
    PlayNow,
)
from ui import theme
from ui.boardmodel import BoardModel
from ui.controller import LocalController
from ui.i18n import L_, N_, _, ngettext
from ui.render import translucent, wrap_text
from ui.results import GameMode
from ui.screens.board import BoardScreen
from ui.screens.boardview import BoardLayout, board_layout
from ui.screens.netkit import draw_lines, format_elapsed
from ui.screens.trip import TripKind
from ui.textcut import short_name
from ui.widgets import Button, ButtonStyle

if TYPE_CHECKING:
    from ui.screens.matchmaking import MatchmakingScreen

OFFER_AFTER = 15.0  # seconds of searching before the bot is offered
LEVEL = Level.NORMAL
PROMPT = ("prompt",)  # the buttons' state while a match waits for the player (BoardScreen._buttons_for)


def offers_bot(waiting: MatchmakingScreen) -> bool:
    """Whether this search may offer the bot: online, no friend code, a person at the keys."""
    app = waiting.app
    return app is not None and waiting.flow.kind is TripKind.ONLINE and not waiting.flow.code and app.settings.auto_level is None


def open_wait_bot(waiting: MatchmakingScreen) -> WaitBotScreen:
    """Start the bot game over ``waiting`` (the search goes on, its matches held for the player) and show it."""
    app = waiting.app
    assert app is not None
    tag = app.next_game_tag(f"wait-bot-{LEVEL}")
    warm_up(LEVEL, app.settings.auto_level)
    controller = LocalController(LEVEL, player_name=app.userdata.profile.name, seed=app.settings.seed_for(tag),
                                 clock=app.clock, think_seconds=app.settings.think_seconds)
    model = BoardModel(mode=GameMode.BOT, level=controller.level, wall_clock=app.wall_clock)
    app.network.send(HoldMatches(True))
    screen = WaitBotScreen(waiting, controller, model)
    app.push(screen)
    return screen


class WaitBotScreen(BoardScreen):
    """The bot game while the search goes on, with the prompt when an opponent is ready."""

    name = "waitbot"
    leave_label = N_("Leave")
    leave_hint = N_("Esc leave")
    enter_leave_hint = N_("Enter or Esc: leave")

    def __init__(self, waiting: MatchmakingScreen, controller: LocalController, model: BoardModel):
        self.waiting = waiting
        self.local = controller
        self.searching = True  # the search goes on (until stopped, or it failed)
        self.failure: Failure | None = None  # why the search stopped, shown when the player leaves the bot game
        self.found: OpponentFound | None = None  # a match waiting for the player
        self.found_at = 0.0
        self.joining = False  # Play now was pressed: the match is on its way
        self.missed = ""  # the opponent whose match went last, while the player kept playing
        self.play_button = Button(L_("Play now"), self.play_now, style=ButtonStyle.PRIMARY, hint=L_("Enter"))
        self.not_now_button = Button(L_("Not now"), self.not_now, hint=L_("Esc"))
        self.stop_button = Button(L_("Stop looking"), self.stop_looking)
        super().__init__(controller, model)

    # The search ------------------------------------------------------------------------------------------

    def play_now(self) -> None:
        """Join the match that waits for the player; the bot game goes when the match is joined."""
        if self.found is not None and not self.joining and self.app is not None:
            self.joining = True
            self.app.network.send(PlayNow())

    def not_now(self) -> None:
        """Let the match go; the search goes on."""
        if self.found is not None and not self.joining and self.app is not None:
            self.app.network.send(DeclineMatch())
            self.missed, self.found = self.found.name, None
            self._sync_buttons()

    def stop_looking(self) -> None:
        """Cancel the search and let go of the server; the bot game goes on."""
        if not self.searching or self.app is None:
            return
        self.searching, self.found = False, None
        self.app.network.send(CancelFind())
        self.waiting.flow.end()
        self._sync_buttons()

    @property
    def seconds_left(self) -> int:
        """Whole seconds the match found still waits for the player."""
        if self.found is None:
            return 0
        return max(0, math.ceil(self.found_at + self.found.seconds - self.now - 1e-9))

    # Events: the bot game's polled here, the network's from the App ---------------------------------------

    def update(self, now: float) -> None:
        for event in self.local.poll():
            super().on_event(event)
        super().update(now)
        if self.searching:
            self.waiting.update(now)  # who is around stays fresh underneath

    def on_event(self, event: Event) -> None:
        """A network event (the bot game's never come through the App)."""
        if isinstance(event, MatchJoined):
            self._to_match(event)
        elif isinstance(event, OpponentFound):
            self.found, self.found_at, self.joining, self.missed = event, self.now, False, ""
            self._sync_buttons()
        elif isinstance(event, OpponentMissed):
            self.found, self.joining, self.missed = None, False, event.name
            self._sync_buttons()
        elif isinstance(event, (Failure, Disconnected)):
            if self.searching:
                self.searching, self.found = False, None
                self.failure = event if isinstance(event, Failure) else None
                self._sync_buttons()
        else:
            self.waiting.on_event(event)  # the search's progress and who is around

    def _to_match(self, event: MatchJoined) -> None:
        """The match is joined: the bot game goes (not counted) and the matchmaking screen opens the board."""
        app = self.app
        if app is None:
            return
        self.searching = False
        if app.screen is self:
            app.pop()
        self.waiting.on_event(event)

    # Leaving ----------------------------------------------------------------------------------------------

    def leave(self) -> None:
        """Leave the bot game without counting a game in progress: back to the search, or (stopped) to the form."""
        if self.found is not None:
            self.not_now()
            return
        self.leave_now()

    def leave_now(self) -> None:
        self._send(self.model.leave())
        if self.auto is not None:
            self.auto.stop()
        searching, failure, flow = self.searching, self.failure, self.waiting.flow
        self.close(tuple(self.model.summaries))
        if searching:
            return
        if failure is not None:
            flow.failed(failure)  # as the matchmaking screen would have said it
        else:
            flow.back()

    def on_unmount(self) -> None:
        super().on_unmount()
        if self.searching and self.app is not None and self.app.has_network:
            self.app.network.send(HoldMatches(False))  # back to waiting: a match found is joined at once again

    # The buttons, keys and hint ---------------------------------------------------------------------------

    def _sync_buttons(self) -> None:
        if self.found is not None:
            if self._buttons_for != PROMPT:
                self._buttons_for = PROMPT
                self.buttons.set_rows([[self.play_button, self.not_now_button]])
                self.buttons.focus_on(self.play_button)
                self.buttons.focus_visible = True  # Enter plays now
                self.relayout()
            return
        if self._buttons_for == PROMPT:
            self._buttons_for = None
        super()._sync_buttons()
        rows = self.buttons.rows
        if rows and self.searching != any(self.stop_button in row for row in rows):
            first = [b for b in rows[0] if b is not self.stop_button]
            if self.searching:
                first.insert(len(first) - 1, self.stop_button)  # before Leave
            self.buttons.set_rows([first, *rows[1:]])
            self.relayout()

    def handle(self, event: pygame.event.Event) -> bool:
        if self.found is None:
            return super().handle(event)
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.not_now()
            return True
        return self.buttons.handle(event)  # the prompt is modal: the board waits

    @property
    def hint_text(self) -> str:
        if self.found is not None:
            return _("Enter plays now  ·  Esc not now")
        if not self.searching:
            return super().hint_text
        looking = _("Still looking for an opponent ({time})").format(time=format_elapsed(self.waiting.elapsed))
        if self.missed:
            looking = _("{name} did not wait: still looking").format(name=short_name(self.missed))
        return f"{looking}  \u00b7  {super().hint_text}"

    # Time and drawing -------------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        due = [d for d in (super().next_deadline(), self.local.next_wakeup(), self.waiting.next_deadline()) if d is not None]
        if self.found is not None:
            left = self.found_at + self.found.seconds - self.now
            if left > 0:
                due.append(self.now + (left % 1.0 or 1.0))
        return min(due) if due else None

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        if self.found is not None:
            self._draw_prompt(surface, board_layout(surface.get_size()))

    def _draw_prompt(self, surface: pygame.Surface, lay: BoardLayout) -> None:
        """The card over the board: who is ready, and how long the match waits."""
        assert self.found is not None
        fonts, s = self.fonts, lay.scale
        translucent(surface, theme.BACKGROUND, lay.board.inflate(int(8 * s), int(8 * s)), int(16 * s), 215)
        width = min(lay.board.width - int(16 * s), int(440 * s))
        room = width - 32 * s
        pad = int(20 * s)
        title_h = max(int(40 * s), fonts.get(30 * s).get_linesize())
        line_h = max(int(26 * s), fonts.get(17 * s).get_linesize())
        title = _("{name} is ready").format(name=short_name(self.found.name))
        left = self.seconds_left
        if self.joining:
            detail = _("Joining the match…")
        else:
            detail = ngettext("Play now: the match waits for you {n} more second.",
                              "Play now: the match waits for you {n} more seconds.", left).format(n=left)
        titles = max(1, len(wrap_text(fonts.get(30 * s), title, room)))
        lines = max(1, len(wrap_text(fonts.get(17 * s), detail, room)))
        card = pygame.Rect(0, 0, width, 2 * pad + titles * title_h + lines * line_h)
        card.center = lay.board.center
        translucent(surface, theme.SHADOW, card.move(0, int(4 * s)), int(18 * s), theme.SHADOW.a)
        pygame.draw.rect(surface, theme.PANEL_HIGH, card, border_radius=int(18 * s))
        pygame.draw.rect(surface, theme.ACCENT, card, width=max(2, int(2 * s)), border_radius=int(18 * s))
        y = draw_lines(surface, fonts, title, 30 * s, theme.ACCENT, card.centerx, card.y + pad, room, title_h)
        draw_lines(surface, fonts, detail, 17 * s, theme.TEXT, card.centerx, y, room, line_h)


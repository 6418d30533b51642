"""The board screen: one match, game after game, against the bot or a person.

It turns input into the model's calls (``ui.boardmodel``) and the commands they
make into the controller's, hands the match's events to the model, plays the sounds it
asks for, and draws it (``boardview``). A game against the bot and a game over the
network run through the same code; what only a networked match meets lives in
``NetBoardScreen``. Leaving a game in progress asks first: it counts as a loss.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import pygame

from game.bot import Level, warm_up
from game.rules import Cell
from game.xoxo import MatchView
from net.messages import Command, Event, RequestRematch, SendMove
from ui import theme
from ui.autoplay import AutoPlayer
from ui.boardmodel import BANNER_SECONDS, LINE_DELAY, LINE_SECONDS, POP_SECONDS, SERVER_MESSAGE_SECONDS, BoardModel, Effects
from ui.controller import Controller, EventSource, LocalController
from ui.i18n import L_, N_, Text, _, later
from ui.results import GameMode
from ui.screens.base import Screen
from ui.screens.boardview import FADE_SECONDS, BoardLayout, BoardPainter, Look, board_layout
from ui.screens.confirm import ConfirmScreen
from ui.widgets import ACTIVATE_KEYS, Button, ButtonStyle

if TYPE_CHECKING:
    from ui.app import App

TIMER_REFRESH = 0.25  # how often the turn-timer bar moves

# Digits in numeric keypad layout: 7 8 9 is the top row, 1 2 3 the bottom one; the keypad's and the top row's alike.
_DIGIT_KEYS = (
    ((pygame.K_7, pygame.K_KP7), (pygame.K_8, pygame.K_KP8), (pygame.K_9, pygame.K_KP9)),
    ((pygame.K_4, pygame.K_KP4), (pygame.K_5, pygame.K_KP5), (pygame.K_6, pygame.K_KP6)),
    ((pygame.K_1, pygame.K_KP1), (pygame.K_2, pygame.K_KP2), (pygame.K_3, pygame.K_KP3)),
)
DIGIT_CELLS: dict[int, Cell] = {
    key: (row, col) for row, keys in enumerate(_DIGIT_KEYS, start=1) for col, pair in enumerate(keys, start=1) for key in pair
}

ARROWS = {pygame.K_UP: (-1, 0), pygame.K_DOWN: (1, 0), pygame.K_LEFT: (0, -1), pygame.K_RIGHT: (0, 1)}


class BoardScreen(Screen):
    """A match on screen: click or type to play, see the bot or the opponent answer, rematch or leave.

    ``controller`` takes the commands. With ``own_source`` the screen also registers the
    controller as an App event source while it is shown (a local game); a networked game
    leaves that to the bridge, which is always polled.
    """

    name = "board"
    leave_label = N_("Menu")  # the button (and Esc) that ends the match and goes back
    leave_hint = N_("Esc menu")  # what the footer says Esc does
    enter_leave_hint = N_("Enter or Esc: menu")  # and Enter too, with the focus on that button
    painter: type[BoardPainter] = BoardPainter  # what draws the model (a networked board draws more)

    def __init__(self, controller: Controller, model: BoardModel, *, own_source: bool = False):
        super().__init__()
        self.controller = controller
        self.model = model
        self.own_source = own_source
        self.hover: Cell | None = None
        self.cursor: Cell = (2, 2)
        self.cursor_visible = False
        self.auto: AutoPlayer | None = None
        self._rematch_button = Button(L_("Rematch"), self.request_rematch, style=ButtonStyle.PRIMARY, hint="R")
        self._leave_button = Button(L_(self.leave_label), self.leave, hint=L_("Esc"))
        self._buttons_for: tuple[object, ...] | None = None
        self._sync_buttons()

    # Lifecycle ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        app = self.app
        assert app is not None
        self.model.now = self.now
        if self.own_source and isinstance(self.controller, EventSource):
            app.add_source(self.controller)
        if app.settings.auto_level:
            rng = random.Random(app.settings.seed_for(app.next_game_tag("auto")))
            self.auto = AutoPlayer(app.settings.auto_level, rng=rng, delay=self.auto_delay(app))

    def auto_delay(self, app: App) -> tuple[float, float]:
        """The auto player's pause before each move (networked screens may need more)."""
        return app.settings.auto_delay

    def on_unmount(self) -> None:
        self._send(self.model.leave())  # leaving the screen leaves the match, if it is still on
        if self.auto is not None:
            self.auto.stop()
        if self.own_source and self.app is not None and isinstance(self.controller, EventSource):
            self.app.remove_source(self.controller)

    # For players and tests -----------------------------------------------------------------

    @property
    def view(self) -> MatchView | None:
        return self.model.view

    def cell_center(self, row: int, col: int) -> tuple[int, int]:
        """Where the centre of square (row, col) is in the current window."""
        return board_layout(self._size()).cell_center(row, col)

    def _size(self) -> tuple[int, int]:
        return self.app.size if self.app is not None else theme.DEFAULT_SIZE

    @property
    def hint_text(self) -> str:
        """The key hint: what the keys do now."""
        model = self.model
        esc = _(self.leave_hint)
        if model.match_over or model.left:
            return esc
        if model.paused:
            return _("Play waits  ·  {esc}").format(esc=esc)
        if model.game_over:
            return self._after_game_hint(esc)
        if model.can_move:
            return _("Click or press 1–9 to play  ·  arrows + Enter  ·  {esc}").format(esc=esc)
        return _("Wait for your turn  ·  {esc}").format(esc=esc)

    def _after_game_hint(self, esc: str) -> str:
        """The key hint once a game is over: what Enter does with the focus where it is, and R."""
        model = self.model
        if not model.can_rematch:
            return _("The next game starts by itself  ·  {esc}").format(esc=esc)
        if model.waiting_for_rematch:
            return _("Waiting for {name} to accept  ·  {esc}").format(name=model.opponent_name, esc=esc)
        if self.buttons.focus_visible and self.buttons.focus is self._leave_button:
            return _("{enter}  ·  R: {action}").format(enter=_(self.enter_leave_hint), action=model.rematch_label.lower())
        return _("Enter or R: {action}  ·  {esc}").format(action=model.rematch_label.lower(), esc=esc)

    # Commands -----------------------------------------------------------------------------------

    def _send(self, command: Command | None) -> None:
        if command is not None:
            self.controller.send(command)

    def place(self, row: int, col: int) -> bool:
        """Ask to mark (row, col); True if the move went out (else the model says why, when it is not plain)."""
        self.cursor = (row, col)
        command = self.model.place(row, col)
        self._send(command)
        return command is not None

    def request_rematch(self) -> None:
        """Ready for the next game (it starts when the opponent is ready too; the bot always is)."""
        self._send(self.model.request_rematch())
        self._sync_buttons()

    def leave(self) -> None:
        """Leave the match and go back; a game in progress counts as lost, so the player is asked first."""
        if self.model.leaving_forfeits and self.app is not None:
            self.app.push(ConfirmScreen(self.leave_question, self.leave_warning, L_("Leave"), L_("Keep playing")),
                          self._confirmed)
            return
        self.leave_now()

    @property
    def leave_question(self) -> Text:
        return L_("Leave this game?")

    @property
    def leave_warning(self) -> Text:
        return L_("It counts as a loss.")

    def _confirmed(self, result: object) -> None:
        if result is True:
            self.leave_now()

    def leave_now(self) -> None:
        lost = self.model.forfeit()
        if lost is not None and self.app is not None:
            self.app.report_game(lost)
        self._send(self.model.leave())
        if self.auto is not None:
            self.auto.stop()
        self.close(tuple(self.model.summaries))

    # Input --------------------------------------------------------------------------------------

    def handle(self, event: pygame.event.Event) -> bool:
        if event.type in (pygame.MOUSEMOTION, pygame.WINDOWLEAVE, pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
            return self._mouse(event)
        if event.type != pygame.KEYDOWN:
            return False
        return self._key(event)

    def _mouse(self, event: pygame.event.Event) -> bool:
        """Hover shows where a mark would go; a click plays there, or presses a button."""
        if event.type == pygame.MOUSEMOTION:
            self.buttons.handle(event)
            self.hover = board_layout(self._size()).cell_at(event.pos)
            return False
        if event.type == pygame.WINDOWLEAVE:
            self.hover = None
            self.buttons.handle(event)
            return False
        if self.buttons.handle(event):
            return True
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            cell = board_layout(self._size()).cell_at(event.pos)
            if cell is not None:
                self.cursor_visible = False
                self.place(*cell)
                return True
        return False

    def _key(self, event: pygame.event.Event) -> bool:
        """Esc leaves, a digit plays its square, R asks for a rematch; arrows and Enter work the cursor or the buttons."""
        key = event.key
        if key == pygame.K_ESCAPE:
            self.leave()
            return True
        if key in DIGIT_CELLS:
            self.cursor_visible = False
            self.place(*DIGIT_CELLS[key])
            return True
        if key == pygame.K_r and self.model.can_rematch:
            self.request_rematch()
            return True
        if not self.model.playing or key == pygame.K_TAB:
            return self.buttons.handle(event)  # Tab, arrows and Enter work the buttons
        if key in ARROWS:
            dr, dc = ARROWS[key]
            self.buttons.focus_visible = False
            self.cursor = (min(3, max(1, self.cursor[0] + dr)), min(3, max(1, self.cursor[1] + dc)))
            self.cursor_visible = True
            return True
        if key in ACTIVATE_KEYS:
            if self.buttons.focus_visible:
                return self.buttons.handle(event)  # the player tabbed to a button
            self.cursor_visible = True
            self.place(*self.cursor)
            return True
        return False

    # Events ---------------------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        model = self.model
        was_new_game = model.view is None
        previous_game = model.view.game if model.view is not None else None
        effects = model.apply(event)
        self._effects(effects)
        if model.view is not None and (was_new_game or model.view.game != previous_game):
            self.cursor = (2, 2)
        if self.auto is not None:
            if not effects.sounds and model.toast is not None and model.toast.at == self.now:
                self.auto.retry(self.now, can_rematch=model.can_rematch)  # the server refused: think again
            if model.view is not None:
                self.auto.observe(model.view, self.now, can_rematch=model.can_rematch)
        self._sync_buttons()

    def _effects(self, effects: Effects) -> None:
        app = self.app
        if app is None:
            return
        for sound in effects.sounds:
            app.play_sound(sound)
        if effects.finished is not None:
            app.report_game(effects.finished)

    def _sync_buttons(self) -> None:
        """The buttons that fit the moment: Leave while playing; Rematch (or its waiting state) and Leave after a game.

        After Rematch is pressed the focus stays on it (now "Waiting for Bob"), so a second
        Enter cannot leave the match by accident.
        """
        model = self.model
        state = (model.can_rematch, model.rematch_label)
        if state == self._buttons_for:
            return
        first = self._buttons_for is None or not self._buttons_for[0]
        self._buttons_for = state
        if model.can_rematch:
            waiting = model.waiting_for_rematch
            self._rematch_button.label = later(lambda: self.model.rematch_label)
            self._rematch_button.style = ButtonStyle.NORMAL if waiting else ButtonStyle.PRIMARY
            self._rematch_button.hint = "" if waiting else "R"
            self.buttons.set_rows([[self._rematch_button, self._leave_button]])
            if first:
                self.buttons.focus_on(self._rematch_button)
        else:
            self.buttons.set_rows([[self._leave_button]])
        self.buttons.focus_visible = model.can_rematch
        self.relayout()

    # Time -----------------------------------------------------------------------------------------

    def update(self, now: float) -> None:
        self.model.tick(now)
        if self.auto is not None and not self.model.left:
            command = self.auto.poll(now)
            if isinstance(command, SendMove):
                if not self.place(command.row, command.col):
                    self.auto.retry(now, can_rematch=self.model.can_rematch)
            elif isinstance(command, RequestRematch):
                self.request_rematch()

    @property
    def animating(self) -> bool:
        model, now = self.model, self.now
        if model.toast_text is not None or (
            model.server_message_text is not None and now - model.server_message_at > SERVER_MESSAGE_SECONDS - FADE_SECONDS
        ):
            return True
        if not self.animations_on:
            return False
        if any(now - t < POP_SECONDS for t in model.pops.values()):
            return True
        return model.ended_at is not None and now - model.ended_at < max(BANNER_SECONDS, LINE_DELAY + LINE_SECONDS)

    def next_deadline(self) -> float | None:
        model, now = self.model, self.now
        due: list[float] = []
        if self.auto is not None and self.auto.due is not None:
            due.append(self.auto.due)
        if model.server_message is not None:
            due.append(model.server_message_at + SERVER_MESSAGE_SECONDS - FADE_SECONDS)
        if model.turn_seconds_left is not None:
            due.append(now + TIMER_REFRESH)
        for seconds_left in self._countdowns():
            if seconds_left is not None and seconds_left > 0:
                frac = seconds_left % 1.0
                due.append(now + (frac if frac > 1e-6 else 1.0))
        return min(due) if due else None

    def _countdowns(self) -> list[float | None]:
        return [self.model.rematch_left_exact]

    # Drawing ----------------------------------------------------------------------------------------

    def layout(self, size: tuple[int, int]) -> None:
        lay = board_layout(size)
        s = lay.scale
        buttons = self.buttons.buttons
        w = min(int(230 * s), (lay.buttons.width - int(16 * s)) // max(1, len(buttons)))
        gap = int(16 * s)
        total = len(buttons) * w + (len(buttons) - 1) * gap
        x = lay.buttons.centerx - total // 2
        for b in buttons:
            b.rect = pygame.Rect(x, lay.buttons.y, w, lay.buttons.height)
            x += w + gap

    def draw(self, surface: pygame.Surface) -> None:
        lay = board_layout(surface.get_size())
        self.draw_board(surface, lay)
        self.buttons.draw(surface, self.fonts, lay.scale)
        self.draw_footer(surface, self.hint_text, lay.hint.height)

    def draw_board(self, surface: pygame.Surface, lay: BoardLayout) -> None:
        self.paint_board(surface, lay)

    def paint_board(self, surface: pygame.Surface, lay: BoardLayout, *, badge_card: int = 0) -> BoardPainter:
        """Draw the model with this screen's painter (``badge_card``: the card that keeps room for a round button);
        the painter, which knows where it put things."""
        painter = self.painter(self.fonts, self.progress, badge_card=badge_card)
        painter.draw(surface, lay, self.model, Look(self.hover, self.cursor, self.cursor_visible))
        return painter


def open_bot_game(app: App, level: Level) -> BoardScreen:
    """Start a match against the bot at ``level`` and show it; results go into the player's stats."""
    tag = app.next_game_tag(f"bot-{level}")
    warm_up(level, app.settings.auto_level)
    controller = LocalController(
        level,
        player_name=app.userdata.profile.name,
        seed=app.settings.seed_for(tag),
        clock=app.clock,
        think_seconds=app.settings.think_seconds,
    )
    model = BoardModel(mode=GameMode.BOT, level=controller.level, wall_clock=app.wall_clock)
    screen = BoardScreen(controller, model, own_source=True)
    app.push(screen)
    return screen

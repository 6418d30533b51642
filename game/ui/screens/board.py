"""The board screen: one match, game after game, against the bot or a person.

It shows what the match handler's states say, never more: both players, our mark,
whose turn it is, the last move, the winning line, the result from the view's own
``result``, the turn and rematch countdowns when the state carries them. Moves and
rematches go out through a controller as ``net.messages`` commands, and everything
comes back as events, so a game against the bot and a game over the network run
through the same code. Every event of ``net.messages`` a match can meet is handled
(opponent away or gone, connection lost and regained, server messages). Only an away
opponent or a lost connection pauses the board; a server message is shown in a strip
over the board for a few seconds while play goes on (a stock XOXO server sends no
state after it, so a board that waited for one would never move again).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pygame

from game.bot import Level, best_moves, parse_level
from game.refusal import Refusal
from game.rules import EMPTY, PLAYERS, Board, Cell, Termination
from game.ui import theme
from game.ui.autoplay import AutoPlayer
from game.ui.controller import Controller, EventSource, GameSummary, LocalController
from game.ui.render import (
    blit_center,
    ease_out_back,
    ease_out_cubic,
    ellipsize,
    mark_surface,
    thick_line,
    translucent,
    wrap_text,
)
from game.ui.screens.base import Screen
from game.ui.widgets import ACTIVATE_KEYS, Button
from game.xoxo import PROTOCOL, MatchLabel, MatchView
from net.messages import (
    ConnectionLost,
    Disconnected,
    Event,
    Failure,
    LeaveMatch,
    MatchGone,
    MatchUpdate,
    MoveRejected,
    OpponentAway,
    OpponentLeft,
    Reconnected,
    RequestRematch,
    SendMove,
    ServerMessage,
)

if TYPE_CHECKING:
    from game.ui.app import App

POP_SECONDS = 0.22
LINE_DELAY = 0.12
LINE_SECONDS = 0.38
BANNER_SECONDS = 0.3
TOAST_SECONDS = 2.2
SERVER_MESSAGE_SECONDS = 6.0  # how long a server's message stays over the board
FADE_SECONDS = 0.3  # toasts and server messages fade out over their last this many seconds
SERVER_MESSAGE_LINES = 2
TIMER_REFRESH = 0.25  # how often the turn-timer bar moves

# Digits in numeric keypad layout: 7 8 9 is the top row, 1 2 3 the bottom one.
DIGIT_CELLS: dict[int, Cell] = {}
for _digit, _cell in zip("789456123", [(r, c) for r in (1, 2, 3) for c in (1, 2, 3)]):
    DIGIT_CELLS[getattr(pygame, f"K_{_digit}")] = _cell
    DIGIT_CELLS[getattr(pygame, f"K_KP{_digit}")] = _cell

ARROWS = {pygame.K_UP: (-1, 0), pygame.K_DOWN: (1, 0), pygame.K_LEFT: (0, -1), pygame.K_RIGHT: (0, 1)}

RESULT_TEXT = {"win": "You won", "loss": "You lost", "draw": "Draw"}
RESULT_COLOR = {"win": theme.ACCENT, "loss": theme.X_COLOR, "draw": theme.TEXT}
RESULT_SOUND = {"win": "win", "loss": "loss", "draw": "draw"}

OVERLAY_NOTICES = ("away", "connection", "gone")  # the notices that pause the board


@dataclass(frozen=True)
class BoardLayout:
    """Where everything on the board screen goes for one window size."""

    size: tuple[int, int]
    scale: float
    plates: tuple[pygame.Rect, pygame.Rect]
    status: pygame.Rect
    board: pygame.Rect
    banner: pygame.Rect
    buttons: pygame.Rect
    hint: pygame.Rect

    @property
    def cell(self) -> float:
        return self.board.width / 3

    def cell_rect(self, row: int, col: int) -> pygame.Rect:
        c = self.cell
        return pygame.Rect(round(self.board.x + (col - 1) * c), round(self.board.y + (row - 1) * c), round(c), round(c))

    def cell_center(self, row: int, col: int) -> tuple[int, int]:
        c = self.cell
        return (round(self.board.x + (col - 0.5) * c), round(self.board.y + (row - 0.5) * c))

    def cell_at(self, pos: tuple[int, int]) -> Cell | None:
        """The (row, col) under ``pos``, or None off the board."""
        x, y = pos
        if not self.board.collidepoint(x, y):
            return None
        c = self.cell
        col = min(3, int((x - self.board.x) // c) + 1)
        row = min(3, int((y - self.board.y) // c) + 1)
        return (row, col)


def board_layout(size: tuple[int, int]) -> BoardLayout:
    """Lay the board screen out for a window of ``size``: plates on top, the board, then result and buttons."""
    w, h = size
    s = theme.scale_for(size)
    pad = int(20 * s)
    content_w = min(w - 2 * pad, int(720 * s))
    left = (w - content_w) // 2
    plate_h = int(64 * s)
    gap = int(12 * s)
    plate_w = (content_w - gap) // 2
    plates = (pygame.Rect(left, pad, plate_w, plate_h), pygame.Rect(left + content_w - plate_w, pad, plate_w, plate_h))
    status = pygame.Rect(left, plates[0].bottom + int(8 * s), content_w, int(34 * s))
    hint_h = int(22 * s)
    buttons_h = int(52 * s)
    banner_h = int(74 * s)
    hint = pygame.Rect(left, h - pad // 2 - hint_h, content_w, hint_h)
    buttons = pygame.Rect(left, hint.top - int(6 * s) - buttons_h, content_w, buttons_h)
    banner = pygame.Rect(left, buttons.top - int(8 * s) - banner_h, content_w, banner_h)
    top = status.bottom + int(10 * s)
    side = max(60, min(content_w, banner.top - int(6 * s) - top, int(560 * s)))
    board = pygame.Rect((w - side) // 2, top + (banner.top - int(6 * s) - top - side) // 2, side, side)
    return BoardLayout(size, s, plates, status, board, banner, buttons, hint)


def one_line(text: str) -> str:
    """``text`` (from a server) on one line: control characters and runs of whitespace become single spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


class BoardScreen(Screen):
    """A match on screen: click or type to play, see the bot or the opponent answer, rematch or leave.

    ``controller`` takes the commands. With ``own_source`` the screen also registers
    the controller as an App event source while it is shown (a local game); a
    networked game leaves that to the bridge, which is always polled. ``mode`` and
    ``level`` (default: the controller's attributes of those names, else "online"
    and None) label the game summaries.
    """

    name = "board"
    leave_label = "Menu"  # the button (and Esc) that ends the match and goes back

    def __init__(
        self,
        controller: Controller,
        *,
        own_source: bool = False,
        mode: str | None = None,
        level: str | None = None,
        label: MatchLabel = MatchLabel(PROTOCOL),
    ):
        super().__init__()
        self.controller = controller
        self.label = label  # what the server offers: a Rematch button only where it takes requests
        self.own_source = own_source
        self.mode: str = mode or getattr(controller, "mode", None) or "online"
        self.level: str | None = level if level is not None else getattr(controller, "level", None)
        self.view: MatchView | None = None
        self.last_move: Cell | None = None
        self.hover: Cell | None = None
        self.cursor: Cell = (2, 2)
        self.cursor_visible = False
        self.match_over = False  # no more games in this match (opponent left, match gone)
        self.notice: str | None = None  # a persistent message (opponent away, connection lost, ...)
        self.notice_kind: str | None = None
        self.toast_text: str | None = None
        self.server_message: str | None = None  # the server's last words, shown for SERVER_MESSAGE_SECONDS
        self.summaries: list[GameSummary] = []
        self.score = {1: 0, 2: 0}
        self.left = False
        self.auto: AutoPlayer | None = None
        self._view_at = 0.0
        self._pops: dict[Cell, float] = {}
        self._ended_at: float | None = None
        self._toast_at = 0.0
        self._server_message_at = 0.0
        self._retry_at: float | None = None
        self._pending_move: Cell | None = None
        self._rematch_game: int | None = None  # the game after which we asked for a rematch
        self._rematch_button = Button("Rematch", self.request_rematch, style="primary", hint="R")
        self._menu_button = Button(self.leave_label, self.leave, hint="Esc")
        self._buttons_for: tuple[object, ...] | None = None
        self._sync_buttons()

    # Lifecycle ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        app = self.app
        assert app is not None
        if self.own_source and isinstance(self.controller, EventSource):
            app.add_source(self.controller)
        if app.settings.auto_level:
            rng = random.Random(app.derive_seed(app.next_game_tag("auto")))
            self.auto = AutoPlayer(app.settings.auto_level, rng=rng, delay=app.settings.auto_delay)

    def on_unmount(self) -> None:
        if not self.left:
            self.left = True
            self.controller.send(LeaveMatch())
        if self.own_source and self.app is not None and isinstance(self.controller, EventSource):
            self.app.remove_source(self.controller)

    # What is on screen (for players and tests) ------------------------------------------------

    @property
    def game_over(self) -> bool:
        return self.view is not None and self.view.board.is_over

    @property
    def can_rematch(self) -> bool:
        return self.label.extended and self.game_over and not self.match_over and not self.left

    @property
    def banner_text(self) -> str | None:
        """'You won', 'You lost', 'Draw' from the view's result once a game is over; else None."""
        view = self.view
        if view is None or not view.board.is_over:
            return None
        if view.result is not None:
            return RESULT_TEXT[view.result]
        winner = view.board.outcome.winner if view.board.outcome else None
        return f"{view.name_of(winner)} won" if winner else "Game over"

    @property
    def detail_text(self) -> str:
        """Why the game ended, and the rematch countdown if there is one."""
        view = self.view
        if view is None or view.board.outcome is None:
            return ""
        out = view.board.outcome
        me = view.you
        them = view.name_of(3 - me) if me in (1, 2) else "Your opponent"
        result = view.result
        # (if we won, if we lost, if we only watched)
        reasons = {
            Termination.DRAW: ("Nobody wins this one",) * 3,
            Termination.TIMEOUT: (f"{them} ran out of time", "You ran out of time", "Out of time"),
            Termination.OPPONENT_LEFT: (f"{them} left the game", "You left the game", "A player left"),
            Termination.LINE: ("Three in a row!", f"{them} got three in a row", "Three in a row"),
        }
        why = reasons[out.termination][{"win": 0, "loss": 1}.get(result or "", 2)]
        countdown = self.rematch_seconds_left
        if countdown is not None and not self.match_over:
            why += f"  ·  Next game in {countdown} s"
        return why

    @property
    def status_text(self) -> str:
        """Whose turn it is (with the turn timer), or what we are waiting for."""
        view = self.view
        if view is None:
            return "Setting up the board…"
        if view.board.is_over:
            return f"Game {view.game}"
        if self.match_over:
            return "Match over"
        if self.notice_kind in OVERLAY_NOTICES:
            return "Game paused"
        opponent = view.name_of(3 - view.you) if view.you in (1, 2) else view.name_of(view.board.to_move)
        if view.your_turn:
            text = "Your turn"
        elif self.mode == "bot":
            text = f"{opponent} is thinking…"
        else:
            text = f"Waiting for {opponent}…"
        left = self.turn_seconds_left
        if left is not None:
            text += f"  ·  {math.ceil(left)} s"
        return text

    @property
    def turn_seconds_left(self) -> float | None:
        view = self.view
        if view is None or view.board.is_over or view.turn_seconds_left is None:
            return None
        if not view.opponent_connected or self.notice_kind in OVERLAY_NOTICES:
            return view.turn_seconds_left  # the host holds the clock while someone is away
        return max(0.0, view.turn_seconds_left - (self.now - self._view_at))

    @property
    def rematch_seconds_left(self) -> int | None:
        view = self.view
        if view is None or view.rematch_countdown is None or not view.board.is_over:
            return None
        return max(0, math.ceil(view.rematch_countdown - (self.now - self._view_at) - 1e-9))

    @property
    def retry_seconds_left(self) -> int | None:
        if self._retry_at is None:
            return None
        return max(0, math.ceil(self._retry_at - self.now - 1e-9))

    @property
    def notice_text(self) -> str | None:
        """The persistent message on the board (opponent away, connection lost, match gone), if any."""
        if self.notice_kind == "connection" and self._retry_at is not None:
            return f"{self.notice} — retrying in {self.retry_seconds_left} s"
        return self.notice

    @property
    def toast_visible(self) -> bool:
        return self.toast_text is not None and self.now - self._toast_at < TOAST_SECONDS

    @property
    def server_message_text(self) -> str | None:
        """'Server: …' while a message from the server shows over the board, else None."""
        if self.server_message is None or self.now - self._server_message_at >= SERVER_MESSAGE_SECONDS:
            return None
        return f"Server: {self.server_message}"

    def cell_center(self, row: int, col: int) -> tuple[int, int]:
        """Where the centre of square (row, col) is in the current window."""
        return board_layout(self._size()).cell_center(row, col)

    def _size(self) -> tuple[int, int]:
        return self.app.size if self.app is not None else theme.DEFAULT_SIZE

    # Commands ------------------------------------------------------------------------------------

    def place(self, row: int, col: int) -> bool:
        """Ask to mark (row, col); says why not (a toast) when it is plainly not possible."""
        view = self.view
        self.cursor = (row, col)
        if view is None or self.left or self.notice_kind in OVERLAY_NOTICES:
            return False
        if view.board.is_over or self.match_over:
            self.toast("This game is over — Rematch or Menu" if self.can_rematch else "This match is over")
            return False
        if not view.your_turn:
            self.toast("Wait for your turn")
            return False
        if view.board.at(row, col) != EMPTY:
            self.toast(Refusal.OCCUPIED.text)
            return False
        if self._pending_move is not None:
            return False
        self._pending_move = (row, col)
        self.controller.send(SendMove(row, col))
        return True

    def request_rematch(self) -> None:
        """Ready for the next game (it starts when the opponent is ready too; the bot always is)."""
        view = self.view
        if not self.can_rematch or view is None or self._rematch_game == view.game:
            return
        self._rematch_game = view.game
        self.controller.send(RequestRematch())
        self._sync_buttons()

    def leave(self) -> None:
        """Leave the match and go back (a game in progress is forfeited)."""
        if not self.left:
            self.left = True
            self.controller.send(LeaveMatch())
        if self.auto is not None:
            self.auto.stop()
        self.close(tuple(self.summaries))

    def toast(self, text: str) -> None:
        """Show ``text`` briefly over the bottom of the board."""
        self.toast_text = text
        self._toast_at = self.now

    # Input -----------------------------------------------------------------------------------------------

    def handle(self, event: pygame.event.Event) -> bool:
        layout = board_layout(self._size())
        if event.type == pygame.MOUSEMOTION:
            self.buttons.handle(event)
            self.hover = layout.cell_at(event.pos)
            return False
        if event.type == pygame.WINDOWLEAVE:
            self.hover = None
            self.buttons.handle(event)
            return False
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
            if self.buttons.handle(event):
                return True
            if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
                cell = layout.cell_at(event.pos)
                if cell is not None:
                    self.cursor_visible = False
                    self.place(*cell)
                    return True
            return False
        if event.type != pygame.KEYDOWN:
            return False
        key = event.key
        if key == pygame.K_ESCAPE:
            self.leave()
            return True
        if key in DIGIT_CELLS:
            self.cursor_visible = False
            self.place(*DIGIT_CELLS[key])
            return True
        if key == pygame.K_r and self.can_rematch:
            self.request_rematch()
            return True
        playing = self.view is not None and not self.view.board.is_over and not self.match_over
        if not playing or key == pygame.K_TAB:
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

    # Events -----------------------------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        if isinstance(event, MatchUpdate):
            self._on_update(event.view)
        elif isinstance(event, MoveRejected):
            self._pending_move = None
            self.toast(event.message if event.reason is Refusal.OTHER and event.message else event.reason.text)
            if event.reason is Refusal.GAME_IN_PROGRESS:
                self._rematch_game = None
            if self.auto is not None:
                self.auto.retry(self.now, can_rematch=self.can_rematch)
        elif isinstance(event, OpponentAway):
            self._set_notice(f"{event.name or 'Your opponent'} disconnected — waiting", "away")
        elif isinstance(event, OpponentLeft):
            self.match_over = True
            name = event.name or "Your opponent"
            how = "lost the connection" if event.reason == "disconnected" else "left"
            self._set_notice(f"{name} {how} — this match is over", "left")
        elif isinstance(event, ServerMessage):
            self.server_message = one_line(event.text)
            self._server_message_at = self.now
        elif isinstance(event, ConnectionLost):
            self._retry_at = self.now + max(0.0, event.retry_in)
            self._set_notice("Connection lost", "connection")
        elif isinstance(event, Reconnected):
            self._retry_at = None
            if self.notice_kind == "connection":
                self._set_notice(None, None)
            self.toast("Reconnected" if event.rejoined else "Reconnected, but the match is gone")
        elif isinstance(event, MatchGone):
            self.match_over = True
            self._retry_at = None
            self._set_notice(event.message or "This match is no longer on the server", "gone")
        elif isinstance(event, Disconnected):
            self.match_over = True
            self._set_notice(event.message or "Disconnected from the server", "gone")
        elif isinstance(event, Failure):
            self.toast(event.message)
        if self.auto is not None and self.view is not None:
            self.auto.observe(self.view, self.now, can_rematch=self.can_rematch)
        self._sync_buttons()

    def _set_notice(self, text: str | None, kind: str | None) -> None:
        self.notice = text
        self.notice_kind = kind
        if kind in OVERLAY_NOTICES:
            self._pending_move = None

    def _on_update(self, view: MatchView) -> None:
        prev = self.view
        now = self.now
        cells = view.board.cells
        new_game = (
            prev is None
            or view.game != prev.game
            or any(old != EMPTY and new == EMPTY for old, new in zip(prev.board.cells, cells))
        )
        if new_game:
            self._pops.clear()
            self.last_move = None
            self._ended_at = None
            self._rematch_game = None
            self.cursor = (2, 2)
        placed = [
            (i // 3 + 1, i % 3 + 1)
            for i, c in enumerate(cells)
            if c != EMPTY and (new_game or prev is None or prev.board.cells[i] == EMPTY)
        ]
        for cell in placed:
            self._pops[cell] = now
        if len(placed) == 1:
            self.last_move = placed[0]
        elif placed:
            self.last_move = None  # several marks at once: we cannot tell which came last
        self.view = view
        self._view_at = now
        self._pending_move = None
        if self.notice_kind == "away" and view.opponent_connected:
            self._set_notice(None, None)
        elif not view.opponent_connected and self.notice_kind in (None, "away"):
            them = view.name_of(3 - view.you) if view.you in (1, 2) else "Your opponent"
            self._set_notice(f"{them} disconnected — waiting", "away")
        if self.notice_kind == "connection":
            self._set_notice(None, None)  # states are flowing again
        if placed and self.app is not None:
            self.app.play_sound("place")
        if view.board.is_over and (new_game or prev is None or not prev.board.is_over):
            self._game_ended(view)

    def _game_ended(self, view: MatchView) -> None:
        self._ended_at = self.now
        out = view.board.outcome
        if out is not None and out.winner in (1, 2):
            self.score[out.winner] += 1
        summary = GameSummary.from_view(view, self.mode, self.level)
        self.summaries.append(summary)
        if self.app is not None:
            if view.result in RESULT_SOUND:
                self.app.play_sound(RESULT_SOUND[view.result])  # type: ignore[arg-type]
            self.app.report_game(summary)

    def _sync_buttons(self) -> None:
        """Show the buttons that fit the moment: Menu while playing; Rematch and Menu after a game."""
        waiting = self.view is not None and self._rematch_game == self.view.game
        state = (self.can_rematch, waiting)
        if state == self._buttons_for:
            return
        self._buttons_for = state
        if self.can_rematch:
            self._rematch_button.label = "Waiting for opponent…" if waiting else "Rematch"
            self._rematch_button.enabled = not waiting
            self._rematch_button.hint = "" if waiting else "R"
            self.buttons.set_rows([[self._rematch_button, self._menu_button]])
            self.buttons.focus_on(self._rematch_button if not waiting else self._menu_button)
        else:
            self.buttons.set_rows([[self._menu_button]])
        self.buttons.focus_visible = self.can_rematch
        self.relayout()

    # Time ------------------------------------------------------------------------------------------------

    def update(self, now: float) -> None:
        if self.toast_text is not None and now - self._toast_at >= TOAST_SECONDS:
            self.toast_text = None
        if self.server_message is not None and now - self._server_message_at >= SERVER_MESSAGE_SECONDS:
            self.server_message = None
        if self.auto is not None and not self.left:
            command = self.auto.poll(now)
            if isinstance(command, SendMove):
                if not self.place(command.row, command.col):
                    self.auto.retry(now, can_rematch=self.can_rematch)
            elif isinstance(command, RequestRematch):
                self.request_rematch()

    @property
    def animating(self) -> bool:
        if self.toast_visible:
            return True
        if self.server_message_text is not None and self._server_message_age() > SERVER_MESSAGE_SECONDS - FADE_SECONDS:
            return True  # fading out
        if self.app is not None and not self.app.settings.animations:
            return False
        now = self.now
        if any(now - t < POP_SECONDS for t in self._pops.values()):
            return True
        if self._ended_at is not None and now - self._ended_at < max(BANNER_SECONDS, LINE_DELAY + LINE_SECONDS):
            return True
        return False

    def next_deadline(self) -> float | None:
        now = self.now
        due: list[float] = []
        if self.auto is not None and self.auto.due is not None:
            due.append(self.auto.due)
        if self.toast_text is not None:
            due.append(self._toast_at + TOAST_SECONDS)
        if self.server_message is not None:
            end = self._server_message_at + SERVER_MESSAGE_SECONDS
            due.append(end - FADE_SECONDS if now < end - FADE_SECONDS else end)
        if self.turn_seconds_left is not None:
            due.append(now + TIMER_REFRESH)
        retry_left = self._retry_at - now if self._retry_at is not None else None
        for seconds_left in (self._rematch_left_exact(), retry_left):
            if seconds_left is not None and seconds_left > 0:
                frac = seconds_left - math.floor(seconds_left)
                due.append(now + (frac if frac > 1e-6 else 1.0))
        return min(due) if due else None

    def _server_message_age(self) -> float:
        return self.now - self._server_message_at

    def _rematch_left_exact(self) -> float | None:
        view = self.view
        if view is None or view.rematch_countdown is None or not view.board.is_over:
            return None
        return view.rematch_countdown - (self.now - self._view_at)

    # Drawing ----------------------------------------------------------------------------------------------

    def layout(self, size: tuple[int, int]) -> None:
        lay = board_layout(size)
        s = lay.scale
        buttons = self.buttons.buttons
        w = int(190 * s) if len(buttons) > 1 else int(170 * s)
        gap = int(16 * s)
        total = len(buttons) * w + (len(buttons) - 1) * gap
        x = lay.buttons.centerx - total // 2
        for b in buttons:
            b.rect = pygame.Rect(x, lay.buttons.y, w, lay.buttons.height)
            x += w + gap

    def draw(self, surface: pygame.Surface) -> None:
        lay = board_layout(surface.get_size())
        fonts = self.fonts
        self._draw_plates(surface, lay, fonts)
        self._draw_status(surface, lay, fonts)
        self._draw_board(surface, lay)
        self._draw_banner(surface, lay, fonts)
        notice = self._draw_notice(surface, lay, fonts)
        self._draw_server_message(surface, lay, fonts, below=notice)
        self._draw_toast(surface, lay, fonts)
        self.buttons.draw(surface, fonts, lay.scale)
        self._draw_hint(surface, lay, fonts)

    def _draw_plates(self, surface: pygame.Surface, lay: BoardLayout, fonts: theme.Fonts) -> None:
        view = self.view
        s = lay.scale
        for index, rect in zip((1, 2), lay.plates):
            to_move = view is not None and not view.board.is_over and view.board.to_move == index
            winner = view is not None and view.board.outcome is not None and view.board.outcome.winner == index
            color = theme.MARK_COLORS[index]
            radius = int(14 * s)
            pygame.draw.rect(surface, theme.PANEL_HIGH if to_move else theme.PANEL, rect, border_radius=radius)
            if to_move or winner:
                ring = color if to_move else theme.ACCENT
                pygame.draw.rect(surface, ring, rect, width=max(2, int(3 * s)), border_radius=radius)
            icon = int(rect.height * 0.56)
            icon_center = (rect.x + rect.height / 2 + 2 * s, rect.centery)
            blit_center(surface, mark_surface(index, icon), icon_center)
            text_x = rect.x + rect.height + 4 * s
            if view is not None:
                name = view.name_of(index)
                you = view.you == index
                caption = "You" if you else ("Computer" if self.mode == "bot" else "Opponent")
            else:
                name, caption = "…", ""
            score = str(self.score[index])
            score_img = fonts.render(score, 28 * s, theme.TEXT if self.score[index] else theme.MUTED)
            score_rect = score_img.get_rect(midright=(rect.right - 16 * s, rect.centery))
            name_max = score_rect.left - 10 * s - text_x
            name_img = fonts.render(name, fonts.fit(name, 21 * s, name_max), theme.TEXT)
            cap_color = color if caption == "You" else theme.MUTED
            cap_img = fonts.render(caption, theme.small(14 * s), cap_color) if caption else None
            block = name_img.get_height() + (cap_img.get_height() + 3 * s if cap_img else 0)
            y = rect.centery - block / 2
            surface.blit(name_img, (text_x, y))
            if cap_img is not None:
                surface.blit(cap_img, (text_x, y + name_img.get_height() + 3 * s))
            surface.blit(score_img, score_rect)

    def _draw_status(self, surface: pygame.Surface, lay: BoardLayout, fonts: theme.Fonts) -> None:
        s = lay.scale
        view = self.view
        text = self.status_text
        color = theme.TEXT if view is not None and view.your_turn and not view.board.is_over else theme.MUTED
        blit_center(surface, fonts.render(text, fonts.fit(text, 20 * s, lay.status.width), color), lay.status.center)
        left = self.turn_seconds_left
        if view is not None and left is not None and view.turn_seconds:
            share = max(0.0, min(1.0, left / view.turn_seconds))
            bar = pygame.Rect(0, 0, lay.board.width, max(3, int(4 * s)))
            bar.midbottom = (lay.board.centerx, lay.status.bottom + int(4 * s))
            pygame.draw.rect(surface, theme.PANEL, bar, border_radius=bar.height)
            fill = bar.copy()
            fill.width = int(bar.width * share)
            mover = theme.X_COLOR if left <= 5 else theme.MARK_COLORS[view.board.to_move]
            if fill.width > 0:
                pygame.draw.rect(surface, mover, fill, border_radius=bar.height)

    def _draw_board(self, surface: pygame.Surface, lay: BoardLayout) -> None:
        s = lay.scale
        view = self.view
        board = lay.board
        cell = lay.cell
        inset = max(3, int(cell * 0.06))
        radius = int(12 * s)
        playing = view is not None and not view.board.is_over and not self.left
        # Last move and hover backgrounds.
        if view is not None and self.last_move is not None:
            who = view.board.at(*self.last_move)
            if who in (1, 2):
                rect = lay.cell_rect(*self.last_move).inflate(-2 * inset, -2 * inset)
                translucent(surface, theme.MARK_COLORS[who], rect, radius, 34)
        hover = self.hover if playing and view is not None and view.your_turn else None
        paused = self.notice_kind in OVERLAY_NOTICES
        if hover is not None and view is not None and view.board.at(*hover) == EMPTY and not paused:
            rect = lay.cell_rect(*hover).inflate(-2 * inset, -2 * inset)
            pygame.draw.rect(surface, theme.PANEL_HIGH, rect, border_radius=radius)
            ghost = mark_surface(view.you if view.you in (1, 2) else view.board.to_move, int(cell * 0.5)).copy()
            ghost.set_alpha(70)
            blit_center(surface, ghost, lay.cell_center(*hover))
        # Grid.
        width = max(3, int(7 * s))
        margin = cell * 0.06
        for i in (1, 2):
            x = board.x + i * cell
            y = board.y + i * cell
            thick_line(surface, theme.GRID, (x, board.y + margin), (x, board.bottom - margin), width)
            thick_line(surface, theme.GRID, (board.x + margin, y), (board.right - margin, y), width)
        # Keyboard cursor.
        if playing and self.cursor_visible:
            rect = lay.cell_rect(*self.cursor).inflate(-inset, -inset)
            pygame.draw.rect(surface, theme.ACCENT, rect, width=max(2, int(3 * s)), border_radius=radius)
        if view is None:
            return
        # Marks.
        line = view.line if view.board.is_over else None
        dim = line is not None and self.progress(self._ended_at, LINE_DELAY + LINE_SECONDS) >= 1.0
        mark_size = int(cell * 0.58)
        for i, who in enumerate(view.board.cells):
            if who == EMPTY:
                continue
            pos = (i // 3 + 1, i % 3 + 1)
            image = mark_surface(who, mark_size)
            t = self.progress(self._pops.get(pos), POP_SECONDS)
            if t < 1.0:
                k = 0.35 + 0.65 * ease_out_back(t)
                px = max(2, int(mark_size * k))
                image = pygame.transform.smoothscale(image, (px, px))
            if dim and line is not None and pos not in line:
                image = image.copy()
                image.set_alpha(80)
            blit_center(surface, image, lay.cell_center(*pos))
        # Winning line, drawn across.
        if line is not None:
            t = self.progress(None if self._ended_at is None else self._ended_at + LINE_DELAY, LINE_SECONDS)
            if t > 0:
                (r1, c1), (r3, c3) = line[0], line[-1]
                x1, y1 = lay.cell_center(r1, c1)
                x3, y3 = lay.cell_center(r3, c3)
                dx, dy = x3 - x1, y3 - y1
                length = math.hypot(dx, dy) or 1.0
                ext = cell * 0.32
                sx, sy = x1 - dx / length * ext, y1 - dy / length * ext
                ex, ey = x3 + dx / length * ext, y3 + dy / length * ext
                k = ease_out_cubic(t)
                end = (sx + (ex - sx) * k, sy + (ey - sy) * k)
                stroke = max(4, cell * 0.085)
                shadow = max(2, int(3 * s))
                thick_line(surface, theme.BACKGROUND, (sx, sy + shadow), (end[0], end[1] + shadow), stroke + shadow)
                thick_line(surface, theme.ACCENT, (sx, sy), end, stroke)

    def _draw_banner(self, surface: pygame.Surface, lay: BoardLayout, fonts: theme.Fonts) -> None:
        text = self.banner_text
        if text is None:
            return
        s = lay.scale
        t = ease_out_cubic(self.progress(self._ended_at, BANNER_SECONDS))
        alpha = int(255 * t)
        rise = (1 - t) * 10 * s
        result = self.view.result if self.view is not None else None
        color = RESULT_COLOR.get(result or "", theme.TEXT)
        title = fonts.render(text, fonts.fit(text, 42 * s, lay.banner.width), color)
        detail_text = self.detail_text
        detail = None
        if detail_text:
            detail = fonts.render(detail_text, fonts.fit(detail_text, 18 * s, lay.banner.width), theme.MUTED)
        total = title.get_height() + (int(6 * s) + detail.get_height() if detail else 0)
        y = lay.banner.centery - total / 2 + rise
        for image in (title, detail):
            if image is None:
                continue
            if alpha < 255:
                image = image.copy()
                image.set_alpha(alpha)
            surface.blit(image, image.get_rect(midtop=(lay.banner.centerx, y)))
            y += image.get_height() + int(6 * s)

    def _draw_notice(self, surface: pygame.Surface, lay: BoardLayout, fonts: theme.Fonts) -> pygame.Rect | None:
        """The persistent notice: over the dimmed board if it pauses play, else at the board's top (its rect there)."""
        text = self.notice_text
        if text is None:
            return None
        s = lay.scale
        if self.notice_kind in OVERLAY_NOTICES:
            translucent(surface, theme.BACKGROUND, lay.board.inflate(int(8 * s), int(8 * s)), int(16 * s), 200)
        size = fonts.fit(text, 19 * s, lay.board.width - 40 * s)
        image = fonts.render(text, size, theme.ON_ACCENT)
        box = image.get_rect().inflate(int(32 * s), int(18 * s))
        if self.notice_kind in OVERLAY_NOTICES:
            box.center = lay.board.center
        else:
            box.midtop = (lay.board.centerx, lay.board.top + int(4 * s))
        fill = theme.X_COLOR if self.notice_kind in ("connection", "gone") else theme.ACCENT
        translucent(surface, theme.SHADOW, box.move(0, int(3 * s)), box.height // 2, theme.SHADOW.a)
        pygame.draw.rect(surface, fill, box, border_radius=box.height // 2)
        blit_center(surface, image, box.center)
        return None if self.notice_kind in OVERLAY_NOTICES else box

    @staticmethod
    def _fade(age: float, seconds: float) -> int:
        """The alpha of something shown for ``seconds`` that is ``age`` old: opaque, then fading out at the end."""
        if age < seconds - FADE_SECONDS:
            return 255
        return int(255 * max(0.0, seconds - age) / FADE_SECONDS)

    def _draw_server_message(
        self, surface: pygame.Surface, lay: BoardLayout, fonts: theme.Fonts, *, below: pygame.Rect | None
    ) -> None:
        """The server's message in a strip at the top of the board (``below`` a notice there); clicks go through it."""
        text = self.server_message_text
        if text is None:
            return
        s = lay.scale
        size = theme.small(17 * s)
        font = fonts.get(size)
        room = int(lay.board.width - 56 * s)
        lines = wrap_text(font, text, room)
        cut = len(lines) > SERVER_MESSAGE_LINES  # the last line shown ends in '…'
        lines = lines[:SERVER_MESSAGE_LINES]
        lines = [ellipsize(font, line, room, cut=cut and i == len(lines) - 1) for i, line in enumerate(lines)]
        images = [fonts.render(line, size, theme.TEXT) for line in lines]
        line_h = font.get_linesize()
        pad_x, pad_y = int(18 * s), int(8 * s)
        width = max(i.get_width() for i in images) + 2 * pad_x
        strip = pygame.Rect(0, 0, min(width, lay.board.width - int(16 * s)), len(images) * line_h + 2 * pad_y)
        strip.midtop = (lay.board.centerx, lay.board.top + int(4 * s) if below is None else below.bottom + int(6 * s))
        radius = min(strip.height // 2, int(16 * s))
        layer = pygame.Surface(strip.inflate(0, int(4 * s)).size, pygame.SRCALPHA)
        body = strip.move(-strip.x, -strip.y)
        translucent(layer, theme.SHADOW, body.move(0, int(3 * s)), radius, theme.SHADOW.a)
        pygame.draw.rect(layer, theme.PANEL_HIGH, body, border_radius=radius)
        pygame.draw.rect(layer, theme.ACCENT, body, width=max(1, int(2 * s)), border_radius=radius)
        y = body.y + pad_y
        for image in images:
            layer.blit(image, image.get_rect(midtop=(body.centerx, y)))
            y += line_h
        layer.set_alpha(self._fade(self._server_message_age(), SERVER_MESSAGE_SECONDS))
        surface.blit(layer, strip.topleft)

    def _draw_toast(self, surface: pygame.Surface, lay: BoardLayout, fonts: theme.Fonts) -> None:
        if not self.toast_visible or self.toast_text is None:
            return
        s = lay.scale
        alpha = self._fade(self.now - self._toast_at, TOAST_SECONDS)
        image = fonts.render(self.toast_text, fonts.fit(self.toast_text, 18 * s, lay.board.width - 40 * s), theme.TEXT)
        box = image.get_rect().inflate(int(28 * s), int(16 * s))
        box.midbottom = (lay.board.centerx, lay.board.bottom - int(10 * s))
        translucent(surface, theme.SHADOW, box.move(0, int(3 * s)), box.height // 2, min(alpha, theme.SHADOW.a))
        translucent(surface, theme.PANEL_HIGH, box, box.height // 2, alpha)
        if alpha < 255:
            image = image.copy()
            image.set_alpha(alpha)
        blit_center(surface, image, box.center)

    def _draw_hint(self, surface: pygame.Surface, lay: BoardLayout, fonts: theme.Fonts) -> None:
        s = lay.scale
        sound = self.sound_hint
        esc = f"Esc {self.leave_label.lower()}"
        if self.game_over:
            text = f"R rematch  ·  {esc}  ·  {sound}" if self.can_rematch else f"{esc}  ·  {sound}"
        else:
            text = f"Click or press 1–9 to play  ·  arrows + Enter  ·  {esc}  ·  {sound}"
        size = fonts.fit(text, theme.small(14 * s), lay.hint.width)
        blit_center(surface, fonts.render(text, size, theme.MUTED), lay.hint.center)


def open_bot_game(app: "App", level: str) -> BoardScreen:
    """Start a match against the bot at ``level`` and show it; results go into the player's stats."""
    tag = app.next_game_tag(f"bot-{level}")
    if parse_level(level) is Level.PERFECT:
        # Solve the game now (about 60 ms, once per process) rather than on a frame mid-game.
        for first in PLAYERS:
            best_moves(Board.new(first))
    controller = LocalController(
        level,
        player_name=app.userdata.profile.name,
        seed=app.derive_seed(tag),
        clock=app.clock,
        think_seconds=app.settings.think_seconds,
        on_result=app.userdata.record_result,
    )
    screen = BoardScreen(controller, own_source=True)
    app.push(screen)
    return screen

"""The player's recent games, in every mode, and a replay of any of them move by move.

``HistoryScreen`` shows the record per mode (the bot, the LAN, online) and lists the
games kept in the per-user data folder, newest first: when, where, against whom, the
result and the number of moves. Choosing one (click, or arrows and Enter) opens
``ReplayScreen``, which steps through its moves with the arrow keys or plays them on
its own (Space). Esc goes back from either.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pygame

from game.rules import Board, Result, Termination, winning_line
from ui import theme
from ui.boardmodel import bot_name, shown_name
from ui.i18n import L_, N_, _, later, ngettext
from ui.records import Tally
from ui.render import blit_center, draw_card
from ui.results import GameMode, GameSummary
from ui.screens.base import Canvas, MeasuredScreen, Screen
from ui.screens.boardview import board_layout, draw_marks
from ui.screens.layout import Heights
from ui.textcut import short_name
from ui.theme import Fonts
from ui.widgets import ACTIVATE_KEYS, Button, ButtonStyle, key_down

# TRANSLATORS: where a game was played, on the history's tiles and rows.
MODE_NAMES = {GameMode.BOT: N_("Bot"), GameMode.LAN: N_("LAN"), GameMode.ONLINE: N_("Online")}
# TRANSLATORS: a finished game's result, from the player's side.
RESULT_WORDS = {Result.WIN: N_("Won"), Result.LOSS: N_("Lost"), Result.DRAW: N_("Draw")}
# TRANSLATORS: months, short, as in a date "3 Mar 21:40".
MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"), N_("Aug"), N_("Sep"), N_("Oct"),
          N_("Nov"), N_("Dec"))
RESULT_COLORS = {Result.WIN: theme.ACCENT, Result.LOSS: theme.ERROR, Result.DRAW: theme.TEXT}
STEP_SECONDS = 0.8  # a replay that plays on its own shows a move this often


def when(stamp: float, now: float | None = None) -> str:
    """A game's time as a list shows it: 'Today 14:05', 'Yesterday 09:12', '3 Mar 21:40', '3 Mar 2025'."""
    now = time.time() if now is None else now
    then, today = time.localtime(stamp), time.localtime(now)
    clock = time.strftime("%H:%M", then)
    if then.tm_year == today.tm_year and then.tm_yday == today.tm_yday:
        return _("Today {time}").format(time=clock)
    if then.tm_year == today.tm_year and then.tm_yday == today.tm_yday - 1:
        return _("Yesterday {time}").format(time=clock)
    month = _(MONTHS[then.tm_mon - 1])
    if then.tm_year == today.tm_year:
        # TRANSLATORS: a date this year with its time: "3 Mar 21:40".
        return _("{day} {month} {time}").format(day=then.tm_mday, month=month, time=clock)
    # TRANSLATORS: a date of another year: "3 Mar 2025".
    return _("{day} {month} {year}").format(day=then.tm_mday, month=month, year=then.tm_year)


def where(summary: GameSummary) -> str:
    """'Bot (perfect)', 'LAN', 'Online'."""
    if summary.mode is GameMode.BOT and summary.level:
        return bot_name(summary.level)
    return _(MODE_NAMES[summary.mode])


def opponent_of(summary: GameSummary) -> str:
    """The opponent's name in a game kept in the history (the bot's in the language in use), '?' if unknown."""
    return shown_name(summary.opponent, summary.mode, summary.level) or "?"


def no_result(summary: GameSummary) -> str:
    """What a game without a result is (marked English): aborted, abandoned with no verdict, or only watched."""
    if summary.termination is Termination.ABORTED:
        return N_("Aborted")
    return N_("Abandoned") if summary.abandoned else N_("Watched")


def record_text(tally: Tally) -> str:
    return _("W {wins}  ·  L {losses}  ·  D {draws}").format(wins=tally.wins, losses=tally.losses, draws=tally.draws)


class GameRow(Button):
    """One game of the list: when and where on the left, the opponent, then the result and the moves."""

    def __init__(self, summary: GameSummary, on_press: Callable[[], None]):
        super().__init__(later(lambda: _("{where} vs {opponent}").format(where=where(summary), opponent=opponent_of(summary))),
                         on_press)
        self.summary = summary

    def draw(self, surface: pygame.Surface, fonts: Fonts, scale: float, *, hovered: bool, focused: bool,
             pressed: bool) -> None:
        rect = self.rect
        if rect.width <= 0 or rect.height <= 0:
            return
        s = scale
        fill = theme.BUTTON_PRESSED if pressed else theme.BUTTON_HOVER if hovered else theme.BUTTON
        pygame.draw.rect(surface, fill, rect, border_radius=max(4, int(10 * s)))
        if focused:
            pygame.draw.rect(surface, theme.ACCENT, rect.inflate(int(6 * s), int(6 * s)), width=max(2, int(2.5 * s)),
                             border_radius=max(6, int(13 * s)))
        g = self.summary
        result = g.result
        badge_text = (_(RESULT_WORDS[result]) if result in RESULT_WORDS else _("Over")) if result is not None else _(no_result(g))
        badge = fonts.render(badge_text, 19 * s, RESULT_COLORS.get(result, theme.MUTED) if result else theme.MUTED)
        moves_text = ngettext("{n} move", "{n} moves", len(g.moves)).format(n=len(g.moves))
        moves = fonts.render(moves_text, theme.small(14 * s), theme.MUTED, light=True)
        right = rect.right - int(14 * s)
        surface.blit(badge, badge.get_rect(topright=(right, rect.y + int(8 * s))))
        surface.blit(moves, moves.get_rect(bottomright=(right, rect.bottom - int(7 * s))))
        left = rect.x + int(14 * s)
        room = right - max(badge.get_width(), moves.get_width()) - left - int(16 * s)
        title = _("{you} vs {opponent}").format(you=short_name(g.you) or _("You"), opponent=short_name(opponent_of(g)))
        title_img = fonts.line(title, 19 * s, room, theme.TEXT)
        if g.abandoned:  # in progress when the game stopped: the result is what the server recorded later
            caption = _("{when}  ·  {where}  ·  abandoned").format(when=when(g.ended_at), where=_(MODE_NAMES[g.mode]))
        else:
            caption = _("{when}  ·  {where}  ·  you played {mark}").format(
                when=when(g.ended_at), where=_(MODE_NAMES[g.mode]), mark=g.mark_text)
        cap_img = fonts.line(caption, theme.small(14 * s), room, theme.MUTED, light=True)
        surface.blit(title_img, (left, rect.y + int(7 * s)))
        surface.blit(cap_img, cap_img.get_rect(bottomleft=(left, rect.bottom - int(7 * s))))


class ModeTile(Button):
    """A mode's record (Bot, LAN, Online) at the top of the history; pressing it shows that mode's games alone, again all."""

    def __init__(self, mode: GameMode, record: Callable[[], Tally], on_press: Callable[[], None],
                 chosen: Callable[[], bool]):
        super().__init__(later(lambda: _(MODE_NAMES[mode])), on_press)
        self.mode = mode
        self.record = record
        self.chosen = chosen

    def draw(self, surface: pygame.Surface, fonts: Fonts, scale: float, *, hovered: bool, focused: bool,
             pressed: bool) -> None:
        rect, s = self.rect, scale
        if rect.width <= 0 or rect.height <= 0:
            return
        chosen = self.chosen()
        fill = theme.BUTTON_PRESSED if pressed else theme.BUTTON_HOVER if hovered else theme.PANEL_HIGH if chosen else theme.PANEL
        pygame.draw.rect(surface, fill, rect, border_radius=int(12 * s))
        if chosen:
            pygame.draw.rect(surface, theme.ACCENT, rect, width=max(2, int(2 * s)), border_radius=int(12 * s))
        if focused:
            pygame.draw.rect(surface, theme.ACCENT, rect.inflate(int(8 * s), int(8 * s)), width=max(2, int(2.5 * s)),
                             border_radius=int(15 * s))
        label = fonts.line(self.label, 19 * s, rect.width - 12 * s, theme.ACCENT if chosen else theme.TEXT)
        record = fonts.line(record_text(self.record()), theme.small(14 * s), rect.width - 12 * s, theme.MUTED, light=True,
                            shrink=0)
        total = label.get_height() + record.get_height()
        blit_center(surface, label, (rect.centerx, rect.centery - total / 2 + label.get_height() / 2))
        blit_center(surface, record, (rect.centerx, rect.centery + total / 2 - record.get_height() / 2))


@dataclass(frozen=True)
class HistoryRows(Heights):
    text_rows = frozenset({"title", "stats", "list_gap", "row"})

    pad: int = 20
    title: int = 48
    stats: int = 64
    list_gap: int = 22  # between the records and the list (the count of games shown sits there)
    row: int = 58
    gap: int = 8
    button_gap: int = 16  # between the list and Back's row
    button: int = 50
    footer: int = theme.FOOTER_HEIGHT


@dataclass(frozen=True)
class HistoryLayout:
    """The records per mode under the title, the list of games, Back at the bottom (window pixels)."""

    window: tuple[int, int]
    scale: float
    rows: HistoryRows
    width: int
    left: int
    list_top: int
    list_bottom: int

    @property
    def visible(self) -> int:
        """How many games the list shows at once."""
        h = self.rows
        return max(1, (self.list_bottom - self.list_top + h.gap) // (h.row + h.gap))


def history_layout(size: tuple[int, int]) -> HistoryLayout:
    s = theme.scale_for(size)
    h = HistoryRows().scaled(s, theme.text_scale())
    width = min(size[0] - 2 * h.pad, int(600 * s))
    return HistoryLayout(
        size, s, h, width, (size[0] - width) // 2,
        list_top=h.pad + h.title + h.stats + h.list_gap, list_bottom=size[1] - h.footer - h.button - h.button_gap,
    )


class HistoryScreen(MeasuredScreen[HistoryLayout]):
    """The record per mode and the recent games; choosing one replays it."""

    name = "history"

    def __init__(self) -> None:
        super().__init__()
        self.games: list[GameSummary] = []
        self.rows: list[GameRow] = []
        self.offset = 0  # the first game shown
        self.mode: GameMode | None = None  # the games of one mode alone (its tile was pressed), or all
        self.back_button = Button(L_("Back"), self.back, hint=L_("Esc"))
        self.tiles = [ModeTile(mode, self._record(mode), self._filter(mode), self._chosen(mode)) for mode in GameMode]

    def on_mount(self) -> None:
        assert self.app is not None
        self.games = self.app.userdata.history
        self._show()

    def _record(self, mode: GameMode) -> Callable[[], Tally]:
        return lambda: self.app.userdata.mode_stats[mode] if self.app is not None else Tally()

    def _chosen(self, mode: GameMode) -> Callable[[], bool]:
        return lambda: self.mode is mode

    def _filter(self, mode: GameMode) -> Callable[[], None]:
        def choose() -> None:
            self.mode = None if self.mode is mode else mode
            self._show(keep=self.tiles[list(GameMode).index(mode)])

        return choose

    def _show(self, keep: Button | None = None) -> None:
        """List the games of the mode chosen (or all), from the newest; the focus on ``keep``, else the first game."""
        shown = [g for g in self.games if self.mode is None or g.mode is self.mode]
        self.rows = [GameRow(g, self._opener(g)) for g in shown]
        self.offset = 0
        self._set_rows(keep)

    def _opener(self, summary: GameSummary) -> Callable[[], None]:
        def open_replay() -> None:
            assert self.app is not None
            self.app.push(ReplayScreen(summary))

        return open_replay

    def _set_rows(self, keep: Button | None = None) -> None:
        self.buttons.set_rows([self.tiles, *([r] for r in self.rows), [self.back_button]])
        if keep is not None:
            self.buttons.focus_on(keep)
        elif self.rows:
            self.buttons.focus_on(self.rows[0])
        self.buttons.focus_visible = bool(self.rows) or keep is not None
        self.relayout()

    def handle(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.MOUSEWHEEL:
            self.scroll(-event.y)
            return True
        used = super().handle(event)
        if used and event.type == pygame.KEYDOWN:
            self._follow_focus()
        return used

    def scroll(self, rows: int) -> None:
        shown = self._visible(self.app.size if self.app is not None else theme.DEFAULT_SIZE)
        self.offset = max(0, min(len(self.rows) - shown, self.offset + rows))
        self.relayout()

    def _follow_focus(self) -> None:
        focus = self.buttons.focus
        if isinstance(focus, GameRow):
            index = self.rows.index(focus)
            shown = self._visible(self.app.size if self.app is not None else theme.DEFAULT_SIZE)
            if index < self.offset:
                self.offset = index
            elif index >= self.offset + shown:
                self.offset = index - shown + 1
            self.relayout()

    # Layout ------------------------------------------------------------------------------------

    def measure(self, size: tuple[int, int]) -> HistoryLayout:
        return history_layout(size)

    def _visible(self, size: tuple[int, int]) -> int:
        return history_layout(size).visible

    def place(self, lay: HistoryLayout) -> None:
        h = lay.rows
        shown = lay.visible
        y = lay.list_top
        for i, row in enumerate(self.rows):
            if self.offset <= i < self.offset + shown:
                row.rect = pygame.Rect(lay.left, y, lay.width, h.row)
                y += h.row + h.gap
            else:
                row.rect = pygame.Rect(0, 0, 0, 0)
        self.back_button.rect = pygame.Rect(0, lay.list_bottom + int(8 * lay.scale), int(200 * lay.scale), h.button)
        self.back_button.rect.centerx = lay.window[0] // 2
        gap = int(10 * lay.scale)
        box_w = (lay.width - 2 * gap) // 3
        for i, tile in enumerate(self.tiles):
            tile.rect = pygame.Rect(lay.left + i * (box_w + gap), h.pad + h.title, box_w, h.stats - int(6 * lay.scale))

    def paint(self, canvas: Canvas, lay: HistoryLayout) -> None:
        surface, fonts, s, h = canvas.surface, canvas.fonts, canvas.scale, lay.rows
        cx = canvas.center_x
        canvas.text(_("History"), 38 * s, theme.TEXT, (cx, h.pad + h.title / 2))
        if not self.rows:
            area = pygame.Rect(lay.left, lay.list_top, lay.width, lay.list_bottom - lay.list_top)
            pygame.draw.rect(surface, theme.PANEL, area, border_radius=int(16 * s))
            empty = _("No games yet") if self.mode is None else _("No {mode} games yet").format(mode=_(MODE_NAMES[self.mode]))
            canvas.fitted(empty, 22 * s, area.width - 24 * s, theme.TEXT, (cx, area.centery - 14 * s))
            again = _("Play one, and it shows up here.") if self.mode is None else _("Choose the tile again to see every game.")
            canvas.fitted(again, theme.small(16 * s), area.width - 24 * s, theme.MUTED, (cx, area.centery + 16 * s),
                          light=True)
        hidden = len(self.rows) - lay.visible
        if hidden > 0:
            more = ngettext("{first}–{last} of {n}", "{first}–{last} of {n}", len(self.rows)).format(
                first=self.offset + 1, last=min(len(self.rows), self.offset + lay.visible), n=len(self.rows))
            image = fonts.render(more, theme.small(13 * s), theme.MUTED, light=True)
            surface.blit(image, image.get_rect(bottomright=(lay.left + lay.width, lay.list_top - int(2 * s))))
        self.buttons.draw(surface, fonts, s)
        focus = self.buttons.focus if self.buttons.focus_visible else None
        if isinstance(focus, ModeTile):
            hint = _("Enter shows every game") if self.mode is focus.mode else \
                _("Enter shows the {mode} games alone").format(mode=focus.label)
            self.draw_footer(surface, _("{enter}  ·  Esc goes back").format(enter=hint), h.footer)
        else:
            self.draw_footer(surface, _("Arrows or the wheel move  ·  Enter replays  ·  Esc goes back"), h.footer)


class ReplayScreen(Screen):
    """One finished game again, move by move: arrows step, Space plays, Home/End jump, Esc goes back."""

    name = "replay"

    def __init__(self, summary: GameSummary):
        super().__init__()
        self.summary = summary
        self.positions = summary.positions()
        self.step = len(self.positions) - 1  # opens on the end, as the game finished
        self.playing = False
        self._stepped_at = 0.0
        self._moved_at: float | None = None
        self.prev_button = Button(L_("Back a move"), lambda: self.go(self.step - 1), hint="←")
        self.play_button = Button(L_("Play"), self.toggle_play, style=ButtonStyle.PRIMARY, hint=L_("Space"))
        self.next_button = Button(L_("Next move"), lambda: self.go(self.step + 1), hint="→")
        self.back_button = Button(L_("Back"), self.back, hint=L_("Esc"))
        self.buttons.set_rows([[self.prev_button, self.play_button, self.next_button], [self.back_button]])
        self.buttons.focus_on(self.play_button)

    @property
    def board(self) -> Board:
        return self.positions[self.step]

    @property
    def caption(self) -> str:
        g = self.summary
        you, opponent = short_name(g.you) or _("You"), short_name(opponent_of(g))
        if g.mode is GameMode.BOT:
            return _("{you} ({mark}) vs {opponent}  ·  {when}").format(you=you, mark=g.mark_text, opponent=opponent,
                                                                        when=when(g.ended_at))
        return _("{you} ({mark}) vs {opponent}  ·  {where}  ·  {when}").format(
            you=you, mark=g.mark_text, opponent=opponent, where=where(g), when=when(g.ended_at))

    @property
    def status_text(self) -> str:
        last = len(self.positions) - 1
        if last == 0:  # a game over before its first move (a player left, or the time ran out): its result at once
            return _("No moves  ·  {result}").format(result=self.result_text)
        if self.step == 0:
            return _("The empty board: {mark} moves first").format(mark=self.summary.first)
        if self.step == last:
            return _("Move {step} of {last}  ·  {result}").format(step=self.step, last=last, result=self.result_text)
        return _("Move {step} of {last}").format(step=self.step, last=last)

    @property
    def result_text(self) -> str:
        g = self.summary
        if g.result is None:
            return _(no_result(g)) if g.abandoned or g.termination is Termination.ABORTED else _("Game over")
        how = {
            Termination.LINE: N_("three in a row"),
            Termination.DRAW: N_("a full board"),
            Termination.TIMEOUT: N_("time ran out"),
            Termination.OPPONENT_LEFT: N_("a player left"),
            Termination.CLAIMED: N_("claimed while a player was away"),
            Termination.DRAW_CALLED: N_("called while a player was away"),
            Termination.ABORTED: N_("no first move"),
        }[g.termination]
        if g.termination is Termination.OPPONENT_LEFT and g.result is not Result.DRAW:
            # Who left: a game lost this way is one the player left (or, abandoned, did not come back to); a game won,
            # one the opponent left.
            how = (N_("you did not come back") if g.abandoned else N_("you left")) if g.result is Result.LOSS else \
                N_("{name} left")
        # TRANSLATORS: a replay's result and why, e.g. "Won (three in a row)".
        return _("{result} ({how})").format(result=_(RESULT_WORDS[g.result]),
                                            how=_(how).format(name=short_name(opponent_of(g))))

    def go(self, step: int) -> None:
        step = max(0, min(len(self.positions) - 1, step))
        if step != self.step:
            self._moved_at = self.now if step > self.step else None
            self.step = step
        if self.step == len(self.positions) - 1:
            self.playing = False
        self._sync()

    def toggle_play(self) -> None:
        if not self.playing and self.step == len(self.positions) - 1:
            self.step = 0  # from the start again
        self.playing = not self.playing
        self._stepped_at = self.now
        self._sync()

    def _sync(self) -> None:
        self.play_button.label = L_("Pause") if self.playing else L_("Play")

    def handle(self, event: pygame.event.Event) -> bool:
        if key_down(event, pygame.K_LEFT):
            self.go(self.step - 1)
            return True
        if key_down(event, pygame.K_RIGHT):
            self.go(self.step + 1)
            return True
        if key_down(event, pygame.K_HOME, pygame.K_END):
            self.go(0 if event.key == pygame.K_HOME else len(self.positions) - 1)
            return True
        if key_down(event, pygame.K_SPACE):
            self.toggle_play()
            return True
        if key_down(event, *ACTIVATE_KEYS) and not self.buttons.focus_visible:
            self.toggle_play()
            return True
        return super().handle(event)

    def update(self, now: float) -> None:
        if self.playing and now - self._stepped_at >= STEP_SECONDS:
            self._stepped_at = now
            self.go(self.step + 1)

    def next_deadline(self) -> float | None:
        return self._stepped_at + STEP_SECONDS if self.playing else None

    @property
    def animating(self) -> bool:
        return self._moved_at is not None and self.animations_on and self.now - self._moved_at < 0.3

    def layout(self, size: tuple[int, int]) -> None:
        lay = board_layout(size)
        s = lay.scale
        gap = int(10 * s)
        w = (lay.buttons.width - 2 * gap) // 3
        y = lay.message.y + int(20 * s)
        for i, b in enumerate((self.prev_button, self.play_button, self.next_button)):
            b.rect = pygame.Rect(lay.buttons.x + i * (w + gap), y, w, lay.buttons.height)
        self.back_button.rect = pygame.Rect(0, lay.buttons.y, int(200 * s), lay.buttons.height)
        self.back_button.rect.centerx = size[0] // 2

    def draw(self, surface: pygame.Surface) -> None:
        lay = board_layout(surface.get_size())
        fonts, s = self.fonts, lay.scale
        draw_card(surface, lay.plates[0].y, lay.plates[1].right - lay.plates[0].x, lay.plates[0].height, s)
        caption = self.caption
        blit_center(surface, fonts.line(caption, 19 * s, lay.plates[1].right - lay.plates[0].x - 24 * s, theme.TEXT),
                    (surface.get_width() / 2, lay.plates[0].centery))
        status = self.status_text
        blit_center(surface, fonts.line(status, 20 * s, lay.status.width, theme.MUTED), lay.status.center)
        board = self.board
        line = winning_line(board.cells)
        last = self.summary.moves[self.step - 1] if self.step > 0 else None
        pops = {(last[0], last[1]): self._moved_at} if last is not None and self._moved_at is not None else None
        draw_marks(surface, lay, board, line=line[1] if line else None,
                   last_move=(last[0], last[1]) if last else None, pops=pops, progress=self.progress)
        self.buttons.draw(surface, fonts, s)
        self.draw_footer(surface, _("← → step  ·  Space plays  ·  Home / End  ·  Esc goes back"), lay.hint.height)

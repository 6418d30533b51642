"""The main menu: play the bot at a level (with your record against it), the other ways to play, History, Quit.

The entries below the bot row are data (``MenuEntry``): hosting and joining a LAN game
and playing online each start a trip through the networked screens (``netflow``).
Keyboard: arrows or Tab move, Enter chooses; the mouse hovers and clicks. Esc does not
quit (a second Esc after leaving a game must not close the window): Quit does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import pygame

from game.bot import Level
from ui import theme
from ui.i18n import L_, N_, Text, _, later
from ui.records import Tally
from ui.render import blit_center, mark_surface
from ui.screens.base import Canvas, MeasuredScreen
from ui.screens.board import open_bot_game
from ui.screens.history import HistoryScreen
from ui.screens.layout import ColumnLayout, Heights
from ui.screens.netflow import host_lan_game, join_lan_game, play_online
from ui.screens.settings import SettingsScreen
from ui.widgets import Button, ButtonStyle, key_down

if TYPE_CHECKING:
    from ui.app import App


@dataclass(frozen=True)
class MenuEntry:
    """One full-width menu button: its label and what choosing it does."""

    label: Text  # kept as given: translated when shown (ui.i18n)
    action: Callable[[App], object]
    style: ButtonStyle = ButtonStyle.NORMAL


def _quit(app: App) -> None:
    app.quit(0)


def _history(app: App) -> None:
    app.push(HistoryScreen())


DEFAULT_ENTRIES: tuple[MenuEntry, ...] = (
    MenuEntry(L_("Host a LAN game"), host_lan_game),
    MenuEntry(L_("Join a LAN game"), join_lan_game),
    MenuEntry(L_("Play online"), play_online),
)
def _settings(app: App) -> None:
    app.push(SettingsScreen())


LAST_ROW: tuple[MenuEntry, ...] = (
    MenuEntry(L_("History"), _history),
    MenuEntry(L_("Settings"), _settings),
    MenuEntry(L_("Quit"), _quit),  # a button like its neighbours: bare text read as disabled
)
SETTINGS_KEYS = (pygame.K_s, pygame.K_F2)  # open the settings from the menu

# TRANSLATORS: the bot's three levels, on the menu's buttons.
LEVEL_LABELS = {Level.EASY: N_("Easy"), Level.NORMAL: N_("Normal"), Level.PERFECT: N_("Perfect")}


def record_caption(tally: Tally) -> str:
    """A level's record as the menu shows it, e.g. 'W 3 · L 1 · D 2'."""
    # TRANSLATORS: a record of games: W(ins), L(osses) and D(raws), each a one-letter abbreviation.
    return _("W {wins}  ·  L {losses}  ·  D {draws}").format(wins=tally.wins, losses=tally.losses, draws=tally.draws)


@dataclass(frozen=True)
class MenuRows(Heights):
    text_rows = frozenset({"title", "section"})

    logo: int = 56
    title: int = 58
    section: int = 44
    level: int = 76
    gap: int = 30
    entry: int = 50
    entry_gap: int = 12


MenuLayout = ColumnLayout[MenuRows]


class MenuScreen(MeasuredScreen[MenuLayout]):
    """Title, the three bot levels with the player's record at each, then ``entries``."""

    name = "menu"

    def __init__(self, entries: Sequence[MenuEntry] = DEFAULT_ENTRIES):
        super().__init__()
        self.entries = tuple(entries)
        self.level_buttons = [
            Button(L_(LEVEL_LABELS[level]), self._play(level), caption=later(partial(record_caption, Tally())))
            for level in Level
        ]
        self.entry_buttons = [Button(e.label, self._choose(e), style=e.style) for e in self.entries]
        self.last_buttons = [Button(e.label, self._choose(e), style=e.style) for e in LAST_ROW]
        self.buttons.set_rows([self.level_buttons, *([b] for b in self.entry_buttons), self.last_buttons])

    def _play(self, level: Level) -> Callable[[], None]:
        def play() -> None:
            assert self.app is not None
            open_bot_game(self.app, level)

        return play

    def _choose(self, entry: MenuEntry) -> Callable[[], None]:
        def choose() -> None:
            assert self.app is not None
            entry.action(self.app)

        return choose

    def _refresh_stats(self) -> None:
        if self.app is None:
            return
        stats = self.app.userdata.stats
        for level, button in zip(Level, self.level_buttons, strict=True):
            button.caption = later(partial(record_caption, stats.get(level, Tally())))

    def on_mount(self) -> None:
        self._refresh_stats()

    def on_resume(self) -> None:
        self._refresh_stats()

    def back(self) -> None:
        """Esc does nothing here: Quit (or closing the window) quits."""

    def handle(self, event: pygame.event.Event) -> bool:
        if key_down(event, *SETTINGS_KEYS) and not event.mod & (pygame.KMOD_CTRL | pygame.KMOD_ALT):
            assert self.app is not None
            _settings(self.app)
            return True
        return super().handle(event)

    # Layout ----------------------------------------------------------------------------------

    def measure(self, size: tuple[int, int]) -> MenuLayout:
        entries = len(self.entry_buttons) + 1  # the entries, then the last row

        def order(h: MenuRows) -> list[int]:
            return [h.logo, h.title, h.section, h.level, h.gap, *([h.entry_gap, h.entry] * entries)[1:]]

        return ColumnLayout.centred(size, MenuRows(), order, width=460, margin=48, min_top=16)

    def place(self, lay: MenuLayout) -> None:
        col, h = lay.column, lay.rows
        left = col.left
        y = col.top + h.logo + h.title + h.section
        gap = int(12 * col.scale)
        w = (col.width - 2 * gap) // 3
        for i, b in enumerate(self.level_buttons):
            b.rect = pygame.Rect(left + i * (w + gap), y, w, h.level)
        y += h.level + h.gap
        for b in self.entry_buttons:
            b.rect = pygame.Rect(left, y, col.width, h.entry)
            y += h.entry + h.entry_gap
        part = (col.width - (len(self.last_buttons) - 1) * gap) // len(self.last_buttons)
        for i, b in enumerate(self.last_buttons):
            b.rect = pygame.Rect(left + i * (part + gap), y, part, h.entry)

    def paint(self, canvas: Canvas, lay: MenuLayout) -> None:
        surface, fonts, s = canvas.surface, canvas.fonts, canvas.scale
        col, h = lay.column, lay.rows
        cx = canvas.center_x
        # A small X O X logo over the title.
        y = col.top + h.logo / 2
        icon = int(34 * s)
        for i, player in enumerate((1, 2, 1)):
            blit_center(surface, mark_surface(player, icon), (cx + (i - 1) * icon * 1.35, y))
        # The title, one colour per word.
        words = [("Tic", theme.X_COLOR), ("Tac", theme.O_COLOR), ("Toe", theme.ACCENT)]
        title_size = 54 * s
        images = [fonts.render(w, title_size, c) for w, c in words]
        dash = fonts.render("-", title_size, theme.MUTED)
        total = sum(i.get_width() for i in images) + 2 * dash.get_width()
        x = cx - total / 2
        ty = col.top + h.logo + h.title / 2
        for n, image in enumerate(images):
            surface.blit(image, image.get_rect(midleft=(x, ty)))
            x += image.get_width()
            if n < 2:
                surface.blit(dash, dash.get_rect(midleft=(x, ty)))
                x += dash.get_width()
        section_y = col.top + h.logo + h.title + h.section * 0.55
        canvas.text(_("Play against the bot"), 18 * s, theme.MUTED, (cx, section_y), light=True)
        self.buttons.draw(surface, fonts, s)
        self.draw_footer(surface, _("Arrows or Tab to move  ·  Enter to choose  ·  S settings"), col.footer)

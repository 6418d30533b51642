"""Joining a LAN game: the games heard on the network as they come and go, and a field for an address.

On mount the screen asks the network thread to listen for LAN announcements
(``BrowseLan``) and lists every ``LanGames`` snapshot: each game with its host, its
address and what it is doing (waiting, playing, full). A game of another protocol
version is shown greyed, "Incompatible version", and cannot be chosen. Choosing a
waiting game (click, or Tab/arrows and Enter) or typing host:port signs in to that
host and goes to matchmaking. With ``auto_join`` (``--join`` without an address) the
first joinable game heard is joined at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygame

from net.address import DEFAULT_PORT
from net.beacon import DiscoveredGame, HostState
from net.limits import check_server
from net.messages import BrowseLan, Event, Failure, LanGames, StopBrowsing
from ui import theme
from ui.i18n import L_, N_, _, ngettext, say
from ui.render import blit_center, wrap_text
from ui.screens.base import Canvas
from ui.screens.form import MAX_SERVER_LENGTH, Focusable, FormScreen, draw_field
from ui.screens.layout import Heights
from ui.screens.netkit import draw_lines, draw_spinner
from ui.textcut import short_name
from ui.textfield import TextField
from ui.theme import Fonts
from ui.widgets import Button

UNATTENDED_SEARCH_SECONDS = 60.0  # an unattended --join gives up after this long without a joinable game

# TRANSLATORS: what a game on the LAN list is doing, on its badge.
STATE_LABELS = {HostState.WAITING: N_("Waiting"), HostState.PLAYING: N_("Playing"), HostState.FULL: N_("Full")}


def state_label(game: DiscoveredGame) -> str:
    """What a listed game is doing, as its badge says."""
    if not game.compatible:
        return _("Incompatible version")
    return _(STATE_LABELS.get(game.state, N_("Unknown"))) if game.state is not None else _("Unknown")


class GameRow(Button):
    """One listed LAN game: its name, host and address on the left, its state on the right."""

    def __init__(self, game: DiscoveredGame, on_press: Callable[[], None]):
        super().__init__(game.game, on_press, enabled=game.joinable)
        self.game = game

    @property
    def caption_text(self) -> str:
        game = self.game
        if not game.compatible:
            return _("{address}  ·  {host}  ·  speaks version {version}").format(
                host=short_name(game.host), address=game.endpoint, version=game.version)
        return f"{game.endpoint}  ·  {short_name(game.host)}"  # the address first: it is what a player may need to type

    def draw(
        self, surface: pygame.Surface, fonts: Fonts, scale: float, *, hovered: bool, focused: bool, pressed: bool
    ) -> None:
        rect = self.rect
        if rect.width <= 0 or rect.height <= 0:
            return
        s = scale
        radius = max(4, int(12 * s))
        hovered = hovered and self.enabled
        fill = theme.BUTTON_HOVER if hovered else (theme.BUTTON if self.enabled else theme.BUTTON_DISABLED)
        body = rect.move(0, max(1, int(2 * s))) if pressed and self.enabled else rect
        if pressed and self.enabled:
            fill = theme.BUTTON_PRESSED
        pygame.draw.rect(surface, fill, body, border_radius=radius)
        if focused:
            ring = body.inflate(int(6 * s) + 2, int(6 * s) + 2)
            pygame.draw.rect(surface, theme.ACCENT, ring, width=max(2, int(2.5 * s)), border_radius=radius + int(3 * s))
        game = self.game
        label = state_label(game)
        joinable = self.enabled
        # The state badge on the right.
        badge_size = theme.small(14 * s)
        if joinable:
            badge_fill, badge_text = theme.O_COLOR, theme.ON_ACCENT
        elif game.compatible:
            badge_fill, badge_text = theme.PANEL_HIGH, theme.MUTED
        else:
            badge_fill, badge_text = None, theme.MUTED
        badge_img = fonts.render(label, badge_size, badge_text)
        badge = badge_img.get_rect().inflate(int(18 * s), int(10 * s))
        badge.midright = (body.right - int(14 * s), body.centery)
        if badge_fill is not None:
            pygame.draw.rect(surface, badge_fill, badge, border_radius=badge.height // 2)
        blit_center(surface, badge_img, badge.center)
        # The name and the host's details on the left.
        left = body.x + int(18 * s)
        room = badge.left - int(12 * s) - left
        title_color = theme.TEXT if game.compatible else theme.MUTED
        title = fonts.line(game.game, 20 * s, room, title_color)
        caption = self.caption_text
        cap = fonts.line(caption, theme.small(14 * s), room, theme.MUTED)
        block = title.get_height() + int(4 * s) + cap.get_height()
        y = body.centery - block / 2
        surface.blit(title, (left, y))
        surface.blit(cap, (left, y + title.get_height() + int(4 * s)))


@dataclass(frozen=True)
class LanJoinRows(Heights):
    text_rows = frozenset({"title", "subtitle", "row", "label", "error"})

    pad: int = 24
    title: int = 52
    subtitle: int = 30
    row: int = 64
    row_gap: int = 10
    label_gap: int = 8  # between the list and the field's label
    label: int = 30
    field: int = 48
    error: int = 26
    button_gap: int = 16  # between the field's error line and Back
    button: int = 52
    footer: int = 36


@dataclass(frozen=True)
class LanJoinLayout:
    """The list of games from under the title, the address field under it, Back at the bottom (window pixels)."""

    window: tuple[int, int]
    scale: float
    rows: LanJoinRows
    width: int
    left: int
    list_top: int
    list_bottom: int

    @property
    def visible_rows(self) -> int:
        """How many game rows fit in the list."""
        room = self.list_bottom - self.list_top
        return max(1, (room + self.rows.row_gap) // (self.rows.row + self.rows.row_gap))


def lan_join_layout(size: tuple[int, int]) -> LanJoinLayout:
    s = theme.scale_for(size)
    h = LanJoinRows().scaled(s, theme.text_scale())
    width = min(size[0] - 2 * h.pad, int(560 * s))
    bottom = size[1] - h.footer - h.button - h.button_gap - h.error - h.field - h.label - h.label_gap
    return LanJoinLayout(size, s, h, width, (size[0] - width) // 2, h.pad + h.title + h.subtitle, bottom)


class LanJoinScreen(FormScreen[LanJoinLayout]):
    """The LAN games heard right now, and a field to type an address; choosing one joins it."""

    name = "lan-join"

    def __init__(self, name: str, on_join: Callable[[str], object], *, auto_join: bool = False):
        super().__init__()
        self.auto_join = auto_join
        self.player_name = name
        self.on_join = on_join  # the trip's: join the game at an address as ``name``
        self.games: tuple[DiscoveredGame, ...] = ()
        self.rows: list[GameRow] = []
        self.listening = False
        self.problem: str | None = None  # discovery cannot run (the port is taken): typing still works
        self.address_field = TextField(
            placeholder=L_("host:port, e.g. 192.168.1.20:{port}", port=DEFAULT_PORT), max_length=MAX_SERVER_LENGTH,
            on_submit=self._typed,
        )
        self.join_button = Button(L_("Join"), self.join_typed)
        self.back_button = Button(L_("Back"), self.back, hint=L_("Esc"))
        self.buttons.focus_visible = False
        self._focus_ours = True  # the focus is where the screen put it: the field, then the first joinable game
        self._started: float | None = None
        self._joining = False
        self._gave_up = False
        self._set_rows()

    def focus_order(self) -> Sequence[Focusable]:
        return [*(r for r in self.rows if r.rect.width > 0), self.address_field, self.join_button, self.back_button]

    # Rows --------------------------------------------------------------------------------------------

    def _set_rows(self) -> None:
        """Rebuild the game rows from ``games``, keeping the player's place in the list."""
        focused = self.focus.current
        key = focused.game.endpoint if isinstance(focused, GameRow) else None
        self.rows = [GameRow(g, self._chooser(g)) for g in self.games]
        self.buttons.set_rows([*([r] for r in self.rows), [self.join_button], [self.back_button]])
        if key is not None:
            self.focus.focus(next((r for r in self.rows if r.game.endpoint == key and r.enabled), None))
        elif isinstance(focused, Button):
            self.focus.focus(focused)
        self.relayout()

    def _chooser(self, game: DiscoveredGame) -> Callable[[], None]:
        return lambda: self.join(game.endpoint)

    @property
    def joinable(self) -> list[DiscoveredGame]:
        return [g for g in self.games if g.joinable]

    # Lifecycle -----------------------------------------------------------------------------------------

    def on_mount(self) -> None:
        assert self.app is not None
        self._started = self.now
        self.app.network.send(BrowseLan(self.app.net_settings.discovery_port))
        self.listening = True
        self.focus.focus(self.address_field)  # with no game heard yet, typing an address is what there is to do

    def on_unmount(self) -> None:
        if self.listening and self.app is not None and self.app.has_network:
            self.app.network.send(StopBrowsing())
        self.listening = False

    def on_event(self, event: Event) -> None:
        if isinstance(event, LanGames):
            self.games = event.games
            self.problem = None
            self._set_rows()
            if self._focus_ours and not self.address_field.text:
                shown = self.rows[: self.visible_rows(self.app.size)] if self.app is not None else self.rows
                self.focus.focus(next((r for r in shown if r.enabled), self.address_field))
            if self.auto_join and self.joinable and not self._joining:
                self.join(self.joinable[0].endpoint)
        elif isinstance(event, Failure):
            self.problem = event.message

    def handle(self, event: pygame.event.Event) -> bool:
        if event.type in (pygame.KEYDOWN, pygame.TEXTINPUT, pygame.MOUSEBUTTONDOWN):
            self._focus_ours = False  # the player moves the focus from now on
        return super().handle(event)

    def update(self, now: float) -> None:
        if (
            self.auto_join
            and not self._joining
            and not self._gave_up
            and self._started is not None
            and now - self._started >= UNATTENDED_SEARCH_SECONDS
            and self.app is not None
        ):
            self._gave_up = True
            port = self.app.net_settings.discovery_port
            self.app.stuck(
                f"No joinable LAN game was announced on UDP port {port} within {UNATTENDED_SEARCH_SECONDS:g} s."
            )

    def next_deadline(self) -> float | None:
        if self.auto_join and self._started is not None and not self._gave_up:
            return self._started + UNATTENDED_SEARCH_SECONDS
        return None

    @property
    def animating(self) -> bool:
        return self.animations_on and self.listening and not self.games  # the spinner of the empty list turns

    # Actions ---------------------------------------------------------------------------------------------

    def join(self, server: str) -> None:
        """Sign in to the LAN host at ``server`` and wait for the match there."""
        assert self.app is not None
        self._joining = True
        if self.listening:
            self.app.network.send(StopBrowsing())
            self.listening = False
        self.on_join(server)

    def _typed(self, text: str) -> None:
        """Enter in the field: the address typed, or with none typed, the first waiting game listed."""
        if not text.strip() and self.joinable:
            self.join(self.joinable[0].endpoint)
            return
        self.join_typed()

    def join_typed(self) -> None:
        """Join the address in the field, if it is one."""
        self.submit_field(self.address_field, lambda text: str(check_server(text)), self.join)

    # Layout and drawing -------------------------------------------------------------------------------------

    def measure(self, size: tuple[int, int]) -> LanJoinLayout:
        return lan_join_layout(size)

    def visible_rows(self, size: tuple[int, int]) -> int:
        """How many game rows fit in a window of ``size``."""
        return lan_join_layout(size).visible_rows

    def place(self, lay: LanJoinLayout) -> None:
        h, s = lay.rows, lay.scale
        shown = lay.visible_rows
        y = lay.list_top
        for i, row in enumerate(self.rows):
            if i < shown:
                row.rect = pygame.Rect(lay.left, y, lay.width, h.row)
                y += h.row + h.row_gap
            else:
                row.rect = pygame.Rect(0, 0, 0, 0)  # off the list: not drawn, not clickable
        y = lay.list_bottom + h.label_gap + h.label
        join_w = int(120 * s)
        gap = int(12 * s)
        self.address_field.rect = pygame.Rect(lay.left, y, lay.width - join_w - gap, h.field)
        self.join_button.rect = pygame.Rect(self.address_field.rect.right + gap, y, join_w, h.field)
        y += h.field + h.error + h.button_gap
        self.back_button.rect = pygame.Rect(0, y, int(200 * s), h.button)
        self.back_button.rect.centerx = lay.window[0] // 2

    def paint(self, canvas: Canvas, lay: LanJoinLayout) -> None:
        surface, fonts, s, h = canvas.surface, canvas.fonts, canvas.scale, lay.rows
        cx = canvas.center_x
        canvas.text(_("Join a LAN game"), 38 * s, theme.TEXT, (cx, h.pad + h.title / 2))
        canvas.fitted(self.subtitle, theme.small(16 * s), lay.width, theme.MUTED, (cx, h.pad + h.title + h.subtitle / 2 - 4 * s))
        if self.games:
            hidden = len(self.rows) - lay.visible_rows
            if hidden > 0:
                more = ngettext("and {n} more: make the window taller to see it",
                                "and {n} more: make the window taller to see them", hidden).format(n=hidden)
                canvas.text(more, theme.small(14 * s), theme.MUTED, (cx, lay.list_bottom - 8 * s))
        else:
            box = pygame.Rect(lay.left, lay.list_top, lay.width, lay.list_bottom - lay.list_top)
            self._draw_empty(surface, box, s)
        self.buttons.draw(surface, fonts, s)
        draw_field(surface, fonts, s, self.address_field, _("Or type the host's address"), error=self.error is not None)
        if self.error:
            font_size = theme.small(14 * s)
            line = wrap_text(fonts.get(font_size), say(self.error), lay.width)[0]
            image = fonts.render(line, font_size, theme.ERROR)
            surface.blit(image, (lay.left + 4 * s, self.address_field.rect.bottom + 5 * s))
        hint = _("Click a waiting game or type an address  ·  Tab moves  ·  Esc goes back")
        self.draw_footer(surface, hint, h.footer)

    @property
    def subtitle(self) -> str:
        """What the list shows: how many games, or why there are none."""
        if self.problem:
            return say(self.problem)
        port = self.app.net_settings.discovery_port if self.app is not None else 0
        count = len(self.games)
        if not count:
            return _("Listening for games on your network (UDP port {port})").format(port=port)
        waiting = len(self.joinable)
        games = ngettext("{n} game on your network", "{n} games on your network", count).format(n=count)
        # TRANSLATORS: {games} is "1 game on your network" or "3 games on your network".
        return ngettext("{games}, {n} waiting for an opponent", "{games}, {n} waiting for an opponent", waiting).format(
            games=games, n=waiting)

    def _draw_empty(self, surface: pygame.Surface, box: pygame.Rect, s: float) -> None:
        fonts = self.fonts
        pygame.draw.rect(surface, theme.PANEL, box, border_radius=int(18 * s))
        cx = box.centerx
        y = box.centery - int(70 * s)
        if self.problem:
            draw_lines(surface, fonts, _("Can't look for games on this network."), 20 * s, theme.ERROR, cx, y + 30 * s,
                       box.width - 48 * s, 28 * s)
            draw_lines(surface, fonts, _("You can still join by typing the host's address below."), theme.small(15 * s),
                       theme.MUTED, cx, y + 64 * s, box.width - 48 * s, 22 * s)
            return
        draw_spinner(surface, (cx, y + 24 * s), 22 * s, self.now if self.animating else 0.0)
        width = box.width - 48 * s
        draw_lines(surface, fonts, _("Looking for games…"), 21 * s, theme.TEXT, cx, y + 64 * s, width, 30 * s)
        draw_lines(surface, fonts, _("A game shows up here as soon as someone hosts one on this network."),
                   theme.small(15 * s), theme.MUTED, cx, y + 98 * s, box.width - 48 * s, 22 * s)

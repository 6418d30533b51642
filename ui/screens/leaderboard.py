"""The server's leaderboard: the top 50 with their ranks and ratings, and where the player stands.

Reached from the sign-in screen (its Leaderboard button signs in to the server typed
there). The server keeps the records (Nakama's leaderboard ``xoxo_rating``, on our host
and on Nakama with our module alike: ``net.leaderboard`` reads both): each row is a rank,
a name, a rating (``1508?`` while provisional) and the rated record (wins-losses-draws).
Above the list the player's own standing; a player below the top also sees their
neighbours after it. A server without the board (the stock XOXO module) keeps no ratings,
and the screen says so plainly. The list scrolls with the wheel, the arrows and Page
Up/Down; Esc goes back (and lets go of the server).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import pygame

from net.leaderboard import Leaderboard, LeaderboardEntry
from net.messages import (
    Disconnect,
    Event,
    Failure,
    LeaderboardLoaded,
    LeaderboardUnavailable,
    ShowLeaderboard,
    SignedIn,
    SignIn,
)
from ui import theme
from ui.i18n import L_, _, ngettext, say
from ui.render import blit_center, draw_card
from ui.screens.base import Canvas, MeasuredScreen
from ui.screens.layout import Heights
from ui.screens.netkit import draw_spinner
from ui.seats import server_id
from ui.textcut import short_name
from ui.widgets import Button, ButtonStyle, key_down

SCROLL_KEYS = {pygame.K_UP: -1, pygame.K_DOWN: 1}
PAGE_KEYS = {pygame.K_PAGEUP: -1, pygame.K_PAGEDOWN: 1}


class Phase(enum.StrEnum):
    LOADING = "loading"
    LOADED = "loaded"
    NO_RATINGS = "no_ratings"  # the server keeps no ratings (no leaderboard there)
    FAILED = "failed"


@dataclass(frozen=True)
class Row:
    """One line of the list: a record, or the gap between the top and the player's neighbours (``entry`` None)."""

    entry: LeaderboardEntry | None
    mine: bool = False


def rows_of(board: Leaderboard) -> list[Row]:
    """The list as shown: the top, then (for a player below it) a gap and their neighbours."""
    me = board.me.user_id if board.me is not None else ""
    rows = [Row(e, e.user_id == me) for e in board.top]
    shown = {e.user_id for e in board.top}
    below = [e for e in board.around if e.user_id not in shown]
    if below:
        rows.append(Row(None))
        rows.extend(Row(e, e.user_id == me) for e in below)
    return rows


def ordinal_rank(rank: int) -> str:
    """'#12' (a rank the server gave), '#?' when it did not."""
    return f"#{rank}" if rank > 0 else "#?"


@dataclass(frozen=True)
class LeaderboardRows(Heights):
    text_rows = frozenset({"title", "server", "me", "note", "row", "head", "button_gap"})

    pad: int = 18
    title: int = 46
    server: int = 24
    me: int = 58
    note: int = 22  # what the ? after a rating means
    gap: int = 6
    head: int = 24
    row: int = 34
    button_gap: int = 26  # the count of rows shown sits here, right of Back
    button: int = 50
    footer: int = theme.FOOTER_HEIGHT


@dataclass(frozen=True)
class LeaderboardLayout:
    """The title and server, the player's standing, the list's head and rows, Back at the bottom (window pixels)."""

    window: tuple[int, int]
    scale: float
    rows: LeaderboardRows
    width: int
    left: int
    list_top: int
    list_bottom: int

    @property
    def visible(self) -> int:
        """How many rows the list shows at once."""
        return max(1, (self.list_bottom - self.list_top) // self.rows.row)


def leaderboard_layout(size: tuple[int, int]) -> LeaderboardLayout:
    s = theme.scale_for(size)
    h = LeaderboardRows().scaled(s, theme.text_scale())
    width = min(size[0] - 2 * h.pad, int(620 * s))
    list_top = h.pad + h.title + h.server + h.me + h.note + h.gap + h.head
    list_bottom = size[1] - h.footer - h.button - h.button_gap
    return LeaderboardLayout(size, s, h, width, (size[0] - width) // 2, list_top, list_bottom)


class LeaderboardScreen(MeasuredScreen[LeaderboardLayout]):
    """The top 50 of a server's leaderboard and the player's own rank; signs in to the server to read it."""

    name = "leaderboard"

    def __init__(self, sign_in: SignIn):
        super().__init__()
        self.sign_in = sign_in
        self.server = server_id(sign_in.server)
        self.phase = Phase.LOADING
        self.board: Leaderboard | None = None
        self.rows: list[Row] = []
        self.offset = 0
        self.problem: str = ""  # why the board could not be read (a Phrase, or the server's words)
        self.user_id = ""
        self._started: float | None = None
        self.back_button = Button(L_("Back"), self.back, hint=L_("Esc"))
        self.retry_button = Button(L_("Try again"), self.load, style=ButtonStyle.PRIMARY)
        self._set_buttons()

    def _set_buttons(self) -> None:
        row = [self.retry_button, self.back_button] if self.phase is Phase.FAILED else [self.back_button]
        self.buttons.set_rows([row])
        self.buttons.focus_on(row[0])
        self.buttons.focus_visible = self.phase is Phase.FAILED
        self.relayout()

    # The network --------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        """Sign in to the server and ask for its leaderboard (again, after a failure)."""
        assert self.app is not None
        self.phase, self.problem, self._started = Phase.LOADING, "", self.now
        self._set_buttons()
        network = self.app.network
        network.send(self.sign_in)
        network.send(ShowLeaderboard())

    def on_event(self, event: Event) -> None:
        if isinstance(event, SignedIn):
            self.user_id = event.user_id
        elif isinstance(event, LeaderboardLoaded):
            self._loaded(event.board)
        elif isinstance(event, LeaderboardUnavailable):
            self.phase = Phase.NO_RATINGS if event.no_ratings else Phase.FAILED
            self.problem = event.message
            self._set_buttons()
        elif isinstance(event, Failure) and self.phase is Phase.LOADING:
            self.phase, self.problem = Phase.FAILED, event.message
            self._set_buttons()

    def _loaded(self, board: Leaderboard) -> None:
        self.phase, self.board = Phase.LOADED, board
        self.rows = rows_of(board)
        self.offset = 0
        if board.me is not None and self.app is not None:
            self.app.userdata.note_rating(self.server, self.sign_in.device_id, board.me.score)
        self._set_buttons()

    def back(self) -> None:
        """Back to where the player came from, letting go of the server."""
        if self.app is not None and self.app.has_network:
            self.app.network.send(Disconnect())
        self.close()

    # Input ----------------------------------------------------------------------------------------

    def handle(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.MOUSEWHEEL:
            self.scroll(-event.y)
            return True
        if key_down(event, *SCROLL_KEYS):
            self.scroll(SCROLL_KEYS[event.key])
            return True
        if key_down(event, *PAGE_KEYS):
            self.scroll(PAGE_KEYS[event.key] * self._visible())
            return True
        return super().handle(event)

    def scroll(self, rows: int) -> None:
        self.offset = max(0, min(len(self.rows) - self._visible(), self.offset + rows))

    def _visible(self) -> int:
        return leaderboard_layout(self.app.size if self.app is not None else theme.DEFAULT_SIZE).visible

    @property
    def animating(self) -> bool:
        return self.phase is Phase.LOADING and self.animations_on  # the spinner turns

    # What it says -------------------------------------------------------------------------------------

    @property
    def standing_text(self) -> str:
        """The player's own place: 'You are 12th of 57  ·  1532  ·  W 10  ·  L 3  ·  D 2', or that they have none yet."""
        board = self.board
        me = board.me if board is not None else None
        if me is None:
            return _("You have no rating here yet: play Find an opponent to get one.")
        s = me.standing
        # TRANSLATORS: the player's own line on the leaderboard: rank, of how many, rating, wins, losses, draws.
        return _("You: {rank} of {ranked}  ·  {rating}  ·  W {wins}  ·  L {losses}  ·  D {draws}").format(
            rank=ordinal_rank(me.rank), ranked=max(board.ranked, me.rank) if board is not None else me.rank,
            rating=me.label, wins=s.wins, losses=s.losses, draws=s.draws)

    @property
    def status_text(self) -> str:
        if self.phase is Phase.LOADING:
            return _("Reading the leaderboard…")
        if self.phase is Phase.NO_RATINGS:
            return _("This server keeps no ratings")
        if self.phase is Phase.FAILED:
            return say(self.problem) if self.problem else _("The leaderboard could not be read")
        if not self.rows:
            return _("Nobody has a rating here yet")
        return ""

    @property
    def detail_text(self) -> str:
        if self.phase is Phase.NO_RATINGS:
            return _("Its games are not rated and it has no leaderboard; everything else works as usual.")
        if self.phase is Phase.LOADED and not self.rows:
            return _("Rated games are those against an opponent found with Find an opponent.")
        return ""

    # Layout and drawing -------------------------------------------------------------------------------

    def measure(self, size: tuple[int, int]) -> LeaderboardLayout:
        return leaderboard_layout(size)

    def place(self, lay: LeaderboardLayout) -> None:
        s, h = lay.scale, lay.rows
        buttons = self.buttons.buttons
        gap = int(14 * s)
        w = min(int(200 * s * theme.text_scale()), (lay.width - gap * (len(buttons) - 1)) // len(buttons))
        x = lay.window[0] // 2 - (len(buttons) * w + (len(buttons) - 1) * gap) // 2
        for b in buttons:
            b.rect = pygame.Rect(x, lay.list_bottom + h.button_gap, w, h.button)
            x += w + gap
        self.offset = max(0, min(self.offset, len(self.rows) - lay.visible))

    def paint(self, canvas: Canvas, lay: LeaderboardLayout) -> None:
        surface, s, h = canvas.surface, canvas.scale, lay.rows
        cx = canvas.center_x
        y = h.pad
        canvas.fitted(_("Leaderboard"), 36 * s, lay.width, theme.TEXT, (cx, y + h.title / 2))
        y += h.title
        canvas.fitted(_("Server {server}").format(server=self.server), theme.small(15 * s), lay.width, theme.MUTED,
                      (cx, y + h.server / 2), light=True)
        y += h.server
        if self.phase is Phase.LOADED:
            card = pygame.Rect(lay.left, y + int(4 * s), lay.width, h.me - int(8 * s))
            pygame.draw.rect(surface, theme.PANEL, card, border_radius=int(12 * s))
            color = theme.ACCENT if self.board is not None and self.board.me is not None else theme.MUTED
            canvas.fitted(self.standing_text, 18 * s, card.width - 24 * s, color, card.center)
            note = _("A rating with ? is provisional: it still moves a lot after each game.")
            canvas.fitted(note, theme.small(13 * s), lay.width, theme.MUTED, (cx, y + h.me + h.note / 2), light=True)
        area = pygame.Rect(lay.left, lay.list_top - h.head, lay.width, lay.list_bottom - lay.list_top + h.head)
        if self.phase is Phase.LOADED and self.rows:
            self._paint_list(canvas, lay)
        else:
            self._paint_state(canvas, area)
        self.buttons.draw(surface, canvas.fonts, s)
        hint = _("Arrows or the wheel scroll  ·  Esc goes back") if self.rows else _("Esc goes back")
        self.draw_footer(surface, hint, h.footer)

    def _paint_state(self, canvas: Canvas, area: pygame.Rect) -> None:
        """Loading, no ratings, a failure or an empty board: a sentence (and a spinner while loading) in the list's place."""
        s = canvas.scale
        draw_card(canvas.surface, area.y, area.width, area.height, s)
        room = area.width - 40 * s
        if self.phase is Phase.LOADING:
            draw_spinner(canvas.surface, (area.centerx, area.centery - 30 * s), 26 * s, self.now if self.animating else 0.0)
            canvas.fitted(self.status_text, 20 * s, room, theme.TEXT, (area.centerx, area.centery + 24 * s))
            return
        color = theme.ERROR if self.phase is Phase.FAILED else theme.TEXT
        bottom = canvas.wrapped(self.status_text, 24 * s, room, color, area.centery - 40 * s, max_lines=3)
        if self.detail_text:
            canvas.wrapped(self.detail_text, theme.small(16 * s), room, theme.MUTED, bottom + 8 * s, light=True, max_lines=4)

    def _paint_list(self, canvas: Canvas, lay: LeaderboardLayout) -> None:
        surface, fonts, s, h = canvas.surface, canvas.fonts, canvas.scale, lay.rows
        head = theme.small(13 * s)
        widest_rank = max((ordinal_rank(r.entry.rank) for r in self.rows if r.entry is not None), key=len, default="#")
        rank_w = int(max(64 * s, fonts.get(17 * s).size(widest_rank)[0] + 20 * s,
                         fonts.get(head, light=True).size(_("Rank"))[0] + 20 * s))
        rating_w, record_w = int(78 * s * theme.text_scale()), int(96 * s * theme.text_scale())
        name_x = lay.left + rank_w
        name_w = lay.width - rank_w - rating_w - record_w - int(16 * s)
        y = lay.list_top - h.head
        for text, x, width, right in ((_("Rank"), lay.left + int(10 * s), rank_w, False),
                                      (_("Player"), name_x, name_w, False),
                                      (_("Rating"), lay.left + lay.width - record_w - int(10 * s), rating_w, True),
                                      (_("W-L-D"), lay.left + lay.width - int(10 * s), record_w, True)):
            image = fonts.line(text, head, width, theme.MUTED, light=True)
            surface.blit(image, image.get_rect(midright=(x, y + h.head / 2)) if right else
                         image.get_rect(midleft=(x, y + h.head / 2)))
        y = lay.list_top
        for row in self.rows[self.offset:self.offset + lay.visible]:
            rect = pygame.Rect(lay.left, y, lay.width, h.row - int(4 * s))
            if row.entry is None:
                blit_center(surface, fonts.render("···", 18 * s, theme.MUTED), rect.center)
            else:
                self._paint_row(canvas, rect, row, (rank_w, rating_w, record_w, name_w))
            y += h.row
        hidden = len(self.rows) - lay.visible
        if hidden > 0:
            more = ngettext("{first}–{last} of {n}", "{first}–{last} of {n}", len(self.rows)).format(
                first=self.offset + 1, last=min(len(self.rows), self.offset + lay.visible), n=len(self.rows))
            image = fonts.render(more, theme.small(13 * s), theme.MUTED, light=True)
            surface.blit(image, image.get_rect(midright=(lay.left + lay.width, lay.list_bottom + h.button_gap / 2)))

    def _paint_row(self, canvas: Canvas, rect: pygame.Rect, row: Row, widths: tuple[int, int, int, int]) -> None:
        surface, fonts, s = canvas.surface, canvas.fonts, canvas.scale
        entry = row.entry
        assert entry is not None
        rank_w, rating_w, record_w, name_w = widths
        pygame.draw.rect(surface, theme.PANEL_HIGH if row.mine else theme.PANEL, rect, border_radius=int(9 * s))
        if row.mine:
            pygame.draw.rect(surface, theme.ACCENT, rect, width=max(2, int(2 * s)), border_radius=int(9 * s))
        size = 17 * s
        color = theme.ACCENT if row.mine else theme.TEXT
        rank = fonts.line(ordinal_rank(entry.rank), size, rank_w - 12 * s, theme.MUTED)
        surface.blit(rank, rank.get_rect(midleft=(rect.x + int(10 * s), rect.centery)))
        name = fonts.line(short_name(entry.username) or "?", size, name_w, color)
        surface.blit(name, name.get_rect(midleft=(rect.x + rank_w, rect.centery)))
        rating = fonts.line(entry.label, size, rating_w, color)
        surface.blit(rating, rating.get_rect(midright=(rect.right - record_w - int(10 * s), rect.centery)))
        record = fonts.line(entry.record, theme.small(15 * s), record_w, theme.MUTED, light=True)
        surface.blit(record, record.get_rect(midright=(rect.right - int(10 * s), rect.centery)))


"""Drawing a board screen: where everything goes for a window size, and the pixels.

``board_layout`` places the player cards (with the draws between them), the status
line, the board, the message area under it (the result after a game; a toast, a
server's message or a notice while playing, so nothing ever covers a square), the
buttons and the key hint. ``BoardPainter`` draws a ``BoardModel`` with the input-side
``Look`` (hover, keyboard cursor) and animation progress; ``draw_marks`` alone serves
the replay screen too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pygame

from game.rules import EMPTY, Board, Cell, Line, Result
from ui import theme
from ui.boardmodel import (
    BANNER_SECONDS,
    LINE_DELAY,
    LINE_SECONDS,
    POP_SECONDS,
    SERVER_MESSAGE_SECONDS,
    TOAST_SECONDS,
    BoardModel,
    NoticeKind,
)
from ui.i18n import _, shown
from ui.render import blit_center, ease_out_back, ease_out_cubic, mark_surface, thick_line, translucent, wrap_text
from ui.results import GameMode

FADE_SECONDS = 0.3  # toasts and server messages fade out over their last this many seconds
RESULT_COLOR = {Result.WIN: theme.ACCENT, Result.LOSS: theme.ERROR, Result.DRAW: theme.TEXT}

Progress = Callable[[float | None, float], float]  # (start, duration) -> 0..1


@dataclass(frozen=True)
class BoardLayout:
    """Where everything on the board screen goes for one window size."""

    size: tuple[int, int]
    scale: float
    plates: tuple[pygame.Rect, pygame.Rect]
    draws: pygame.Rect
    status: pygame.Rect
    board: pygame.Rect
    message: pygame.Rect  # under the board: the result, or a toast / server message / notice
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
        return (min(3, int((y - self.board.y) // c) + 1), min(3, int((x - self.board.x) // c) + 1))


def board_layout(size: tuple[int, int]) -> BoardLayout:
    """Lay the board screen out for a window of ``size``: cards on top, the board, then messages and buttons."""
    w, h = size
    s = theme.scale_for(size)
    grow = theme.text_scale()  # the rows of text grow with the player's text size; the board takes what is left
    pad = int(20 * s)
    content_w = min(w - 2 * pad, int(720 * s))
    left = (w - content_w) // 2
    plate_h = int(64 * s * grow)
    draws_w = int(78 * s)
    gap = int(10 * s)
    plate_w = (content_w - draws_w - 2 * gap) // 2
    plates = (pygame.Rect(left, pad, plate_w, plate_h), pygame.Rect(left + content_w - plate_w, pad, plate_w, plate_h))
    draws = pygame.Rect(0, pad, draws_w, plate_h)
    draws.centerx = w // 2
    status = pygame.Rect(left, plates[0].bottom + int(8 * s), content_w, int(34 * s * grow))
    hint_h = int(theme.FOOTER_HEIGHT * s)
    buttons_h = int(52 * s)
    message_h = int(78 * s * grow)
    hint = pygame.Rect(left, h - hint_h, content_w, hint_h)
    buttons = pygame.Rect(left, hint.top - int(4 * s) - buttons_h, content_w, buttons_h)
    message = pygame.Rect(left, buttons.top - int(8 * s) - message_h, content_w, message_h)
    top = status.bottom + int(10 * s)
    side = max(60, min(content_w, message.top - int(6 * s) - top, int(560 * s)))
    board = pygame.Rect((w - side) // 2, top + (message.top - int(6 * s) - top - side) // 2, side, side)
    return BoardLayout(size, s, plates, draws, status, board, message, buttons, hint)


@dataclass(frozen=True)
class Look:
    """What input adds to the picture: the square under the mouse, and the keyboard cursor."""

    hover: Cell | None = None
    cursor: Cell = (2, 2)
    cursor_visible: bool = False


def fade(age: float, seconds: float) -> int:
    """The alpha of something shown for ``seconds`` that is ``age`` old: opaque, then fading out at the end."""
    if age < seconds - FADE_SECONDS:
        return 255
    return int(255 * max(0.0, seconds - age) / FADE_SECONDS)


def draw_grid(surface: pygame.Surface, lay: BoardLayout) -> None:
    s, board, cell = lay.scale, lay.board, lay.cell
    width = max(3, int(7 * s))
    margin = cell * 0.06
    for i in (1, 2):
        x = board.x + i * cell
        y = board.y + i * cell
        thick_line(surface, theme.GRID, (x, board.y + margin), (x, board.bottom - margin), width)
        thick_line(surface, theme.GRID, (board.x + margin, y), (board.right - margin, y), width)


def draw_marks(
    surface: pygame.Surface,
    lay: BoardLayout,
    board: Board,
    *,
    line: Line | None = None,
    last_move: Cell | None = None,
    pops: dict[Cell, float] | None = None,
    ended_at: float | None = None,
    progress: Progress = lambda start, duration: 1.0,
) -> None:
    """The grid, the last move's shade, the marks (popping in), and the winning line drawn across."""
    s, cell = lay.scale, lay.cell
    inset = max(3, int(cell * 0.06))
    radius = int(12 * s)
    if last_move is not None and board.at(*last_move) in (1, 2):
        rect = lay.cell_rect(*last_move).inflate(-2 * inset, -2 * inset)
        translucent(surface, theme.MARK_COLORS[board.at(*last_move)], rect, radius, 34)
    draw_grid(surface, lay)
    dim = line is not None and progress(ended_at, LINE_DELAY + LINE_SECONDS) >= 1.0
    mark_size = int(cell * 0.58)
    for i, who in enumerate(board.cells):
        if who == EMPTY:
            continue
        pos = (i // 3 + 1, i % 3 + 1)
        image = mark_surface(who, mark_size)
        t = progress((pops or {}).get(pos), POP_SECONDS)
        if t < 1.0:
            k = 0.35 + 0.65 * ease_out_back(t)
            px = max(2, int(mark_size * k))
            image = pygame.transform.smoothscale(image, (px, px))
        if dim and line is not None and pos not in line:
            image = image.copy()
            image.set_alpha(80)
        blit_center(surface, image, lay.cell_center(*pos))
    if line is not None:
        t = progress(None if ended_at is None else ended_at + LINE_DELAY, LINE_SECONDS)
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


def draw_pill(surface: pygame.Surface, fonts: theme.Fonts, text: str, size: float, rect: pygame.Rect, *,
              fill: pygame.Color, color: pygame.Color, alpha: int = 255, scale: float = 1.0) -> pygame.Rect:
    """``text`` on a rounded pill centred in ``rect`` (on one line if it fits, else on up to three); its rectangle."""
    room = rect.width - 36 * scale
    shown, fitted = fonts.fit_line(text, size, room)
    lines = [shown] if shown == text else wrap_text(fonts.get(size), text, room, 3)
    images = [fonts.render(line, fitted if shown == text else size, color) for line in lines]
    height = sum(image.get_height() for image in images)
    box = pygame.Rect(0, 0, max(image.get_width() for image in images), height).inflate(int(28 * scale), int(14 * scale))
    box.center = rect.center
    radius = min(box.height // 2, int(22 * scale))
    translucent(surface, theme.SHADOW, box.move(0, int(3 * scale)), radius, min(alpha, theme.SHADOW.a))
    translucent(surface, fill, box, radius, alpha)
    y = box.centery - height / 2
    for image in images:
        if alpha < 255:
            image = image.copy()
            image.set_alpha(alpha)
        blit_center(surface, image, (box.centerx, y + image.get_height() / 2))
        y += image.get_height()
    return box


def badge_room(lay: BoardLayout, card: pygame.Rect, score_left: float) -> pygame.Rect:
    """Where a round button goes inside ``card``: left of its score (which starts at ``score_left``), centred in height."""
    s = lay.scale
    side = min(2 * max(10, int(14 * s)), card.height - 2 * max(4, int(8 * s)))
    room = pygame.Rect(0, 0, side, side)
    room.midright = (int(score_left - 10 * s), card.centery)
    return room


class BoardPainter:
    """Draws one board screen's model; the screen hands it the layout, the look and how far animations are."""

    def __init__(self, fonts: theme.Fonts, progress: Progress, *, badge_card: int = 0):
        self.fonts = fonts
        self.progress = progress
        self.badge_card = badge_card  # the card (1 or 2) that keeps room for a round button (quick reactions), or 0
        self.badge: pygame.Rect | None = None  # where that room is, once the cards are drawn

    def draw(self, surface: pygame.Surface, lay: BoardLayout, model: BoardModel, look: Look) -> None:
        self.plates(surface, lay, model)
        self.status(surface, lay, model)
        self.board(surface, lay, model, look)
        self.message(surface, lay, model)
        self.notice(surface, lay, model)

    # Parts ---------------------------------------------------------------------------------

    def plates(self, surface: pygame.Surface, lay: BoardLayout, model: BoardModel) -> None:
        for index, rect in zip((1, 2), lay.plates, strict=True):
            self._plate(surface, lay, model, index, rect)
        self._draws(surface, lay, model)

    def _plate(self, surface: pygame.Surface, lay: BoardLayout, model: BoardModel, index: int, rect: pygame.Rect) -> None:
        """One player's card: their mark, name and caption, their score on the right (and room for the badge)."""
        view, fonts, s = model.view, self.fonts, lay.scale
        to_move = view is not None and not view.board.is_over and view.board.to_move == index
        winner = view is not None and view.board.outcome is not None and view.board.outcome.winner == index
        color = theme.MARK_COLORS[index]
        radius = int(14 * s)
        pygame.draw.rect(surface, theme.PANEL_HIGH if to_move else theme.PANEL, rect, border_radius=radius)
        if to_move or winner:
            outline = color if to_move else theme.ACCENT
            pygame.draw.rect(surface, outline, rect, width=max(2, int(3 * s)), border_radius=radius)
        icon = int(rect.height * 0.5)
        blit_center(surface, mark_surface(index, icon), (rect.x + rect.height / 2, rect.centery))
        text_x = rect.x + rect.height * 0.92
        mine = view is not None and view.you == index
        name, caption = self._plate_texts(model, index, mine)
        score = str(model.score[index])
        score_img = fonts.render(score, 28 * s, theme.TEXT if model.score[index] else theme.MUTED)
        score_rect = score_img.get_rect(midright=(rect.right - 14 * s, rect.centery))
        text_right = score_rect.left
        if index == self.badge_card:
            self.badge = badge_room(lay, rect, score_rect.left)
            text_right = self.badge.left
        name_max = text_right - 8 * s - text_x
        name_img = fonts.line(name, 21 * s, name_max, theme.TEXT)
        cap_color = theme.MARK_TEXT[index] if mine else theme.MUTED
        cap_img = fonts.line(caption, theme.small(14 * s), name_max, cap_color, light=True) if caption else None
        block = name_img.get_height() + (cap_img.get_height() + 2 * s if cap_img else 0)
        y = rect.centery - block / 2
        surface.blit(name_img, (text_x, y))
        if cap_img is not None:
            surface.blit(cap_img, (text_x, y + name_img.get_height() + 2 * s))
        surface.blit(score_img, score_rect)

    @staticmethod
    def _plate_texts(model: BoardModel, index: int, mine: bool) -> tuple[str, str]:
        """A card's name and the caption under it ("You  ·  1508?")."""
        if model.view is None:
            return "…", ""
        caption = _("You") if mine else (_("Computer") if model.mode is GameMode.BOT else _("Opponent"))
        rating = model.rating_label(index)
        if rating:
            # TRANSLATORS: under a player's name on the board: "You  ·  1508?" (a rated match: their rating).
            caption = _("{who}  ·  {rating}").format(who=caption, rating=rating)
        return model.name_of(index), caption

    def _draws(self, surface: pygame.Surface, lay: BoardLayout, model: BoardModel) -> None:
        fonts, s = self.fonts, lay.scale
        # The draws, between the two cards.
        box = lay.draws
        pygame.draw.rect(surface, theme.PANEL, box, border_radius=int(14 * s))
        number = fonts.render(str(model.score[0]), 26 * s, theme.TEXT if model.score[0] else theme.MUTED)
        label = fonts.line(_("Draws"), theme.small(14 * s), box.width - 8 * s, theme.MUTED, light=True)
        total = number.get_height() + label.get_height()
        blit_center(surface, number, (box.centerx, box.centery - total / 2 + number.get_height() / 2))
        blit_center(surface, label, (box.centerx, box.centery + total / 2 - label.get_height() / 2))

    def status(self, surface: pygame.Surface, lay: BoardLayout, model: BoardModel) -> None:
        s, fonts, view = lay.scale, self.fonts, model.view
        if model.game_over and model.toast_text is not None:
            self._toast(surface, lay.status, model, lay.scale)  # under a result, the toast takes the status line
            return
        text = model.status_text
        mine = view is not None and view.your_turn and not view.board.is_over and not model.paused
        blit_center(surface, fonts.line(text, 20 * s, lay.status.width, theme.TEXT if mine else theme.MUTED), lay.status.center)
        left = model.turn_seconds_left
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

    def board(self, surface: pygame.Surface, lay: BoardLayout, model: BoardModel, look: Look) -> None:
        s, view, cell = lay.scale, model.view, lay.cell
        inset = max(3, int(cell * 0.06))
        radius = int(12 * s)
        hover = look.hover if model.can_move else None
        if hover is not None and view is not None and view.board.at(*hover) == EMPTY:
            rect = lay.cell_rect(*hover).inflate(-2 * inset, -2 * inset)
            pygame.draw.rect(surface, theme.PANEL_HIGH, rect, border_radius=radius)
            ghost = mark_surface(view.you if view.you in (1, 2) else view.board.to_move, int(cell * 0.5)).copy()
            ghost.set_alpha(70)
            blit_center(surface, ghost, lay.cell_center(*hover))
        if look.cursor_visible and model.playing:
            rect = lay.cell_rect(*look.cursor).inflate(-inset, -inset)
            pygame.draw.rect(surface, theme.ACCENT, rect, width=max(2, int(3 * s)), border_radius=radius)
        if view is None:
            draw_grid(surface, lay)
            return
        draw_marks(
            surface, lay, view.board,
            line=view.line if view.board.is_over else None,
            last_move=model.last_move, pops=model.pops, ended_at=model.ended_at, progress=self.progress,
        )

    def message(self, surface: pygame.Surface, lay: BoardLayout, model: BoardModel) -> None:
        """Under the board: the result after a game; while playing, a toast, else the server's words, else a notice."""
        if model.banner_text is not None:
            self._banner(surface, lay, model)
        elif model.toast_text is not None:
            self._toast(surface, lay.message, model, lay.scale)
        elif model.server_message_text is not None:
            self._server_message(surface, lay, model)
        elif model.notice is not None and model.notice.kind not in (NoticeKind.AWAY, NoticeKind.CONNECTION, NoticeKind.GONE):
            draw_pill(surface, self.fonts, shown(model.notice.text), 19 * lay.scale, lay.message, fill=theme.ACCENT,
                      color=theme.ON_ACCENT, scale=lay.scale)

    def notice(self, surface: pygame.Surface, lay: BoardLayout, model: BoardModel) -> None:
        """A notice that pauses play: over the dimmed board (nothing there can be clicked meanwhile)."""
        notice = model.notice
        if notice is None or notice.kind not in (NoticeKind.AWAY, NoticeKind.GONE):
            return
        s = lay.scale
        translucent(surface, theme.BACKGROUND, lay.board.inflate(int(8 * s), int(8 * s)), int(16 * s), 200)
        fill = theme.ERROR if notice.kind is NoticeKind.GONE else theme.ACCENT
        draw_pill(surface, self.fonts, shown(notice.text), 19 * s, lay.board, fill=fill, color=theme.ON_ACCENT, scale=s)

    # Pieces ---------------------------------------------------------------------------------

    def _banner(self, surface: pygame.Surface, lay: BoardLayout, model: BoardModel) -> None:
        fonts, s = self.fonts, lay.scale
        text = model.banner_text or ""
        t = ease_out_cubic(self.progress(model.ended_at, BANNER_SECONDS))
        alpha = int(255 * t)
        rise = (1 - t) * 10 * s
        result = model.view.result if model.view is not None else None
        color = RESULT_COLOR[result] if result is not None else theme.TEXT
        images = [fonts.line(text, 42 * s, lay.message.width, color)]
        detail_font = fonts.get(18 * s, light=True)  # why, and what comes next: two lines at most
        for line in wrap_text(detail_font, model.detail_text, lay.message.width, 2) if model.detail_text else []:
            images.append(fonts.render(line, 18 * s, theme.MUTED, light=True))
        total = sum(image.get_height() for image in images) + int(4 * s) * (len(images) - 1)
        y = lay.message.centery - total / 2 + rise
        for image in images:
            if alpha < 255:
                image = image.copy()
                image.set_alpha(alpha)
            surface.blit(image, image.get_rect(midtop=(lay.message.centerx, y)))
            y += image.get_height() + int(4 * s)

    def _toast(self, surface: pygame.Surface, rect: pygame.Rect, model: BoardModel, s: float) -> None:
        toast = model.toast
        if toast is None:
            return
        alpha = fade(model.now - toast.at, TOAST_SECONDS)
        draw_pill(surface, self.fonts, shown(toast.text), 18 * s, rect, fill=theme.PANEL_HIGH, color=theme.TEXT, alpha=alpha,
                  scale=s)

    def _server_message(self, surface: pygame.Surface, lay: BoardLayout, model: BoardModel) -> None:
        """The server's message over two lines at most, in a framed strip under the board."""
        text = model.server_message_text or ""
        fonts, s = self.fonts, lay.scale
        size = theme.small(17 * s)
        font = fonts.get(size)
        room = int(lay.message.width - 56 * s)
        lines = wrap_text(font, text, room, max_lines=2)
        images = [fonts.render(line, size, theme.TEXT) for line in lines]
        line_h = font.get_linesize()
        strip = pygame.Rect(0, 0, max(i.get_width() for i in images) + int(36 * s), len(images) * line_h + int(16 * s))
        strip.center = lay.message.center
        radius = min(strip.height // 2, int(16 * s))
        layer = pygame.Surface(strip.size, pygame.SRCALPHA)
        body = layer.get_rect()
        pygame.draw.rect(layer, theme.PANEL_HIGH, body, border_radius=radius)
        pygame.draw.rect(layer, theme.ACCENT, body, width=max(1, int(2 * s)), border_radius=radius)
        y = int(8 * s)
        for image in images:
            layer.blit(image, image.get_rect(midtop=(body.centerx, y)))
            y += line_h
        layer.set_alpha(fade(model.now - model.server_message_at, SERVER_MESSAGE_SECONDS))
        surface.blit(layer, strip.topleft)

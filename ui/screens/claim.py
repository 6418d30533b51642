"""While the opponent is away: the seat hold counting down over the board, and the buttons to end the game fairly.

A revision-3 server holds a dropped opponent's seat and lets the player who stayed claim
the win or call a draw once half of the hold has gone (``ui.absence`` counts it). Over the
dimmed board a card says who is away, how long their seat is still held (with a bar), and
when a claim opens; once it has, **Claim the win** and **Call it a draw** join Leave under
the board. Keeping on waiting is doing nothing: when the hold runs out the game is the
absent player's loss anyway.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame

from ui import theme
from ui.boardmodel import BoardModel, NoticeKind
from ui.i18n import L_
from ui.netboardmodel import NetBoardModel
from ui.render import translucent, wrap_text
from ui.screens.boardview import BoardLayout, BoardPainter
from ui.screens.netkit import draw_lines
from ui.widgets import Button, ButtonStyle


class NetBoardPainter(BoardPainter):
    """The board painter of a networked match: an absent opponent's seat hold is a card with its countdown."""

    def notice(self, surface: pygame.Surface, lay: BoardLayout, model: BoardModel) -> None:
        notice = model.notice
        if (isinstance(model, NetBoardModel) and model.absence.hold is not None and notice is not None
                and notice.kind is NoticeKind.AWAY):
            draw_hold(surface, self.fonts, lay, model)
        else:
            super().notice(surface, lay, model)


def draw_hold(surface: pygame.Surface, fonts: theme.Fonts, lay: BoardLayout, model: NetBoardModel) -> None:
    """Over the dimmed board: 'Bob is away', the seconds their seat is still held (and a bar), when a claim opens."""
    absence, now, s = model.absence, model.now, lay.scale
    translucent(surface, theme.BACKGROUND, lay.board.inflate(int(8 * s), int(8 * s)), int(16 * s), 210)
    width = min(lay.board.width - int(12 * s), int(440 * s))
    room = width - int(32 * s)
    title, held, claim = absence.title(model.opponent_name), absence.held_text(now), absence.claim_text(now)
    title_size, held_size, claim_size = 24 * s, 18 * s, theme.small(15 * s)
    title_h = fonts.get(title_size).get_linesize()
    held_h = fonts.get(held_size).get_linesize()
    claim_h = fonts.get(claim_size, light=True).get_linesize()
    title_lines = len(wrap_text(fonts.get(title_size), title, room))
    claim_lines = len(wrap_text(fonts.get(claim_size, light=True), claim, room))
    pad, bar_h, gap = int(16 * s), max(4, int(6 * s)), int(10 * s)
    height = 2 * pad + title_lines * title_h + gap // 2 + held_h + gap + bar_h + gap + claim_lines * claim_h
    card = pygame.Rect(0, 0, width, min(height, lay.board.height))
    card.center = lay.board.center
    translucent(surface, theme.SHADOW, card.move(0, int(4 * s)), int(16 * s), theme.SHADOW.a)
    pygame.draw.rect(surface, theme.PANEL_HIGH, card, border_radius=int(16 * s))
    claimable = absence.claimable
    edge = theme.ACCENT if claimable else theme.MUTED
    pygame.draw.rect(surface, edge, card, width=max(2, int(2 * s)), border_radius=int(16 * s))
    cx = card.centerx
    y = draw_lines(surface, fonts, title, title_size, theme.TEXT, cx, card.y + pad, room, title_h) + gap // 2
    y = draw_lines(surface, fonts, held, held_size, theme.TEXT, cx, y, room, held_h) + gap
    bar = pygame.Rect(card.x + pad, int(y), card.width - 2 * pad, bar_h)
    pygame.draw.rect(surface, theme.PANEL, bar, border_radius=bar_h)
    filled = bar.copy()
    filled.width = int(bar.width * absence.share_left(now))
    if filled.width > 0:
        pygame.draw.rect(surface, theme.ACCENT if claimable else theme.MUTED, filled, border_radius=bar_h)
    color = theme.ACCENT if claimable else theme.MUTED
    draw_lines(surface, fonts, claim, claim_size, color, cx, bar.bottom + gap, room, claim_h, light=True)


def claim_buttons(on_claim: Callable[[], None], on_draw: Callable[[], None]) -> tuple[Button, Button]:
    """Claim the win (the filled one) and Call it a draw, for the board's row once a claim is open."""
    return (Button(L_("Claim the win"), on_claim, style=ButtonStyle.PRIMARY), Button(L_("Call it a draw"), on_draw))

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
from dataclasses import dataclass

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
    texts = (absence.title(model.opponent_name), absence.held_text(now), absence.claim_text(now))
    card = _HoldCard.fitting(fonts, texts, width, lay.board.height - int(8 * s), s)
    box = pygame.Rect(0, 0, width, card.height)
    box.center = lay.board.center
    translucent(surface, theme.SHADOW, box.move(0, int(4 * s)), int(16 * s), theme.SHADOW.a)
    pygame.draw.rect(surface, theme.PANEL_HIGH, box, border_radius=int(16 * s))
    claimable = absence.claimable
    color = theme.ACCENT if claimable else theme.MUTED
    pygame.draw.rect(surface, color, box, width=max(2, int(2 * s)), border_radius=int(16 * s))
    cx, room, gap = box.centerx, card.room, card.gap
    y = draw_lines(surface, fonts, texts[0], card.sizes[0], theme.TEXT, cx, box.y + card.pad, room, card.lines[0]) + gap // 2
    y = draw_lines(surface, fonts, texts[1], card.sizes[1], theme.TEXT, cx, y, room, card.lines[1]) + gap
    bar = pygame.Rect(box.x + card.pad, int(y), box.width - 2 * card.pad, card.bar)
    pygame.draw.rect(surface, theme.PANEL, bar, border_radius=card.bar)
    filled = bar.copy()
    filled.width = int(bar.width * absence.share_left(now))
    if filled.width > 0:
        pygame.draw.rect(surface, color, filled, border_radius=card.bar)
    draw_lines(surface, fonts, texts[2], card.sizes[2], color, cx, bar.bottom + gap, room, card.lines[2], light=True)


@dataclass(frozen=True)
class _HoldCard:
    """The hold card's measures: its text sizes and line heights, smaller until it fits over the board."""

    sizes: tuple[float, float, float]
    lines: tuple[int, int, int]
    height: int
    room: int
    pad: int
    gap: int
    bar: int

    @classmethod
    def fitting(cls, fonts: theme.Fonts, texts: tuple[str, str, str], width: int, room_h: int, s: float) -> _HoldCard:
        card = cls.of(fonts, texts, width, s, 1.0)
        for k in (0.9, 0.8, 0.7, 0.6):
            if card.height <= room_h:
                break
            card = cls.of(fonts, texts, width, s, k)
        return card

    @classmethod
    def of(cls, fonts: theme.Fonts, texts: tuple[str, str, str], width: int, s: float, k: float) -> _HoldCard:
        sizes = (24 * s * k, 18 * s * k, theme.small(15 * s * k))
        lights = (False, False, True)
        lines = tuple(fonts.get(size, light).get_linesize() for size, light in zip(sizes, lights, strict=True))
        pad, gap, bar = int(16 * s * k), int(10 * s * k), max(4, int(6 * s))
        room = width - 2 * pad
        counts = [len(wrap_text(fonts.get(size, light), text, room)) for size, light, text in zip(sizes, lights, texts,
                                                                                                  strict=True)]
        height = 2 * pad + sum(c * line for c, line in zip(counts, lines, strict=True)) + gap // 2 + 2 * gap + bar
        return cls((sizes[0], sizes[1], sizes[2]), (lines[0], lines[1], lines[2]), height, room, pad, gap, bar)


def claim_buttons(on_claim: Callable[[], None], on_draw: Callable[[], None]) -> tuple[Button, Button]:
    """Claim the win (the filled one) and Call it a draw, for the board's row once a claim is open."""
    return (Button(L_("Claim the win"), on_claim, style=ButtonStyle.PRIMARY), Button(L_("Call it a draw"), on_draw))

"""Quick reactions on a networked board: the button in the player's card, the picker, the bubbles (revision 4).

Six fixed phrases (``game.xoxo.Reaction``: ids on the wire, words in the player's language
here), so there is nothing to moderate. The player opens the picker with the small round
button in their own card (left of their score: the card keeps room for it), or with E;
picks with a click, 1 to 6, or the arrows and Enter; Esc (or a click elsewhere) closes it.
Its last row (7) mutes the opponent's reactions for the rest of the match; M stays the
game's sound switch there, as on every screen. A reaction shows as a bubble under the card
of the player who sent it for ``BUBBLE_SECONDS``: the opponent's with a soft sound, the
player's own so they see what they said.

Offered only where the server relays them and the opponent sees them (the label says 4 and
the state says ``reactions``); the player may send ``REACTION_LIMIT`` in any
``REACTION_WINDOW_SECONDS``, the server's own limit, so the picker greys out rather than
let the server refuse one. ``ReactionBar`` holds the state and draws; the board screen
(``ui.screens.reacting``) feeds it input, events and time.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import pygame

from game.xoxo import REACTION_LIMIT, REACTION_WINDOW_SECONDS, Reaction
from net.messages import Command, Event, MatchJoined, MuteReactions, ReactionReceived, SendReaction
from ui import theme
from ui.boardmodel import BoardModel
from ui.i18n import N_, _
from ui.render import SUPERSAMPLE, arc_band, blit_center, ease_out_back, translucent
from ui.screens.boardview import BoardLayout
from ui.textcut import short_name

BUBBLE_SECONDS = 3.5  # a bubble's time on screen
POP_SECONDS = 0.18  # a bubble growing in
BUBBLE_FADE = 0.4  # and fading out over its last this many seconds
OPEN_KEY = pygame.K_e

PHRASES: dict[Reaction, str] = {
    # TRANSLATORS: quick reactions a player sends the opponent during an online game; short, friendly.
    Reaction.HELLO: N_("Hello!"),
    Reaction.GOOD_GAME: N_("Good game"),
    Reaction.WELL_PLAYED: N_("Well played"),
    Reaction.OOPS: N_("Oops"),
    Reaction.THINKING: N_("Thinking…"),
    Reaction.REMATCH: N_("Rematch?"),
}
ORDER = tuple(PHRASES)
_DIGITS = {getattr(pygame, f"K_{n}"): i for i, n in enumerate(range(1, 8))} | {
    getattr(pygame, f"K_KP{n}"): i for i, n in enumerate(range(1, 8))
}  # 1 to 6 the phrases, 7 the mute row


@functools.lru_cache(maxsize=8)
def face(side: int, fill: tuple[int, ...], ink: tuple[int, ...], edge: tuple[int, ...]) -> pygame.Surface:
    """A round smiling face ``side`` pixels across, drawn large and scaled down so that its curves are smooth."""
    big = side * SUPERSAMPLE
    r = big / 2
    layer = pygame.Surface((big, big), pygame.SRCALPHA)
    pygame.draw.circle(layer, edge, (r, r), r)
    pygame.draw.circle(layer, fill, (r, r), r - (max(1, big // 24) if edge != fill else 0))
    for k in (-1, 1):
        pygame.draw.circle(layer, ink, (r + k * r * 0.34, r - r * 0.22), r * 0.12)
    arc_band(layer, ink, (r, r - r * 0.12), r * 0.52, r * 0.13, math.radians(25), math.radians(155))  # the smile
    return pygame.transform.smoothscale(layer, (side, side))


def phrase(reaction: Reaction) -> str:
    """What ``reaction`` says, in the player's language."""
    return _(PHRASES[reaction])


@dataclass(frozen=True)
class Bubble:
    reaction: Reaction
    at: float  # when it appeared


class ReactionBar:
    """The reactions of one networked match: whether they are offered, the picker, the bubbles, the mute."""

    def __init__(self, send: Callable[[Command], None]):
        self._send = send
        self.available = False  # the server relays them and the opponent sees them
        self.me = 0  # our player index (0 before the first state)
        self.opponent = ""
        self.open = False
        self.selected = 0  # the picker's row with the keyboard focus (6: the mute row)
        self.muted = False
        self.bubbles: dict[int, Bubble] = {}  # by player index
        self.sent_at: list[float] = []  # when our last reactions went (the server's limit, kept here too)
        self.heard: list[Reaction] = []  # the opponent's reactions shown, in order (for tests and logs)
        self._room: pygame.Rect | None = None  # where our card keeps room for the button (``place``)
        self._badge: pygame.Rect | None = None  # where the button was drawn (a little larger: easy to hit)
        self._rows: list[pygame.Rect] = []  # where the picker's rows were drawn

    # What the board tells it ------------------------------------------------------------------------

    def sync(self, model: BoardModel) -> None:
        """Follow the match: offered while a match that relays reactions goes on."""
        view = model.view
        self.me = view.you if view is not None else 0
        self.opponent = model.opponent_name
        self.available = bool(view is not None and view.reactions and model.label.reactions and self.me
                              and not model.match_over and not model.left)
        if not self.available:
            self.open = False

    def on_event(self, event: Event, now: float) -> bool:
        """A network event; True if a reaction arrived that the player should hear (a bubble is shown)."""
        if isinstance(event, MatchJoined):
            self.bubbles.clear()
            self.sent_at.clear()
            self.muted = False
        if not isinstance(event, ReactionReceived) or self.muted or not self.me:
            return False
        self.heard.append(event.reaction)
        self.bubbles[3 - self.me] = Bubble(event.reaction, now)
        return True

    # The player --------------------------------------------------------------------------------------

    def wait_seconds(self, now: float) -> float:
        """Seconds until another reaction may go (0: now)."""
        recent = [t for t in self.sent_at if now - t < REACTION_WINDOW_SECONDS]
        self.sent_at = recent
        if len(recent) < REACTION_LIMIT:
            return 0.0
        return recent[0] + REACTION_WINDOW_SECONDS - now

    def react(self, reaction: Reaction, now: float) -> bool:
        """Send ``reaction`` (and show it by our own card); False if it may not go now."""
        if not self.available or self.wait_seconds(now) > 0:
            return False
        self.sent_at.append(now)
        self.bubbles[self.me] = Bubble(reaction, now)
        self._send(SendReaction(reaction))
        self.open = False
        return True

    def mute(self) -> None:
        """Hide the opponent's reactions for the rest of the match."""
        if not self.muted:
            self.muted = True
            self.bubbles.pop(3 - self.me, None)
            self._send(MuteReactions())
        self.open = False

    def handle(self, event: pygame.event.Event, now: float) -> bool:
        """Input for the button and the picker; True if it was theirs."""
        if not self.available:
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            return self._click(event.pos, now)
        if event.type != pygame.KEYDOWN:
            return False
        if not self.open:
            if event.key == OPEN_KEY and not event.mod & (pygame.KMOD_CTRL | pygame.KMOD_ALT):
                self.open, self.selected = True, 0
                return True
            return False
        return self._key(event.key, now)

    def _click(self, pos: tuple[int, int], now: float) -> bool:
        if self.open:
            for i, row in enumerate(self._rows):
                if row.collidepoint(pos):
                    self._choose(i, now)
                    return True
            self.open = False  # a click elsewhere closes the picker, and does nothing else
            return True
        if self._badge is not None and self._badge.collidepoint(pos):
            self.open, self.selected = True, 0
            return True
        return False

    def _key(self, key: int, now: float) -> bool:
        """A key while the picker is open: it takes them all (1-7, arrows, Enter; Esc and E close) but M, the sound's."""
        if key == pygame.K_m:
            return False
        if key in _DIGITS:
            self._choose(_DIGITS[key], now)
        elif key in (pygame.K_UP, pygame.K_DOWN):
            self.selected = (self.selected + (1 if key == pygame.K_DOWN else -1)) % (len(ORDER) + 1)
        elif key in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE):
            self._choose(self.selected, now)
        elif key in (pygame.K_ESCAPE, OPEN_KEY):
            self.open = False
        return True

    def _choose(self, row: int, now: float) -> None:
        if row < len(ORDER):
            self.react(ORDER[row], now)
        else:
            self.mute()

    # Time ---------------------------------------------------------------------------------------------

    def prune(self, now: float) -> None:
        for who, bubble in list(self.bubbles.items()):
            if now - bubble.at >= BUBBLE_SECONDS:
                del self.bubbles[who]

    def animating(self, now: float) -> bool:
        """True while a bubble grows in or fades out."""
        return any(now - b.at < POP_SECONDS or now - b.at > BUBBLE_SECONDS - BUBBLE_FADE for b in self.bubbles.values())

    def next_deadline(self, now: float) -> float | None:
        """When a bubble starts to fade or goes, or the picker may send again."""
        marks = [t for b in self.bubbles.values() for t in (b.at + BUBBLE_SECONDS - BUBBLE_FADE, b.at + BUBBLE_SECONDS)]
        due = [t for t in marks if t > now]
        wait = self.wait_seconds(now) if self.open else 0.0
        if wait > 0:
            due.append(now + (wait % 1.0 or 1.0))  # the picker counts the seconds down
        return min(due) if due else None

    # Drawing ----------------------------------------------------------------------------------------------

    def draw(self, surface: pygame.Surface, fonts: theme.Fonts, lay: BoardLayout, now: float) -> None:
        self.prune(now)
        for who, bubble in self.bubbles.items():
            if who in (1, 2):
                self._bubble(surface, fonts, lay, lay.plates[who - 1], bubble, now)
        self._badge = None
        self._rows = []
        if not self.available:
            return
        if self._room is not None:
            self._draw_badge(surface, lay, self._room)
        if self.open:
            self._picker(surface, fonts, lay, now)

    @property
    def button_rect(self) -> pygame.Rect | None:
        """Where the round button was drawn in the last frame (None: it was not)."""
        return self._room if self._badge is not None else None

    def place(self, room: pygame.Rect | None) -> None:
        """Where our card keeps room for the button this frame (None: nowhere, no button)."""
        self._room = room

    def _draw_badge(self, surface: pygame.Surface, lay: BoardLayout, room: pygame.Rect) -> None:
        """The round button in our card, left of our score: a smiling face (the accent's colours while the picker is open)."""
        s = lay.scale
        fill = theme.ACCENT if self.open else theme.BUTTON_HOVER
        ink = theme.ON_ACCENT if self.open else theme.TEXT
        edge = theme.OUTLINE if theme.outlined() and not self.open else fill
        surface.blit(face(room.width, tuple(fill), tuple(ink), tuple(edge)), room)
        self._badge = room.inflate(int(8 * s), int(8 * s))  # easy to hit

    def _bubble(self, surface: pygame.Surface, fonts: theme.Fonts, lay: BoardLayout, card: pygame.Rect,
                bubble: Bubble, now: float) -> None:
        """A speech bubble under ``card``, its tail pointing up at it; grows in, fades out."""
        s = lay.scale
        age = now - bubble.at
        grow = ease_out_back(min(1.0, age / POP_SECONDS)) if age < POP_SECONDS else 1.0
        alpha = 255 if age < BUBBLE_SECONDS - BUBBLE_FADE else int(255 * max(0.0, BUBBLE_SECONDS - age) / BUBBLE_FADE)
        text = fonts.line(phrase(bubble.reaction), 18 * s, card.width - 28 * s, theme.TEXT)
        box = text.get_rect().inflate(int(24 * s), int(12 * s))
        box.size = (max(1, int(box.width * grow)), max(1, int(box.height * grow)))
        box.midtop = (card.centerx, card.bottom + int(10 * s))
        radius = min(box.height // 2, int(16 * s))
        translucent(surface, theme.SHADOW, box.move(0, int(3 * s)), radius, min(alpha, theme.SHADOW.a))
        translucent(surface, theme.PANEL_HIGH, box, radius, alpha)
        tip = int(8 * s)
        area = box.inflate(4, 4).union(pygame.Rect(box.centerx - tip, box.top - tip - 2, 2 * tip, tip + 2))
        layer = pygame.Surface(area.size, pygame.SRCALPHA)  # the tail and the outline, blended at ``alpha``
        local = box.move(-area.left, -area.top)
        tail = [(local.centerx - tip, local.top + 1), (local.centerx + tip, local.top + 1), (local.centerx, local.top - tip)]
        color = pygame.Color(theme.PANEL_HIGH)
        color.a = alpha
        pygame.draw.polygon(layer, color, tail)
        outline = pygame.Color(theme.ACCENT)
        outline.a = alpha
        pygame.draw.rect(layer, outline, local, width=max(1, int(2 * s)), border_radius=radius)
        surface.blit(layer, area.topleft)
        if grow >= 0.999:
            if alpha < 255:
                text = text.copy()
                text.set_alpha(alpha)
            blit_center(surface, text, box.center)

    def _picker(self, surface: pygame.Surface, fonts: theme.Fonts, lay: BoardLayout, now: float) -> None:
        """The six phrases in two columns and the mute row, in a panel over the board (under the status line)."""
        s = lay.scale
        row_h = max(int(34 * s), fonts.get(18 * s).get_linesize() + int(8 * s))
        head_h = max(int(28 * s), fonts.get(theme.small(14 * s), light=True).get_linesize() + int(6 * s))
        pad = int(8 * s)
        rows = (len(ORDER) + 1) // 2
        panel = pygame.Rect(0, lay.status.bottom + int(8 * s), min(lay.status.width, int(460 * s)),
                            2 * pad + head_h + (rows + 1) * row_h)
        panel.centerx = lay.board.centerx
        radius = int(14 * s)
        translucent(surface, theme.SHADOW, panel.move(0, int(4 * s)), radius, theme.SHADOW.a)
        pygame.draw.rect(surface, theme.PANEL_HIGH, panel, border_radius=radius)
        pygame.draw.rect(surface, theme.ACCENT, panel, width=max(1, int(2 * s)), border_radius=radius)
        wait = self.wait_seconds(now)
        head = (_("Quick reactions  ·  1–6, Esc") if wait <= 0 else
                _("Wait {n} s for the next reaction").format(n=math.ceil(wait)))
        blit_center(surface, fonts.line(head, theme.small(14 * s), panel.width - 2 * pad, theme.MUTED, light=True),
                    (panel.centerx, panel.top + pad + head_h / 2))
        top = panel.top + pad + head_h
        column = (panel.width - 2 * pad) // 2
        cells = [pygame.Rect(panel.left + pad + (i % 2) * column, top + (i // 2) * row_h, column, row_h)
                 for i in range(len(ORDER))]
        cells.append(pygame.Rect(panel.left + pad, top + rows * row_h, panel.width - 2 * pad, row_h))
        labels = [f"{i}  {phrase(r)}" for i, r in enumerate(ORDER, start=1)]
        mute = (_("{name}'s reactions are muted").format(name=short_name(self.opponent)) if self.muted else
                f"{len(ORDER) + 1}  " + _("Mute {name}'s reactions").format(name=short_name(self.opponent)))
        for i, (label, cell) in enumerate(zip([*labels, mute], cells, strict=True)):
            enabled = (wait <= 0) if i < len(ORDER) else not self.muted
            if i == self.selected:
                pygame.draw.rect(surface, theme.BUTTON_HOVER, cell.inflate(-int(4 * s), -int(4 * s)), border_radius=int(8 * s))
            size = 18 * s if i < len(ORDER) else theme.small(15 * s)
            image = fonts.line(label, size, cell.width - int(16 * s), theme.TEXT if enabled else theme.MUTED)
            surface.blit(image, (cell.left + int(8 * s), cell.centery - image.get_height() // 2))
            self._rows.append(cell)

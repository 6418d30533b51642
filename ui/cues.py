"""Attention cues: what a player whose game window is in the background should not miss.

An opponent found, your turn, five seconds left on your turn, the opponent dropped or came
back, a rematch offered: each, when the window does not have the focus, plays its own short
sound (``cue_*.wav``; the Settings screen's "Attention cues" turns them off, apart from the
game's sounds), puts a mark in front of the window's title ("● Your turn — Tic-Tac-Toe")
and asks the window system for attention (SDL's ``SDL_FlashWindow``, through ctypes in the
SDL library pygame loaded, as ``ui.clipboard`` calls SDL's clipboard; nothing where the
video driver or SDL cannot). Everything clears when the window gets the focus back.

Each happening cues once: a turn by its game and move count, a rematch offer by its game,
an absence once until the opponent is back. A cue that comes within a second of another
marks the title but stays silent, so two at once never sound on top of each other.

``AttentionCues`` is fed by the App: the window's focus events, the network thread's
events (``net.messages``; a game against the bot cues nothing) and the time. The sound,
title and flash go through ``CueOutput``, which a test can replace to see what was done.
"""

from __future__ import annotations

import ctypes
import enum
import logging
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import pygame

from game.rules import EMPTY
from net.messages import Event, MatchJoined, MatchUpdate, OpponentAway, OpponentFound, OpponentLeft
from ui import theme
from ui.audio import OnlineSound
from ui.i18n import N_, _, ngettext

log = logging.getLogger(__name__)

HURRY_SECONDS = 5  # the cue before a turn's time runs out
QUIET_SECONDS = 1.0  # a cue this soon after another one marks the title without a sound
MARK = "\u25cf"  # ● in front of the title
FLASH_DRIVERS = frozenset({"x11", "wayland", "windows", "cocoa"})  # video drivers whose windows can ask for attention
SDL_FLASH_CANCEL, SDL_FLASH_UNTIL_FOCUSED = 0, 2
MAX_WINDOW_ID = 64  # pygame opens one window (a new one only after display.quit), so its id stays small


class Cue(enum.Enum):
    """A happening worth a background window's cue: its sound and what the title says."""

    FOUND = ("cue_found", N_("Opponent found"))
    TURN = ("cue_turn", N_("Your turn"))
    HURRY = ("cue_hurry", "")  # the title counts the seconds (ngettext)
    AWAY = ("cue_away", N_("Opponent disconnected"))
    BACK = ("cue_back", N_("Opponent is back"))
    REMATCH = ("cue_rematch", N_("Rematch offered"))

    @property
    def sound(self) -> OnlineSound:
        name: OnlineSound = self.value[0]
        return name

    @property
    def text(self) -> str:
        """What the title says, in the player's language."""
        if self is Cue.HURRY:
            return ngettext("{n} second left", "{n} seconds left", HURRY_SECONDS).format(n=HURRY_SECONDS)
        return _(self.value[1])


def cue_title(cue: Cue | None) -> str:
    """The window's title with ``cue`` marked in front of it (the plain title for None)."""
    if cue is None:
        return theme.TITLE
    return f"{MARK} {cue.text} \u2014 {theme.TITLE}"


class CueOutput(Protocol):
    """Where a cue goes: a sound, the window's title, the window system's attention request."""

    def sound(self, name: OnlineSound) -> None: ...

    def title(self, text: str) -> None: ...

    def flash(self, on: bool) -> None: ...


@dataclass
class _Turn:
    """The player's turn now (by game and moves made), and when its time runs out (None: no clock, or paused)."""

    key: tuple[int, int]
    deadline: float | None


class AttentionCues:
    """Decides when to cue, from focus, network events and time; ``output`` does it."""

    def __init__(self, output: CueOutput, *, sounds_on: bool = True):
        self.output = output
        self.sounds_on = sounds_on  # the player's setting (the App keeps it in step with the profile)
        self.focused = True  # SDL gives a new window the focus; WINDOWFOCUSLOST says otherwise
        self.shown: Cue | None = None  # what the title says now
        self.fired: list[Cue] = []  # every cue given, in order (for tests and logs)
        self._last_sound_at: float | None = None
        self._turn: _Turn | None = None
        self._turn_cued: tuple[int, int] | None = None  # the turn already cued (TURN)
        self._hurried: tuple[int, int] | None = None  # the turn already cued (HURRY)
        self._away = False  # the opponent is away (cued once until they are back)
        self._rematch_cued = 0  # the game whose rematch offer was cued

    # What the App feeds ---------------------------------------------------------------------------

    def window_event(self, event: pygame.event.Event) -> None:
        """The window's focus: losing it arms the cues, getting it back clears everything shown."""
        if event.type == pygame.WINDOWFOCUSLOST:
            self.focused = False
        elif event.type == pygame.WINDOWFOCUSGAINED:
            self.focused = True
            self.clear()

    def on_event(self, event: Event, now: float) -> None:
        """A network event: what changed for the player, cued if the window is in the background."""
        if isinstance(event, MatchJoined):
            self._new_match()
            self._cue(Cue.FOUND, now)
        elif isinstance(event, OpponentFound):  # found while the player plays the bot: it waits for them
            self._cue(Cue.FOUND, now)
        elif isinstance(event, MatchUpdate):
            self._state(event, now)
        elif isinstance(event, OpponentAway):
            if not self._away:
                self._away = True
                self._cue(Cue.AWAY, now)
        elif isinstance(event, OpponentLeft) and not event.me:
            self._turn = None
            self._cue(Cue.AWAY, now)

    def update(self, now: float) -> None:
        """Time passes: five seconds left on the player's turn."""
        turn = self._turn
        if turn is None or turn.deadline is None or self._hurried == turn.key:
            return
        if now >= turn.deadline - HURRY_SECONDS:
            self._hurried = turn.key
            if now < turn.deadline:
                self._cue(Cue.HURRY, now)

    def next_deadline(self) -> float | None:
        """When ``update`` next has something to do (None: nothing pending)."""
        turn = self._turn
        if turn is None or turn.deadline is None or self._hurried == turn.key or self.focused:
            return None  # focused: nothing would sound; the next focus loss comes as an event, which wakes the loop
        return turn.deadline - HURRY_SECONDS

    def clear(self) -> None:
        """Back to the plain title, no attention request."""
        if self.shown is not None:
            self.shown = None
            self.output.title(cue_title(None))
            self.output.flash(False)

    # Deciding --------------------------------------------------------------------------------------

    def _new_match(self) -> None:
        self._turn = None
        self._turn_cued = self._hurried = None
        self._away = False
        self._rematch_cued = 0

    def _state(self, event: MatchUpdate, now: float) -> None:
        view = event.view
        board = view.board
        if view.opponent_connected and self._away:
            self._away = False
            self._cue(Cue.BACK, now)
        if view.your_turn and not board.is_over:
            key = (view.game, sum(1 for cell in board.cells if cell != EMPTY))  # a decoded board has no move list
            running = view.turn_seconds_left is not None and view.opponent_connected
            deadline = now + view.turn_seconds_left if running and view.turn_seconds_left is not None else None
            self._turn = _Turn(key, deadline)
            if self._turn_cued != key:
                self._turn_cued = key
                self._cue(Cue.TURN, now)
        else:
            self._turn = None
        offered = board.is_over and view.opponent and view.asked_rematch(view.opponent) and not view.asked_rematch(view.you)
        if offered and self._rematch_cued != view.game:
            self._rematch_cued = view.game
            self._cue(Cue.REMATCH, now)

    def _cue(self, cue: Cue, now: float) -> None:
        if self.focused:
            return
        self.fired.append(cue)
        log.info("attention cue: %s", cue.name.lower())
        quiet = self._last_sound_at is not None and now - self._last_sound_at < QUIET_SECONDS
        if self.sounds_on and not quiet:
            self._last_sound_at = now
            self.output.sound(cue.sound)
        self.shown = cue
        self.output.title(cue_title(cue))
        self.output.flash(True)


# The window: title and attention request ------------------------------------------------------------


class WindowCues:
    """``CueOutput`` on the game's window: the App's sounds (as cues), pygame's caption, SDL's flash."""

    def __init__(self, play: CuePlayer):
        self._play = play

    def sound(self, name: OnlineSound) -> None:
        self._play(name)

    def title(self, text: str) -> None:
        pygame.display.set_caption(text)

    def flash(self, on: bool) -> None:
        flash_window(on)


class CuePlayer(Protocol):
    def __call__(self, name: OnlineSound) -> object: ...


def flash_window(on: bool) -> bool:
    """Ask the window system for attention until the window is focused (``on``), or stop asking; True if SDL did."""
    try:
        if not pygame.display.get_init() or pygame.display.get_driver() not in FLASH_DRIVERS:
            return False
    except pygame.error as exc:
        log.debug("no window to flash: %s", exc)
        return False
    sdl = _sdl_flash()
    if sdl is None:
        return False
    window = _display_window(sdl)
    if window is None:
        return False
    return bool(sdl.SDL_FlashWindow(window, SDL_FLASH_UNTIL_FOCUSED if on else SDL_FLASH_CANCEL) == 0)


def _display_window(sdl: ctypes.CDLL) -> int | None:
    """The SDL window pygame's display opened (the process has no other), found by id; None if there is none.

    Not through ``pygame._sdl2.video.Window.from_display_module()``: in pygame 2.6 that
    object leaves SDL's window data pointing at itself, and once it is freed the next
    window event (focus coming back) reads freed memory and the game crashes.
    """
    for window_id in range(1, MAX_WINDOW_ID + 1):  # SDL numbers windows from 1 as it opens them
        window: int | None = sdl.SDL_GetWindowFromID(window_id)
        if window:
            return window
    return None


@cache
def _sdl_flash() -> ctypes.CDLL | None:
    """SDL's window calls, typed; None where the library or SDL_FlashWindow (SDL 2.0.16 and later) is missing."""
    from ui.clipboard import _sdl  # the very SDL library pygame loaded, found once

    sdl = _sdl()
    if sdl is None:
        return None
    try:
        sdl.SDL_GetWindowFromID.argtypes = [ctypes.c_uint32]
        sdl.SDL_GetWindowFromID.restype = ctypes.c_void_p
        sdl.SDL_FlashWindow.argtypes = [ctypes.c_void_p, ctypes.c_int]
        sdl.SDL_FlashWindow.restype = ctypes.c_int
    except AttributeError as exc:
        log.debug("SDL cannot flash a window: %s", exc)
        return None
    return sdl

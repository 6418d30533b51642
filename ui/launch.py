"""Start the pygame client from command-line options: the window, the first screen, scripted play.

``main.py`` parses the command line and hands a ``ClientOptions`` here. With ``games``
set the client prints one JSON line per finished game and quits after that many; with
``auto`` a bot plays the player's side. ``play`` starts straight into a game against
the bot or a networked game (online matchmaking, perhaps with a friend code; hosting
or joining a LAN game). Under SDL's dummy video driver all of it runs headless (and,
for ``--games``, without pauses or animations unless an auto delay is asked for); a run
with nobody to click stops with exit code 1 and a one-line reason on stderr when it
cannot go on.
"""

from __future__ import annotations

import enum
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pygame

from game.bot import Level
from ui import theme
from ui.app import App
from ui.observers import AppObserver, GameLines, GiveUp, Screenshots
from ui.screens.board import open_bot_game
from ui.screens.netflow import host_lan_game, join_lan_game, start_online
from ui.screens.resume import offer_resume
from ui.settings import NetSettings, PlaySettings

log = logging.getLogger(__name__)


class Play(enum.StrEnum):
    """What to start straight into (the command line's choice of mode)."""

    BOT = "bot"
    ONLINE = "online"
    HOST = "host"
    JOIN = "join"


@dataclass(frozen=True)
class ClientOptions:
    """What the command line asked of the client."""

    play: Play | None = None  # start straight into this (None: the menu)
    level: Level | None = None  # Play.BOT: the bot's level
    auto: Level | None = None  # a bot of this level plays the player's side
    auto_delay: float | None = None  # the auto player's pause in seconds (None: like the bot, 0.3 to 0.7 s)
    games: int | None = None  # quit after this many finished games, printing each as JSON
    screenshot_dir: Path | None = None
    size: tuple[int, int] = theme.DEFAULT_SIZE
    seed: int | None = None
    instant: bool = False  # no pauses, no animations
    server: str | None = None  # online: the server (None: the profile's); join: the host (None: the first announced)
    key: str | None = None  # online: the server key (None: the profile's)
    name: str | None = None  # the player's name in networked games (None: the profile's)
    code: str = ""  # online: play the friend who queues with this code
    ca_file: str | None = None  # online: a private certificate authority to trust (PEM)
    net: NetSettings = NetSettings()

    def __post_init__(self) -> None:
        if (self.play is Play.BOT) != (self.level is not None):
            raise ValueError("a game against the bot needs its level, and only it")
        if self.code and self.play is not Play.ONLINE:
            raise ValueError("a friend code goes with online play")


def settings_for(options: ClientOptions) -> PlaySettings:
    """The play settings the options mean."""
    if options.instant:
        return PlaySettings.instant(auto_level=options.auto, seed=options.seed)
    if options.auto_delay is not None:
        delay = (options.auto_delay, options.auto_delay)
        return PlaySettings(auto_level=options.auto, auto_delay=delay, seed=options.seed)
    return PlaySettings(auto_level=options.auto, seed=options.seed)


def start_play(app: App, options: ClientOptions) -> None:
    """Open the first game the options ask for, over the menu."""
    if options.play is Play.BOT:
        assert options.level is not None
        open_bot_game(app, options.level)
    elif options.play is Play.ONLINE:
        start_online(app, server=options.server, key=options.key, name=options.name, code=options.code,
                     ca_file=options.ca_file)
    elif options.play is Play.HOST:
        host_lan_game(app, name=options.name)
    elif options.play is Play.JOIN:
        join_lan_game(app, server=options.server, name=options.name, auto_join=True)
    else:
        offer_resume(app)  # the menu: if the game last stopped mid-game, ask the server about that game


def observers_for(options: ClientOptions, headless: bool, out: TextIO, err: TextIO) -> list[AppObserver]:
    """What watches the App for a script: screenshots, the game lines and their count, giving up when stuck."""
    observers: list[AppObserver] = []
    if options.screenshot_dir is not None:
        observers.append(Screenshots(options.screenshot_dir))
    if options.games is not None:
        observers.append(GameLines(options.games, out))
    if options.games is not None or headless:
        observers.append(GiveUp(err))  # nobody is there to click "Try again" or "Menu"
    return observers


@contextmanager
def leave_on_sigterm(app: App) -> Iterator[None]:
    """While the App runs, SIGTERM leaves a game in progress as a player would (the leave goes to the server, the loss
    into History), then quits; without a window too. (Only the main thread may set a handler: elsewhere, nothing.)"""
    def leave(signum: int, frame: object) -> None:
        log.info("SIGTERM: leaving any game and quitting")
        app.request_leave()

    try:
        previous = signal.signal(signal.SIGTERM, leave)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_client(options: ClientOptions, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Open the window and play until the player quits (or ``games`` games are done); the exit code."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        app = App(size=options.size, settings=settings_for(options), net=options.net)
    except pygame.error as exc:
        print(f"Could not open the game window: {exc}", file=err)
        print("(To run without a display, set SDL_VIDEODRIVER=dummy.)", file=err)
        return 1
    with app:
        app.observers.extend(observers_for(options, app.headless, out, err))
        app.push(app.home())
        try:
            start_play(app, options)
        except Exception as exc:  # shown on the error screen, never as a traceback: the log has it
            log.exception("unexpected error: %s", exc)
            app.fail(exc)
        with leave_on_sigterm(app):
            code = app.run()
    return 1 if app.failed else code

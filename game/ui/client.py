"""Start the pygame client from command-line options: the window, the first screen, scripted play.

``main.py`` parses the command line and hands a ``ClientOptions`` here. With
``games`` set the client prints one JSON line per finished game and quits after that
many; with ``auto`` a bot plays the player's side. ``play`` starts straight into a
networked game (online matchmaking, hosting or joining a LAN game). Under SDL's dummy
video driver all of it runs headless (and, for ``--games``, without pauses or
animations unless an auto delay is asked for); a networked run with nobody to click
stops with exit code 1 and a one-line reason on stderr when it cannot go on.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pygame

from game.ui import theme
from game.ui.app import App, NetSettings, PlaySettings
from game.ui.controller import GameSummary
from game.ui.screens.board import open_bot_game
from game.ui.screens.netflow import host_lan_game, join_lan_game, start_online

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientOptions:
    """What the command line asked of the client."""

    bot: str | None = None  # start straight into a game against this level
    auto: str | None = None  # a bot of this level plays the player's side
    auto_delay: float | None = None  # the auto player's pause in seconds (None: like the bot, 0.3 to 0.7 s)
    games: int | None = None  # quit after this many finished games, printing each as JSON
    screenshot_dir: Path | None = None
    size: tuple[int, int] = theme.DEFAULT_SIZE
    seed: int | None = None
    instant: bool = False  # no pauses, no animations
    play: str | None = None  # "online", "host" or "join": start straight into that networked game
    server: str | None = None  # online: the server (None: the profile's); join: the host (None: the first announced)
    key: str | None = None  # online: the server key (None: the profile's)
    name: str | None = None  # the player's name in networked games (None: the profile's)
    net: NetSettings = NetSettings()

    PLAYS = ("online", "host", "join")

    def __post_init__(self) -> None:
        if self.play is not None and self.play not in self.PLAYS:
            raise ValueError(f"play must be one of {self.PLAYS}, not {self.play!r}")
        if self.play is not None and self.bot is not None:
            raise ValueError("a client starts either a game against the bot or a networked game, not both")


def settings_for(options: ClientOptions) -> PlaySettings:
    """The play settings the options mean."""
    if options.instant:
        return PlaySettings.instant(auto_level=options.auto, seed=options.seed)
    settings = PlaySettings(auto_level=options.auto, seed=options.seed)
    if options.auto_delay is not None:
        settings = PlaySettings(
            think_seconds=settings.think_seconds,
            auto_level=options.auto,
            auto_delay=(options.auto_delay, options.auto_delay),
            seed=options.seed,
        )
    return settings


def start_play(app: App, options: ClientOptions) -> None:
    """Open the first game the options ask for, over the menu: the bot, online matchmaking, or the LAN."""
    if options.bot is not None:
        open_bot_game(app, options.bot)
    elif options.play == "online":
        start_online(app, server=options.server, key=options.key, name=options.name)
    elif options.play == "host":
        host_lan_game(app, name=options.name)
    elif options.play == "join":
        join_lan_game(app, server=options.server, name=options.name, auto_join=True)


def run_client(options: ClientOptions, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Open the window and play until the player quits (or ``games`` games are done); the exit code."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        app = App(
            size=options.size, settings=settings_for(options), screenshot_dir=options.screenshot_dir, net=options.net
        )
    except pygame.error as exc:
        print(f"Could not open the game window: {exc}", file=err)
        print("(To run without a display, set SDL_VIDEODRIVER=dummy.)", file=err)
        return 1
    with app:
        if options.games is not None:
            target = options.games

            def on_game(summary: GameSummary) -> None:
                print(json.dumps(summary.to_json()), file=out, flush=True)
                if len(app.summaries) >= target:
                    app.quit(0)

            app.game_listeners.append(on_game)
        if options.games is not None or app.headless:

            def give_up(reason: str) -> None:
                print(" ".join(reason.split()), file=err, flush=True)  # one line, whatever the server wrote
                app.quit(1)

            app.on_stuck = give_up  # nobody is there to click "Try again" or "Menu"
        app.push(app.home())
        try:
            start_play(app, options)
        except Exception as exc:  # noqa: BLE001 - shown on the error screen, never as a traceback
            app.fail(exc)
        code = app.run()
    return 1 if app.failed else code

"""Start the pygame client from command-line options: the window, the first screen, scripted play.

``main.py`` parses the command line and hands a ``ClientOptions`` here. With
``games`` set the client prints one JSON line per finished game and quits after that
many; with ``auto`` a bot plays the player's side. Under SDL's dummy video driver all
of it runs headless (and, for ``--games``, without pauses or animations unless an
auto delay is asked for).
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
from game.ui.app import App, PlaySettings
from game.ui.controller import GameSummary
from game.ui.screens.board import open_bot_game

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


def run_client(options: ClientOptions, *, out: TextIO | None = None) -> int:
    """Open the window and play until the player quits (or ``games`` games are done); the exit code."""
    out = out if out is not None else sys.stdout
    try:
        app = App(size=options.size, settings=settings_for(options), screenshot_dir=options.screenshot_dir)
    except pygame.error as exc:
        print(f"Could not open the game window: {exc}", file=sys.stderr)
        print("(To run without a display, set SDL_VIDEODRIVER=dummy.)", file=sys.stderr)
        return 1
    with app:
        if options.games is not None:
            target = options.games

            def on_game(summary: GameSummary) -> None:
                print(json.dumps(summary.to_json()), file=out, flush=True)
                if len(app.summaries) >= target:
                    app.quit(0)

            app.game_listeners.append(on_game)
        app.push(app.home())
        if options.bot is not None:
            try:
                open_bot_game(app, options.bot)
            except Exception as exc:  # noqa: BLE001 - shown on the error screen, never as a traceback
                app.fail(exc)
        code = app.run()
    return 1 if app.failed else code

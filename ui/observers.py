"""What scripts, tests and benches attach to the App: one small interface, kept out of the App itself.

An ``AppObserver`` hears three things: a screen was shown, a game finished, and a
screen needs a person's decision (an error, the opponent left) that nobody is there to
make. ``Screenshots`` saves a PNG of every screen and of each finished game;
``GameLines`` prints one JSON line per finished game and quits after a number of them;
``GiveUp`` quits with a one-line reason when a run would wait for a click forever.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

import pygame

from ui import theme
from ui.results import GameSummary

if TYPE_CHECKING:
    from ui.app import App
    from ui.screens.base import Screen

log = logging.getLogger(__name__)


class AppObserver(Protocol):
    def screen_shown(self, app: App, screen: Screen) -> None:
        """``screen`` was drawn for the first time."""

    def game_finished(self, app: App, summary: GameSummary) -> None:
        """A board screen saw a game end (after it was counted)."""

    def stuck(self, app: App, reason: str) -> None:
        """A screen waits for a person's decision; ``reason`` is one line saying why."""


class Observer:
    """An observer that does nothing; subclasses override what they care about."""

    def screen_shown(self, app: App, screen: Screen) -> None:
        pass

    def game_finished(self, app: App, summary: GameSummary) -> None:
        pass

    def stuck(self, app: App, reason: str) -> None:
        pass


class Screenshots(Observer):
    """``NNN-name.png`` for every screen shown, and ``NNN-board-gameN-result.png`` of each finished game (settled)."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self.count = 0
        self.games = 0

    def screen_shown(self, app: App, screen: Screen) -> None:
        self.save(app.surface, screen.name)

    def game_finished(self, app: App, summary: GameSummary) -> None:
        self.games += 1
        screen = app.screen
        if screen is None:
            return
        settled = pygame.Surface(app.size)
        settled.fill(theme.BACKGROUND)
        with screen.settled():
            screen.ensure_layout(app.size)
            screen.draw(settled)
        self.save(settled, f"{screen.name}-game{self.games}-{summary.result or 'over'}")

    def save(self, image: pygame.Surface, label: str) -> Path | None:
        self.count += 1
        path = self.folder / f"{self.count:03d}-{label}.png"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            pygame.image.save(image, str(path))
        except (pygame.error, OSError) as exc:
            log.warning("could not save screenshot %s: %s", path, exc)
            return None
        return path


class GameLines(Observer):
    """One JSON line per finished game on ``out``; the App quits (exit 0) after ``target`` of them."""

    def __init__(self, target: int, out: TextIO):
        self.target = target
        self.out = out
        self.played = 0

    def game_finished(self, app: App, summary: GameSummary) -> None:
        self.played += 1
        print(json.dumps(summary.to_json()), file=self.out, flush=True)
        if self.played >= self.target:
            app.quit(0)


class GiveUp(Observer):
    """Nobody is there to click: a screen that waits for a decision ends the run (exit 1, the reason on ``err``)."""

    def __init__(self, err: TextIO):
        self.err = err

    def stuck(self, app: App, reason: str) -> None:
        if app.running:
            print(" ".join(reason.split()), file=self.err, flush=True)  # one line, whatever the server wrote
            app.quit(1)

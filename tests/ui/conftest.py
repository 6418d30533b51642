"""Headless pygame for the UI tests, a pilot on a fresh App with its own data folder, and players to close."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from collections.abc import Iterator
from pathlib import Path

import pytest

from ui.pilot import Pilot


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data folder, also set as TICTACTOE_DATA_DIR so nothing touches the real one."""
    folder = tmp_path / "data"
    monkeypatch.setenv("TICTACTOE_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def pilot(data_dir: Path) -> Iterator[Pilot]:
    """A real App on the main menu, driven headless with a fake clock."""
    with Pilot.launch(data_dir=data_dir) as p:
        yield p


@pytest.fixture
def pilots() -> Iterator[list[Pilot]]:
    """Players for a networked test: append each pilot started; all are closed at the end, network threads too."""
    started: list[Pilot] = []
    yield started
    for pilot in started:
        pilot.close()

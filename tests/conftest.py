"""Suite-wide settings: no real window or sound card, LAN announcements kept on loopback."""

import os

# Headless by default (CI sets the same); a developer can still override them.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
# Whatever a test or a game started by a test announces on the LAN stays on this machine.
os.environ.setdefault("TICTACTOE_BROADCAST", "127.255.255.255")
# The game speaks the system's language: the tests read it in English whatever the developer's is
# (tests/ui/test_i18n.py sets the others itself).
os.environ["LANGUAGE"] = "en"

import gc
import logging

import pytest


class _LostExceptions(logging.Handler):
    """Catches asyncio's reports of a task's or future's exception that nobody retrieved."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lost: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "never retrieved" in message:
            self.lost.append(message)


_lost = _LostExceptions()
logging.getLogger("asyncio").addHandler(_lost)


@pytest.fixture(autouse=True)
def _no_exception_left_unretrieved():
    """Every test fails if a task or future of its own ended with an exception nobody looked at."""
    _lost.lost.clear()
    yield
    gc.collect()  # asyncio reports a lost exception when the future is collected
    lost, _lost.lost[:] = list(_lost.lost), []
    assert not lost, f"exceptions never retrieved: {lost}"


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path, monkeypatch):
    """Every test writes stats, profiles and host databases under its own tmp folder."""
    monkeypatch.setenv("TICTACTOE_DATA_DIR", str(tmp_path / "userdata"))

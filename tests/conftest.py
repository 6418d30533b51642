"""Suite-wide settings: no real window or sound card, and a private per-user data folder."""

import os

# Headless by default (CI sets the same); a developer can still override them.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path, monkeypatch):
    """Every test writes stats, profiles and host databases under its own tmp folder."""
    monkeypatch.setenv("TICTACTOE_DATA_DIR", str(tmp_path / "userdata"))

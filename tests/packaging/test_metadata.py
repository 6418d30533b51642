"""The package's metadata agrees with the files people read: the pins, the launcher, the Python."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _pins(path: Path) -> list[str]:
    lines = (line.split("#")[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def test_the_package_depends_on_exactly_the_pins_of_requirements_txt() -> None:
    assert sorted(PROJECT["dependencies"]) == sorted(_pins(REPO / "requirements.txt"))


def test_the_build_backend_is_pinned_as_the_tests_install_it() -> None:
    build = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]
    (backend,) = build["requires"]
    assert backend in _pins(REPO / "requirements-test.txt")


def test_the_launcher_runs_the_command_line_of_main_py() -> None:
    assert PROJECT["gui-scripts"]["tictactoe"] == "ui.cli:main"
    assert PROJECT["scripts"]["tictactoe-cli"] == "ui.cli:main"
    assert "from ui.cli import main" in (REPO / "main.py").read_text(encoding="utf-8")
    assert PROJECT["requires-python"] == ">=3.11"


def test_the_desktop_entry_starts_the_installed_launcher_with_the_game_icon() -> None:
    lines = (REPO / "packaging" / "tictactoe.desktop").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    entry = dict(line.split("=", 1) for line in lines[1:] if "=" in line)
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    assert entry["Exec"] in PROJECT["gui-scripts"]
    assert entry["Icon"] == "tictactoe" and (REPO / "assets" / "icon.png").is_file()

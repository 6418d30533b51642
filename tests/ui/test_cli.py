"""The command line, run as a player or a script would: a real process under the dummy video driver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ui import cli as main
from ui import theme

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, data_dir: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", TICTACTOE_DATA_DIR=str(data_dir))
    env.pop("PYGAME_HIDE_SUPPORT_PROMPT", None)  # main.py must keep stdout clean by itself
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_perfect_against_perfect_prints_one_json_line_per_game_all_draws(tmp_path: Path) -> None:
    done = run("--bot", "perfect", "--auto", "perfect", "--games", "3", "--seed", "7", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    games = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(games) == 3
    assert all(g["mode"] == "bot" and g["level"] == "perfect" and g["mark"] == "X" for g in games)
    assert [g["result"] for g in games] == ["draw"] * 3
    assert [g["moves"] for g in games] == [9] * 3
    assert [g["first"] for g in games] == ["X", "O", "X"]
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["bot"]["perfect"] == {"wins": 0, "losses": 0, "draws": 3}


def test_the_same_seed_plays_the_same_games(tmp_path: Path) -> None:
    args = ("--bot", "easy", "--auto", "normal", "--games", "4", "--seed", "42")
    first = run(*args, data_dir=tmp_path / "a")
    second = run(*args, data_dir=tmp_path / "b")
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout and len(first.stdout.splitlines()) == 4


def test_screenshot_writes_a_png_of_each_screen_and_each_result(tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    done = run("--bot", "normal", "--auto", "perfect", "--games", "2", "--screenshot", str(shots), "--size", "800x600",
               data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in shots.glob("*.png"))
    assert names[0] == "001-board.png"
    assert len(names) == 3 and all(n.startswith(("002-board-game1-", "003-board-game2-")) for n in names[1:])
    assert (shots / "001-board.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "args, complaint",
    [
        (["--bot", "impossible"], "invalid choice"),
        (["--auto", "godlike"], "invalid choice"),
        (["--games", "0"], "at least 1"),
        (["--games", "many"], "whole number"),
        (["--size", "12"], "640x720"),
        (["--size", "100x100"], "at least 480x540"),
        (["--seed", "x"], "seed"),
        (["--auto-delay", "-1"], "seconds"),
        (["--auto-delay", "0.5"], "--auto-delay needs --auto"),
        (["--games", "2", "--auto", "easy"], "--games needs --bot"),
        (["--games", "2", "--bot", "easy"], "--games needs --auto"),
        (["--frobnicate"], "unrecognized arguments"),
    ],
)
def test_bad_flags_get_the_usage_and_exit_2(tmp_path: Path, args: list[str], complaint: str) -> None:
    done = run(*args, data_dir=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: main.py")
    assert complaint in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_help_documents_the_flags(tmp_path: Path) -> None:
    done = run("--help", data_dir=tmp_path)
    assert done.returncode == 0
    for flag in ("--bot", "--auto", "--auto-delay", "--games", "--screenshot", "--size", "--seed", "--instant"):
        assert flag in done.stdout


def test_main_agrees_with_the_theme_on_window_sizes() -> None:
    assert main.DEFAULT_SIZE == theme.DEFAULT_SIZE and main.MIN_SIZE == theme.MIN_SIZE
    assert main.build_parser().parse_args(["--size", "1024x768"]).size == (1024, 768)

"""The wheel, built and installed as a player's pipx would: a fresh environment outside the checkout, run from elsewhere.

One build and one install serve every test here (a module fixture): pip builds the wheel
from the checkout with the pinned hatchling (requirements-test.txt), installs it with its
pinned dependencies into a new virtual environment under the test's tmp folder, and the
installed ``tictactoe`` plays a headless game from a third folder, with nothing of the
checkout on its path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = "Scripts" if sys.platform == "win32" else "bin"
EXE = ".exe" if sys.platform == "win32" else ""


def _run(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


class Installed:
    def __init__(self, wheel: Path, venv: Path, home: Path):
        self.wheel = wheel
        self.venv = venv
        self.home = home  # a folder that is neither the checkout nor the environment

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A command of the environment, run from ``home`` with a minimal environment (no PYTHONPATH, no checkout)."""
        env = {
            "PATH": os.pathsep.join([str(self.venv / BIN), os.path.dirname(sys.executable), os.defpath]),
            "HOME": str(self.home),
            "SDL_VIDEODRIVER": "dummy",
            "SDL_AUDIODRIVER": "dummy",
            "TICTACTOE_DATA_DIR": str(self.home / "data"),
            "TICTACTOE_BROADCAST": "127.255.255.255",
        }
        if sys.platform == "win32":
            env["SYSTEMROOT"] = os.environ.get("SYSTEMROOT", "")
        return _run([str(self.venv / BIN / (args[0] + EXE)), *args[1:]], cwd=self.home, env=env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
                  "-q", "-w", str(root / "dist"), str(REPO)])
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("*.whl")
    venv = root / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    # The checkout's pip installs into the new environment (faster than bootstrapping a pip there); the
    # dependencies come from the wheel's own pins.
    done = _run([sys.executable, "-m", "pip", "--python", str(venv / BIN / ("python" + EXE)), "install", "-q",
                 "--disable-pip-version-check", str(wheel)])
    assert done.returncode == 0, done.stderr
    home = root / "elsewhere"
    home.mkdir()
    return Installed(wheel, venv, home)


def test_the_installed_launcher_plays_a_headless_game_from_another_folder(installed: Installed) -> None:
    done = installed.run("tictactoe", "--bot", "perfect", "--auto", "perfect", "--games", "1")
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    game = json.loads(line)
    assert (game["mode"], game["level"], game["result"], game["moves"]) == ("bot", "perfect", "draw", 9)
    assert "Traceback" not in done.stderr
    assert "could not load" not in done.stderr  # every sound was found (audio warns once when a file is missing)


def test_the_installed_game_reads_its_assets_from_the_environment_not_the_checkout(installed: Installed) -> None:
    script = "import ui.resources as r, ui.theme as t; print(r.assets_dir()); print(t.FONT_DIR)"
    done = installed.run("python", "-c", "import os; os.environ['PYGAME_HIDE_SUPPORT_PROMPT'] = '1'; " + script)
    assert done.returncode == 0, done.stderr
    assets, fonts = (Path(line) for line in done.stdout.splitlines())
    assert assets.is_relative_to(installed.venv) and not assets.is_relative_to(REPO)
    assert (assets / "icon.png").is_file() and (fonts / "OFL.txt").is_file()
    online = {"reaction.wav", "cue_found.wav", "cue_turn.wav", "cue_hurry.wav", "cue_away.wav", "cue_back.wav",
              "cue_rematch.wav"}
    assert {p.name for p in assets.glob("*.wav")} == {"place.wav", "win.wav", "loss.wav", "draw.wav", *online}


def test_the_installed_game_speaks_every_language_from_its_own_catalogues(installed: Installed) -> None:
    script = ("import ui.i18n as i; print(i.locale_dir()); "
              "print([i.set_language(c) and i._('Quit') for c, _n in i.LANGUAGES])")
    done = installed.run("python", "-c", "import os; os.environ['PYGAME_HIDE_SUPPORT_PROMPT'] = '1'; " + script)
    assert done.returncode == 0, done.stderr
    where, said = done.stdout.splitlines()
    assert Path(where).is_relative_to(installed.venv) and not done.stderr
    assert said == str(["Quit", "Beenden", "Salir", "Quitter", "終了", "Sair"])


def test_serve_and_the_console_launcher_answer_help(installed: Installed) -> None:
    done = installed.run("tictactoe-cli", "--help")
    assert done.returncode == 0, done.stderr
    assert "--serve" in done.stdout


def test_the_wheel_holds_the_three_packages_and_assets_but_no_tests_or_caches(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = [PurePosixPath(n) for n in wheel.namelist()]
    tops = {n.parts[0] for n in names}
    assert {"game", "net", "ui"} <= tops
    assert tops - {"game", "net", "ui"} == {next(t for t in tops if t.endswith(".dist-info"))}
    banned = {"tests", "__pycache__", "bench", ".hypothesis", ".pytest_cache", "conftest.py"}
    assert not [n for n in names if banned & set(n.parts) or n.suffix in {".pyc", ".pyo"}]
    assert not [n for n in names if n.name.startswith("test_")]
    assert PurePosixPath("ui/assets/icon.png") in names
    fonts = [n for n in names if n.parent == PurePosixPath("ui/assets/fonts")]
    assert PurePosixPath("ui/assets/fonts/OFL.txt") in fonts and any(n.suffix in {".otf", ".ttf"} for n in fonts)

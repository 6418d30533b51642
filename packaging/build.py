"""Build the game as one program a player can download and run, for the system this runs on (PyInstaller).

    python -m pip install -r packaging/requirements.txt
    python packaging/build.py            # -> dist/tictactoe (Linux), dist/tictactoe.exe (Windows),
                                         #    dist/Tic-Tac-Toe.app (macOS)

The program holds Python, pygame and the other dependencies, the game's packages and its
assets (sounds, icon, fonts with their licences), placed where ``ui.resources`` finds them
(``ui/assets``, as in the wheel: the list is read from pyproject.toml's force-include
table, so the two cannot drift). On Linux and Windows it is a single file; on macOS it is
the usual application bundle (PyInstaller's one-file mode does not suit macOS apps). On
Windows and macOS the window opens without a console (``--console`` keeps one, for
``--serve`` and the JSON lines of ``--games``); the icon is converted from
``assets/icon.png`` by Pillow, which packaging/requirements.txt installs there.

Build on each system for that system: PyInstaller does not cross-compile.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NAME = "tictactoe"
MAC_NAME = "Tic-Tac-Toe"
# Imported by name at run time, which PyInstaller's analysis cannot see.
HIDDEN_IMPORTS = ("bidi",)
# Parts of the standard library the game never uses: less to unpack at every start.
EXCLUDES = ("tkinter", "unittest", "pydoc", "doctest", "lib2to3", "ensurepip", "idlelib", "test")


def asset_options() -> list[str]:
    """``--add-data`` for every file or folder the wheel force-includes, to the same place."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    mapping: dict[str, str] = project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    options = []
    for source, target in mapping.items():
        path = REPO / source
        destination = target if path.is_dir() else str(Path(target).parent)
        options.append(f"--add-data={path}{os.pathsep}{destination}")
    options.append(f"--add-data={REPO / 'LICENSE'}{os.pathsep}.")  # the game's own licence, beside the fonts' ones
    return options


def pyinstaller_arguments(console: bool, dist: Path, work: Path) -> list[str]:
    """The command line PyInstaller gets for this system."""
    arguments = [
        str(REPO / "main.py"),
        f"--name={MAC_NAME if sys.platform == 'darwin' else NAME}",
        f"--paths={REPO}",
        f"--distpath={dist}",
        f"--workpath={work}",
        f"--specpath={work}",
        "--noconfirm",
        "--clean",
        "--log-level=WARN",
        *asset_options(),
        *(f"--hidden-import={module}" for module in HIDDEN_IMPORTS),
        *(f"--exclude-module={module}" for module in EXCLUDES),
    ]
    if sys.platform == "darwin":
        arguments += ["--onedir", f"--icon={REPO / 'assets' / 'icon.png'}",
                      "--osx-bundle-identifier=org.tictactoe.game"]
    else:
        arguments.append("--onefile")
        if sys.platform == "win32":
            arguments.append(f"--icon={REPO / 'assets' / 'icon.png'}")
        else:
            arguments.append("--strip")  # symbols of the bundled libraries: a smaller file
    if sys.platform in ("win32", "darwin"):
        arguments.append("--console" if console else "--windowed")
    return arguments


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the game as one program for this system (PyInstaller).")
    parser.add_argument("--console", action="store_true", help="Windows and macOS: keep a console window")
    parser.add_argument("--dist", type=Path, default=REPO / "dist", help="where the program goes (default dist/)")
    parser.add_argument("--work", type=Path, default=REPO / "build" / "pyinstaller", help="PyInstaller's scratch folder")
    args = parser.parse_args(argv)
    try:
        import PyInstaller.__main__ as pyinstaller
    except ImportError:
        sys.stderr.write("PyInstaller is not installed: python -m pip install -r packaging/requirements.txt\n")
        return 1
    pyinstaller.run(pyinstaller_arguments(args.console, args.dist.resolve(), args.work.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

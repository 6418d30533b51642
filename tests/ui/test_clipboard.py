"""The system clipboard, for real: a game window on its own Xvfb display and an X clipboard tool (xclip or xsel).

Text the game copies is read by the other program, and text the other program copies is
pasted by the game, in both directions with characters beyond ASCII. Without a system
clipboard (SDL's dummy driver) the game says copying did not work and still pastes its own copy.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ui import clipboard

PROBE = Path(__file__).with_name("clipboard_probe.py")
DEADLINE = 15.0  # seconds any one step may take before the test fails


class XTool:
    """xclip or xsel: the commands that read and write X's CLIPBOARD selection."""

    def __init__(self) -> None:
        if shutil.which("xclip"):
            self.read = ["xclip", "-o", "-selection", "clipboard"]
            self.write = ["xclip", "-i", "-selection", "clipboard", "-quiet"]  # stays in the foreground, owning it
        elif shutil.which("xsel"):
            self.read = ["xsel", "--clipboard", "--output"]
            self.write = ["xsel", "--clipboard", "--input", "--nodetach"]
        else:
            pytest.fail("neither xclip nor xsel is installed (apt-get install xclip); .ci/run installs it")


@pytest.fixture
def display() -> Iterator[str]:
    """A fresh Xvfb server on a display number it picks itself (-displayfd): its DISPLAY value."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb; .ci/run installs it): no X display to test the clipboard on")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp", "-screen", "0", "320x240x24"],
                              pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        with os.fdopen(read_end) as numbers:
            number = numbers.readline().strip()  # written once the server accepts clients
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=DEADLINE)


class Probe:
    """The game's clipboard module in a real SDL window on ``display`` (tests/ui/clipboard_probe.py)."""

    def __init__(self, display: str):
        env = dict(os.environ, DISPLAY=display, SDL_VIDEODRIVER="x11", PYGAME_HIDE_SUPPORT_PROMPT="1")
        self.process = subprocess.Popen([sys.executable, str(PROBE)], env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        hello = self._answer()
        assert hello == {"driver": "x11"}, hello

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)

    def _answer(self) -> dict[str, object]:
        try:
            return dict(json.loads(self._lines.get(timeout=DEADLINE)))
        except queue.Empty:
            raise AssertionError("the probe window did not answer") from None

    def ask(self, **command: str) -> dict[str, object]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=DEADLINE)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            assert self.process.stdout is not None and self.process.stderr is not None
            self.process.stdout.close()
            self.process.stderr.close()


def _x_read(tool: XTool, display: str) -> str:
    done = subprocess.run(tool.read, env=dict(os.environ, DISPLAY=display), capture_output=True, timeout=DEADLINE)
    return done.stdout.decode("utf-8", "replace")


def test_the_game_and_another_program_share_the_clipboard_both_ways(display: str) -> None:
    tool = XTool()
    probe = Probe(display)
    writer: subprocess.Popen[bytes] | None = None
    try:
        # The game copies; the other program reads it (the game's window answers while it pumps events).
        assert probe.ask(op="copy", text="K7QXM · Zoë 猫 😀") == {"copied": True}
        assert _x_read(tool, display) == "K7QXM · Zoë 猫 😀"

        # Another program copies; the game pastes it.
        writer = subprocess.Popen(tool.write, env=dict(os.environ, DISPLAY=display), stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert writer.stdin is not None
        writer.stdin.write("from a chat app: ΑΒΓ שלום".encode())
        writer.stdin.close()
        deadline = time.monotonic() + DEADLINE
        while _x_read(tool, display) != "from a chat app: ΑΒΓ שלום":  # until the other program owns the clipboard
            assert time.monotonic() < deadline, "the X clipboard tool never took the clipboard"
        assert probe.ask(op="paste") == {"text": "from a chat app: ΑΒΓ שלום"}
    finally:
        if writer is not None:
            writer.kill()
            writer.wait()
        probe.close()


def test_without_a_system_clipboard_copy_says_so_and_paste_gives_the_games_own_copy() -> None:
    import pygame

    pygame.display.init()
    try:
        assert pygame.display.get_driver() == "dummy"
        assert clipboard.copy("K7QXM") is False
        assert clipboard.paste() == "K7QXM"
    finally:
        pygame.display.quit()


def test_the_friend_screen_says_copied_only_when_the_system_took_the_code() -> None:
    import pygame

    from ui.screens.friend import FriendScreen

    pygame.display.init()
    try:
        screen = FriendScreen(on_code=lambda _code: None, on_back=lambda: None, code="K7QXM")
        assert screen.copied is None
        screen.copy()  # the dummy driver has no system clipboard
        assert screen.copied is False
    finally:
        pygame.display.quit()

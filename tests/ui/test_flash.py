"""Asking for attention (ui.cues.flash_window) on a real X display leaves no trace in SDL's window data.

pygame 2.6's ``_sdl2.video.Window.from_display_module()`` stores a pointer to its Python
object in the SDL window's data; once that object is freed, the next window event (the
focus coming back) reads freed memory and the game dies. The flash must find the window
without it: afterwards SDL's "pg_window" data is still empty, and focus events are
handled as before.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.ui.test_clipboard import DEADLINE, display

__all__ = ["display"]  # the fixture, shared with the clipboard test

PROBE = r"""
import ctypes, gc, json, pygame
from ui import cues
from ui.clipboard import _sdl
pygame.display.init()
pygame.display.set_mode((200, 150))
flashed = cues.flash_window(True)
cancelled = cues.flash_window(False)
gc.collect()
sdl = _sdl()
sdl.SDL_GetWindowData.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
sdl.SDL_GetWindowData.restype = ctypes.c_void_p
window = cues._display_window(sdl)
data = sdl.SDL_GetWindowData(window, b"pg_window")
for _ in range(3):
    pygame.event.get()
    pygame.display.flip()
print(json.dumps({"flashed": flashed, "cancelled": cancelled, "window": bool(window), "pg_window": data}))
pygame.quit()
"""


def test_flashing_the_window_leaves_no_pointer_in_sdls_window_data(display: str) -> None:
    env = dict(os.environ, DISPLAY=display, SDL_VIDEODRIVER="x11", PYGAME_HIDE_SUPPORT_PROMPT="1")
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=DEADLINE)
    assert done.returncode == 0, done.stderr
    answer = done.stdout.strip().splitlines()[-1]
    assert '"window": true' in answer, answer
    assert '"pg_window": null' in answer, f"SDL's window data points at a Python object: {answer}"

"""Copy and paste text through the system clipboard (SDL's text clipboard), with an in-game fallback.

pygame 2.6 has no text clipboard call of its own that works on SDL 2 (the legacy
``pygame.scrap.put`` refuses text on X11), so this module calls SDL's
``SDL_SetClipboardText`` / ``SDL_GetClipboardText`` through ctypes, in the very SDL library
pygame loaded (the one whose video subsystem the window runs on): X11 and Wayland (through
SDL), Windows and macOS alike. ``copy`` says whether the system took the text, so a screen
claims "Copied" only when it is true. Video drivers without a system clipboard (the dummy
one of the tests and scripts, KMS/DRM) keep a copy inside the game instead, which Ctrl+V in
the game still pastes. Nothing here ever raises.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pygame

log = logging.getLogger(__name__)

# SDL's video drivers that talk to a system clipboard; the others keep the text inside SDL.
SYSTEM_CLIPBOARD_DRIVERS = frozenset({"x11", "wayland", "windows", "cocoa"})

_local = ""  # what was last copied, for drivers without a system clipboard


def _sdl_candidates() -> Iterator[str]:
    """Paths or names of the SDL 2 library pygame uses, the surest first."""
    maps = Path("/proc/self/maps")  # Linux: the copy this process has already loaded
    if maps.is_file():
        try:
            lines = maps.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        for line in lines:
            path = line.rsplit(" ", 1)[-1]
            if path.startswith("/") and Path(path).name.startswith("libSDL2-2"):
                yield path
    package = Path(pygame.__file__).resolve().parent
    yield from (str(p) for p in sorted((package / ".dylibs").glob("libSDL2-2*.dylib")))  # macOS wheels
    yield from (str(p) for p in sorted(package.parent.glob("pygame.libs/libSDL2-2*")))  # Linux wheels
    if sys.platform == "win32":
        yield str(package / "SDL2.dll")
    name = ctypes.util.find_library("SDL2")  # a pygame built against the system's SDL
    if name:
        yield name


@cache
def _sdl() -> ctypes.CDLL | None:
    """SDL's clipboard calls, typed; None if the library cannot be found."""
    for candidate in _sdl_candidates():
        try:
            lib = ctypes.CDLL(candidate)
            lib.SDL_SetClipboardText.argtypes = [ctypes.c_char_p]
            lib.SDL_SetClipboardText.restype = ctypes.c_int
            lib.SDL_GetClipboardText.argtypes = []
            lib.SDL_GetClipboardText.restype = ctypes.c_void_p  # freed with SDL_free, so not c_char_p
            lib.SDL_HasClipboardText.argtypes = []
            lib.SDL_HasClipboardText.restype = ctypes.c_int
            lib.SDL_free.argtypes = [ctypes.c_void_p]
            lib.SDL_free.restype = None
        except (OSError, AttributeError) as exc:
            log.debug("no SDL clipboard in %s: %s", candidate, exc)
            continue
        return lib
    log.debug("SDL's library was not found: the clipboard stays inside the game")
    return None


def system_clipboard() -> ctypes.CDLL | None:
    """SDL, if the window's video driver has a system clipboard to talk to; None otherwise."""
    try:
        if not pygame.display.get_init() or pygame.display.get_driver() not in SYSTEM_CLIPBOARD_DRIVERS:
            return None
    except pygame.error:
        return None
    return _sdl()


def copy(text: str) -> bool:
    """Put ``text`` on the system clipboard; True only if the system took it (the game keeps a copy either way)."""
    global _local
    _local = text
    sdl = system_clipboard()
    if sdl is None:
        return False
    if sdl.SDL_SetClipboardText(text.encode("utf-8")) != 0:
        log.debug("the clipboard refused the text: %s", pygame.get_error())
        return False
    return True


def _system_text(sdl: ctypes.CDLL) -> str:
    """The system clipboard's text ("" if none or unreadable)."""
    if not sdl.SDL_HasClipboardText():
        return ""
    pointer = sdl.SDL_GetClipboardText()
    if not pointer:
        return ""
    try:
        return ctypes.string_at(pointer).decode("utf-8", "replace")
    finally:
        sdl.SDL_free(pointer)


def paste() -> str:
    """The clipboard's text: the system's (whoever copied it), else what the game last copied; "" if there is none."""
    sdl = system_clipboard()
    text = _system_text(sdl) if sdl is not None else ""
    return text or _local

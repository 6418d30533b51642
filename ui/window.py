"""The game's window: SDL's display opened with the hints that keep an idle window cheap, its caption, icon and size.

No state: the App calls ``open_window`` once and ``set_size`` when a resize must be
enforced (below the minimum, or under a driver that does not resize by itself).
"""

from __future__ import annotations

import logging
import os

import pygame

from ui import audio, theme

log = logging.getLogger(__name__)

KEY_REPEAT = (400, 45)  # a held key repeats after 400 ms, every 45 ms


def open_window(size: tuple[int, int]) -> None:
    """Start SDL's display and fonts and open the resizable window at ``size`` (at least the minimum)."""
    pygame.display.init()
    if pygame.display.get_driver() == "x11":
        # Under X, SDL would draw the window through OpenGL, which on a machine without a GPU
        # (a VM, Xvfb) is a software renderer: each idle frame then costs ten times the CPU of
        # X's own shared-memory images, which are as fast on any X server. Read at set_mode.
        os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
    pygame.font.init()
    pygame.display.set_caption(theme.TITLE)
    try:
        pygame.display.set_icon(pygame.image.load(str(audio.icon_path())))
    except (pygame.error, OSError) as exc:
        log.warning("no window icon: %s", exc)
    set_size(size)
    pygame.key.set_repeat(*KEY_REPEAT)


def set_size(size: tuple[int, int]) -> None:
    """Make the window ``size``, grown to the minimum if it is smaller."""
    pygame.display.set_mode(theme.clamp_size(size), pygame.RESIZABLE)

"""Copy and paste text through the system clipboard (pygame's ``scrap``), with an in-game fallback.

Some platforms and SDL's dummy video driver have no clipboard; then text copied in the
game can still be pasted in the game. Nothing here ever raises.
"""

from __future__ import annotations

import logging

import pygame

log = logging.getLogger(__name__)

_local = ""  # what was last copied, for platforms without a clipboard


def _ready() -> bool:
    try:
        if not pygame.scrap.get_init():
            pygame.scrap.init()
        return True
    except pygame.error as exc:
        log.debug("no clipboard: %s", exc)
        return False


def copy(text: str) -> bool:
    """Put ``text`` on the clipboard; True if the system's took it (the game keeps a copy either way)."""
    global _local
    _local = text
    if not _ready():
        return False
    try:
        pygame.scrap.put(pygame.SCRAP_TEXT, text.encode("utf-8"))
    except pygame.error as exc:
        log.debug("the clipboard refused the text: %s", exc)
        return False
    return True


def paste() -> str:
    """The clipboard's text (the system's, else what the game last copied); "" if there is none."""
    if _ready():
        try:
            raw = pygame.scrap.get(pygame.SCRAP_TEXT)
        except pygame.error:
            raw = None
        if raw:
            return raw.decode("utf-8", "replace").rstrip("\x00")
    return _local

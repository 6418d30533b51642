"""A one-line text input, as desktop fields behave (the sign-in, name, friend and LAN screens use it).

Like the other widgets it holds its state and draws itself in the rectangle its screen
gives it each time the screen lays itself out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pygame

from ui import clipboard, i18n, theme
from ui.i18n import Text
from ui.render import fit_width
from ui.theme import Fonts
from ui.widgets import ENTER_KEYS

CARET_KEYS = (pygame.K_LEFT, pygame.K_RIGHT, pygame.K_HOME, pygame.K_END)
SCREEN_KEYS = (pygame.K_TAB, pygame.K_ESCAPE, pygame.K_UP, pygame.K_DOWN)  # a focused field leaves these to its screen


def _wordy(char: str) -> bool:
    """A character of a word: a letter, a digit, or a mark on one (not a space, a hyphen or other punctuation)."""
    return char.isalnum() or unicodedata.category(char)[0] == "M"


class TextField:
    """A one-line text input as desktop fields behave.

    Typing (TEXTINPUT), Backspace/Delete (with Ctrl: a word), Left/Right/Home/End, Ctrl+A
    selects everything (typing or pasting then replaces it), Ctrl+C copies, Ctrl+V
    pastes, Enter submits. Characters ``allowed`` refuses (``on_refused`` hears which), control characters and
    anything past ``max_length`` are dropped, so a field never holds what it cannot take.
    """

    def __init__(
        self,
        text: str = "",
        *,
        placeholder: Text = "",
        max_length: int = 64,
        allowed: Callable[[str], bool] | None = None,
        on_refused: Callable[[str], None] | None = None,
        on_submit: Callable[[str], None] | None = None,
    ):
        self.placeholder = placeholder  # shown greyed while the field is empty (translated when shown)
        self.max_length = max_length
        self.allowed = allowed
        self.on_refused = on_refused  # hears the characters ``allowed`` dropped, so the screen can say why
        self.on_submit = on_submit
        self.text = text[:max_length]
        self.caret = len(self.text)
        self.selected = False  # the whole text is selected (Ctrl+A)
        self.focused = False
        self.rect = pygame.Rect(0, 0, 0, 0)

    def handle(self, event: pygame.event.Event) -> bool:
        """True if the event was for this field (a click on it, or a key while it has focus)."""
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            return self._click(event.pos)
        if not self.focused:
            return False
        if event.type == pygame.TEXTINPUT:
            self.insert(event.text)
            return True
        if event.type != pygame.KEYDOWN:
            return False
        return self._key(event.key, ctrl=bool(event.mod & (pygame.KMOD_CTRL | pygame.KMOD_META)))

    def _click(self, pos: tuple[int, int]) -> bool:
        """A click focuses the field (caret at the end) if it is on it, and takes the focus away if not."""
        self.focused = self.rect.collidepoint(pos)
        if self.focused:
            self.caret = len(self.text)
            self.selected = False
        return self.focused

    def _key(self, key: int, *, ctrl: bool) -> bool:
        if ctrl and key in (pygame.K_a, pygame.K_c, pygame.K_v):
            self._shortcut(key)
        elif key in (pygame.K_BACKSPACE, pygame.K_DELETE):
            self._erase(key, word=ctrl)
        elif key in CARET_KEYS:
            self.selected = False
            self.caret = {
                pygame.K_LEFT: max(0, self.caret - 1),
                pygame.K_RIGHT: min(len(self.text), self.caret + 1),
                pygame.K_HOME: 0,
                pygame.K_END: len(self.text),
            }[key]
        elif key in ENTER_KEYS:
            if self.on_submit is not None:
                self.on_submit(self.text)
        elif key in SCREEN_KEYS:
            return False  # focus moves and going back stay with the screen
        return True  # every other key is typing (TEXTINPUT carries the characters)

    def _shortcut(self, key: int) -> None:
        """Ctrl+A selects everything, Ctrl+C copies, Ctrl+V pastes."""
        if key == pygame.K_a:
            self.select_all()
        elif key == pygame.K_c:
            clipboard.copy(self.text)
        else:
            self.insert(clipboard.paste())

    def _erase(self, key: int, *, word: bool) -> None:
        """Backspace (with ``word``: back to the start of the word) or Delete; either clears a selection."""
        if self.selected:
            self._clear_selection()
        elif key == pygame.K_BACKSPACE:
            start = self._word_start() if word else max(0, self.caret - 1)
            self.text = self.text[:start] + self.text[self.caret:]
            self.caret = start
        else:
            self.text = self.text[: self.caret] + self.text[self.caret + 1 :]

    def select_all(self) -> None:
        """Select the whole text (if any): typing or pasting then replaces it."""
        self.selected = bool(self.text)
        self.caret = len(self.text)

    def _word_start(self) -> int:
        """Where Ctrl+Backspace erases back to: over spaces, then a word, or else a run of punctuation (a hyphen)."""
        i = self.caret
        while i > 0 and self.text[i - 1].isspace():
            i -= 1
        in_word = i > 0 and _wordy(self.text[i - 1])
        while i > 0 and not self.text[i - 1].isspace() and _wordy(self.text[i - 1]) == in_word:
            i -= 1
        return i

    def _clear_selection(self) -> None:
        self.text = ""
        self.caret = 0
        self.selected = False

    def insert(self, text: str) -> None:
        """Insert ``text`` at the caret (replacing a selection), dropping what the field cannot take."""
        if self.selected:
            self._clear_selection()
        text = " ".join(text.splitlines())
        refused = "".join(ch for ch in text if ch.isprintable() and self.allowed is not None and not self.allowed(ch))
        clean = "".join(ch for ch in text if ch.isprintable() and (self.allowed is None or self.allowed(ch)))
        if refused and self.on_refused is not None:
            self.on_refused(refused)
        room = self.max_length - len(self.text)
        clean = clean[: max(0, room)]
        self.text = self.text[: self.caret] + clean + self.text[self.caret :]
        self.caret += len(clean)

    def draw(self, surface: pygame.Surface, fonts: Fonts, scale: float) -> None:
        rect = self.rect
        if rect.width <= 0:
            return
        radius = max(4, int(10 * scale))
        pygame.draw.rect(surface, theme.PANEL, rect, border_radius=radius)
        border = theme.ACCENT if self.focused else theme.GRID
        pygame.draw.rect(surface, border, rect, width=max(1, int(2 * scale)), border_radius=radius)
        size = 22 * scale
        pad = 12 * scale
        shown = self.text or i18n.shown(self.placeholder)
        if not self.focused:  # without the caret, the start of the text, shortened to fit (with it, it scrolls)
            shown = fit_width(fonts.get(size, light=not self.text), shown, rect.width - 2 * pad)
        color = theme.TEXT if self.text else theme.MUTED
        font = fonts.get(size, light=not self.text)
        image = fonts.render(shown, size, color, light=not self.text) if shown else None
        clip = surface.get_clip()
        surface.set_clip(rect.inflate(-2 * pad + 4, 0))
        x = rect.x + pad
        text_font = fonts.get(size)
        caret_x = x + (text_font.size(self.text[: self.caret])[0] if self.text else 0)
        overflow = caret_x - (rect.right - pad) if self.focused else 0
        if overflow > 0:
            x -= overflow
            caret_x -= overflow
        if image is not None:
            if self.selected and self.text:
                highlight = image.get_rect(midleft=(x, rect.centery)).inflate(4, 2)
                pygame.draw.rect(surface, theme.BUTTON_HOVER, highlight, border_radius=3)
            surface.blit(image, image.get_rect(midleft=(x, rect.centery)))
        if self.focused and not self.selected:
            h = font.get_height()
            top, bottom = (caret_x, rect.centery - h / 2), (caret_x, rect.centery + h / 2)
            pygame.draw.line(surface, theme.ACCENT, top, bottom, max(1, int(2 * scale)))
        surface.set_clip(clip)

"""Hosting a LAN game: the game's name, the port it really got, the addresses others can type, and Cancel.

The flow already sent ``HostLan``; the network thread starts the embedded host (on
the next free port when the asked one is taken), announces it on the LAN and signs our
own player in to it. This screen shows what the ``Hosting`` event reports and waits,
spinner turning, until someone joins (then the board) or the player cancels (which
stops the host). After an opponent left, ``resume`` shows the same screen for the
host that is still up, waiting for someone new.
"""

from __future__ import annotations

import pygame

from game.ui import theme
from game.ui.render import blit_center
from game.ui.screens.base import Screen
from game.ui.screens.netflow import NetFlow
from game.ui.screens.netkit import draw_card, draw_spinner, format_elapsed
from game.ui.widgets import ACTIVATE_KEYS, Button
from net.messages import Event, Failure, Hosting, MatchJoined, Searching

MAX_ADDRESSES_SHOWN = 3


def game_title(player: str) -> str:
    """The hosted game's name as the LAN list shows it."""
    return f"{player}'s game"


class LanHostScreen(Screen):
    """Waiting for an opponent on our own LAN host."""

    name = "lan-host"

    def __init__(self, flow: NetFlow, *, resume: bool = False):
        super().__init__()
        self.flow = flow
        self.resume = resume
        self.searching = resume
        self._started: float | None = None
        self.cancel_button = Button("Cancel", self.cancel, hint="Esc")
        self.buttons.set_rows([[self.cancel_button]])
        self.buttons.focus_visible = False

    # What is on screen ---------------------------------------------------------------------------

    @property
    def hosting(self) -> Hosting | None:
        return self.flow.hosting

    @property
    def requested_port(self) -> int:
        return self.app.net_settings.lan_port if self.app is not None else 0

    @property
    def status_text(self) -> str:
        if self.hosting is None:
            return "Starting the game host…"
        return "Waiting for an opponent…"

    @property
    def port_text(self) -> str:
        """'Port 7350'."""
        return f"Port {self.hosting.port}" if self.hosting is not None else ""

    @property
    def port_note(self) -> str:
        """Why the port is not the one asked for, if it is not."""
        hosting = self.hosting
        asked = self.requested_port
        if hosting is None or not asked or hosting.port == asked:
            return ""
        return f"{asked} was taken, so the game uses the next free port"

    @property
    def addresses_text(self) -> list[str]:
        """The addresses others can type (a few at most), or why there are none."""
        hosting = self.hosting
        if hosting is None:
            return []
        if not hosting.addresses:
            return ["No network address found: only this computer can join."]
        shown = list(hosting.addresses[:MAX_ADDRESSES_SHOWN])
        if len(hosting.addresses) > MAX_ADDRESSES_SHOWN:
            shown.append(f"and {len(hosting.addresses) - MAX_ADDRESSES_SHOWN} more")
        return shown

    @property
    def elapsed(self) -> float:
        return 0.0 if self._started is None else max(0.0, self.now - self._started)

    # Lifecycle, input, events -----------------------------------------------------------------------

    def on_mount(self) -> None:
        self._started = self.now

    def cancel(self) -> None:
        """Stop hosting (the announcement stops, the host closes) and go back to the menu."""
        self.flow.home()

    def handle(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.cancel()
            return True
        if event.type == pygame.KEYDOWN and event.key in ACTIVATE_KEYS and not self.buttons.focus_visible:
            return False
        return self.buttons.handle(event)

    def on_event(self, event: Event) -> None:
        if isinstance(event, Hosting):
            self.flow.hosting = event
            self.flow.server = f"127.0.0.1:{event.port}"
            self.relayout()  # the panel grows with the addresses
        elif isinstance(event, Searching):
            self.searching = True
        elif isinstance(event, MatchJoined):
            self.flow.matched()
        elif isinstance(event, Failure):
            self.flow.failed(event)
        # HostStopped and Disconnected only ever answer an earlier trip's end: ignored.

    @property
    def animating(self) -> bool:
        return self.app is not None and self.app.settings.animations and not self.skip_animations

    def next_deadline(self) -> float | None:
        base = self._started if self._started is not None else self.now
        return self.now + (1.0 - ((self.now - base) % 1.0))

    # Drawing ------------------------------------------------------------------------------------------

    def _info_lines(self) -> int:
        """How many lines the port-and-addresses panel needs."""
        if self.hosting is None:
            return 1
        return 3 + (1 if self.port_note else 0) + len(self.addresses_text)

    def _metrics(self, size: tuple[int, int]) -> dict[str, int]:
        s = self.scale(size)
        m = {
            "pad": int(30 * s),
            "title": int(44 * s),
            "game": int(40 * s),
            "spinner": int(96 * s),
            "status": int(32 * s),
            "elapsed": int(26 * s),
            "gap": int(18 * s),
            "info": int((24 + 26 * self._info_lines()) * s),
            "button": int(52 * s),
            "footer": int(40 * s),
        }
        parts = ("title", "game", "spinner", "status", "elapsed", "gap", "info", "gap", "button")
        m["height"] = 2 * m["pad"] + sum(m[p] for p in parts)
        m["width"] = min(size[0] - int(32 * s), int(500 * s))
        m["top"] = max(int(8 * s), (size[1] - m["footer"] - m["height"]) // 2)
        return m

    def layout(self, size: tuple[int, int]) -> None:
        s = self.scale(size)
        m = self._metrics(size)
        self.cancel_button.rect = pygame.Rect(0, 0, int(200 * s), m["button"])
        self.cancel_button.rect.midbottom = (size[0] // 2, m["top"] + m["height"] - m["pad"])

    def draw(self, surface: pygame.Surface) -> None:
        assert self.app is not None
        fonts = self.app.fonts
        size = surface.get_size()
        s = self.scale(size)
        m = self._metrics(size)
        cx = size[0] / 2
        inner = m["width"] - 2 * m["pad"]
        card = pygame.Rect(0, m["top"], m["width"], m["height"])
        card.centerx = size[0] // 2
        draw_card(surface, card, s)
        y = m["top"] + m["pad"]
        blit_center(surface, fonts.render("Hosting a LAN game", 34 * s, theme.TEXT), (cx, y + m["title"] / 2))
        y += m["title"]
        name = game_title(self.hosting.name if self.hosting is not None else self.flow.name)
        blit_center(surface, fonts.render(name, fonts.fit(name, 26 * s, inner), theme.ACCENT), (cx, y + m["game"] / 2))
        y += m["game"]
        draw_spinner(surface, (cx, y + m["spinner"] / 2), 26 * s, self.now if self.animating else 0.0)
        y += m["spinner"]
        blit_center(surface, fonts.render(self.status_text, 22 * s, theme.TEXT), (cx, y + m["status"] / 2))
        y += m["status"]
        waited = f"Waiting {format_elapsed(self.elapsed)}"
        blit_center(surface, fonts.render(waited, theme.small(16 * s), theme.MUTED), (cx, y + m["elapsed"] / 2))
        y += m["elapsed"] + m["gap"]
        self._draw_info(surface, pygame.Rect(card.x + m["pad"], y, inner, m["info"]), s)
        self.buttons.draw(surface, fonts, s)
        sound = "off" if self.app.sounds.muted else "on"
        hint = f"Esc stops hosting  ·  M sound {sound}"
        blit_center(
            surface,
            fonts.render(hint, fonts.fit(hint, theme.small(14 * s), size[0] - 32 * s), theme.MUTED),
            (cx, size[1] - m["footer"] / 2),
        )

    def _draw_info(self, surface: pygame.Surface, box: pygame.Rect, s: float) -> None:
        """The port (and why it moved) and the addresses, in an inset panel."""
        assert self.app is not None
        fonts = self.app.fonts
        pygame.draw.rect(surface, theme.PANEL_HIGH, box, border_radius=int(14 * s))
        cx, room, line = box.centerx, box.width - 24 * s, 26 * s
        y = box.y + 12 * s
        if self.hosting is None:
            image = fonts.render("Finding a free port…", theme.small(16 * s), theme.MUTED)
            blit_center(surface, image, (cx, y + line / 2))
            return
        rows: list[tuple[str, float, pygame.Color]] = [(self.port_text, 20 * s, theme.TEXT)]
        if self.port_note:
            rows.append((self.port_note, theme.small(15 * s), theme.ACCENT))
        rows.append(("Players on your network see this game in their list.", theme.small(15 * s), theme.MUTED))
        rows.append(("They can also type one of these addresses:", theme.small(15 * s), theme.MUTED))
        found = bool(self.hosting.addresses)
        for address in self.addresses_text:
            rows.append((address, 20 * s if found else theme.small(15 * s), theme.O_COLOR if found else theme.MUTED))
        for text, size, color in rows:
            blit_center(surface, fonts.render(text, fonts.fit(text, size, room), color), (cx, y + line / 2))
            y += line

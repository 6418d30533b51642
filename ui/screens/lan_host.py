"""Hosting a LAN game: the game's name, the port it really got, the addresses others can type, and Cancel.

The flow already sent ``HostLan``; the network thread starts the embedded host (on
the next free port when the asked one is taken), announces it on the LAN and signs our
own player in to it. This screen shows what the ``Hosting`` event reports and waits,
spinner turning, until someone joins (then the board) or the player cancels (which
stops the host). After an opponent left, ``resume`` shows the same screen for the
host that is still up, waiting for someone new.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from net.messages import Event, Failure, Hosting, MatchJoined
from ui import theme
from ui.i18n import _, ngettext
from ui.render import blit_center, draw_card, wrap_text
from ui.screens.base import Canvas
from ui.screens.layout import ColumnLayout
from ui.screens.netkit import WaitingScreen, WaitRows, draw_spinner, format_elapsed
from ui.screens.trip import Trip
from ui.textcut import short_name

MAX_ADDRESSES_SHOWN = 3
INFO_LINE = 26  # a line of the port-and-addresses panel (default window units, at 100 % text)


def game_title(player: str) -> str:
    """The hosted game's name as this screen shows it."""
    return _("{name}'s game").format(name=short_name(player))


@dataclass(frozen=True)
class LanHostRows(WaitRows):
    text_rows = WaitRows.text_rows | {"game", "status", "elapsed"}

    game: int = 40
    spinner: int = 96
    status: int = 32
    elapsed: int = 26
    gap: int = 18
    info: int = 50  # the port-and-addresses panel: 24 and INFO_LINE a line (counted when it is measured)


LanHostLayout = ColumnLayout[LanHostRows]


class LanHostScreen(WaitingScreen[LanHostRows]):
    """Waiting for an opponent on our own LAN host."""

    name = "lan-host"

    def __init__(self, flow: Trip, *, resume: bool = False):
        super().__init__()
        self.flow = flow
        self.resume = resume

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
            return _("Starting the game host…")
        return _("Waiting for an opponent…")

    @property
    def port_text(self) -> str:
        """'Port 7350'."""
        return _("Port {port}").format(port=self.hosting.port) if self.hosting is not None else ""

    @property
    def port_note(self) -> str:
        """Why the port is not the one asked for, if it is not."""
        hosting = self.hosting
        asked = self.requested_port
        if hosting is None or not asked or hosting.port == asked:
            return ""
        return _("{port} was taken, so the game uses the next free port").format(port=asked)

    @property
    def addresses_text(self) -> list[str]:
        """The addresses others can type (a few at most), or why there are none."""
        hosting = self.hosting
        if hosting is None:
            return []
        if not hosting.addresses:
            return [_("No network address found: only this computer can join.")]
        shown = list(hosting.addresses[:MAX_ADDRESSES_SHOWN])
        if len(hosting.addresses) > MAX_ADDRESSES_SHOWN:
            more = len(hosting.addresses) - MAX_ADDRESSES_SHOWN
            shown.append(ngettext("and {n} more", "and {n} more", more).format(n=more))
        return shown

    # Input and events -------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop hosting (the announcement stops, the host closes) and go back to the menu."""
        self.flow.home()

    def on_event(self, event: Event) -> None:
        if isinstance(event, Hosting):
            self.flow.hosting = event
            self.flow.server = f"127.0.0.1:{event.port}"
            self.relayout()  # the panel grows with the addresses
        elif isinstance(event, MatchJoined):
            self.flow.matched(event.label)
        elif isinstance(event, Failure):
            self.flow.failed(event)
        # Searching is the wait shown already; HostStopped and Disconnected only ever answer an
        # earlier trip's end: ignored.

    # Drawing ------------------------------------------------------------------------------------------

    def _info_lines(self, s: float, room: float) -> list[tuple[str, float, pygame.Color]]:
        """The port-and-addresses panel's lines at scale ``s``, each at most ``room`` wide: (text, size, colour)."""
        if self.hosting is None:
            return [(_("Finding a free port…"), theme.small(16 * s), theme.MUTED)]
        note = theme.small(15 * s)
        rows: list[tuple[str, float, pygame.Color]] = [(self.port_text, 20 * s, theme.TEXT)]
        if self.port_note:
            rows.append((self.port_note, note, theme.ACCENT))
        rows.append((_("Players on your network see this game in their list."), note, theme.MUTED))
        rows.append((_("They can also type one of these addresses:"), note, theme.MUTED))
        found = bool(self.hosting.addresses)
        for address in self.addresses_text:
            rows.append((address, 20 * s if found else note, theme.O_COLOR if found else theme.MUTED))
        fonts = self.fonts
        return [(line, size, color) for text, size, color in rows for line in wrap_text(fonts.get(size), text, room)]

    def measure(self, size: tuple[int, int]) -> LanHostLayout:
        s, grow = theme.scale_for(size), theme.text_scale()
        room = min(size[0] - int(32 * s), int(500 * s * grow)) - 2 * int(LanHostRows.pad * s) - 24 * s
        lines = len(self._info_lines(s, room))
        rows = LanHostRows(info=round(24 + INFO_LINE * grow * lines))
        return ColumnLayout.centred(
            size, rows, lambda h: (h.pad, h.title, h.game, h.spinner, h.status, h.elapsed, h.gap, h.info, h.gap, h.button, h.pad),
            width=500,
        )

    def paint(self, canvas: Canvas, lay: LanHostLayout) -> None:
        surface, fonts, s = canvas.surface, canvas.fonts, canvas.scale
        col, h = lay.column, lay.rows
        cx = canvas.center_x
        inner = col.width - 2 * h.pad
        card = draw_card(surface, col.top, col.width, col.height, s)
        y = col.top + h.pad
        canvas.text(_("Hosting a LAN game"), 34 * s, theme.TEXT, (cx, y + h.title / 2))
        y += h.title
        name = game_title(self.hosting.name if self.hosting is not None else self.flow.name)
        canvas.fitted(name, 26 * s, inner, theme.ACCENT, (cx, y + h.game / 2))
        y += h.game
        draw_spinner(surface, (cx, y + h.spinner / 2), 26 * s, self.now if self.animating else 0.0)
        y += h.spinner
        canvas.text(self.status_text, 22 * s, theme.TEXT, (cx, y + h.status / 2))
        y += h.status
        canvas.text(_("Waiting {time}").format(time=format_elapsed(self.elapsed)), theme.small(16 * s), theme.MUTED,
                    (cx, y + h.elapsed / 2))
        y += h.elapsed + h.gap
        self._draw_info(surface, pygame.Rect(card.x + h.pad, y, inner, h.info), s)
        self.buttons.draw(surface, fonts, s)
        self.draw_footer(surface, _("Esc stops hosting"), col.footer)

    def _draw_info(self, surface: pygame.Surface, box: pygame.Rect, s: float) -> None:
        """The port (and why it moved) and the addresses, in an inset panel."""
        fonts = self.fonts
        pygame.draw.rect(surface, theme.PANEL_HIGH, box, border_radius=int(14 * s))
        line = INFO_LINE * s * theme.text_scale()
        y = box.y + 12 * s
        for text, size, color in self._info_lines(s, box.width - 24 * s):
            blit_center(surface, fonts.render(text, size, color), (box.centerx, y + line / 2))
            y += line

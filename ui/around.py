"""Who is around on the server: the figures an online screen shows, asked for every few seconds while it is shown.

The server answers the RPC ``xoxo_stats`` (``net.stats``): players online, games with both
players seated. The screen asks (``ShowStats``) when ``due``, and shows ``text`` once an
answer came; a server without the RPC (the stock XOXO module) says so once and is never
asked again, and the line stays empty. No pygame here: the screens draw the text.
"""

from __future__ import annotations

from net.messages import Event, StatsLoaded, StatsUnavailable
from net.stats import REFRESH_SECONDS
from ui.i18n import _, ngettext


def around_parts(stats: StatsLoaded) -> tuple[str, str]:
    """'3 other players online' and '1 game in progress' (the player, connected, is one of those online)."""
    others = max(0, stats.online - 1)
    if others == 0:
        who = _("You are the only player online")
    else:
        who = ngettext("{n} other player online", "{n} other players online", others).format(n=others)
    games = ngettext("{n} game in progress", "{n} games in progress", stats.games).format(n=stats.games)
    return who, games


def around_text(stats: StatsLoaded) -> str:
    """'3 other players online  ·  1 game in progress'."""
    who, games = around_parts(stats)
    return f"{who}  \u00b7  {games}"


class WhoIsAround:
    """The last figures, and when to ask again."""

    def __init__(self, refresh: float = REFRESH_SECONDS):
        self.refresh = refresh
        self.stats: StatsLoaded | None = None
        self.unsupported = False  # the server has no xoxo_stats: never asked again
        self._asked_at: float | None = None

    def due(self, now: float) -> bool:
        """Time to ask (again)."""
        return not self.unsupported and (self._asked_at is None or now - self._asked_at >= self.refresh)

    def asked(self, now: float) -> None:
        self._asked_at = now

    def next_deadline(self) -> float | None:
        """When to ask next (None: never, or not asked yet: the screen asks on its next update)."""
        if self.unsupported or self._asked_at is None:
            return None
        return self._asked_at + self.refresh

    def on_event(self, event: Event) -> bool:
        """Take an answer; True if what is shown changed."""
        if isinstance(event, StatsLoaded):
            changed = event != self.stats
            self.stats = event
            return changed
        if isinstance(event, StatsUnavailable):
            had = self.stats is not None
            self.stats = None
            self.unsupported = self.unsupported or event.unsupported
            return had
        return False

    @property
    def text(self) -> str:
        """What the screen shows ("" until the server said, or where it cannot)."""
        return around_text(self.stats) if self.stats is not None else ""

    @property
    def players_text(self) -> str:
        """Only who is online: what a screen shows where ``text`` would not fit on its line."""
        return around_parts(self.stats)[0] if self.stats is not None else ""

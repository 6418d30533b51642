"""An absent opponent's seat hold, as the board counts it down, and when the player may claim the game.

Pure (no pygame). A revision-3 server holds a dropped opponent's seat for a while and says
how long (the state's ``opponent_away_seconds_left`` of ``opponent_away_seconds``) and when
a claim opens (``claim_seconds_left``: half the hold); it sends the state when the opponent
drops and again when a claim becomes allowed (``ClaimAvailable``), and the client counts
down in between, as lichess does. Once claims are open the player may claim the win or call
it a draw, or keep waiting: when the hold runs out the game is the absent player's loss
anyway. An older server says nothing of the hold: there is nothing to count then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from net.messages import ClaimAvailable, Event, MatchUpdate, OpponentAway
from ui.i18n import _, ngettext
from ui.textcut import short_name


@dataclass(frozen=True)
class Hold:
    """The seat held for an absent opponent (times on the App's clock)."""

    name: str
    seconds: float  # the whole hold
    ends_at: float  # when it runs out: the game is then theirs to lose
    claim_at: float  # when a claim opens (half the hold)
    claimable: bool = False  # the server said a claim is allowed now


class AbsenceClock:
    """The hold of the opponent's seat while they are away in a game, from the server's events; None otherwise."""

    def __init__(self) -> None:
        self.hold: Hold | None = None

    def apply(self, event: Event, now: float) -> None:
        """Follow one event of the match at clock time ``now``."""
        if isinstance(event, OpponentAway):
            if event.seconds_left is not None and event.seconds is not None:
                claim_in = event.claim_in if event.claim_in is not None else event.seconds_left
                self.hold = Hold(event.name, event.seconds, now + event.seconds_left, now + claim_in, claim_in <= 0)
        elif isinstance(event, ClaimAvailable):
            hold = self.hold or Hold(event.name, 2 * event.seconds_left, now, now)
            self.hold = replace(hold, ends_at=now + event.seconds_left, claim_at=min(hold.claim_at, now), claimable=True)
        elif isinstance(event, MatchUpdate):
            self._state(event, now)

    def _state(self, update: MatchUpdate, now: float) -> None:
        view = update.view
        away = view.away
        if view.opponent_connected or view.board.is_over:
            self.hold = None
        elif away is not None:
            name = self.hold.name if self.hold is not None else ""
            if not name and view.opponent:
                name = view.name_of(view.opponent)
            claimable = away.claimable or (self.hold is not None and self.hold.claimable)
            self.hold = Hold(name, away.seconds, now + away.seconds_left, now + away.claim_seconds_left, claimable)

    def clear(self) -> None:
        self.hold = None

    # What the board shows ----------------------------------------------------------------

    def seconds_left(self, now: float) -> int | None:
        """Whole seconds left of the hold (None when no hold is counted)."""
        hold = self.hold
        return None if hold is None else max(0, math.ceil(hold.ends_at - now - 1e-9))

    def share_left(self, now: float) -> float:
        """How much of the hold is left, 1 to 0 (for a bar)."""
        hold = self.hold
        if hold is None or hold.seconds <= 0:
            return 0.0
        return max(0.0, min(1.0, (hold.ends_at - now) / hold.seconds))

    def claim_in(self, now: float) -> int | None:
        """Whole seconds until a claim opens (0 once it has; None when no hold is counted)."""
        hold = self.hold
        if hold is None:
            return None
        return 0 if hold.claimable else max(0, math.ceil(hold.claim_at - now - 1e-9))

    @property
    def claimable(self) -> bool:
        """The server said the player may claim the win or call a draw now."""
        return self.hold is not None and self.hold.claimable

    def next_change(self, now: float) -> float | None:
        """The clock time the seconds shown next change (None without a hold)."""
        hold = self.hold
        if hold is None or hold.ends_at <= now:
            return None
        left = hold.ends_at - now
        frac = left - math.floor(left)
        return now + (frac if frac > 1e-6 else 1.0)

    def title(self, fallback: str) -> str:
        """'Bob is away' (``fallback`` is the opponent's name as the board shows it)."""
        name = short_name(self.hold.name) if self.hold is not None and self.hold.name else fallback
        return _("{name} is away").format(name=name)

    def held_text(self, now: float) -> str:
        """'Their seat is held 14 s more', counting down."""
        n = self.seconds_left(now) or 0
        return ngettext("Their seat is held {n} s more", "Their seat is held {n} s more", n).format(n=n)

    def claim_text(self, now: float) -> str:
        """When the player may end the game, or that they may now."""
        if self.claimable:
            return _("Claim the win or call it a draw, or keep waiting.")
        n = self.claim_in(now) or 0
        return ngettext("You may claim the win in {n} s if they stay away.",
                        "You may claim the win in {n} s if they stay away.", n).format(n=n)

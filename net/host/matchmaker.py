"""The host's matchmaker: pairs waiting players the moment a second one arrives.

Pure: no sockets, no clock. Nakama runs its matcher on a timer; ours matches at once,
because tic-tac-toe has no skill query worth waiting for. It keeps Nakama's refusals
(``min_count`` below 2 or above ``max_count``, at most 3 tickets a session) and adds
ours: the game is for two, so ``min_count`` must be 2, and the only query is ``*``.
A user is never matched with themselves (two sessions of one user wait apart).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from game.xoxo import Presence

MAX_TICKETS_PER_SESSION = 3
PLAYERS = 2


class MatchmakerError(ValueError):
    """A matchmaker request refused as bad input (Nakama's error code 3)."""


@dataclass(frozen=True)
class Ticket:
    """One waiting request: who asked, from which session."""

    ticket: str
    presence: Presence


class Matchmaker:
    """Waiting tickets, oldest first; ``add`` returns the pair it completes, if any."""

    def __init__(self) -> None:
        self._waiting: dict[str, Ticket] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, presence: Presence, min_count: int, max_count: int, query: str) -> tuple[Ticket, tuple[Ticket, Ticket] | None]:
        """Queue a ticket for ``presence``; if another user is waiting, pair them now (oldest first)."""
        if min_count < PLAYERS:
            raise MatchmakerError(f"min_count must be at least {PLAYERS}")
        if max_count < min_count:
            raise MatchmakerError("max_count must be at least min_count")
        if min_count > PLAYERS:
            raise MatchmakerError(f"this host matches pairs: min_count must be {PLAYERS}")
        if query.strip() not in ("", "*"):
            raise MatchmakerError('this host matches anyone: the query must be "*"')
        mine = sum(1 for t in self._waiting.values() if t.presence.session_id == presence.session_id)
        if mine >= MAX_TICKETS_PER_SESSION:
            raise MatchmakerError(f"at most {MAX_TICKETS_PER_SESSION} matchmaker tickets a session")
        ticket = Ticket(str(uuid.uuid4()), presence)
        for other in self._waiting.values():
            if other.presence.user_id != presence.user_id:
                del self._waiting[other.ticket]
                return ticket, (other, ticket)
        self._waiting[ticket.ticket] = ticket
        return ticket, None

    def remove(self, session_id: str, ticket: str) -> None:
        """Withdraw one of this session's tickets; MatchmakerError if it has no such ticket."""
        t = self._waiting.get(ticket)
        if t is None or t.presence.session_id != session_id:
            raise MatchmakerError("matchmaker ticket not found")
        del self._waiting[ticket]

    def remove_session(self, session_id: str) -> int:
        """Drop every ticket of a closed session; how many there were."""
        gone = [k for k, t in self._waiting.items() if t.presence.session_id == session_id]
        for k in gone:
            del self._waiting[k]
        return len(gone)

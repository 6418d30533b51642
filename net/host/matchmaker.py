"""The host's matchmaker: pairs two waiting players the moment their tickets fit each other.

Pure: no sockets, no clock. Nakama runs its matcher on a timer; ours matches at once,
because tic-tac-toe has no skill query worth waiting for. It keeps Nakama's refusals
(``min_count`` below 2 or above ``max_count``, at most 3 tickets a session) and adds
ours: the game is for two, so ``min_count`` must be 2. A user is never matched with
themselves (two sessions of one user wait apart).

Tickets carry ``string_properties`` and ``numeric_properties``, and a query over the
other ticket's properties in the forms players use (Nakama's Bleve syntax, a subset):
``*`` (anyone), ``+properties.K:V`` (must match), ``-properties.K:V`` (must not) and
``properties.K:V`` (should: if a query has only such terms, one must match). Matching
is mutual, as on Nakama with ``matchmaker.rev_precision: true``: each ticket's query
must accept the other's properties. That is how two friends with one code meet each
other and nobody else.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from game.xoxo import Presence

MAX_TICKETS_PER_SESSION = 3
PLAYERS = 2
MAX_TERMS = 16
_UNSUPPORTED = 'this host understands the matchmaker query "*" and terms "+properties.KEY:VALUE" or "-properties.KEY:VALUE"'
_TERM = re.compile(r'([+-]?)properties\.([A-Za-z0-9_]{1,64}):("(?:[^"\\]|\\.){0,256}"|[^\s"]{1,256})')


class MatchmakerError(ValueError):
    """A matchmaker request refused as bad input (Nakama's error code 3)."""


@dataclass(frozen=True)
class Term:
    """One clause of a query: ``properties.key:value``, required (+), forbidden (-) or optional."""

    key: str
    value: str
    occur: str = ""  # "+", "-" or "" (should)

    def holds(self, strings: Mapping[str, str], numbers: Mapping[str, float]) -> bool:
        if self.key in strings:
            return strings[self.key] == self.value
        if self.key in numbers:
            try:
                return numbers[self.key] == float(self.value)
            except ValueError:
                return False
        return False


@dataclass(frozen=True)
class Query:
    """A parsed matchmaker query; ``Query()`` (from ``*``) accepts anyone."""

    terms: tuple[Term, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Query:
        """The query ``text`` says; MatchmakerError for anything outside the supported forms."""
        text = text.strip()
        if text in ("", "*"):
            return cls()
        terms: list[Term] = []
        pos = 0
        while pos < len(text):
            if text[pos].isspace():
                pos += 1
                continue
            m = _TERM.match(text, pos)
            if m is None:
                raise MatchmakerError(_UNSUPPORTED)
            occur, key, value = m.groups()
            if value[:1] in "<>=":
                raise MatchmakerError(_UNSUPPORTED)  # ranges compare numbers: not needed by any game of ours
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            terms.append(Term(key, value, occur))
            pos = m.end()
            if len(terms) > MAX_TERMS:
                raise MatchmakerError(f"a query has at most {MAX_TERMS} terms")
        return cls(tuple(terms))

    def accepts(self, strings: Mapping[str, str], numbers: Mapping[str, float]) -> bool:
        """True if a ticket with these properties satisfies this query."""
        should = [t for t in self.terms if t.occur == ""]
        for term in self.terms:
            if term.occur == "+" and not term.holds(strings, numbers):
                return False
            if term.occur == "-" and term.holds(strings, numbers):
                return False
        if should and not any(t.occur == "+" for t in self.terms):
            return any(t.holds(strings, numbers) for t in should)
        return True


@dataclass(frozen=True)
class Ticket:
    """One waiting request: who asked, from which session, with what properties and query."""

    ticket: str
    presence: Presence
    query: Query = Query()
    string_properties: Mapping[str, str] = field(default_factory=dict)
    numeric_properties: Mapping[str, float] = field(default_factory=dict)

    def fits(self, other: Ticket) -> bool:
        """True if this ticket and ``other`` may be paired: different users, each query accepting the other."""
        return (
            other.presence.user_id != self.presence.user_id
            and self.query.accepts(other.string_properties, other.numeric_properties)
            and other.query.accepts(self.string_properties, self.numeric_properties)
        )


class Matchmaker:
    """Waiting tickets, oldest first; ``add`` returns the pair it completes, if any."""

    def __init__(self) -> None:
        self._waiting: dict[str, Ticket] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def add(
        self,
        presence: Presence,
        min_count: int,
        max_count: int,
        query: str,
        string_properties: Mapping[str, str] | None = None,
        numeric_properties: Mapping[str, float] | None = None,
    ) -> tuple[Ticket, tuple[Ticket, Ticket] | None]:
        """Queue a ticket for ``presence``; if a waiting ticket fits it, pair them now (the oldest that fits)."""
        if min_count < PLAYERS:
            raise MatchmakerError(f"min_count must be at least {PLAYERS}")
        if max_count < min_count:
            raise MatchmakerError("max_count must be at least min_count")
        if min_count > PLAYERS:
            raise MatchmakerError(f"this host matches pairs: min_count must be {PLAYERS}")
        parsed = Query.parse(query)
        mine = sum(1 for t in self._waiting.values() if t.presence.session_id == presence.session_id)
        if mine >= MAX_TICKETS_PER_SESSION:
            raise MatchmakerError(f"at most {MAX_TICKETS_PER_SESSION} matchmaker tickets a session")
        ticket = Ticket(
            str(uuid.uuid4()), presence, parsed, dict(string_properties or {}), dict(numeric_properties or {})
        )
        for other in self._waiting.values():
            if ticket.fits(other):
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

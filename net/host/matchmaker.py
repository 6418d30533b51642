"""The host's matchmaker: pairs two waiting players the moment their tickets fit each other.

Pure: no sockets, no clock. Nakama runs its matcher on a timer; ours matches at once, so
nobody ever waits for a better opponent. It keeps Nakama's refusals (``min_count`` below 2
or above ``max_count``, at most 3 tickets a session) and adds ours: the game is for two,
so ``min_count`` must be 2. A user is never matched with themselves (two sessions of one
user wait apart).

Tickets carry ``string_properties`` and ``numeric_properties``, and a query over the other
ticket's properties in Nakama's query language (Bleve's query-string syntax), the forms
players use:

* ``*`` (or an empty query): anyone;
* ``properties.K:V``, ``properties.K:"two words"``: equal to V (a number V also matches a
  numeric property of that value); ``properties.K:>=1400`` (also ``>``, ``<=``, ``<``): a
  numeric property in that range;
* ``min_count:2``, ``max_count:>=2`` and the like: the ticket's own counts, which Nakama
  indexes beside the properties (every ticket here has ``min_count`` 2, so ``+min_count:2``
  is a required term that any ticket meets);
* each term required (``+``), forbidden (``-``) or optional (no sign), and optionally
  boosted, ``^N`` (default 1).

The rules are Bleve's, as Nakama applies them: required terms must all hold and forbidden
ones must not; optional terms only rank candidates, except that a query with no required
term needs at least one optional term to hold (and a query of forbidden terms alone
accepts anyone else). Matching is mutual, as on Nakama with ``matchmaker.rev_precision:
true``: each ticket's query must accept the other's properties. That is how two friends
with one code meet each other and nobody else.

When several waiting tickets fit a new one, the best ranked is taken: the sum of the
boosts of the optional terms that hold, both ways (the new ticket's query on the waiting
ticket's properties, and the waiting ticket's query on the new one's), the oldest first
among equals. Nakama sorts its candidates the same way (score, then age). A ticket that
fits only one waiting ticket is paired with it at once, however few optional terms hold:
near ratings are preferred, never waited for.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from game.xoxo import Presence

MAX_TICKETS_PER_SESSION = 3
PLAYERS = 2
MAX_TERMS = 16
MAX_BOOST = 1e6
_UNSUPPORTED = (
    'this host understands the matchmaker query "*" and terms properties.KEY:VALUE, properties.KEY:"VALUE" or '
    "properties.KEY:>=NUMBER (also >, <=, <; min_count and max_count too), each with an optional + or - "
    "before it and ^BOOST after it"
)
_NUMBER = r"-?[0-9]+(?:\.[0-9]*)?"  # Bleve's number token (no exponent); a leading - is the sign
_TERM = re.compile(
    r"([+-]?)(?:properties\.([A-Za-z0-9_]{1,64})|(min_count|max_count)):"
    r"(?:(>=|<=|>|<)(" + _NUMBER + r")"
    r'|("(?:[^"\\]|\\.){0,256}")'
    r'|(' + _NUMBER + r'|[^\s"^~:\\<>=+\-*?/(){}\[\]!&|][^\s"^~:\\*?]{0,255}))'
    r"(?:\^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)?)?"
    r"(?=\s|$)"
)
_NUMERIC = re.compile(_NUMBER + "$")
_NONE: Mapping[str, Any] = MappingProxyType({})
_COMPARE = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}


class MatchmakerError(ValueError):
    """A matchmaker request refused as bad input (Nakama's error code 3)."""


@dataclass(frozen=True)
class Term:
    """One clause of a query: ``properties.key:value`` or ``properties.key:>=bound``, required (+), forbidden (-) or optional.

    ``op`` is empty for equality, else one of ``>=``, ``>``, ``<=``, ``<`` comparing a numeric
    property with ``bound``; ``boost`` weighs an optional term in the ranking. A ``counted``
    term is about the ticket's ``min_count`` or ``max_count`` (its key), not a property.
    """

    key: str
    value: str = ""
    occur: str = ""  # "+", "-" or "" (should)
    op: str = ""
    bound: float = 0.0
    boost: float = 1.0
    counted: bool = False

    def holds(self, strings: Mapping[str, str], numbers: Mapping[str, float], counts: Mapping[str, float] = _NONE) -> bool:
        if self.counted:
            strings, numbers = _NONE, counts
        # Nakama merges both maps into one, numbers last: a number wins over a string of the same key.
        if self.op:
            return self.key in numbers and _COMPARE[self.op](numbers[self.key], self.bound)
        if self.key in numbers:
            return _NUMERIC.match(self.value) is not None and numbers[self.key] == float(self.value)
        if self.key in strings:
            return strings[self.key] == self.value
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
            terms.append(_term(m))
            pos = m.end()
            if len(terms) > MAX_TERMS:
                raise MatchmakerError(f"a query has at most {MAX_TERMS} terms")
        return cls(tuple(terms))

    def accepts(self, strings: Mapping[str, str], numbers: Mapping[str, float], counts: Mapping[str, float] = _NONE) -> bool:
        """True if a ticket with these properties (and ``min_count``/``max_count`` in ``counts``) satisfies this query."""
        should = [t for t in self.terms if t.occur == ""]
        for term in self.terms:
            if term.occur == "+" and not term.holds(strings, numbers, counts):
                return False
            if term.occur == "-" and term.holds(strings, numbers, counts):
                return False
        if should and not any(t.occur == "+" for t in self.terms):
            return any(t.holds(strings, numbers, counts) for t in should)
        return True

    def score(self, strings: Mapping[str, str], numbers: Mapping[str, float], counts: Mapping[str, float] = _NONE) -> float:
        """How much a ticket with these properties is preferred: the boosts of the optional terms it meets."""
        return sum(t.boost for t in self.terms if t.occur == "" and t.holds(strings, numbers, counts))

    @property
    def ranks(self) -> bool:
        """True if this query has optional terms, so that candidates may score differently."""
        return any(t.occur == "" for t in self.terms)


def _term(m: re.Match[str]) -> Term:
    occur, property_key, count_key, op, bound, phrase, bare, boost_text = m.groups()
    key, counted = (property_key, False) if property_key else (count_key, True)
    boost = 1.0 if not boost_text else float(boost_text)
    if boost > MAX_BOOST:
        raise MatchmakerError(f"a boost in a matchmaker query is at most {MAX_BOOST:g}")
    if op:
        number = float(bound)
        if not math.isfinite(number):
            raise MatchmakerError(_UNSUPPORTED)
        return Term(key, "", occur, op, number, boost, counted)
    value = re.sub(r"\\(.)", r"\1", phrase[1:-1]) if phrase else bare
    return Term(key, value, occur, boost=boost, counted=counted)


@dataclass(frozen=True)
class Ticket:
    """One waiting request: who asked, from which session, with what properties and query."""

    ticket: str
    presence: Presence
    query: Query = Query()
    string_properties: Mapping[str, str] = field(default_factory=dict)
    numeric_properties: Mapping[str, float] = field(default_factory=dict)
    min_count: int = PLAYERS
    max_count: int = PLAYERS

    @property
    def counts(self) -> dict[str, float]:
        """The ticket's counts as a query sees them (``min_count:2``)."""
        return {"min_count": float(self.min_count), "max_count": float(self.max_count)}

    def fits(self, other: Ticket) -> bool:
        """True if this ticket and ``other`` may be paired: different users, each query accepting the other."""
        return (
            other.presence.user_id != self.presence.user_id
            and self.query.accepts(other.string_properties, other.numeric_properties, other.counts)
            and other.query.accepts(self.string_properties, self.numeric_properties, self.counts)
        )

    def preference(self, other: Ticket) -> float:
        """How well this ticket and ``other`` suit each other: both queries' optional boosts that hold."""
        return self.query.score(other.string_properties, other.numeric_properties, other.counts) + other.query.score(
            self.string_properties, self.numeric_properties, self.counts
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
        """Queue a ticket for ``presence``; if waiting tickets fit it, pair it now with the best ranked (then oldest)."""
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
            str(uuid.uuid4()),
            presence,
            parsed,
            dict(string_properties or {}),
            dict(numeric_properties or {}),
            min_count,
            max_count,
        )
        partner = self._best_partner(ticket)
        if partner is None:
            self._waiting[ticket.ticket] = ticket
            return ticket, None
        del self._waiting[partner.ticket]
        return ticket, (partner, ticket)

    def _best_partner(self, ticket: Ticket) -> Ticket | None:
        """The waiting ticket that fits ``ticket`` with the highest preference, the oldest among equals."""
        best: Ticket | None = None
        best_score = -math.inf
        for other in self._waiting.values():  # oldest first: a later one must score higher to win
            if ticket.fits(other):
                score = ticket.preference(other)
                if score > best_score:
                    best, best_score = other, score
        return best

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

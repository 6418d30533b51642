"""The online client's protocol without I/O: matchmaking, friend codes, joining, the match, presence, rematch.

In the spirit of websockets' sans-I/O ``Protocol``: a ``ClientProtocol`` is fed the
server's decoded messages (and the answers to its requests) and the player's wishes;
each call returns an ``Output``, the messages to send and the ``net.messages`` events
to show, in order. No socket, task or clock: ``net.online.OnlineSession`` moves the
messages and says when the socket comes and goes (after a drop, the match is joined
again or the search queued again).

What a server offers beyond stock XOXO is read from the match label alone
(``MatchLabel``), never guessed: where it declares our extensions the client sends
rematch requests (op 4) and lets the server say when an opponent is gone (op 5); on
stock XOXO (label ``""``) the countdown is the server's and an opponent's presence
leaving ends the match. A friend code is a matchmaker property; a match with someone
of another code (a matchmaker that is not mutual) is passed over and the search goes on.

Revision 3 (a label's ``protocol`` 3): the player may claim the win or call a draw
against an opponent away for half their seat hold (op 6; ``ClaimAvailable`` says when),
an aborted game is said once (``GameAborted``), the rating change after a rated game
comes as ``RatingChanged`` (op 7), and a match the server holds for us after a relaunch
is joined again by its id (``resume``).

Revision 4 (a label's ``protocol`` 4): quick reactions (op 8), sent only where the label
says 4 and the last state says the opponent sees them (``reactions``), and received as
``ReactionReceived``, unless the player muted them for the rest of the match (``mute_reactions``).

While the player plays the bot waiting for an opponent (``hold_matches``), a match the
matchmaker finds is not joined at once: ``OpponentFound`` says who, and the match is
joined when the player says so (``play_now``) or the hold is lifted; if they let it go
(``decline_held``: the session does it after ``HOLD_SECONDS``), ``OpponentMissed`` says so
and the search is queued again.

One job, and so one module of more than the usual 450 lines: the client's side of the match
protocol is one state machine (search, join, play, rematch, claims, reactions), and splitting
it would spread one state over several files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TypeAlias

from game.phrase import Phrase, text_of
from game.refusal import Refusal
from game.rules import Termination
from game.xoxo import (
    OP_CLAIM,
    OP_MOVE,
    OP_REACTION,
    OP_REMATCH,
    Claim,
    MatchLabel,
    MatchView,
    Presence,
    Reaction,
    encode_claim,
    encode_move,
    encode_reaction,
    join_metadata,
)
from net.codec import Error as ErrorMessage
from net.codec import (
    Match,
    MatchData,
    MatchDataSend,
    MatchJoin,
    MatchLeave,
    MatchmakerAdd,
    MatchmakerMatched,
    MatchmakerRemove,
    MatchmakerTicket,
    MatchPresenceEvent,
    Message,
)
from net.errors import ClientError, ConnectionLostError, ServerError, failure_kind
from net.messages import (
    ClaimAvailable,
    Event,
    Failure,
    FailureKind,
    GameAborted,
    MatchGone,
    MatchJoined,
    MatchUpdate,
    MoveRejected,
    OpponentAway,
    OpponentFound,
    OpponentLeft,
    OpponentMissed,
    ReactionReceived,
    Reconnected,
    Searching,
    ServerClosing,
    match_events,
)

log = logging.getLogger(__name__)

MAX_BACKLOG = 64  # match messages kept while a join is answered
HOLD_SECONDS = 20.0  # how long a match found while the player plays the bot waits for them (our servers give 30 s)
CODE_PROPERTY = "code"  # the matchmaker property a friend code travels in


NEAR, FAR = 50, 200  # rating bands a ticket prefers (a preference only: nobody waits for a nearer opponent)


def matchmaker_request(code: str, rating: int | None = None) -> MatchmakerAdd:
    """A ticket for anyone, or (with ``code``) for the one friend who queues with the same code.

    With ``rating`` (the player's shown rating), an opponent within 50 is preferred, then one
    within 200, then anyone (docs/PROTOCOL.md, "The matchmaker"); a friend code ignores it.
    """
    if not code and rating is not None:
        query = (
            f"+min_count:2 properties.rating:>={rating - NEAR}^3 properties.rating:<={rating + NEAR}^3 "
            f"properties.rating:>={rating - FAR} properties.rating:<={rating + FAR}"
        )
        return MatchmakerAdd(min_count=2, max_count=2, query=query, numeric_properties={"rating": float(rating)})
    if not code:
        return MatchmakerAdd(min_count=2, max_count=2, query="*")
    return MatchmakerAdd(
        min_count=2, max_count=2, query=f"+properties.{CODE_PROPERTY}:{code}", string_properties={CODE_PROPERTY: code}
    )


MatchMessage: TypeAlias = MatchData | MatchPresenceEvent  # what a match sends its members


@dataclass
class _Search:
    """A wish to be matched (with the friend of ``code``, if any): the ticket once the matchmaker gave one."""

    code: str = ""
    rating: int | None = None  # the player's shown rating, a preference for near opponents
    ticket: str = ""
    cancelled: bool = False


@dataclass
class _Match:
    """The match we are in (or joining)."""

    match_id: str
    token: str = ""
    joined: bool = False
    announced: bool = False  # MatchJoined was emitted
    label: MatchLabel = field(default_factory=MatchLabel)  # what the server offers, from its answer to our join
    session_id: str = ""  # our presence's session in the match
    opponent_name: str = ""
    opponent_away: bool = False
    claim_told: bool = False  # ClaimAvailable was emitted for this absence
    aborted_game: int = 0  # the last game GameAborted was emitted for
    resumed: bool = False  # joined by its id after a relaunch (ResumeMatch), not found by the matchmaker
    reactions: bool = False  # the last state said the opponent sees quick reactions (revision 4)
    muted: bool = False  # the player muted the opponent's reactions for the rest of this match
    backlog: list[MatchMessage] = field(default_factory=list)


@dataclass(frozen=True)
class _Held:
    """A match found while the player plays the bot: not joined until they say so; ``search`` is queued again if not."""

    match: _Match
    search: _Search


@dataclass(frozen=True)
class _Ticket:  # a ticket asked for ``search``
    search: _Search


@dataclass(frozen=True)
class _Join:  # a join of ``match``, the first or one after a reconnection
    match: _Match
    after_reconnect: bool


_Purpose: TypeAlias = _Ticket | _Join | None  # what the answer is for (None: withdrawing, leaving: nothing to do)


@dataclass(frozen=True, eq=False)
class Request:
    """A message to send with a ``cid``; its answer goes to ``answered`` (or ``failed``)."""

    message: Message
    purpose: _Purpose
    goodbye: bool = False  # a leave the player asked for: it must go out even if the connection is let go at once


@dataclass(frozen=True)
class Send:
    """Match data to send with no answer expected; a send that fails goes to ``ClientProtocol.send_failed``."""

    message: MatchDataSend


Outgoing: TypeAlias = Request | Send


@dataclass(frozen=True)
class Output:
    """What one call asks for: messages to send (in order) and events to show (in order)."""

    outgoing: tuple[Outgoing, ...] = ()
    events: tuple[Event, ...] = ()


class ClientProtocol:
    """The player's matchmaking and match on one server, as messages in and out; no I/O."""

    def __init__(self, hold_seconds: float = HOLD_SECONDS) -> None:
        self.hold_seconds = hold_seconds  # what ``OpponentFound`` promises; the session lets the match go after it
        self.user_id = ""  # ours on this server, once signed in
        self.online = False  # a socket is up to send on
        self.search: _Search | None = None
        self.searches = 0  # searches the player started (queueing again after a drop or a pass is the same one)
        self.match: _Match | None = None
        self.hold = False  # a match found is held for the player (who is playing the bot meanwhile)
        self.held: _Held | None = None
        self._outgoing: list[Outgoing] = []
        self._events: list[Event] = []

    @property
    def busy(self) -> bool:
        """Searching, in a match, or holding one: a dropped connection is worth getting back."""
        return self.search is not None or self.match is not None or self.held is not None

    # The connection --------------------------------------------------------------------

    def connected(self, user_id: str, *, reconnected: bool) -> Output:
        """A socket is up (the first, or one after a drop): rejoin the match, or queue the search again."""
        self.user_id = user_id
        self.online = True
        match = self.match
        if match is not None:
            match.joined = False
            match.backlog.clear()
            self._join(match, after_reconnect=reconnected)
            return self._flush()
        if reconnected:
            self._events.append(Reconnected(rejoined=False))
        if self.search is not None:
            self.search = _Search(self.search.code, self.search.rating)
            self._start_search()
        return self._flush()

    def disconnected(self) -> None:
        """The socket went: requests on their way are lost; ``connected`` picks up what was going on."""
        self.online = False

    def reset(self) -> None:
        """Forget the search and the match (the connection is let go)."""
        self.online, self.search, self.match = False, None, None
        self.hold, self.held = False, None

    # What the player wants ---------------------------------------------------------------------

    def find(self, code: str = "", rating: int | None = None) -> Output:
        """Queue for an opponent (the friend with ``code``, if given; near ``rating`` preferred).

        Now if online, else once connected.
        """
        if self.match is not None:
            log.info("FindOpponent ignored: already in a match")
            return self._flush()
        if self.search is not None and self.search.code == code:
            if self.search.ticket:
                self._events.append(Searching(self.search.ticket))
            return self._flush()
        if self.search is not None:
            self._cancel_find()
        self.search = _Search(code, rating)
        self.searches += 1
        self._start_search()
        return self._flush()

    def cancel_find(self) -> Output:
        """Withdraw from the matchmaker (and let go of a match held for the player)."""
        self._cancel_find()
        self.held = None
        return self._flush()

    def hold_matches(self, on: bool) -> Output:
        """Hold a match found for the player (``on``: they play the bot meanwhile), or join as usual again: a match
        held now is joined at once."""
        self.hold = on
        if not on:
            self._join_held()
        return self._flush()

    def play_now(self) -> Output:
        """Join the match held for the player; matches are joined at once again from now on."""
        self.hold = False
        self._join_held()
        return self._flush()

    def decline_held(self, match_id: str = "") -> Output:
        """Let the held match (``match_id``, if given) go: ``OpponentMissed``, and the search is queued again."""
        held = self.held
        if held is None or (match_id and held.match.match_id != match_id):
            return self._flush()
        self.held = None
        self._events.append(OpponentMissed(held.match.opponent_name))
        if self.match is None and self.search is None:
            self.search = _Search(held.search.code, held.search.rating)
            self._start_search()
        return self._flush()

    def _join_held(self) -> None:
        held, self.held = self.held, None
        if held is None or self.match is not None:
            return
        self.match = held.match
        if self.online:
            self._join(held.match, after_reconnect=False)

    def give_up_search(self, seconds: float) -> Output:
        """The search found nobody within ``seconds``: withdraw, and say so."""
        if self.search is not None:
            self._cancel_find()
            nobody = Phrase("No opponent was found within {seconds:g} s", seconds=seconds)
            self._events.append(Failure(FailureKind.NO_MATCH, nobody))
        return self._flush()

    def move(self, row: int, col: int) -> Output:
        """Send a move. The board already checked it for quick feedback and the server checks it again."""
        match = self.match
        if match is None or not match.joined:
            self._events.append(MoveRejected(Refusal.NOT_IN_MATCH, Phrase("You are not in a game right now.")))
        elif not self._send_data(OP_MOVE, encode_move(row, col)):
            self._events.append(MoveRejected(Refusal.OFFLINE, Phrase("Reconnecting to the server; try again in a moment.")))
        return self._flush()

    def rematch(self) -> Output:
        """Ask for the next game, where the server takes requests; a stock XOXO server counts down by itself."""
        match = self.match
        if match is not None and match.label.extended:
            self._send_data(OP_REMATCH, b"{}")
        return self._flush()

    def claim(self, claim: Claim) -> Output:
        """Claim the win or call a draw against an absent opponent (op 6); the server decides and says (op 2 or op 3)."""
        match = self.match
        if match is None or not match.joined:
            self._events.append(MoveRejected(Refusal.NOT_IN_MATCH, Phrase("You are not in a game right now.")))
        elif not match.label.claims:
            self._events.append(MoveRejected(Refusal.UNKNOWN_OP, Phrase("This server takes no claims.")))
        elif not self._send_data(OP_CLAIM, encode_claim(claim)):
            self._events.append(MoveRejected(Refusal.OFFLINE, Phrase("Reconnecting to the server; try again in a moment.")))
        return self._flush()

    def react(self, reaction: Reaction) -> Output:
        """Send a quick reaction (op 8), where the server relays them and the opponent sees them; else nothing."""
        match = self.match
        if match is None or not match.label.reactions or not match.reactions:
            log.info("reaction %s not sent: the server or the opponent takes none", reaction.value)
        elif not self._send_data(OP_REACTION, encode_reaction(reaction)):
            log.info("reaction %s not sent: not connected", reaction.value)
        return self._flush()

    def mute_reactions(self) -> Output:
        """Show none of the opponent's reactions for the rest of this match."""
        if self.match is not None:
            self.match.muted = True
        return self._flush()

    def resume(self, match_id: str, opponent: str = "") -> Output:
        """Join the match whose seat the server holds for us (after a relaunch): the game goes on where it was.

        Joined by its id with our declaration, as a reconnection joins it; a match the server
        no longer holds ends in ``MatchGone``.
        """
        if self.match is not None:
            log.info("ResumeMatch ignored: already in a match")
            return self._flush()
        self._cancel_find()
        match = _Match(match_id=match_id, opponent_name=opponent, resumed=True)
        self.match = match
        if self.online:
            self._join(match, after_reconnect=False)
        return self._flush()

    def leave(self) -> Output:
        """Leave the match on purpose (the server ends it for both)."""
        match, self.match = self.match, None
        if match is not None and match.match_id and self.online:
            self._outgoing.append(Request(MatchLeave(match_id=match.match_id), None, goodbye=True))
        return self._flush()

    # What the server says ------------------------------------------------------------------------

    def received(self, message: Message) -> Output:
        """A message the server sent on its own (no answer to a request of ours)."""
        if isinstance(message, MatchmakerMatched):
            self._matched(message)
        elif isinstance(message, (MatchData, MatchPresenceEvent)) and self.match is not None:
            self._match_message(self.match, message)
        elif isinstance(message, ErrorMessage):
            log.warning("server error without a request: %s (code %d)", message.message, message.code)
        else:
            log.debug("ignored %s", type(message).__name__)
        return self._flush()

    def answered(self, request: Request, answer: Message) -> Output:
        """The server's answer to ``request``."""
        purpose = request.purpose
        if isinstance(purpose, _Ticket):
            self._ticket_answered(purpose.search, answer)
        elif isinstance(purpose, _Join):
            self._join_answered(purpose.match, purpose.after_reconnect, answer)
        return self._flush()

    def failed(self, request: Request, error: ClientError) -> Output:
        """``request`` got no answer, or an error: the connection went, it timed out, or the server refused it."""
        purpose = request.purpose
        if isinstance(error, ConnectionLostError):
            pass  # the reconnection takes it up again
        elif isinstance(purpose, _Ticket):
            self._ticket_failed(purpose.search, error)
        elif isinstance(purpose, _Join):
            self._join_failed(purpose.match, purpose.after_reconnect, error)
        else:
            log.info("%s: %s", type(request.message).__name__, error)  # nothing to undo
        return self._flush()

    def send_failed(self, send: Send, error: ClientError) -> Output:
        """Match data did not go out (the connection is going: its close is handled apart)."""
        log.info("op %d not sent: %s", send.message.op_code, error)
        if send.message.op_code == OP_MOVE and self.match is not None:
            text = "That move did not reach the server; try again in a moment."
            self._events.append(MoveRejected(Refusal.OFFLINE, text))
        return self._flush()

    # Matchmaking ------------------------------------------------------------------------------------

    def _start_search(self) -> None:
        search = self.search
        if search is not None and self.online:
            self._outgoing.append(Request(matchmaker_request(search.code, search.rating), _Ticket(search)))

    def _cancel_find(self) -> None:
        search, self.search = self.search, None
        if search is None:
            return
        search.cancelled = True
        if search.ticket and self.online:
            self._withdraw(search.ticket)

    def _withdraw(self, ticket: str) -> None:
        self._outgoing.append(Request(MatchmakerRemove(ticket=ticket), None))

    def _ticket_answered(self, search: _Search, answer: Message) -> None:
        if not isinstance(answer, MatchmakerTicket) or not answer.ticket:
            if self.search is search:
                self.search = None
                self._events.append(Failure(FailureKind.PROTOCOL, Phrase("The server answered the matchmaker without a ticket")))
            return
        if search.cancelled:
            self._withdraw(answer.ticket)
        elif self.search is search:
            search.ticket = answer.ticket
            self._events.append(Searching(answer.ticket))
        # else: matched before the ticket's answer was read; the match is on its way

    def _ticket_failed(self, search: _Search, error: ClientError) -> None:
        if self.search is not search:
            return
        self.search = None
        if isinstance(error, ServerError):
            said = Phrase("The matchmaker refused: {reason}", reason=text_of(error))
        else:
            said = Phrase("The matchmaker did not answer: {reason}", reason=text_of(error))
        self._events.append(Failure(failure_kind(error), said))

    def _matched(self, m: MatchmakerMatched) -> None:
        search = self.search
        if search is None or (search.ticket and m.ticket and m.ticket != search.ticket):
            log.info("ignored a match for a ticket we no longer hold")
            return
        if not m.match_id and not m.token:
            self.search = None
            text = Phrase("The matchmaker found a match but sent neither its id nor a token")
            self._events.append(Failure(FailureKind.PROTOCOL, text))
            return
        others = [u for u in m.users if u.presence.user_id != self.user_id]
        if any(u.string_properties.get(CODE_PROPERTY, "") != search.code for u in others):
            # A matchmaker that is not mutual paired us with someone of another code: pass, queue again.
            log.info("matched with a player of another code; queueing again")
            self.search = _Search(search.code, search.rating)
            self._start_search()
            return
        self.search = None
        match = _Match(match_id=m.match_id, token=m.token)
        if m.self_user is not None:
            match.session_id = m.self_user.presence.session_id
        for user in others:
            match.opponent_name = user.presence.username
        if self.hold:
            self.held = _Held(match, search)
            self._events.append(OpponentFound(match.opponent_name, self.hold_seconds, match.match_id))
            return
        self.match = match
        self._join(match, after_reconnect=False)

    # The match -----------------------------------------------------------------------------------------

    def _join(self, match: _Match, after_reconnect: bool) -> None:
        token = "" if match.match_id else match.token
        request = MatchJoin(match_id=match.match_id, token=token, metadata=join_metadata())
        self._outgoing.append(Request(request, _Join(match, after_reconnect)))

    def _join_failed(self, match: _Match, after_reconnect: bool, error: ClientError) -> None:
        if self.match is not match:
            return
        self.match = None
        if after_reconnect or match.resumed:
            detail = error.message if isinstance(error, ServerError) and error.message else text_of(error)
            self._events.append(MatchGone(Phrase("The match is over: the server no longer holds it ({reason})", reason=detail)))
        else:
            self._events.append(Failure(failure_kind(error), Phrase("Couldn't join the match: {reason}", reason=text_of(error))))

    def _join_answered(self, match: _Match, after_reconnect: bool, answer: Message) -> None:
        if self.match is not match:
            if isinstance(answer, Match) and answer.match_id and self.online:
                # Left (or cancelled) while the join was on its way: leave what it found.
                self._outgoing.append(Request(MatchLeave(match_id=answer.match_id), None))
            return
        if not isinstance(answer, Match):
            self.match = None
            self._events.append(Failure(FailureKind.PROTOCOL, Phrase("The server answered the match join with something else")))
            return
        match.match_id = answer.match_id or match.match_id
        match.label = MatchLabel.decode(answer.label)
        match.joined = True
        if answer.self_presence is not None:
            match.session_id = answer.self_presence.session_id
        self._note_opponent(match, answer.presences)
        if after_reconnect and match.announced:
            self._events.append(Reconnected(rejoined=True))
        else:
            match.announced = True
            self._events.append(MatchJoined(match.match_id, match.label))
        backlog, match.backlog = match.backlog, []
        for message in backlog:
            if self.match is match:
                self._match_message(match, message)

    def _send_data(self, op_code: int, data: bytes) -> bool:
        """Send match data now; False if there is no joined match or no socket to send it on."""
        match = self.match
        if match is None or not match.joined or not self.online:
            return False
        self._outgoing.append(Send(MatchDataSend(match.match_id, op_code, data)))
        return True

    def _match_message(self, match: _Match, message: MatchMessage) -> None:
        if message.match_id and match.match_id and message.match_id != match.match_id:
            return  # an older match's message
        if not match.joined:
            if len(match.backlog) < MAX_BACKLOG:
                match.backlog.append(message)
            return
        if isinstance(message, MatchData):
            self._match_data(match, message)
        else:
            self._presences(match, message)

    def _match_data(self, match: _Match, data: MatchData) -> None:
        events = match_events(data.op_code, data.data, self.user_id, match.session_id)
        if not events:
            log.debug("ignored match data op %d", data.op_code)
        for event in events:
            if isinstance(event, MatchUpdate):
                self._state(match, event.view)
            elif isinstance(event, ReactionReceived):
                if match.muted or not match.label.reactions:
                    continue
                if not event.name:
                    event = replace(event, name=match.opponent_name)
            elif isinstance(event, (OpponentLeft, ServerClosing)):
                if self.match is not match:
                    return
                self.match = None  # the match is over: nothing to rejoin
                if isinstance(event, OpponentLeft) and not event.name:
                    event = replace(event, name=match.opponent_name)
            self._events.append(event)

    def _state(self, match: _Match, view: MatchView) -> None:
        match.reactions = view.reactions
        opponent = view.players[view.opponent - 1] if view.opponent else None
        if opponent is not None and opponent.username:
            match.opponent_name = opponent.username
        away = view.away
        if not view.opponent_connected and not match.opponent_away and not view.board.is_over:
            # The server holds the seat: say so once (the state itself follows as a MatchUpdate).
            match.opponent_away = True
            hold = (away.seconds_left, away.seconds, away.claim_seconds_left) if away is not None else (None, None, None)
            self._events.append(OpponentAway(match.opponent_name, *hold))
        elif view.opponent_connected:
            match.opponent_away = match.claim_told = False
        if away is not None and away.claimable and not match.claim_told and not view.board.is_over:
            match.claim_told = True
            self._events.append(ClaimAvailable(match.opponent_name, away.seconds_left))
        if view.termination is Termination.ABORTED and match.aborted_game != view.game:
            match.aborted_game = view.game
            me = view.aborted_by == view.you and view.you != 0
            self._events.append(GameAborted(view.game, view.name_of(view.aborted_by), me))

    def _presences(self, match: _Match, event: MatchPresenceEvent) -> None:
        self._note_opponent(match, event.joins)
        if match.label.extended:
            return  # the server holds a dropped player's seat: op 5 says when they are gone for good
        for p in event.leaves:
            if p.user_id == self.user_id:
                continue  # an older session of ours
            self.match = None  # stock XOXO ends the match when a player leaves
            self._events.append(OpponentLeft(p.username or match.opponent_name))
            return

    def _note_opponent(self, match: _Match, presences: Iterable[Presence]) -> None:
        for p in presences:
            if p.user_id != self.user_id and p.username:
                match.opponent_name = p.username

    def _flush(self) -> Output:
        out = Output(tuple(self._outgoing), tuple(self._events))
        self._outgoing, self._events = [], []
        return out

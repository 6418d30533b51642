"""Online play on one game server: sign-in, the socket, staying connected, matchmaking and the match.

An ``OnlineSession`` lives from a ``SignIn`` until the player lets go of that server.
It never blocks and never raises into its caller: what waits on the network runs in
its ``TaskScope``, and results come back as ``net.messages`` events through ``emit``.

It works the same on every server. What a server offers beyond stock XOXO is read
from the match label alone (``game.xoxo.MatchLabel``): on a server that declares our
extensions the session sends rematch requests (op 4) and lets the server say when an
opponent is gone (op 5); on one that does not (stock XOXO, label ``""``) it leaves the
countdown to the server and takes an opponent's presence leaving as the end of the
match, as XOXO does. Whatever the server, a dropped connection is retried with jittered
exponential backoff and the match or the matchmaker ticket is resumed when it comes back.

Names stick: an account keeps the name it was created with (Nakama ignores ``username``
at sign-in for an existing account), so a different name typed is set with a rename,
and a name taken by another player is replaced by the nearest free variant.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from game.refusal import Refusal
from game.xoxo import OP_MOVE, OP_REMATCH, MatchLabel, MatchView, encode_move, join_metadata
from net.address import ServerAddress
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
from net.config import SessionConfig
from net.errors import (
    BadKeyError,
    ClientError,
    ConnectionLostError,
    GameFullError,
    NameTakenError,
    RefusedError,
    ServerError,
    ServerGoingAwayError,
    ServerProtocolError,
    ServerTimeoutError,
    TlsError,
    UnauthorizedError,
    UnreachableError,
)
from net.messages import (
    Connecting,
    ConnectionLost,
    Disconnected,
    Event,
    Failure,
    FailureKind,
    MatchGone,
    MatchJoined,
    MatchUpdate,
    MoveRejected,
    OpponentAway,
    OpponentLeft,
    Reconnected,
    Searching,
    ServerClosing,
    SignedIn,
    SignIn,
    match_events,
)
from net.realtime import RealtimeSocket
from net.signin import AuthClient, AuthSession, is_variant_of, name_variants
from net.tasks import TaskScope

log = logging.getLogger(__name__)

MAX_BACKLOG = 64  # match messages kept while a join is answered
CODE_PROPERTY = "code"  # the matchmaker property a friend code travels in


class Phase(enum.Enum):
    CONNECTING = "connecting"
    ONLINE = "online"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


def failure_kind(error: BaseException) -> FailureKind:
    """The FailureKind the UI shows for a client error."""
    if isinstance(error, GameFullError):
        return FailureKind.FULL
    if isinstance(error, BadKeyError):
        return FailureKind.BAD_KEY
    if isinstance(error, UnreachableError):
        return FailureKind.UNREACHABLE
    if isinstance(error, TlsError):
        return FailureKind.TLS
    if isinstance(error, (ServerTimeoutError, ConnectionLostError)):
        return FailureKind.TIMEOUT
    if isinstance(error, (RefusedError, ServerError)):
        return FailureKind.REFUSED
    if isinstance(error, ServerProtocolError):
        return FailureKind.PROTOCOL
    return FailureKind.OTHER


def matchmaker_request(code: str) -> MatchmakerAdd:
    """A ticket for anyone, or (with ``code``) for the one friend who queues with the same code."""
    if not code:
        return MatchmakerAdd(min_count=2, max_count=2, query="*")
    return MatchmakerAdd(
        min_count=2, max_count=2, query=f"+properties.{CODE_PROPERTY}:{code}", string_properties={CODE_PROPERTY: code}
    )


@dataclass
class _Search:
    """A wish to be matched (with the friend of ``code``, if any): the ticket once the matchmaker gave one."""

    code: str = ""
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
    view: MatchView | None = None
    backlog: list[Message] = field(default_factory=list)


class OnlineSession:
    """One signed-in connection to a game server and what the player does there; used on the loop only."""

    def __init__(
        self,
        command: SignIn,
        address: ServerAddress,
        config: SessionConfig,
        *,
        emit: Callable[[Event], None],
        scope: TaskScope,
        goodbyes: TaskScope,
        tls_context: ssl.SSLContext | None,
        rng: random.Random,
        clock: Callable[[], float] = time.monotonic,
        on_view: Callable[[MatchView | None], None] | None = None,
    ):
        self.command = command
        self.address = address
        self.config = config
        self._emit = emit
        self._scope = scope  # everything this connection does; cancelled when it is dropped
        self._socket_work = scope.child("socket")  # what needs the current socket; cancelled when it goes
        self._goodbyes = goodbyes  # the session's: a match leave must outlive a Disconnect right after it
        self._tls = tls_context
        self._rng = rng
        self._clock = clock
        self._on_view = on_view
        self.auth = AuthClient(address, command.key, tls_context=tls_context, timeout=config.http_timeout, clock=clock)
        self.session: AuthSession | None = None
        self.socket: RealtimeSocket | None = None
        self.phase = Phase.CONNECTING
        self.search: _Search | None = None
        self.match: _Match | None = None
        self._name = command.username  # the name we play under (another if the one asked for was taken)

    @property
    def user_id(self) -> str:
        return self.session.user_id if self.session is not None else ""

    @property
    def closed(self) -> bool:
        return self.phase is Phase.CLOSED

    # What the Session asks ----------------------------------------------------------------

    def start(self) -> None:
        self._emit(Connecting(str(self.address)))
        self._scope.spawn(self._connect(), "sign in")

    def find(self, code: str) -> None:
        """Queue for an opponent (the friend with ``code``, if given); at once if online, else once the socket is up."""
        if self.match is not None:
            log.info("FindOpponent ignored: already in a match")
            return
        if self.search is not None and self.search.code == code:
            if self.search.ticket:
                self._emit(Searching(self.search.ticket))
            return
        if self.search is not None:
            self.cancel_find()
        self.search = _Search(code)
        if self.phase is Phase.ONLINE:
            self._start_search()

    def cancel_find(self) -> None:
        search, self.search = self.search, None
        if search is None:
            return
        search.cancelled = True
        if search.ticket and self.socket is not None:
            self._socket_work.spawn(self._remove_ticket(self.socket, search.ticket), "matchmaker remove")

    def send_move(self, row: int, col: int) -> None:
        """Send a move. The board already checked it for quick feedback and the server checks it again."""
        match = self.match
        if match is None or not match.joined:
            self._emit(MoveRejected(Refusal.NOT_IN_MATCH, "You are not in a game right now."))
        elif not self._send_data(OP_MOVE, encode_move(row, col)):
            self._emit(MoveRejected(Refusal.OFFLINE, "Reconnecting to the server; try again in a moment."))

    def request_rematch(self) -> None:
        """Ask for the next game, where the server takes requests; a stock XOXO server counts down by itself."""
        match = self.match
        if match is not None and match.label.extended:
            self._send_data(OP_REMATCH, b"{}")

    def leave_match(self) -> None:
        """Leave the match on purpose (the server ends it for both)."""
        match, self.match = self.match, None
        self._view_changed(None)
        if match is not None and match.match_id and self.socket is not None:
            self._goodbyes.spawn(self._leave(self.socket, match.match_id), "match leave")

    async def close(self) -> None:
        """Let go of the server: close the socket once a match leave on its way has gone (within the close timeout).

        A match not left on purpose sees us drop: the server holds our seat for its grace period.
        """
        socket = self._drop()
        if socket is not None:
            await self._goodbyes.wait(self.config.close_timeout)
            await socket.close()

    def silence(self) -> None:
        """Say nothing more to the UI, and let the socket go when the server closes it (no reconnection).

        Nothing more is sent either: a join whose answer is still on its way would otherwise
        leave the match it finds forgotten, and the other player would hear that we left
        instead of the server's own notice.
        """
        self._emit = lambda event: None
        self.search = None
        self.match = None
        self._socket_work.cancel()

    def abort(self) -> None:
        """Drop the socket at once, without a goodbye."""
        socket = self._drop()
        if socket is not None:
            socket.abort()

    def _drop(self) -> RealtimeSocket | None:
        """Forget everything and stop every task of this connection; the socket is the caller's to close."""
        self.phase = Phase.CLOSED
        self.search = None
        self.match = None
        self._scope.cancel()
        socket, self.socket = self.socket, None
        return socket

    # Connecting ---------------------------------------------------------------------------------

    async def _connect(self) -> None:
        """Sign in (under a name that sticks) and open the socket; the SignIn's work."""
        try:
            self.session = await self._sign_in()
            socket = await self._open_socket()
        except (ClientError, ValueError) as exc:
            self._failed(exc)
            return
        self._adopt(socket, reconnected=False)
        assert self.session is not None
        self._emit(SignedIn(str(self.address), self.session.user_id, self.session.username, self.command.username))

    async def _sign_in(self) -> AuthSession:
        """A session whose token carries the name asked for, or the nearest free variant of it."""
        cmd, wanted = self.command, self.command.username
        try:
            session = await self.auth.authenticate_device(cmd.device_id, wanted)
        except NameTakenError:
            session = await self._sign_in_as_variant(wanted)
        if session.username != wanted and not is_variant_of(session.username, wanted):
            # An existing account keeps its old name: rename it, then sign in again so the socket carries the new one.
            name = await self._rename(session, wanted)
            session = await self.auth.authenticate_device(cmd.device_id, name)
        self._name = session.username
        return session

    async def _sign_in_as_variant(self, wanted: str) -> AuthSession:
        """A new account asked for a taken name: create it under the nearest free variant."""
        last: NameTakenError | None = None
        for name in name_variants(wanted, self._rng, self.config.name_tries):
            try:
                return await self.auth.authenticate_device(self.command.device_id, name)
            except NameTakenError as exc:
                last = exc
        raise last or NameTakenError("sign-in", 409, "Username is already in use.")

    async def _rename(self, session: AuthSession, wanted: str) -> str:
        """Rename the account to ``wanted``, or its nearest free variant; the name it now has.

        Only called when the account's name is neither ``wanted`` nor a variant of it.
        """
        for name in [wanted, *name_variants(wanted, self._rng, self.config.name_tries)]:
            try:
                await self.auth.rename(session, name)
            except NameTakenError:
                continue
            return name
        return session.username  # every variant taken: play under the old name rather than not at all

    async def _open_socket(self) -> RealtimeSocket:
        assert self.session is not None
        cfg = self.config
        return await RealtimeSocket.open(
            self.address,
            self.session.token,
            on_push=self._on_push,
            on_close=self._on_socket_closed,
            open_timeout=cfg.open_timeout,
            request_timeout=cfg.request_timeout,
            ping_interval=cfg.ping_interval,
            dead_after=cfg.dead_after,
            clock=self._clock,
            tls_context=self._tls,
        )

    def _adopt(self, socket: RealtimeSocket, reconnected: bool) -> None:
        """A socket opened: carry on with it (the match, the search), unless this connection was dropped meanwhile."""
        if self.closed:
            socket.abort()
            return
        self.socket = socket
        self.phase = Phase.ONLINE
        if not reconnected:
            self._scope.spawn(self._keep_token_fresh(), "token refresh")
        match = self.match
        if match is not None:
            match.joined = False
            match.backlog.clear()
            self._socket_work.spawn(self._join(socket, match, after_reconnect=reconnected), "match join")
            return
        if reconnected:
            self._emit(Reconnected(rejoined=False))
        if self.search is not None:
            self.search = _Search(self.search.code)
            self._start_search()

    def _failed(self, error: BaseException, prefix: str = "") -> None:
        """A fatal error: say so, and drop the connection and what it was doing."""
        if self.closed:
            return
        self.abort()
        message = str(error) if not prefix else f"{prefix}: {error}"
        if isinstance(error, ValueError):
            message = f"Can't sign in: {error}"
        self._emit(Failure(failure_kind(error), message))

    async def _fresh_session(self, force: bool = False) -> bool:
        """Make sure the token has life left (refresh, else sign in again); True if it is new."""
        session = self.session
        if not force and session is not None and not session.needs_refresh(self._clock()):
            return False
        if session is not None and session.refresh_token:
            try:
                self.session = await self.auth.refresh(session)
                return True
            except (RefusedError, ServerProtocolError) as exc:
                log.info("session refresh refused (%s); signing in again", exc)
        self.session = await self.auth.authenticate_device(self.command.device_id, self._name)
        return True

    async def _keep_token_fresh(self) -> None:
        """Refresh the token before it runs out, so a reconnection never starts with a dead one."""
        while not self.closed:
            session = self.session
            if session is None:
                return
            await asyncio.sleep(max(0.0, session.refresh_at - self._clock()))
            try:
                await self._fresh_session(force=True)
            except (ClientError, ValueError) as exc:
                log.info("token refresh failed: %s", exc)
                await asyncio.sleep(self.config.refresh_retry)

    # Losing and regaining the connection ------------------------------------------------------------

    def _on_socket_closed(self, socket: RealtimeSocket, error: ClientError) -> None:
        if self.socket is not socket:
            return
        self.socket = None
        self._socket_work.cancel()
        self._socket_work = self._scope.child("socket")
        if isinstance(error, ServerProtocolError):
            self._failed(error)
        elif isinstance(error, ServerGoingAwayError):
            busy = self.match is not None or self.search is not None
            self.abort()
            self._emit(ServerClosing(str(error)) if busy else Disconnected(str(error)))
        elif self.match is None and self.search is None:
            self.abort()
            self._emit(Disconnected(str(error)))
        else:
            self.phase = Phase.RECONNECTING
            self._scope.spawn(self._reconnect(error), "reconnect")

    def _backoff(self, attempt: int) -> float:
        cfg = self.config
        delay = min(cfg.backoff_max, cfg.backoff_first * 2 ** (attempt - 1))
        return delay * self._rng.uniform(1 - cfg.backoff_jitter, 1 + cfg.backoff_jitter)

    async def _reconnect(self, error: ClientError) -> None:
        """Retry with backoff until the socket is back, a fatal error, or the attempts run out."""
        message = str(error)
        last: ClientError = error
        for attempt in range(1, self.config.reconnect_attempts + 1):
            delay = self._backoff(attempt)
            self._emit(ConnectionLost(message, attempt, round(delay, 2)))
            await asyncio.sleep(delay)
            try:
                fresh = await self._fresh_session()
                try:
                    socket = await self._open_socket()
                except UnauthorizedError:
                    if fresh:
                        raise
                    await self._fresh_session(force=True)
                    socket = await self._open_socket()
            except (BadKeyError, UnauthorizedError, ServerProtocolError, TlsError, ValueError) as exc:
                self._failed(exc)
                return
            except ClientError as exc:
                last = exc
                message = f"Still trying to reach the server: {exc}"
                continue
            self._adopt(socket, reconnected=True)
            return
        tries = self.config.reconnect_attempts
        self._failed(last, f"Lost the connection to the server and could not get it back after {tries} tries")

    # Matchmaking ---------------------------------------------------------------------------------------

    def _start_search(self) -> None:
        search, socket = self.search, self.socket
        if socket is not None and search is not None:
            self._socket_work.spawn(self._add_ticket(socket, search), "matchmaker add")

    async def _add_ticket(self, socket: RealtimeSocket, search: _Search) -> None:
        try:
            answer = await socket.request(matchmaker_request(search.code))
        except ConnectionLostError:
            return  # the reconnection starts the search again
        except ClientError as exc:
            if self.search is search:
                self.search = None
                what = "The matchmaker refused" if isinstance(exc, ServerError) else "The matchmaker did not answer"
                self._emit(Failure(failure_kind(exc), f"{what}: {exc}"))
            return
        if not isinstance(answer, MatchmakerTicket) or not answer.ticket:
            if self.search is search:
                self.search = None
                self._emit(Failure(FailureKind.PROTOCOL, "The server answered the matchmaker without a ticket"))
            return
        if search.cancelled:
            await self._remove_ticket(socket, answer.ticket)
        elif self.search is search:
            search.ticket = answer.ticket
            self._emit(Searching(answer.ticket))
        # else: matched before the ticket's answer was read; the match is on its way

    async def _remove_ticket(self, socket: RealtimeSocket, ticket: str) -> None:
        try:
            await socket.request(MatchmakerRemove(ticket=ticket))
        except ClientError as exc:
            log.info("matchmaker remove: %s", exc)  # matched meanwhile, or the socket went: nothing to undo

    def _matched(self, socket: RealtimeSocket, m: MatchmakerMatched) -> None:
        search = self.search
        if search is None or (search.ticket and m.ticket and m.ticket != search.ticket):
            log.info("ignored a match for a ticket we no longer hold")
            return
        if not m.match_id and not m.token:
            self.search = None
            self._emit(Failure(FailureKind.PROTOCOL, "The matchmaker found a match but sent neither its id nor a token"))
            return
        others = [u for u in m.users if u.presence.user_id != self.user_id]
        if any(u.string_properties.get(CODE_PROPERTY, "") != search.code for u in others):
            # A server whose matchmaker is not mutual paired us with someone who did not queue
            # with our code (or a friend's code with a stranger): pass, and queue again.
            log.info("matched with a player of another code; queueing again")
            self.search = _Search(search.code)
            self._start_search()
            return
        self.search = None
        match = _Match(match_id=m.match_id, token=m.token)
        if m.self_user is not None:
            match.session_id = m.self_user.presence.session_id
        for user in others:
            match.opponent_name = user.presence.username
        self.match = match
        self._socket_work.spawn(self._join(socket, match, after_reconnect=False), "match join")

    # The match ------------------------------------------------------------------------------------------

    async def _join(self, socket: RealtimeSocket, match: _Match, after_reconnect: bool) -> None:
        token = "" if match.match_id else match.token
        request = MatchJoin(match_id=match.match_id, token=token, metadata=join_metadata())
        try:
            answer = await socket.request(request)
        except ConnectionLostError:
            return  # rejoined after the reconnection
        except ClientError as exc:
            if self.match is not match:
                return
            self.match = None
            if after_reconnect:
                detail = exc.message if isinstance(exc, ServerError) and exc.message else str(exc)
                self._emit(MatchGone(f"The match is over: the server no longer holds it ({detail})"))
            else:
                self._emit(Failure(failure_kind(exc), f"Couldn't join the match: {exc}"))
            return
        if self.match is not match:
            if isinstance(answer, Match) and answer.match_id:
                await self._leave(socket, answer.match_id)  # left (or cancelled) while the join was on its way
            return
        if not isinstance(answer, Match):
            self.match = None
            self._emit(Failure(FailureKind.PROTOCOL, "The server answered the match join with something else"))
            return
        match.match_id = answer.match_id or match.match_id
        match.label = MatchLabel.decode(answer.label)
        match.joined = True
        if answer.self_presence is not None:
            match.session_id = answer.self_presence.session_id
        for p in answer.presences:
            if p.user_id != self.user_id and p.username:
                match.opponent_name = p.username
        if after_reconnect and match.announced:
            self._emit(Reconnected(rejoined=True))
        else:
            match.announced = True
            self._emit(MatchJoined(match.match_id, match.label))
        backlog, match.backlog = match.backlog, []
        for message in backlog:
            if self.match is match:
                self._match_message(match, message)

    async def _leave(self, socket: RealtimeSocket, match_id: str) -> None:
        try:
            await socket.request(MatchLeave(match_id=match_id))
        except ClientError as exc:
            log.info("match leave: %s", exc)

    def _send_data(self, op_code: int, data: bytes) -> bool:
        """Send match data now; False if there is no match or no socket to send it on."""
        match, socket = self.match, self.socket
        if match is None or not match.joined or socket is None:
            return False
        self._socket_work.spawn(self._send(socket, MatchDataSend(match.match_id, op_code, data), op_code), f"op {op_code}")
        return True

    async def _send(self, socket: RealtimeSocket, message: MatchDataSend, op_code: int) -> None:
        try:
            await socket.send(message)
        except ClientError as exc:
            log.info("op %d not sent: %s", op_code, exc)  # the close handler takes over
            if op_code == OP_MOVE and self.match is not None:
                self._emit(MoveRejected(Refusal.OFFLINE, "That move did not reach the server; try again in a moment."))

    def _on_push(self, socket: RealtimeSocket, message: Message) -> None:
        if self.socket is not socket:
            return
        try:
            if isinstance(message, MatchmakerMatched):
                self._matched(socket, message)
            elif isinstance(message, (MatchData, MatchPresenceEvent)):
                match = self.match
                if match is not None:
                    self._match_message(match, message)
            elif isinstance(message, ErrorMessage):
                log.warning("server error without a request: %s (code %d)", message.message, message.code)
            else:
                log.debug("ignored %s", type(message).__name__)
        except Exception as exc:
            log.exception("handling %s failed", type(message).__name__)
            self._emit(Failure(FailureKind.PROTOCOL, f"The server sent something this game does not understand ({exc})"))

    def _match_message(self, match: _Match, message: Message) -> None:
        match_id = getattr(message, "match_id", "")
        if match_id and match.match_id and match_id != match.match_id:
            return  # an older match's message
        if not match.joined:
            if len(match.backlog) < MAX_BACKLOG:
                match.backlog.append(message)
            return
        if isinstance(message, MatchData):
            self._match_data(match, message)
        elif isinstance(message, MatchPresenceEvent):
            self._presences(match, message)

    def _match_data(self, match: _Match, data: MatchData) -> None:
        events = match_events(data.op_code, data.data, self.user_id, match.session_id)
        if not events:
            log.debug("ignored match data op %d", data.op_code)
        for event in events:
            if isinstance(event, MatchUpdate):
                self._state(match, event.view)
            elif isinstance(event, (OpponentLeft, ServerClosing)):
                if self.match is not match:
                    return
                self.match = None  # the match is over: nothing to rejoin
                self._view_changed(None)
                if isinstance(event, OpponentLeft) and not event.name:
                    event = replace(event, name=match.opponent_name)
            self._emit(event)

    def _state(self, match: _Match, view: MatchView) -> None:
        match.view = view
        opponent = view.players[view.opponent - 1] if view.opponent else None
        if opponent is not None and opponent.username:
            match.opponent_name = opponent.username
        self._view_changed(view)
        if not view.opponent_connected and not match.opponent_away and not view.board.is_over:
            # The server holds the seat: say so once (the state itself follows as a MatchUpdate).
            match.opponent_away = True
            self._emit(OpponentAway(match.opponent_name))
        elif view.opponent_connected:
            match.opponent_away = False

    def _presences(self, match: _Match, event: MatchPresenceEvent) -> None:
        for p in event.joins:
            if p.user_id != self.user_id and p.username:
                match.opponent_name = p.username
        if match.label.extended:
            return  # the server holds a dropped player's seat: op 5 says when they are gone for good
        for p in event.leaves:
            if p.user_id == self.user_id:
                continue  # an older session of ours
            self.match = None  # stock XOXO ends the match when a player leaves
            self._view_changed(None)
            self._emit(OpponentLeft(p.username or match.opponent_name))
            return

    def _view_changed(self, view: MatchView | None) -> None:
        if self._on_view is not None:
            self._on_view(view)

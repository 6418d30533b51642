"""The network thread's state machine: UI commands in, client calls out, UI events back.

``Session.handle`` takes one command (``net.messages``) and never blocks or raises:
anything that waits on the network runs as a task whose result is applied when it
comes, so a ``Disconnect`` or ``CancelFind`` is honoured at once even while a server
stalls. Pushes from the socket become events through ``match_events``; a dropped
connection is retried with jittered exponential backoff, and a match or matchmaker
ticket in progress is resumed when it comes back. LAN play (``net.lan``: the embedded
host and its announcer, or the listener) runs on this same loop.

Servers come in two kinds and the session serves both: a stock Nakama running the
XOXO module ends a match as soon as a player leaves (``OpponentLeft`` at once), while
our host holds a dropped player's seat (``OpponentAway``, then ``OpponentLeft`` only
when op 5 says the opponent is gone for good). A match is on our host when its states
carry the ``you`` field, or when the server took our host's form of sign-in.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import random
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Coroutine

from game.rules import MoveError
from game.refusal import Refusal
from game.xoxo import OP_MOVE, OP_OPPONENT_GONE, OP_REJECTED, OP_REMATCH, OP_STATE, MatchView, encode_move, join_metadata
from net.client import (
    AuthClient,
    AuthSession,
    BadKeyError,
    ClientError,
    ConnectionLostError,
    GameFullError,
    RealtimeSocket,
    RefusedError,
    ServerAddress,
    ServerError,
    ServerProtocolError,
    ServerTimeoutError,
    SignInForm,
    UnauthorizedError,
    UnreachableError,
)
from net.codec import (
    Match,
    MatchData,
    MatchJoin,
    MatchLeave,
    MatchmakerAdd,
    MatchmakerMatched,
    MatchmakerRemove,
    MatchmakerTicket,
    MatchPresenceEvent,
    Message,
)
from net.codec import Error as ErrorMessage
from net.host import HostConfig
from net.lan import LanBrowser, LanHosting
from net.messages import (
    BrowseLan,
    CancelFind,
    Command,
    ConnectionLost,
    Connecting,
    Disconnect,
    Disconnected,
    Event,
    Failure,
    FailureKind,
    FindOpponent,
    HostLan,
    LeaveMatch,
    MatchGone,
    MatchJoined,
    MatchUpdate,
    MoveRejected,
    OpponentAway,
    OpponentLeft,
    Reconnected,
    RequestRematch,
    Searching,
    SendMove,
    Shutdown,
    SignedIn,
    SignIn,
    StopBrowsing,
    StopHosting,
    match_events,
)

log = logging.getLogger(__name__)

MAX_BACKLOG = 64  # match messages kept while a join is answered


@dataclass(frozen=True)
class SessionConfig:
    """Timeouts, keepalive, backoff and LAN hosting knobs (tests shrink them)."""

    http_timeout: float = 10.0  # sign-in and refresh requests
    open_timeout: float = 10.0  # TCP connect, then the WebSocket handshake
    request_timeout: float = 10.0  # a realtime request without an answer by then fails
    ping_interval: float = 10.0  # application pings
    dead_after: float = 20.0  # a connection silent this long is dead
    backoff_first: float = 0.5  # first reconnection delay, doubling...
    backoff_max: float = 8.0  # ...up to this
    backoff_jitter: float = 0.25  # each delay scaled by a random factor in 1 +/- this
    reconnect_attempts: int = 8
    close_timeout: float = 0.5  # how long a clean close (socket, host) may take on the way out
    refresh_retry: float = 5.0  # after a failed token refresh, try again this much later
    lan_host: HostConfig = HostConfig(close_timeout=1.0)  # template for the embedded host (bind, port, key, max_players are set per HostLan)
    lan_port_tries: int = 10  # ports tried upwards from HostLan.port when it is taken
    lan_announce_interval: float = 1.0
    lan_expiry: float = 3.0  # a LAN game silent this long leaves the list


class Phase(enum.Enum):
    OFFLINE = "offline"
    CONNECTING = "connecting"
    ONLINE = "online"
    RECONNECTING = "reconnecting"


def failure_kind(error: BaseException) -> FailureKind:
    """The FailureKind the UI shows for a client error."""
    if isinstance(error, GameFullError):
        return FailureKind.FULL
    if isinstance(error, BadKeyError):
        return FailureKind.BAD_KEY
    if isinstance(error, UnreachableError):
        return FailureKind.UNREACHABLE
    if isinstance(error, (ServerTimeoutError, ConnectionLostError)):
        return FailureKind.TIMEOUT
    if isinstance(error, (RefusedError, ServerError)):
        return FailureKind.REFUSED
    if isinstance(error, ServerProtocolError):
        return FailureKind.PROTOCOL
    return FailureKind.OTHER


def _has_you(data: bytes) -> bool:
    """True when an op 2 payload carries our host's ``you`` field."""
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return isinstance(obj, dict) and obj.get("you") in (1, 2)


@dataclass
class _Link:
    """A signed-in connection to one server: who we are there and the socket, when open."""

    command: SignIn
    address: ServerAddress
    auth: AuthClient
    session: AuthSession | None = None
    socket: RealtimeSocket | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def user_id(self) -> str:
        return self.session.user_id if self.session is not None else ""


@dataclass
class _Search:
    """A wish to be matched: the ticket once the matchmaker gave one."""

    ticket: str = ""
    cancelled: bool = False


@dataclass
class _Match:
    """The match we are in (or joining)."""

    match_id: str
    token: str = ""
    joined: bool = False
    announced: bool = False  # MatchJoined was emitted
    extended: bool = False  # our host: seats are held for a dropped player
    session_id: str = ""  # our presence's session in the match
    opponent_name: str = ""
    opponent_away: bool = False
    view: MatchView | None = None
    move_pending: bool = False  # a move went out and its state has not come yet
    backlog: list[Message] = field(default_factory=list)


class Session:
    """Commands to client calls, pushes to events; one per network thread, used on its loop only."""

    def __init__(
        self,
        emit: Callable[[Event], None],
        config: SessionConfig = SessionConfig(),
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._emit_to_ui = emit
        self.config = config
        self._rng = rng or random.Random()
        self._clock = clock
        self._forms: dict[str, SignInForm] = {}  # what each server took for sign-in, for this program's life
        self.phase = Phase.OFFLINE
        self._link: _Link | None = None
        self._last_sign_in: SignIn | None = None
        self._search: _Search | None = None
        self._match: _Match | None = None
        self._hosting = LanHosting(
            config.lan_host,
            port_tries=config.lan_port_tries,
            announce_interval=config.lan_announce_interval,
            close_timeout=config.close_timeout,
            emit=self._emit,
            spawn=self._spawn,
            send=self.handle,
        )
        self._browser = LanBrowser(expiry=config.lan_expiry, emit=self._emit, spawn=self._spawn)
        self._tasks: set[asyncio.Task[Any]] = set()  # tasks not tied to a link
        self._leaving: asyncio.Task[Any] | None = None  # a match_leave in flight
        self._stopped: asyncio.Event | None = None
        self._closed = False
        self._closing_socket: RealtimeSocket | None = None

    # Entry points ----------------------------------------------------------------

    async def run(self) -> None:
        """Serve commands until Shutdown, then close everything (or drop it all if cancelled)."""
        self._stopped = asyncio.Event()
        try:
            await self._stopped.wait()
            await self.close()
        except asyncio.CancelledError:
            self.abort()
            raise

    def handle(self, command: Command) -> None:
        """Apply one UI command (on the loop's thread). Never raises, never waits."""
        if self._closed:
            return
        try:
            self._handle(command)
        except Exception as exc:  # a bug must not take the network thread down
            log.exception("command %r failed", command)
            self._emit(Failure(FailureKind.OTHER, f"Something went wrong in the network code ({exc})"))

    async def close(self) -> None:
        """Stop everything: socket closed, browsing and hosting stopped, within about ``close_timeout``."""
        if self._closed:
            return
        self._closed = True
        starting = self._hosting.cancel_start()  # stops what it began itself: not a goodbye to wait for
        # Goodbyes already on their way (a match leave, stopping the LAN host) finish first:
        # quitting right after leaving must still tell the server we left.
        goodbyes = [t for t in self._tasks if t is not asyncio.current_task() and t is not starting]
        if goodbyes:
            await asyncio.wait(goodbyes, timeout=self.config.close_timeout)
        cleanups: list[Coroutine[Any, Any, None]] = []
        link = self._drop_link()
        if link is not None and link.socket is not None:
            self._closing_socket = link.socket
            cleanups.append(link.socket.close())
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        cleanups += [self._browser.close(), self._hosting.close()]
        jobs = [asyncio.ensure_future(c) for c in cleanups]
        done, pending = await asyncio.wait(jobs, timeout=self.config.close_timeout * 2)
        for job in pending:
            job.cancel()
        for job in done:
            if not job.cancelled() and job.exception() is not None:
                log.warning("cleanup failed: %s", job.exception())
        self.abort()  # whatever did not finish in time

    def abort(self) -> None:
        """Drop sockets and listening ports at once, without waiting (also the last resort on cancel)."""
        self._closed = True
        link = self._drop_link()
        for socket in (link.socket if link is not None else None, self._closing_socket):
            if socket is not None:
                socket.abort()
        self._browser.abort()
        self._hosting.abort()

    # Commands ----------------------------------------------------------------------

    def _handle(self, command: Command) -> None:
        if isinstance(command, SignIn):
            self._sign_in(command)
        elif isinstance(command, FindOpponent):
            self._find_opponent()
        elif isinstance(command, CancelFind):
            self._cancel_find()
        elif isinstance(command, SendMove):
            self._send_move(command)
        elif isinstance(command, RequestRematch):
            self._send_match_data(OP_REMATCH, b"{}")
        elif isinstance(command, LeaveMatch):
            self._leave_match()
        elif isinstance(command, Disconnect):
            self._disconnect()
        elif isinstance(command, HostLan):
            self._hosting.start(command)
        elif isinstance(command, StopHosting):
            self._stop_hosting()
        elif isinstance(command, BrowseLan):
            self._browser.start(command.discovery_port)
        elif isinstance(command, StopBrowsing):
            self._browser.stop()
        elif isinstance(command, Shutdown):
            if self._stopped is not None:
                self._stopped.set()
            else:
                self._spawn(self.close(), "close")
        else:
            log.warning("ignored unknown command %r", command)

    def _sign_in(self, command: SignIn) -> None:
        try:
            address = ServerAddress.parse(command.server)
        except ValueError as exc:
            self._emit(Failure(FailureKind.OTHER, f"That server address does not work: {exc}"))
            return
        self._last_sign_in = command
        old = self._forget_link()
        if old is not None and old.socket is not None:
            self._spawn(old.socket.close(), "close old socket")
        auth = AuthClient(address, command.key, timeout=self.config.http_timeout, forms=self._forms, clock=self._clock)
        link = _Link(command, address, auth)
        self._link = link
        self.phase = Phase.CONNECTING
        self._emit(Connecting(str(address)))
        self._spawn_for(link, self._connect(link), "sign in")

    def _find_opponent(self) -> None:
        if self._match is not None:
            log.info("FindOpponent ignored: already in a match")
            return
        if self._search is not None:
            if self._search.ticket:
                self._emit(Searching(self._search.ticket))
            return
        self._search = _Search()
        if self.phase is Phase.ONLINE:
            self._start_search()
        elif self.phase is Phase.OFFLINE:
            if self._last_sign_in is None:
                self._search = None
                self._emit(Failure(FailureKind.OTHER, "Sign in to a server first"))
                return
            search = self._search
            self._sign_in(self._last_sign_in)
            self._search = search
        # connecting or reconnecting: the search starts once the socket is open

    def _cancel_find(self) -> None:
        search, self._search = self._search, None
        if search is None:
            return
        search.cancelled = True
        link = self._link
        if search.ticket and link is not None and link.socket is not None:
            self._spawn_for(link, self._remove_ticket(link.socket, search.ticket), "matchmaker remove")

    def _send_move(self, command: SendMove) -> None:
        match = self._match
        if match is None or not match.joined:
            self._emit(MoveRejected(Refusal.NOT_IN_MATCH, "You are not in a game right now."))
            return
        row, col = command.row, command.col
        if not (isinstance(row, int) and isinstance(col, int)) or isinstance(row, bool) or isinstance(col, bool):
            self._emit(MoveRejected(Refusal.OUT_OF_BOUNDS, "A move needs a row and a column from 1 to 3."))
            return
        view = match.view
        # Refuse locally what a stock XOXO server would wrongly accept (or crash on).
        if view is None:
            self._emit(MoveRejected(Refusal.NOT_STARTED, "Wait for your opponent to join."))
            return
        if view.board.is_over:
            self._emit(MoveRejected(Refusal.GAME_OVER, "This game is over."))
            return
        if not view.your_turn or match.move_pending:
            self._emit(MoveRejected(Refusal.NOT_YOUR_TURN, "It is not your turn."))
            return
        try:
            view.board.play(row, col)
        except MoveError as exc:
            self._emit(MoveRejected(exc.reason, str(exc)))
            return
        if self._send_match_data(OP_MOVE, encode_move(row, col)):
            match.move_pending = True

    def _send_match_data(self, op_code: int, data: bytes) -> bool:
        match, link = self._match, self._link
        if match is None or not match.joined:
            if op_code != OP_MOVE:
                log.info("op %d not sent: not in a match", op_code)
            return False
        if link is None or link.socket is None:
            self._emit(MoveRejected(Refusal.OFFLINE, "Reconnecting to the server; try again in a moment."))
            return False
        self._spawn_for(link, self._send_data(link.socket, match.match_id, op_code, data), f"send op {op_code}")
        return True

    def _leave_match(self) -> None:
        match, self._match = self._match, None
        link = self._link
        if match is None:
            return
        if match.match_id and link is not None and link.socket is not None:
            # Not the link's task: a Disconnect right after must not cancel the leave, or the
            # host would see a mere drop and hold our seat for its grace period.
            self._leaving = self._spawn(self._leave(link.socket, match.match_id), "match leave")

    def _disconnect(self) -> None:
        link = self._forget_link()
        if link is not None and link.socket is not None:
            self._spawn(self._close_after_leave(link.socket), "close socket")
        self._emit(Disconnected(""))

    # Connecting ---------------------------------------------------------------------

    async def _connect(self, link: _Link) -> None:
        """Sign in and open the socket; the first SignIn's work."""
        cmd = link.command
        try:
            link.session = await link.auth.authenticate_device(cmd.device_id, cmd.username)
            socket = await self._open_socket(link)
        except (ClientError, ValueError) as exc:
            self._link_failed(link, exc)
            return
        self._adopt(link, socket, reconnected=False)

    async def _open_socket(self, link: _Link) -> RealtimeSocket:
        assert link.session is not None
        cfg = self.config
        return await RealtimeSocket.open(
            link.address,
            link.session.token,
            on_push=self._on_push,
            on_close=self._on_socket_closed,
            open_timeout=cfg.open_timeout,
            request_timeout=cfg.request_timeout,
            ping_interval=cfg.ping_interval,
            dead_after=cfg.dead_after,
            clock=self._clock,
        )

    def _adopt(self, link: _Link, socket: RealtimeSocket, reconnected: bool) -> None:
        """A socket opened for ``link`` is up: carry on with it, unless the link was dropped meanwhile."""
        if self._link is not link:
            socket.abort()
            return
        self._link_up(link, socket)
        if not reconnected:
            assert link.session is not None
            self._emit(SignedIn(str(link.address), link.session.user_id, link.session.username))
        self._resume(link, reconnected)

    def _link_up(self, link: _Link, socket: RealtimeSocket) -> None:
        link.socket = socket
        self.phase = Phase.ONLINE
        self._spawn_for(link, self._keep_token_fresh(link), "token refresh")

    def _link_failed(self, link: _Link, error: BaseException, prefix: str = "") -> None:
        """A fatal error on ``link``: say so, and forget the link and what it was doing."""
        if self._link is not link:
            return
        self._forget_link()
        message = str(error) if not prefix else f"{prefix}: {error}"
        if isinstance(error, ValueError):
            message = f"Can't sign in: {error}"
        self._emit(Failure(failure_kind(error), message))

    def _drop_link(self) -> _Link | None:
        """Forget the current link: cancel its tasks (not the caller). Its socket is the caller's to close."""
        link, self._link = self._link, None
        self.phase = Phase.OFFLINE
        if link is None:
            return None
        current = asyncio.current_task()
        for task in list(link.tasks):
            if task is not current:
                task.cancel()
        return link

    def _forget_link(self) -> _Link | None:
        """Drop the link and the search or match it carried; its socket is the caller's to close."""
        self._search = None
        self._match = None
        return self._drop_link()

    def _resume(self, link: _Link, reconnected: bool) -> None:
        """The socket is open: carry on with the match or the search we were in."""
        socket = link.socket
        assert socket is not None
        match = self._match
        if match is not None:
            match.joined = False
            match.backlog.clear()
            self._spawn_for(link, self._join(link, socket, match, after_reconnect=reconnected), "match join")
            return
        if reconnected:
            self._emit(Reconnected(rejoined=False))
        if self._search is not None:
            self._search = _Search()
            self._start_search()

    async def _fresh_session(self, link: _Link, force: bool = False) -> bool:
        """Make sure the link's token has life left (refresh, else sign in again); True if it is new."""
        session = link.session
        if not force and session is not None and not session.needs_refresh(self._clock()):
            return False
        if session is not None and session.refresh_token:
            try:
                link.session = await link.auth.refresh(session)
                return True
            except (RefusedError, ServerProtocolError) as exc:
                log.info("session refresh refused (%s); signing in again", exc)
        cmd = link.command
        link.session = await link.auth.authenticate_device(cmd.device_id, cmd.username)
        return True

    async def _keep_token_fresh(self, link: _Link) -> None:
        """Refresh the token before it runs out, so a reconnection never starts with a dead one."""
        while self._link is link:
            session = link.session
            if session is None:
                return
            await asyncio.sleep(max(0.0, session.refresh_at - self._clock()))
            try:
                await self._fresh_session(link, force=True)
            except (ClientError, ValueError) as exc:
                log.info("token refresh failed: %s", exc)
                await asyncio.sleep(self.config.refresh_retry)

    # Losing and regaining the connection -------------------------------------------------

    def _on_socket_closed(self, socket: RealtimeSocket, error: ClientError) -> None:
        link = self._link
        if link is None or link.socket is not socket:
            return
        link.socket = None
        for task in list(link.tasks):
            task.cancel()
        if isinstance(error, ServerProtocolError):
            self._link_failed(link, error)
            return
        if self._match is None and self._search is None:
            self._drop_link()
            self._emit(Disconnected(str(error)))
            return
        self.phase = Phase.RECONNECTING
        self._spawn_for(link, self._reconnect(link, error), "reconnect")

    def _backoff(self, attempt: int) -> float:
        cfg = self.config
        delay = min(cfg.backoff_max, cfg.backoff_first * 2 ** (attempt - 1))
        return delay * self._rng.uniform(1 - cfg.backoff_jitter, 1 + cfg.backoff_jitter)

    async def _reconnect(self, link: _Link, error: ClientError) -> None:
        """Retry with backoff until the socket is back, a fatal error, or the attempts run out."""
        message = str(error)
        last: ClientError = error
        for attempt in range(1, self.config.reconnect_attempts + 1):
            delay = self._backoff(attempt)
            self._emit(ConnectionLost(message, attempt, round(delay, 2)))
            await asyncio.sleep(delay)
            try:
                fresh = await self._fresh_session(link)
                try:
                    socket = await self._open_socket(link)
                except UnauthorizedError:
                    if fresh:
                        raise
                    await self._fresh_session(link, force=True)
                    socket = await self._open_socket(link)
            except (BadKeyError, UnauthorizedError, ServerProtocolError) as exc:
                self._link_failed(link, exc)
                return
            except ClientError as exc:
                last = exc
                message = f"Still trying to reach the server: {exc}"
                continue
            except ValueError as exc:
                self._link_failed(link, exc)
                return
            self._adopt(link, socket, reconnected=True)
            return
        self._link_failed(link, last, f"Lost the connection to the server and could not get it back after {self.config.reconnect_attempts} tries")

    # Matchmaking ---------------------------------------------------------------------------

    def _start_search(self) -> None:
        link, search = self._link, self._search
        if link is None or link.socket is None or search is None:
            return
        self._spawn_for(link, self._add_ticket(link, link.socket, search), "matchmaker add")

    async def _add_ticket(self, link: _Link, socket: RealtimeSocket, search: _Search) -> None:
        try:
            answer = await socket.request(MatchmakerAdd(min_count=2, max_count=2, query="*"))
        except ConnectionLostError:
            return  # the reconnection starts the search again
        except ClientError as exc:
            if self._search is search:
                self._search = None
                what = "The matchmaker refused" if isinstance(exc, ServerError) else "The matchmaker did not answer"
                self._emit(Failure(failure_kind(exc), f"{what}: {exc}"))
            return
        if not isinstance(answer, MatchmakerTicket) or not answer.ticket:
            if self._search is search:
                self._search = None
                self._emit(Failure(FailureKind.PROTOCOL, "The server answered the matchmaker without a ticket"))
            return
        if search.cancelled:
            await self._remove_ticket(socket, answer.ticket)
        elif self._search is search:
            search.ticket = answer.ticket
            self._emit(Searching(answer.ticket))
        # else: matched before the ticket's answer was read; the match is on its way

    async def _remove_ticket(self, socket: RealtimeSocket, ticket: str) -> None:
        try:
            await socket.request(MatchmakerRemove(ticket=ticket))
        except ClientError as exc:
            log.info("matchmaker remove: %s", exc)  # matched meanwhile, or the socket went: nothing to undo

    def _matched(self, link: _Link, socket: RealtimeSocket, m: MatchmakerMatched) -> None:
        search = self._search
        if search is None or (search.ticket and m.ticket and m.ticket != search.ticket):
            log.info("ignored a match for a ticket we no longer hold")
            return
        if not m.match_id and not m.token:
            self._search = None
            self._emit(Failure(FailureKind.PROTOCOL, "The matchmaker found a match but sent neither its id nor a token"))
            return
        self._search = None
        match = _Match(match_id=m.match_id, token=m.token, extended=link.auth.form is SignInForm.GET_QUERY)
        if m.self_user is not None:
            match.session_id = m.self_user.presence.session_id
        for user in m.users:
            if user.presence.user_id != link.user_id:
                match.opponent_name = user.presence.username
        self._match = match
        self._spawn_for(link, self._join(link, socket, match, after_reconnect=False), "match join")

    # The match ---------------------------------------------------------------------------

    async def _join(self, link: _Link, socket: RealtimeSocket, match: _Match, after_reconnect: bool) -> None:
        request = MatchJoin(match_id=match.match_id, token="" if match.match_id else match.token, metadata=join_metadata())
        try:
            answer = await socket.request(request)
        except ConnectionLostError:
            return  # rejoined after the reconnection
        except ClientError as exc:
            if self._match is not match:
                return
            self._match = None
            if after_reconnect:
                detail = exc.message if isinstance(exc, ServerError) and exc.message else str(exc)
                self._emit(MatchGone(f"The match is over: the server no longer holds it ({detail})"))
            else:
                self._emit(Failure(failure_kind(exc), f"Couldn't join the match: {exc}"))
            return
        if self._match is not match:
            if isinstance(answer, Match) and answer.match_id:
                await self._leave(socket, answer.match_id)  # left (or cancelled) while the join was on its way
            return
        if not isinstance(answer, Match):
            self._match = None
            self._emit(Failure(FailureKind.PROTOCOL, "The server answered the match join with something else"))
            return
        match.match_id = answer.match_id or match.match_id
        match.joined = True
        if answer.self_presence is not None:
            match.session_id = answer.self_presence.session_id
        for p in answer.presences:
            if p.user_id != link.user_id and p.username:
                match.opponent_name = p.username
        if after_reconnect and match.announced:
            self._emit(Reconnected(rejoined=True))
        else:
            match.announced = True
            self._emit(MatchJoined(match.match_id))
        backlog, match.backlog = match.backlog, []
        for message in backlog:
            if self._match is match:
                self._match_message(link, match, message)

    async def _close_after_leave(self, socket: RealtimeSocket) -> None:
        """Close ``socket`` once a match leave in flight is answered (or has had its time)."""
        leaving = self._leaving
        if leaving is not None and not leaving.done():
            await asyncio.wait({leaving}, timeout=self.config.close_timeout)
        await socket.close()

    async def _leave(self, socket: RealtimeSocket, match_id: str) -> None:
        try:
            await socket.request(MatchLeave(match_id=match_id))
        except ClientError as exc:
            log.info("match leave: %s", exc)

    async def _send_data(self, socket: RealtimeSocket, match_id: str, op_code: int, data: bytes) -> None:
        try:
            await socket.send_match_data(match_id, op_code, data)
        except ClientError as exc:
            log.info("op %d not sent: %s", op_code, exc)  # the close handler takes over
            match = self._match
            if match is not None and op_code == OP_MOVE:
                match.move_pending = False
                self._emit(MoveRejected(Refusal.OFFLINE, "That move did not reach the server; try again in a moment."))

    def _on_push(self, socket: RealtimeSocket, message: Message) -> None:
        link = self._link
        if link is None or link.socket is not socket:
            return
        try:
            if isinstance(message, MatchmakerMatched):
                self._matched(link, socket, message)
            elif isinstance(message, (MatchData, MatchPresenceEvent)):
                match = self._match
                if match is not None:
                    self._match_message(link, match, message)
            elif isinstance(message, ErrorMessage):
                log.warning("server error without a request: %s (code %d)", message.message, message.code)
            else:
                log.debug("ignored %s", type(message).__name__)
        except Exception as exc:
            log.exception("handling %s failed", type(message).__name__)
            self._emit(Failure(FailureKind.PROTOCOL, f"The server sent something this game does not understand ({exc})"))

    def _match_message(self, link: _Link, match: _Match, message: Message) -> None:
        match_id = getattr(message, "match_id", "")
        if match_id and match.match_id and match_id != match.match_id:
            return  # an older match's message
        if not match.joined:
            if len(match.backlog) < MAX_BACKLOG:
                match.backlog.append(message)
            return
        if isinstance(message, MatchData):
            self._match_data(link, match, message)
        elif isinstance(message, MatchPresenceEvent):
            self._presences(link, match, message)

    def _match_data(self, link: _Link, match: _Match, data: MatchData) -> None:
        if (data.op_code == OP_STATE and _has_you(data.data)) or data.op_code in (OP_REJECTED, OP_OPPONENT_GONE):
            match.extended = True
        events = match_events(data.op_code, data.data, link.user_id, match.session_id)
        if not events:
            log.debug("ignored match data op %d", data.op_code)
        for event in events:
            if isinstance(event, MatchUpdate):
                self._state(match, event.view)
            elif isinstance(event, MoveRejected):
                match.move_pending = False
            elif isinstance(event, OpponentLeft):
                if self._match is not match:
                    return
                self._match = None
                if not event.name:
                    event = replace(event, name=match.opponent_name)
            self._emit(event)

    def _state(self, match: _Match, view: MatchView) -> None:
        match.view = view
        match.move_pending = False
        opponent = view.players[2 - view.you] if view.you in (1, 2) else None
        if opponent is not None and opponent.username:
            match.opponent_name = opponent.username
        if not match.extended:
            return
        if not view.opponent_connected and not match.opponent_away and not view.board.is_over:
            # Our host holds the seat: say so once (the state itself follows as a MatchUpdate).
            match.opponent_away = True
            self._emit(OpponentAway(match.opponent_name))
        elif view.opponent_connected:
            match.opponent_away = False

    def _presences(self, link: _Link, match: _Match, event: MatchPresenceEvent) -> None:
        for p in event.joins:
            if p.user_id != link.user_id and p.username:
                match.opponent_name = p.username
        for p in event.leaves:
            if p.user_id == link.user_id:
                continue  # an older session of ours
            if match.extended:
                continue  # our host holds the seat; its state says the opponent is away, op 5 that they are gone
            self._match = None  # a stock XOXO server ends the match when a player leaves
            self._emit(OpponentLeft(p.username or match.opponent_name))
            return

    # LAN ---------------------------------------------------------------------------------

    def _stop_hosting(self) -> None:
        link = self._link
        if link is not None and link.address == self._hosting.address:
            # Our own player's connection goes with the host: no reconnection attempts.
            self._forget_link()
            if link.socket is not None:
                link.socket.abort()
        self._hosting.stop()

    def _update_announcer(self) -> None:
        """Keep the LAN beacon's state in step with our own player's match on our host."""
        link, match = self._link, self._match
        on_our_host = link is not None and link.address == self._hosting.address
        self._hosting.follow(match.view if on_our_host and match is not None else None)

    # Plumbing ----------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        """Hand ``event`` to the UI; every event may change what the LAN beacon says, so check it."""
        try:
            self._emit_to_ui(event)
        except Exception:
            log.exception("could not deliver %r", event)
        self._update_announcer()

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._task_done)
        return task

    def _spawn_for(self, link: _Link, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """A task that belongs to ``link``: cancelled when the link goes."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        link.tasks.add(task)
        task.add_done_callback(link.tasks.discard)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        """A task that died of an exception is a bug: report it, keep the loop alive."""
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        log.error("network task %r failed", task.get_name(), exc_info=exc)
        self._emit(Failure(FailureKind.OTHER, f"Something went wrong in the network code ({exc})"))

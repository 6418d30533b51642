"""Online play on one game server: sign-in, the socket, staying connected; the protocol does the rest.

An ``OnlineSession`` lives from a ``SignIn`` until the player lets go of that server.
It never blocks and never raises into its caller: what waits on the network runs in
its ``TaskScope``, and results come back as ``net.messages`` events through ``emit``
(the network thread's one door to the UI).

It owns the I/O: signing in, the socket, keeping the token fresh, and getting a
dropped connection back with jittered exponential backoff. What to send and what to
show (matchmaking, friend codes, the match, presence, rematch) is decided by a
``net.clientproto.ClientProtocol``, which this session feeds with the player's wishes
and the server's messages, and whose requests it sends.

Names stick: an account keeps the name it was created with (Nakama ignores ``username``
at sign-in for an existing account), so a different name typed is set with a rename,
and a name taken by another player is replaced by the nearest free variant.

One job, and so more than the usual 450 lines: keeping one signed-in connection to one server
(sign-in and names, the socket, token refresh, reconnect with backoff, the HTTP calls made with
the session's token) for the protocol object above it.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import ssl
import time
from collections.abc import Callable

from game.phrase import Phrase, counted_phrase, text_of
from game.xoxo import Claim, Reaction
from net import leaderboard, resume, stats
from net.address import ServerAddress
from net.clientproto import ClientProtocol, Output, Request, Send
from net.codec import Message
from net.config import SessionConfig
from net.errors import (
    BadKeyError,
    ClientError,
    NameTakenError,
    RefusedError,
    ServerGoingAwayError,
    ServerProtocolError,
    TlsError,
    UnauthorizedError,
    UnreachableError,
    failure_kind,
)
from net.messages import (
    Connecting,
    ConnectionLost,
    Disconnected,
    Event,
    Failure,
    FailureKind,
    LeaderboardLoaded,
    LeaderboardUnavailable,
    OpponentFound,
    SeatChecked,
    ServerClosing,
    SignedIn,
    SignIn,
    StatsUnavailable,
)
from net.realtime import RealtimeSocket
from net.signin import AuthClient, AuthSession, is_variant_of, name_variants
from net.tasks import TaskScope

log = logging.getLogger(__name__)


class Phase(enum.Enum):
    CONNECTING = "connecting"
    ONLINE = "online"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


def _leaderboard_refusal(status: int, body: bytes) -> LeaderboardUnavailable:
    """Why the leaderboard is not there: none on this server (404, code 5), or the server's refusal."""
    code, message = leaderboard.read_error(body)
    if status == 404 and code == leaderboard.NOT_FOUND_CODE:
        return LeaderboardUnavailable(leaderboard.NO_RATINGS, no_ratings=True)
    said = message or f"HTTP {status}"
    return LeaderboardUnavailable(Phrase("The server refused the leaderboard: {reason}", reason=said))


def _mute(event: Event) -> None:
    """The emit of a silenced session: nothing more reaches the UI."""


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
        self.auth = AuthClient(address, command.key, tls_context=tls_context, timeout=config.http_timeout, clock=clock)
        self.session: AuthSession | None = None
        self.socket: RealtimeSocket | None = None
        self.phase = Phase.CONNECTING
        self.protocol = ClientProtocol(config.hold_seconds)
        self._opened_at = 0.0  # when the last socket opened (on ``clock``)
        self._tries = 0  # reconnection attempts since a connection last stayed up ``stable_after`` s
        self._name = command.username  # the name we play under (another if the one asked for was taken)
        self._ready = asyncio.Event()  # set once signed in: the HTTP API (leaderboard, RPCs) may be called

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

    def find(self, code: str, rating: int | None = None) -> None:
        """Queue for an opponent (the friend with ``code``, if given); at once if online, else once the socket is up.

        With ``match_timeout`` set, a new search that finds nobody in that time is withdrawn with a Failure.
        """
        searches = self.protocol.searches
        self._perform(self.protocol.find(code, rating))
        limit = self.config.match_timeout
        if limit is not None and self.protocol.searches != searches:
            self._scope.spawn(self._search_deadline(self.protocol.searches, limit), "match timeout")

    def cancel_find(self) -> None:
        self._perform(self.protocol.cancel_find())

    async def _search_deadline(self, search: int, limit: float) -> None:
        await asyncio.sleep(limit)
        if self.protocol.searches == search:  # still the same search (a match found ends it: nothing to do)
            self._perform(self.protocol.give_up_search(limit))

    def send_move(self, row: int, col: int) -> None:
        """Send a move. The board already checked it for quick feedback and the server checks it again."""
        self._perform(self.protocol.move(row, col))

    def request_rematch(self) -> None:
        """Ask for the next game, where the server takes requests; a stock XOXO server counts down by itself."""
        self._perform(self.protocol.rematch())

    def leave_match(self) -> None:
        """Leave the match on purpose (the server ends it for both)."""
        self._perform(self.protocol.leave())

    def claim(self, claim: Claim) -> None:
        """Claim the win, or call a draw, against an opponent away for half their seat hold (revision 3)."""
        self._perform(self.protocol.claim(claim))

    def react(self, reaction: Reaction) -> None:
        """Send the opponent a quick reaction, where the server and the opponent take them (revision 4)."""
        self._perform(self.protocol.react(reaction))

    def mute_reactions(self) -> None:
        """Show none of the opponent's reactions for the rest of the match."""
        self._perform(self.protocol.mute_reactions())

    def hold_matches(self, on: bool) -> None:
        """Hold a match found for the player, who plays the bot meanwhile (``on``), or join as usual again."""
        self._perform(self.protocol.hold_matches(on))

    def play_now(self) -> None:
        """Join the match held for the player."""
        self._perform(self.protocol.play_now())

    def decline_held(self, match_id: str = "") -> None:
        """Let the held match go; the search is queued again."""
        self._perform(self.protocol.decline_held(match_id))

    async def _hold_deadline(self, found: OpponentFound) -> None:
        await asyncio.sleep(found.seconds)
        self.decline_held(found.match_id)  # still held (not joined, not let go): its time is up

    def show_stats(self) -> None:
        """Ask who is around (RPC ``xoxo_stats``) once signed in: ``StatsLoaded``, or ``StatsUnavailable``."""
        self._scope.spawn(self._load_stats(), "stats")

    def resume(self, match_id: str, opponent: str = "") -> None:
        """Join the match whose seat the server holds for us (see ``check_seat``); at once if online, else once connected."""
        self._perform(self.protocol.resume(match_id, opponent))

    def show_leaderboard(self, limit: int, neighbours: int) -> None:
        """Read the leaderboard once signed in: ``LeaderboardLoaded``, or ``LeaderboardUnavailable`` saying why not."""
        self._scope.spawn(self._load_leaderboard(limit, neighbours), "leaderboard")

    def check_seat(self, match_id: str, game: int) -> None:
        """Ask the server about a match we were in (RPC ``xoxo_seat``) once signed in: ``SeatChecked``."""
        self._scope.spawn(self._check_seat(match_id, game), "seat check")

    # The HTTP API beside the socket ----------------------------------------------------------

    async def _api_session(self) -> AuthSession:
        """A session with life left, once signed in (a sign-in that fails cancels the waiting task with the rest)."""
        await self._ready.wait()
        await self._fresh_session()
        assert self.session is not None
        return self.session

    async def _load_leaderboard(self, limit: int, neighbours: int) -> None:
        try:
            session = await self._api_session()
            uid = session.user_id
            path, query = leaderboard.top_request(uid, limit)
            response = await self.auth.api(session, "GET", path, "leaderboard", query=query)
            if response.status != 200:
                self._emit(_leaderboard_refusal(response.status, response.body))
                return
            top = leaderboard.read_page(response.body)
            around = None
            me = top.find(uid)
            if me is not None and all(e.user_id != uid for e in top.records) and neighbours > 0:
                path, query = leaderboard.around_request(uid, neighbours)
                response = await self.auth.api(session, "GET", path, "leaderboard", query=query)
                around = leaderboard.read_page(response.body) if response.status == 200 else None
            self._emit(LeaderboardLoaded(leaderboard.combine(top, around, uid)))
        except (ClientError, leaderboard.LeaderboardFormatError) as exc:
            self._emit(LeaderboardUnavailable(Phrase("The leaderboard could not be read: {reason}", reason=text_of(exc))))

    async def _check_seat(self, match_id: str, game: int) -> None:
        try:
            session = await self._api_session()
            response = await self.auth.api(session, "POST", resume.PATH, "seat check", body=resume.request_body(match_id, game))
        except ClientError as exc:
            reason = text_of(exc)
            self._emit(Failure(failure_kind(exc), Phrase("Could not ask the server about your game: {reason}", reason=reason)))
            return
        if response.status == 200:
            answer = resume.read_answer(response.body)
        elif response.status == 404 and leaderboard.read_error(response.body)[0] == leaderboard.NOT_FOUND_CODE:
            answer = resume.SeatAnswer(resume.SeatStatus.UNSUPPORTED)  # no such RPC here (the stock XOXO module)
        else:
            log.info("xoxo_seat answered %d: %s", response.status, response.text())
            answer = resume.SeatAnswer(resume.SeatStatus.UNKNOWN)
        self._emit(SeatChecked(match_id, answer))

    async def _load_stats(self) -> None:
        try:
            session = await self._api_session()
            response = await self.auth.api(session, "POST", stats.PATH, "stats", body=stats.request_body())
        except ClientError as exc:
            self._emit(StatsUnavailable(text_of(exc)))
            return
        loaded = stats.read_answer(response.body) if response.status == 200 else None
        if loaded is not None:
            self._emit(loaded)
        elif response.status == 404 and leaderboard.read_error(response.body)[0] == leaderboard.NOT_FOUND_CODE:
            self._emit(StatsUnavailable(unsupported=True))  # no such RPC here (the stock XOXO module)
        else:
            log.info("xoxo_stats answered %d: %s", response.status, response.text())
            self._emit(StatsUnavailable(f"HTTP {response.status}"))

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
        self._emit = _mute
        self.protocol.reset()
        self._socket_work.cancel()

    def abort(self) -> None:
        """Drop the socket at once, without a goodbye."""
        socket = self._drop()
        if socket is not None:
            socket.abort()

    def _drop(self) -> RealtimeSocket | None:
        """Forget everything and stop every task of this connection; the socket is the caller's to close."""
        self.phase = Phase.CLOSED
        self.protocol.reset()
        self._scope.cancel()
        socket, self.socket = self.socket, None
        return socket

    # Moving the protocol's messages -------------------------------------------------------------

    def _perform(self, out: Output) -> None:
        """Send what the protocol asks to send, on the current socket, then hand its events up."""
        socket = self.socket
        if socket is not None:
            for item in out.outgoing:
                if isinstance(item, Request):
                    scope = self._goodbyes if item.goodbye else self._socket_work
                    scope.spawn(self._request(socket, item), type(item.message).__name__)
                else:
                    self._socket_work.spawn(self._send(socket, item), f"op {item.message.op_code}")
        for event in out.events:
            self._emit(event)
            if isinstance(event, OpponentFound):
                self._scope.spawn(self._hold_deadline(event), "held match")

    async def _request(self, socket: RealtimeSocket, request: Request) -> None:
        try:
            answer = await socket.request(request.message)
        except ClientError as exc:
            self._perform(self.protocol.failed(request, exc))
        else:
            self._perform(self.protocol.answered(request, answer))

    async def _send(self, socket: RealtimeSocket, send: Send) -> None:
        try:
            await socket.send(send.message)
        except ClientError as exc:  # the close handler takes over the connection
            self._perform(self.protocol.send_failed(send, exc))

    def _on_push(self, socket: RealtimeSocket, message: Message) -> None:
        if self.socket is not socket:
            return
        try:
            out = self.protocol.received(message)
        except Exception as exc:
            log.exception("handling %s failed", type(message).__name__)
            self._emit(Failure(FailureKind.PROTOCOL, Phrase("The server sent something this game does not understand ({reason})",
                                                            reason=text_of(exc))))
            return
        self._perform(out)

    # Connecting ---------------------------------------------------------------------------------

    async def _connect(self) -> None:
        """Sign in (under a name that sticks) and open the socket; the SignIn's work."""
        try:
            session = self.session = await self._sign_in()
            self._ready.set()
            socket = await self._open_socket()
        except (ClientError, ValueError) as exc:
            self._failed(exc)
            return
        self._adopt(socket, reconnected=False)
        self._emit(SignedIn(str(self.address), session.user_id, session.username, self.command.username))

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
        self._opened_at = self._clock()
        if not reconnected:
            self._scope.spawn(self._keep_token_fresh(), "token refresh")
        self._perform(self.protocol.connected(self.user_id, reconnected=reconnected))

    def _failed(self, error: BaseException, prefix: str = "") -> None:
        """A fatal error: say so, and drop the connection and what it was doing."""
        if self.closed:
            return
        self.abort()
        said = text_of(error)
        message = said if not prefix else Phrase("{what}: {reason}", what=prefix, reason=said)
        if isinstance(error, ValueError):
            message = Phrase("Can't sign in: {reason}", reason=said)
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
        self.protocol.disconnected()
        busy = self.protocol.busy
        if isinstance(error, ServerProtocolError):
            self._failed(error)
        elif isinstance(error, ServerGoingAwayError):
            self.abort()
            self._emit(ServerClosing(str(error)) if busy else Disconnected(str(error)))
        elif not busy:
            self.abort()
            self._emit(Disconnected(str(error)))
        else:
            self.phase = Phase.RECONNECTING
            self._scope.spawn(self._reconnect(error), "reconnect")

    def _backoff(self, attempt: int) -> float:
        cfg = self.config
        delay = min(cfg.backoff_max, cfg.backoff_first * 2.0 ** (attempt - 1))
        return delay * self._rng.uniform(1 - cfg.backoff_jitter, 1 + cfg.backoff_jitter)

    async def _reconnect(self, error: ClientError) -> None:
        """Retry with backoff until the socket is back, a fatal error, or the attempts run out.

        A connection that dropped within ``stable_after`` s of opening did not count as one
        that worked: the attempts go on from where they were, so the delays keep growing and
        a server that accepts and drops every connection is given up on.
        """
        cfg = self.config
        if self._clock() - self._opened_at >= cfg.stable_after:
            self._tries = 0  # that connection held: a fresh budget
        message = text_of(error)
        last: ClientError = error
        while self._tries < cfg.reconnect_attempts:
            self._tries += 1
            delay = self._backoff(self._tries)
            self._emit(ConnectionLost(message, self._tries, round(delay, 2)))
            await asyncio.sleep(delay)
            try:
                socket = await self._reopen()
            except (BadKeyError, UnauthorizedError, ServerProtocolError, TlsError, ValueError) as exc:
                self._failed(exc)
                return
            except ClientError as exc:
                if isinstance(exc, UnreachableError) and exc.refused and self.command.lan:
                    self._host_gone(exc)  # the LAN host is gone, and its match with it
                    return
                last = exc
                message = Phrase("Still trying to reach the server: {reason}", reason=text_of(exc))
                continue
            self._adopt(socket, reconnected=True)
            return
        if last is error:  # every try opened a connection, and each one dropped soon after
            self.abort()
            self._emit(Failure(FailureKind.DROPPED, Phrase("The server keeps dropping the connection")))
            return
        tries = cfg.reconnect_attempts
        self._failed(last, counted_phrase("Lost the connection to the server and could not get it back after {n} try",
                                          "Lost the connection to the server and could not get it back after {n} tries", tries))

    def _host_gone(self, error: UnreachableError) -> None:
        """A LAN host refused the connection after a drop: it closed (or crashed) and its match is over."""
        log.info("the LAN host refuses connections (%s): not retrying", error)
        busy = self.protocol.match is not None or self.protocol.held is not None
        self.abort()
        self._emit(ServerClosing() if busy else Failure(failure_kind(error), text_of(error)))

    async def _reopen(self) -> RealtimeSocket:
        """A new socket with a token that has life left (a refused one is renewed once)."""
        fresh = await self._fresh_session()
        try:
            return await self._open_socket()
        except UnauthorizedError:
            if fresh:
                raise
        await self._fresh_session(force=True)
        return await self._open_socket()

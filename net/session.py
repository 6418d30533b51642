"""The network thread's front door: UI commands in, events back, on one asyncio loop.

``Session.handle`` takes one command (``net.messages``) and never blocks or raises; it
routes it to the part that does that job:

* ``net.online.OnlineSession``: signing in to a server and playing there (one at a time);
* ``net.lan.LanHosting``: the game's own host for a LAN game, announced on the network,
  which our own player then joins like any other server;
* ``net.lan.LanBrowser``: listening for the LAN games others announce.

Every task any of them starts lives in the session's ``TaskScope`` tree, so closing the
session waits for the goodbyes (a match leave, stopping a LAN host) and cancels the rest.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from game.phrase import Phrase, text_of
from game.refusal import Refusal
from game.xoxo import Claim
from net import tls
from net.address import ServerAddress
from net.config import SessionConfig
from net.lan import LanBrowser, LanHosting
from net.messages import (
    BrowseLan,
    CallDraw,
    CancelFind,
    CheckSeat,
    ClaimWin,
    Command,
    DeclineMatch,
    Disconnect,
    Disconnected,
    Event,
    Failure,
    FailureKind,
    FindOpponent,
    HoldMatches,
    HostLan,
    LeaveMatch,
    MoveRejected,
    MuteReactions,
    PlayNow,
    RequestRematch,
    ResumeMatch,
    SendMove,
    SendReaction,
    ShowLeaderboard,
    ShowStats,
    Shutdown,
    SignIn,
    StopBrowsing,
    StopHosting,
)
from net.online import OnlineSession
from net.tasks import TaskScope

__all__ = ["Session", "SessionConfig"]

log = logging.getLogger(__name__)

C = TypeVar("C")


class Session:
    """Commands to the part that does the job, events back to the UI; one per network thread, used on its loop only."""

    def __init__(
        self,
        emit: Callable[[Event], None],
        config: SessionConfig | None = None,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        config = config or SessionConfig()
        self._emit = emit  # the bridge's door to the UI, handed down as is: every event crosses it once
        self.config = config
        self._rng = rng or random.Random()
        self._clock = clock
        self._tasks = TaskScope("session", self._task_failed)
        self._goodbyes = self._tasks.child("goodbyes")  # leaves and host stops: waited for on the way out
        self._online: OnlineSession | None = None
        self._silenced: list[OnlineSession] = []  # our own player's connections to a host being stopped
        self._last_sign_in: SignIn | None = None
        self._hosting = LanHosting(
            config.lan_host,
            port_tries=config.lan_port_tries,
            announce_interval=config.lan_announce_interval,
            close_timeout=config.close_timeout,
            emit=self._emit,
            scope=self._tasks.child("lan host"),
            goodbyes=self._goodbyes,
            join=self._join_own_game,
            own_player=self._own_player_id,
        )
        self._browser = LanBrowser(expiry=config.lan_expiry, emit=self._emit, scope=self._tasks.child("lan browser"))
        self._stopped: asyncio.Event | None = None
        self._closing: asyncio.Task[None] | None = None  # the close a Shutdown started before run() began
        self._closed = False
        self._handlers: dict[type, Callable[[Any], None]] = {}
        self._route()

    # Entry points ----------------------------------------------------------------

    async def run(self) -> None:
        """Serve commands until Shutdown, then close everything (or drop it all if cancelled)."""
        self._stopped = asyncio.Event()
        try:
            if self._closing is not None:
                # Shutdown was handled before this task first ran (a command can come right after
                # create_task): the close it started is the end of the run.
                await self._closing
                return
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
            self._emit(Failure(FailureKind.OTHER, Phrase("Something went wrong in the network code ({reason})", reason=str(exc))))

    async def close(self) -> None:
        """Stop everything within about twice the close timeout: goodbyes first, then sockets and ports."""
        if self._closed:
            return
        self._closed = True
        starting = self._hosting.cancel_start()  # stops what it began itself: not a goodbye to wait for
        # Goodbyes already on their way (a match leave, stopping the LAN host) finish first:
        # quitting right after leaving must still tell the server we left.
        await self._goodbyes.wait(self.config.close_timeout, spare={starting} if starting else None)
        self._silence_own_player()
        jobs = [
            self._tasks.spawn(self._drop_online(), "close the socket"),
            self._tasks.spawn(self._browser.close(), "stop browsing"),
            self._tasks.spawn(self._hosting.close(), "stop hosting"),
        ]
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
        online, self._online = self._online, None
        for each in (online, *self._silenced):
            if each is not None:
                each.abort()
        self._silenced.clear()
        self._browser.abort()
        self._hosting.abort()
        self._tasks.cancel()

    # Commands ----------------------------------------------------------------------

    def _handle(self, command: Command) -> None:
        handler = self._handlers.get(type(command))
        if handler is None:
            log.warning("ignored unknown command %r", command)
            return
        handler(command)

    def _on(self, kind: type[C], handler: Callable[[C], None]) -> None:
        """Route commands of ``kind`` to ``handler`` (typed per command, looked up by type)."""
        self._handlers[kind] = handler

    def _route(self) -> None:
        self._on(SignIn, self._sign_in)
        self._on(FindOpponent, self._find)
        self._on(CancelFind, lambda _: self._with_online(OnlineSession.cancel_find))
        self._on(SendMove, self._send_move)
        self._on(RequestRematch, lambda _: self._with_online(OnlineSession.request_rematch))
        self._on(LeaveMatch, lambda _: self._with_online(OnlineSession.leave_match))
        self._on(ClaimWin, lambda _: self._with_online(lambda online: online.claim(Claim.WIN)))
        self._on(CallDraw, lambda _: self._with_online(lambda online: online.claim(Claim.DRAW)))
        self._on(ShowLeaderboard, lambda c: self._signed_in(lambda online: online.show_leaderboard(c.limit, c.neighbours)))
        self._on(CheckSeat, lambda c: self._signed_in(lambda online: online.check_seat(c.match_id, c.game)))
        self._on(ResumeMatch, lambda c: self._signed_in(lambda online: online.resume(c.match_id, c.opponent)))
        self._on(SendReaction, lambda c: self._with_online(lambda online: online.react(c.reaction)))
        self._on(MuteReactions, lambda _: self._with_online(OnlineSession.mute_reactions))
        self._on(ShowStats, lambda _: self._with_online(OnlineSession.show_stats))
        self._on(HoldMatches, lambda c: self._with_online(lambda online: online.hold_matches(c.hold)))
        self._on(PlayNow, lambda _: self._with_online(OnlineSession.play_now))
        self._on(DeclineMatch, lambda _: self._with_online(OnlineSession.decline_held))
        self._on(Disconnect, self._disconnect)
        self._on(HostLan, self._hosting.start)
        self._on(StopHosting, self._stop_hosting)
        self._on(BrowseLan, lambda command: self._browser.start(command.discovery_port))
        self._on(StopBrowsing, lambda _: self._browser.stop())
        self._on(Shutdown, self._shutdown)

    def _with_online(self, action: Callable[[OnlineSession], None]) -> None:
        """Apply ``action`` to the current server connection, if there is one (else nothing to do)."""
        if self._online is not None:
            action(self._online)

    def _send_move(self, command: SendMove) -> None:
        if self._online is None:
            self._emit(MoveRejected(Refusal.NOT_IN_MATCH, "You are not in a game right now."))
        else:
            self._online.send_move(command.row, command.col)

    def _disconnect(self, _: Disconnect) -> None:
        online, self._online = self._online, None
        if online is not None:
            self._tasks.spawn(online.close(), "disconnect")
        self._emit(Disconnected(""))

    def _stop_hosting(self, _: StopHosting) -> None:
        self._silence_own_player()
        self._hosting.stop()

    def _shutdown(self, _: Shutdown) -> None:
        if self._stopped is not None:
            self._stopped.set()
        elif self._closing is None:
            self._closing = self._tasks.spawn(self.close(), "close")

    def _sign_in(self, command: SignIn) -> None:
        try:
            address = ServerAddress.parse(command.server)
            context = tls.client_context(command.ca_file) if address.tls else None
        except tls.TlsConfigError as exc:
            self._emit(Failure(FailureKind.TLS, Phrase("Can't make a secure connection: {reason}", reason=text_of(exc))))
            return
        except ValueError as exc:
            self._emit(Failure(FailureKind.OTHER, Phrase("That server address does not work: {reason}", reason=text_of(exc))))
            return
        self._last_sign_in = command
        old, self._online = self._online, None
        if old is not None:
            self._tasks.spawn(old.close(), "let go of the old server")
        online = OnlineSession(
            command,
            address,
            self.config,
            emit=self._emit,
            scope=self._tasks.child(f"online {address}"),
            goodbyes=self._goodbyes,
            tls_context=context,
            rng=self._rng,
            clock=self._clock,
        )
        self._online = online
        online.start()

    def _find(self, command: FindOpponent) -> None:
        self._signed_in(lambda online: online.find(command.code, command.rating))

    def _signed_in(self, action: Callable[[OnlineSession], None]) -> None:
        """Apply ``action`` to the server connection, signing in again first if it was let go (a failure, a disconnect)."""
        online = self._online
        if online is None or online.closed:
            if self._last_sign_in is None:
                self._emit(Failure(FailureKind.OTHER, Phrase("Sign in to a server first")))
                return
            self._sign_in(self._last_sign_in)
            online = self._online
            if online is None:
                return
        action(online)

    async def _drop_online(self) -> None:
        """Let go of the current server, if any: close the socket once the goodbyes are out."""
        online, self._online = self._online, None
        if online is not None:
            await online.close()

    # LAN ----------------------------------------------------------------------------

    def _join_own_game(self, address: ServerAddress, name: str, device_id: str) -> None:
        """The LAN host is up: our own player signs in to it and waits for an opponent, as a joiner would."""
        self.handle(SignIn(str(address), self.config.lan_host.server_key, name, device_id))
        self.handle(FindOpponent())

    def _own_player_id(self) -> str:
        """Our own player's user id on the game we host ("" if not signed in there)."""
        online = self._online
        if online is not None and online.address == self._hosting.address:
            return online.user_id
        return ""

    def _silence_own_player(self) -> None:
        """Before the game we host stops: our own player's connection goes with it, quietly.

        The guest is then told the host closed the game (not that we dropped first), and
        nobody tries to reconnect to a host that is going away.
        """
        online = self._online
        if online is not None and online.address == self._hosting.address:
            self._online = None
            online.silence()
            self._silenced.append(online)

    # Plumbing ----------------------------------------------------------------------------

    def _task_failed(self, name: str, exc: BaseException) -> None:
        """A task died of a bug: the player hears that something went wrong, the loop goes on."""
        self._emit(Failure(FailureKind.OTHER, Phrase("Something went wrong in the network code ({reason})", reason=str(exc))))

"""LAN play for the session: hosting a game (embedded host + announcer) and browsing for games.

Both run on the network thread's loop and only report through ``emit``; their waiting
work runs in the session's task scopes, so closing the session waits for (or cancels)
it like any other task, and a task that dies of a bug is reported.

What a hosted game announces comes from the embedded host's match runtime, not from
our own player's screen: "waiting" while a ticket waits for a second player, "playing"
or "full" while a match holds both seats, and nothing at all while no one waits (the
game leaves the lists). A guest who queues while our player is not waiting is refused
at once with a sentence naming why, and our player hears that someone came.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from game.phrase import Phrase, text_of
from game.xoxo import Presence
from net.address import DEFAULT_SERVER_KEY, ServerAddress
from net.announcer import Announcer
from net.beacon import HostState
from net.discovery import DiscoveryBindError, Listener
from net.host import Host, HostConfig, HostError, PortInUseError
from net.host.runtime import Occupancy
from net.httpclient import run_detached
from net.interfaces import lan_addresses
from net.messages import Event, Failure, FailureKind, GuestTurnedAway, Hosting, HostLan, HostStopped, LanGames
from net.tasks import TaskScope

log = logging.getLogger(__name__)

HOST_STOPPED_NOTICE = "The host closed the game"

Emit = Callable[[Event], None]  # hands an event to the UI
JoinOwnGame = Callable[[ServerAddress, str, str], None]  # (address, name, device id): our player joins the game
OwnPlayer = Callable[[], str]  # our player's user id on the game we host ("" until it signed in)


def beacon_state(occupancy: Occupancy) -> HostState | None:
    """What the beacon says about a host's matches; None: nothing to offer (not announced)."""
    if occupancy.playing:
        return HostState.PLAYING
    if occupancy.between:
        return HostState.FULL
    if occupancy.waiting:
        return HostState.WAITING
    return None


@dataclass
class _HostedGame:
    """The embedded host we run, its announcer, and what the announcer should say (None: nothing)."""

    name: str
    host: Host
    address: ServerAddress  # where our own player reaches it
    announcer: Announcer | None = None
    addresses: tuple[str, ...] = ()
    occupancy: Occupancy = field(default_factory=Occupancy)
    state: HostState | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # ``state`` moved: the keeper announces it
    keeper: asyncio.Task[None] | None = None


class _Doorkeeper:
    """The runtime's observer for a game we host: follows its matches, turns away guests our player is not waiting for."""

    def __init__(self, game: _HostedGame, own_player: OwnPlayer, emit: Emit):
        self._game = game
        self._own_player = own_player
        self._emit = emit

    def admit_ticket(self, presence: Presence) -> str | None:
        game = self._game
        own = self._own_player()
        if not own or presence.user_id == own or game.occupancy.waiting:
            return None  # our player (or one it waits for: they are paired at once)
        busy = game.occupancy.playing or game.occupancy.between
        log.info("%s turned away: %s is %s", presence.username, game.name, "in a game" if busy else "not waiting")
        self._emit(GuestTurnedAway(presence.username))
        return f"{game.name} is in a game" if busy else f"{game.name} is not waiting for an opponent right now"

    def occupancy_changed(self, occupancy: Occupancy) -> None:
        game = self._game
        game.occupancy = occupancy
        state = beacon_state(occupancy)
        if state is not game.state:
            game.state = state
            game.changed.set()


class LanHosting:
    """Hosts one LAN game: starts the embedded host and its announcer, then joins it as our own player."""

    def __init__(
        self,
        template: HostConfig,
        *,
        port_tries: int,
        announce_interval: float,
        close_timeout: float,
        emit: Emit,
        scope: TaskScope,
        goodbyes: TaskScope,
        join: JoinOwnGame,
        own_player: OwnPlayer,
    ):
        self._template = template  # bind, port, key and max_players are set per HostLan
        self._port_tries = port_tries
        self._announce_interval = announce_interval
        self._close_timeout = close_timeout
        self._emit = emit
        self._scope = scope
        self._goodbyes = goodbyes  # stopping a host tells its players: waited for on the way out
        self._join = join
        self._own_player = own_player
        self._game: _HostedGame | None = None
        self._starting: asyncio.Task[None] | None = None

    @property
    def address(self) -> ServerAddress | None:
        """Where our own player reaches the game we host; None when not hosting."""
        return self._game.address if self._game is not None else None

    def start(self, command: HostLan) -> None:
        """Host a game as ``command`` asks (or say again that we already do)."""
        game = self._game
        if game is not None:
            self._emit(Hosting(game.name, game.host.port, game.addresses))
            return
        if self._starting is not None and not self._starting.done():
            return
        self._starting = self._scope.spawn(self._start(command), "start")

    def stop(self) -> None:
        """Stop hosting at the player's wish: the guest is told, the UI gets ``HostStopped``."""
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
        game, self._game = self._game, None
        if game is None:
            self._emit(HostStopped(""))
            return
        self._goodbyes.spawn(self._stop(game, report=True), "stop LAN host")

    def cancel_start(self) -> asyncio.Task[None] | None:
        """Cancel a start in progress; the start task (if any), which cleans up after itself."""
        if self._starting is not None:
            self._starting.cancel()
        return self._starting

    async def close(self) -> None:
        """Stop the game we host (its players are told) without reporting it; ``abort`` forgets it."""
        if self._game is not None:
            await self._stop(self._game)

    def abort(self) -> None:
        """Drop the announcer and the host's listening port at once."""
        game, self._game = self._game, None
        if game is not None:
            announcer, game.announcer = game.announcer, None  # the keeper ends with it
            if game.keeper is not None:
                game.keeper.cancel()
            if announcer is not None:
                announcer.abort()
            game.host.abort()

    async def _start(self, command: HostLan) -> None:
        """Host up and announced, then our own player joins it; a cancelled start stops what it began."""
        host: Host | None = None
        game: _HostedGame | None = None
        try:
            host = await self._start_host(command)
            if host is None:
                return
            connect_to = "127.0.0.1" if command.bind in ("", "0.0.0.0", "::") else command.bind
            name = command.name.strip() or "Player"
            game = _HostedGame(name, host, ServerAddress(connect_to, host.port))
            if command.bind in ("", "0.0.0.0", "::"):
                found = await run_detached(lan_addresses)
            else:
                found = [command.bind]
            game.addresses = tuple(f"{a}:{host.port}" for a in found)
            self._announce(game, command)
        except asyncio.CancelledError:
            if game is not None:
                await self._stop(game)
            elif host is not None:
                await host.stop(HOST_STOPPED_NOTICE)
            raise
        self._game = game
        self._emit(Hosting(game.name, host.port, game.addresses))
        self._join(game.address, name, command.device_id)

    def _announce(self, game: _HostedGame, command: HostLan) -> None:
        """Announce the game as its host's matches go (the keeper does it), from now on."""
        try:
            game.announcer = Announcer(
                host=game.name[:64],
                game=f"{game.name}'s game"[:64],
                port=game.host.port,
                state=HostState.WAITING,
                discovery_port=command.discovery_port,
                broadcast=command.broadcast,
                interval=self._announce_interval,
            )
        except ValueError as exc:
            log.warning("cannot announce the LAN game (players can still type an address): %s", exc)
        runtime = game.host.runtime
        if runtime is not None:
            runtime.observer = _Doorkeeper(game, self._own_player, self._emit)
        if game.announcer is not None:
            game.keeper = self._scope.spawn(self._keep_beacon(game), "announce")

    @staticmethod
    async def _keep_beacon(game: _HostedGame) -> None:
        """Announce what the host's matches do (one change at a time, in order); go quiet while nobody waits."""
        while game.announcer is not None:
            await game.changed.wait()
            game.changed.clear()
            announcer, state = game.announcer, game.state
            try:
                if state is None:
                    await announcer.stop()
                else:
                    announcer.update(state=state)
                    if not announcer.running:
                        await announcer.start()
            except (OSError, ValueError) as exc:
                log.warning("cannot announce the LAN game (players can still type an address): %s", exc)
                announcer.abort()
                game.announcer = None

    async def _start_host(self, command: HostLan) -> Host | None:
        """The embedded host on the first free port from ``command.port``; None (and a Failure) if none."""
        tries = 1 if command.port == 0 else self._port_tries
        last: HostError | None = None
        for i in range(tries):
            port = command.port + i if command.port else 0
            if port > 65535:
                break
            config = replace(
                self._template, bind=command.bind, port=port, server_key=DEFAULT_SERVER_KEY, max_players=2, ratings=False
            )
            host = Host(config)
            try:
                await host.start()
            except PortInUseError as exc:
                last = exc
                continue
            except (HostError, OSError) as exc:
                self._emit(Failure(FailureKind.HOST, Phrase("Couldn't start the game host: {reason}", reason=text_of(exc))))
                return None
            return host
        if command.port and tries > 1:
            detail: str = Phrase("ports {first} to {last} are all in use", first=command.port,
                                 last=min(65535, command.port + tries - 1))
        else:
            detail = text_of(last) if last else Phrase("no port to listen on")
        self._emit(Failure(FailureKind.HOST, Phrase("Couldn't start the game host: {reason}", reason=detail)))
        return None

    async def _stop(self, game: _HostedGame, report: bool = False) -> None:
        """Stop announcing, then the host (its players get the notice); ``report`` tells the UI it is done."""
        announcer, game.announcer = game.announcer, None  # the keeper ends with it
        if game.keeper is not None:
            game.keeper.cancel()
        if announcer is not None:
            with contextlib.suppress(Exception):
                await announcer.stop()
        try:
            await asyncio.wait_for(game.host.stop(HOST_STOPPED_NOTICE), self._close_timeout * 2)
        except Exception as exc:  # noqa: BLE001 - stopping goes on whatever went wrong; the reason is logged
            log.warning("the LAN host did not stop cleanly: %s", exc)
        if report:
            self._emit(HostStopped("You stopped hosting"))


class LanBrowser:
    """Lists the LAN games heard on a discovery port, as ``LanGames`` events."""

    def __init__(self, *, expiry: float, emit: Emit, scope: TaskScope):
        self._expiry = expiry  # a game silent this long leaves the list
        self._emit = emit
        self._scope = scope
        self._listener: Listener | None = None

    def start(self, discovery_port: int) -> None:
        """Listen on ``discovery_port`` (or, if already there, report the list now)."""
        listener = self._listener
        if listener is not None and listener.port == discovery_port:
            self._emit(LanGames(listener.games))
            return
        self.stop()
        listener = Listener(
            port=discovery_port, expiry=self._expiry, on_change=lambda games: self._emit(LanGames(games))
        )
        self._listener = listener
        self._scope.spawn(self._start(listener), "start listener")

    def stop(self) -> None:
        """Stop listening (quietly: the UI asked)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            self._scope.spawn(listener.stop(), "stop listener")

    async def close(self) -> None:
        """Stop listening and wait for the port to close; ``abort`` forgets the listener."""
        if self._listener is not None:
            await self._listener.stop()

    def abort(self) -> None:
        """Drop the discovery port at once."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.abort()

    async def _start(self, listener: Listener) -> None:
        """Bind ``listener`` and report its list, unless it was replaced or stopped meanwhile."""
        try:
            await listener.start()
        except (DiscoveryBindError, OSError) as exc:
            if self._listener is listener:
                self._listener = None
            self._emit(Failure(FailureKind.OTHER, Phrase("Can't look for LAN games: {reason}", reason=text_of(exc))))
            return
        if self._listener is not listener:
            await listener.stop()
            return
        self._emit(LanGames(listener.games))

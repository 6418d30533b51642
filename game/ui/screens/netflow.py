"""How the networked screens hand over to each other: one ``NetFlow`` per trip from the menu.

A flow knows where the player plays (online through a game server, hosting a LAN game,
or joining one) and under which name, so each screen asks it what comes next instead
of knowing the others: the board once a match is found, the choice to play on once the
opponent left, the error screen after a failure, and what "Try again", "Back" and
"Menu" mean from there. Every network action is a command on the App's one network
thread (``App.network``); nothing here waits.

The entry points at the bottom are what the menu and the command line call.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from game.bot import Level, best_moves, parse_level
from game.rules import PLAYERS, Board
from game.xoxo import MatchLabel
from game.ui.screens.base import Screen
from game.ui.screens.netkit import Choice
from net.address import DEFAULT_SERVER_KEY
from net.messages import Disconnect, Failure, FindOpponent, Hosting, HostLan, SignIn, StopHosting

if TYPE_CHECKING:
    from game.ui.app import App



class NetMode(str, enum.Enum):
    """Where a networked match is played."""

    ONLINE = "online"  # through a game server: Nakama with XOXO, or ``main.py --serve``
    LAN_HOST = "lan-host"  # on the host this player runs, announced on the LAN
    LAN_JOIN = "lan-join"  # on another player's LAN host


class NetFlow:
    """One trip through the networked screens, from leaving the menu to coming back to it.

    Holds the App it belongs to; used on the render loop's thread only.
    """

    def __init__(self, app: "App", mode: NetMode, *, name: str, server: str = "", key: str = DEFAULT_SERVER_KEY):
        self.app = app
        self.mode = mode
        self.name = name
        self.server = server  # host:port signed in to ("" for a LAN host until it is up)
        self.key = key
        self.hosting: Hosting | None = None  # a LAN host's port and addresses, once it is up
        self.ended = False  # the Disconnect / StopHosting of this trip went out

    def __repr__(self) -> str:
        return f"<NetFlow {self.mode.value} {self.server or '-'} as {self.name!r}>"

    @classmethod
    def online(cls, app: "App", server: str, key: str, name: str) -> "NetFlow":
        return cls(app, NetMode.ONLINE, name=name, server=server, key=key)

    @classmethod
    def lan_host(cls, app: "App", name: str) -> "NetFlow":
        return cls(app, NetMode.LAN_HOST, name=name)

    @classmethod
    def lan_join(cls, app: "App", server: str, name: str) -> "NetFlow":
        return cls(app, NetMode.LAN_JOIN, name=name, server=server)

    @property
    def board_mode(self) -> str:
        """The mode a finished game is reported under: 'online' or 'lan'."""
        return "online" if self.mode is NetMode.ONLINE else "lan"

    @property
    def is_lan(self) -> bool:
        return self.mode is not NetMode.ONLINE

    # Moving on ----------------------------------------------------------------------------

    def begin(self, *, replace: bool = False) -> Screen:
        """Send the trip's first commands and show its waiting screen (on top, or instead of the top one)."""
        from game.ui.screens.lan_host import LanHostScreen
        from game.ui.screens.matchmaking import MatchmakingScreen

        app = self.app
        self.ended = False
        _prepare_auto_player(app)
        network = app.network
        device_id = app.userdata.session_device_id()
        screen: Screen
        if self.mode is NetMode.LAN_HOST:
            s = app.net_settings
            network.send(
                HostLan(
                    self.name,
                    device_id,
                    port=s.lan_port,
                    bind=s.lan_bind,
                    discovery_port=s.discovery_port,
                    broadcast=s.broadcast,
                )
            )
            screen = LanHostScreen(self)
        else:
            network.send(SignIn(self.server, self.key, self.name, device_id))
            network.send(FindOpponent())
            screen = MatchmakingScreen(self)
        return app.replace(screen) if replace else app.push(screen)

    def matched(self, label: MatchLabel) -> Screen:
        """A match was found: the board, instead of the waiting screen (``label``: what the server offers)."""
        from game.ui.screens.netboard import NetBoardScreen

        return self.app.replace(NetBoardScreen(self, self.app.network, label))

    def find_again(self) -> Screen:
        """Back into the matchmaker with the same server (or, hosting, on our own host, still announced)."""
        from game.ui.screens.lan_host import LanHostScreen
        from game.ui.screens.matchmaking import MatchmakingScreen

        self.ended = False
        self.app.network.send(FindOpponent())
        if self.mode is NetMode.LAN_HOST:
            return self.app.replace(LanHostScreen(self, resume=True))
        return self.app.replace(MatchmakingScreen(self))

    def retry(self) -> Screen:
        """Start the trip over (after a failure): sign in and search again, or host again."""
        return self.begin(replace=True)

    def back(self) -> Screen:
        """Give up this trip for the screen before it: sign-in (online), the LAN list (join), the menu (host)."""
        from game.ui.screens.lan_join import LanJoinScreen
        from game.ui.screens.login import LoginScreen

        self.end()
        if self.mode is NetMode.ONLINE:
            return self.app.replace(LoginScreen())
        if self.mode is NetMode.LAN_JOIN:
            return self.app.replace(LanJoinScreen())
        return self.home()

    def browse(self) -> Screen:
        """Let this game go and look for another one on the LAN."""
        from game.ui.screens.lan_join import LanJoinScreen

        self.end()
        return self.app.replace(LanJoinScreen())

    def end(self) -> None:
        """Let go of the server once: disconnect, or stop hosting (which also tells a joined player)."""
        if self.ended or not self.app.has_network:
            return
        self.ended = True
        self.app.network.send(StopHosting() if self.mode is NetMode.LAN_HOST else Disconnect())

    def home(self) -> Screen:
        """End the trip and show the menu alone."""
        self.end()
        return self.app.reset(self.app.home())

    # The screens at the end of a match ----------------------------------------------------------

    def play_on_choices(self, online_label: str = "Find a new opponent") -> list[Choice]:
        """What the player can do once a match is over: play someone new (as fits the mode) or go to the menu."""
        if self.mode is NetMode.ONLINE:
            first = Choice(online_label, self.find_again)
        elif self.mode is NetMode.LAN_HOST:
            first = Choice("Wait for someone new", self.find_again)
        else:
            first = Choice("Find another game", self.browse)
        return [first, Choice("Menu", self.home)]

    def failed(self, failure: Failure) -> Screen:
        """The error screen for ``failure``, instead of the top screen."""
        from game.ui.screens.connection import NetErrorScreen

        return self.app.replace(NetErrorScreen(self, failure))

    def match_ended(self, title: str, message: str, *, stuck: str) -> Screen:
        """The match is over for a reason other than the opponent leaving (host gone, match gone)."""
        from game.ui.screens.connection import MatchEndedScreen

        return self.app.replace(MatchEndedScreen(self, title, message, stuck=stuck))

    def server_closed(self, text: str, note: str = "") -> Screen:
        """The server ended the match because it is going away (a LAN host closing its game, a server shutting down)."""
        from game.ui.screens.connection import MatchEndedScreen

        if self.mode is NetMode.LAN_JOIN:
            title = "The host closed the game"
            stuck = "The host closed the game."
        else:
            title = "The server shut down"
            stuck = f"The server shut down: {text}" if text else "The server shut down."
        message = " ".join(p for p in (note, f"The server said: \u201c{text}\u201d" if text else "") if p)
        choices = self.play_on_choices(online_label="Find a new game")
        screen = self.app.replace(
            MatchEndedScreen(self, title, message or "The match is over.", stuck=stuck, choices=choices)
        )
        self.end()
        return screen

    def opponent_left(self, name: str, reason: str, note: str = "") -> Screen:
        """The opponent is gone for good: say who, and offer to play on."""
        from game.ui.screens.opponent_left import OpponentLeftScreen

        return self.app.replace(OpponentLeftScreen(self, name, reason, note))


def _prepare_auto_player(app: "App") -> None:
    """A perfect auto player (``--auto perfect``) solves the game now, not on a frame mid-game (once per process)."""
    level = app.settings.auto_level
    if level is not None and parse_level(level) is Level.PERFECT:
        for first in PLAYERS:
            best_moves(Board.new(first))


# Entry points (the menu, the command line) ---------------------------------------------------------


def play_online(app: "App") -> Screen:
    """The sign-in screen, prefilled from the profile."""
    from game.ui.screens.login import LoginScreen

    return app.push(LoginScreen())


def start_online(app: "App", *, server: str | None = None, key: str | None = None, name: str | None = None) -> Screen:
    """Straight to matchmaking on ``server`` (default: the profile's last server, key and name)."""
    profile = app.userdata.profile
    flow = NetFlow.online(app, server or profile.server, key or profile.server_key, name or profile.name)
    return flow.begin()


def host_lan_game(app: "App", *, name: str | None = None) -> Screen:
    """Start hosting a LAN game and wait for someone to join it."""
    return NetFlow.lan_host(app, name or app.userdata.profile.name).begin()


def join_lan_game(app: "App", *, server: str | None = None, name: str | None = None, auto_join: bool = False) -> Screen:
    """Join the LAN game at ``server``, or list the games on the LAN (joining the first one with ``auto_join``)."""
    from game.ui.screens.lan_join import LanJoinScreen

    if server:
        return NetFlow.lan_join(app, server, name or app.userdata.profile.name).begin()
    return app.push(LanJoinScreen(auto_join=auto_join, name=name))

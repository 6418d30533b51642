"""How the networked screens hand over to each other: one ``NetFlow`` per trip from the menu.

A flow knows where the player plays (online through a game server, hosting a LAN game,
or joining one), under which name and with which friend code, so it makes each next
screen: the board once a match is found, the choice to play on once the match is
over, the error screen after a failure, and what "Try again", "Back" and "Menu" mean
from there. The screens know the flow only as a ``Trip`` (``trip.py``): this module
imports them, never the other way round. Every network action is a command on the
App's one network thread (``App.network``); nothing here waits.

The entry points at the bottom are what the menu and the command line call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from game.bot import warm_up
from game.phrase import Phrase
from game.xoxo import GoneReason, MatchLabel
from net.address import DEFAULT_SERVER_KEY
from net.messages import CancelFind, Disconnect, Failure, FailureKind, FindOpponent, Hosting, HostLan, SignIn, StopHosting
from ui.i18n import L_, Text, _, later, shown
from ui.lanwords import for_lan
from ui.netboardmodel import NetBoardModel, gone_text
from ui.results import GameMode
from ui.screens.base import Screen
from ui.screens.connection import MatchEndedScreen, NetErrorScreen
from ui.screens.friend import FriendScreen
from ui.screens.lan_host import LanHostScreen
from ui.screens.lan_join import LanJoinScreen
from ui.screens.leaderboard import LeaderboardScreen
from ui.screens.login import LoginField, LoginForm, LoginScreen
from ui.screens.matchmaking import MatchmakingScreen
from ui.screens.name import NameScreen
from ui.screens.netboard import NetBoardScreen
from ui.screens.netkit import Choice
from ui.screens.resume import SeatCheckScreen
from ui.screens.trip import TripKind
from ui.seats import Seat
from ui.textcut import short_name

if TYPE_CHECKING:
    from ui.app import App


class NetFlow:
    """One trip through the networked screens, from leaving the menu to coming back to it (a ``Trip``).

    Holds the App it belongs to; used on the render loop's thread only.
    """

    def __init__(
        self,
        app: App,
        kind: TripKind,
        *,
        name: str,
        server: str = "",
        key: str = DEFAULT_SERVER_KEY,
        code: str = "",
        ca_file: str | None = None,
        form: Callable[[], object] | None = None,
    ):
        """``form`` shows again the form the trip started from (sign-in, or the friend code kept), replacing the top."""
        self.app = app
        self.form = form
        self.kind = kind
        self.name = name
        self.server = server  # as typed ("" for a LAN host until it is up)
        self.key = key
        self.code = code
        self.ca_file = ca_file
        self.hosting: Hosting | None = None  # a LAN host's port and addresses, once it is up
        self.ended = False  # the Disconnect / StopHosting of this trip went out

    def __repr__(self) -> str:
        return f"<NetFlow {self.kind.value} {self.server or '-'} as {self.name!r}>"

    @property
    def joined_lan(self) -> bool:
        return self.kind is TripKind.LAN_JOIN

    @property
    def mode(self) -> GameMode:
        """The mode a finished game is reported under."""
        return GameMode.ONLINE if self.kind is TripKind.ONLINE else GameMode.LAN

    # Moving on ----------------------------------------------------------------------------

    def begin(self, *, replace: bool = False) -> Screen:
        """Send the trip's first commands and show its waiting screen (on top, or instead of the top one)."""
        app = self.app
        self.ended = False
        warm_up(app.settings.auto_level)  # a perfect auto player solves the game now, not on a frame mid-game
        network = app.network
        device_id = app.userdata.session_device_id()
        screen: Screen
        if self.kind is TripKind.LAN_HOST:
            s = app.net_settings
            network.send(
                HostLan(self.name, device_id, port=s.lan_port, bind=s.lan_bind, discovery_port=s.discovery_port,
                        broadcast=s.broadcast)
            )
            screen = LanHostScreen(self)
        else:
            lan = self.kind is TripKind.LAN_JOIN
            network.send(SignIn(self.server, self.key, self.name, device_id, self.ca_file, lan=lan))
            seat = app.userdata.seat(self.server, device_id) if self.kind is TripKind.ONLINE else None
            if seat is not None:  # the game last stopped mid-game on this server: back to it, if it is still on
                screen = SeatCheckScreen(self, seat)
            else:
                network.send(self._find())
                screen = MatchmakingScreen(self)
        return app.replace(screen) if replace else app.push(screen)

    def _find(self) -> FindOpponent:
        """Into the matchmaker: with the friend's code, or near the player's last known rating on this server."""
        rating = None if self.code else self.app.userdata.rating_on(self.server, self.app.userdata.session_device_id())
        return FindOpponent(self.code, rating=rating)

    def search(self) -> None:
        """Look for an opponent on the server signed in to (after a game that could not be gone back to)."""
        self.app.network.send(self._find())
        self.app.replace(MatchmakingScreen(self))

    def matched(self, label: MatchLabel, match_id: str = "") -> None:
        """A match was found (or rejoined): the board, instead of the waiting screen (``label``: what the server offers)."""
        model = NetBoardModel(mode=self.mode, label=label, wall_clock=self.app.wall_clock)
        self.app.replace(NetBoardScreen(self, self.app.network, model, match_id=match_id))

    def find_again(self) -> None:
        """Back into the matchmaker with the same server (or, hosting, on our own host, still announced)."""
        self.ended = False
        self.app.network.send(self._find() if self.kind is TripKind.ONLINE else FindOpponent(self.code))
        if self.kind is TripKind.LAN_HOST:
            self.app.replace(LanHostScreen(self, resume=True))
        else:
            self.app.replace(MatchmakingScreen(self))

    def retry(self) -> None:
        """Start the trip over (after a failure): sign in and search again, or host again."""
        self.begin(replace=True)

    def cancel_search(self) -> None:
        """Stop looking for an opponent: withdraw the ticket and go back to the form the player came from."""
        self.app.network.send(CancelFind())
        if self.kind is TripKind.LAN_JOIN or self.form is not None:
            self.back()
        else:
            self.home()

    def back(self) -> None:
        """Give up this trip for the screen before it: the form it started from (sign-in, or the friend code as it
        was), the LAN list (join), the menu (host, or a trip started from the command line)."""
        self.end()
        if self.form is not None:
            self.form()
        elif self.kind is TripKind.ONLINE:
            login_screen(self.app, replace=True)
        elif self.kind is TripKind.LAN_JOIN:
            self.browse()
        else:
            self.home()

    def choose_another_name(self, taken: str) -> None:
        """The name asked for was ``taken`` on the server: back to the sign-in form, its name field saying so."""
        self.end()
        message = _("{name} is taken on this server: type another name.").format(name=short_name(taken))
        login_screen(self.app, replace=True, error=("name", message))

    def browse(self) -> None:
        """Let this game go and look for another one on the LAN."""
        self.end()
        self.app.replace(LanJoinScreen(self.name, on_join=lambda server: join_at(self.app, server, self.name, replace=True)))

    def end(self) -> None:
        """Let go of the server once: disconnect, or stop hosting (which also tells a joined player)."""
        if self.ended or not self.app.has_network:
            return
        self.ended = True
        self.app.network.send(StopHosting() if self.kind is TripKind.LAN_HOST else Disconnect())

    def home(self) -> None:
        """End the trip and show the menu alone."""
        self.end()
        self.app.reset(self.app.home())

    # The screens at the end of a match ----------------------------------------------------------

    def play_on_choices(self, online_label: Text | None = None) -> list[Choice]:
        """What the player can do once a match is over: play someone new (as fits the mode) or go to the menu."""
        if self.kind is TripKind.ONLINE:
            label = online_label if online_label is not None else L_("Find a new opponent")
            first = Choice(label if not self.code else L_("Play your friend again"), self.find_again)
        elif self.kind is TripKind.LAN_HOST:
            first = Choice(L_("Wait for someone new"), self.find_again)
        else:
            first = Choice(L_("Find another game"), self.browse)
        return [first, Choice(L_("Menu"), self.home)]

    def failed(self, failure: Failure) -> None:
        """The error screen for ``failure``, instead of the top screen; a refused key goes back to the form's key field."""
        if failure.kind is FailureKind.BAD_KEY and self.kind is TripKind.ONLINE:
            self.end()
            message = Phrase("The server at {server} did not accept the key \u201c{key}\u201d: "
                             "check it with the server's operator.", server=self.server, key=self.key)
            login_screen(self.app, replace=True, error=("key", message))
            self.app.stuck(message)
            return
        choices = [Choice(L_("Try again"), self.retry), Choice(L_("Back"), self.back)]
        lan = self.kind is not TripKind.ONLINE
        if lan:
            failure = Failure(failure.kind, for_lan(failure.message))
        self.app.replace(NetErrorScreen(failure, choices, server=self.server, key=self.key, lan=lan))

    def match_ended(self, title: Text, message: Text, *, stuck: str) -> None:
        """The match is over for a reason other than the opponent leaving (the match is gone, a disconnect)."""
        self.app.replace(MatchEndedScreen(title, message, self.play_on_choices(), stuck=stuck))

    def server_closed(self, text: str, note: Text) -> None:
        """The server ended the match because it is going away (a LAN host closing its game, a server shutting down)."""
        title: Text
        default = 0
        if self.kind is TripKind.LAN_JOIN:
            title, stuck = L_("The host closed the game"), "The host closed the game."
            message = _sentences(note)
        elif self.kind is TripKind.LAN_HOST:
            title, stuck = L_("Your game closed"), "The game this computer hosted closed."
            message = _sentences(note)
            default = 1  # the menu: hosting again is a choice there
        else:
            title = L_("The server shut down")
            stuck = f"The server shut down: {text}" if text else "The server shut down."
            said = L_("The server said: \u201c{words}\u201d", words=text) if text else ""
            message = _sentences(note, said)
            default = 1  # the menu: a new game on that server would only find it gone
        choices = self.play_on_choices(L_("Find a new game"))
        self.app.replace(MatchEndedScreen(title, message, choices, stuck=stuck, default=default))
        self.end()

    def opponent_left(self, name: str, reason: GoneReason, note: Text, me: bool) -> None:
        """The match is over because of the opponent (or, taken out after two timeouts, because of us)."""
        name = short_name(name)  # it goes into the title: a long one is shortened
        sentence = gone_text(name, reason, me)
        title: Text
        after: Text
        if self.kind is TripKind.LAN_JOIN and reason in (GoneReason.LEFT, GoneReason.DISCONNECTED):
            title, after = L_("{name} closed the game", name=name), L_("Look for another game, or host your own.")
        else:
            if reason is GoneReason.NO_REMATCH:
                title = L_("No rematch")
            elif reason is GoneReason.LEFT:
                title = L_("{name} left", name=name)
            else:
                title = later(lambda: gone_text(name, reason, me))
            after = L_("Choose Wait for someone new to announce your game again.") if self.kind is TripKind.LAN_HOST else ""
        message = _sentences(note, after)
        self.app.replace(MatchEndedScreen(title, message, self.play_on_choices(), stuck=f"{sentence}.", name="opponent-left"))


def _sentences(*parts: Text) -> Text:
    """The sentences given (those not empty), one after the other, or 'The match is over.' when none is; made when shown."""
    return later(lambda: " ".join(t for t in (shown(p) for p in parts) if t) or _("The match is over."))


# Entry points (the menu, the command line) ---------------------------------------------------------


def login_screen(app: App, *, replace: bool = False, error: tuple[LoginField, str] | None = None) -> Screen:
    """The sign-in screen, prefilled from the profile (``error``: a field's refusal to show); signing in starts a trip."""
    screen = LoginScreen(on_submit=lambda form: _signed_in(app, form), error=error,
                         on_leaderboard=lambda form: show_leaderboard(app, form))
    return app.replace(screen) if replace else app.push(screen)


def show_leaderboard(app: App, form: LoginForm) -> Screen:
    """From the sign-in form: the leaderboard of the server typed there (Back returns to the form)."""
    app.userdata.update_profile(name=form.name, server=form.server, server_key=form.key, ca_file=form.ca_file or "",
                                name_chosen=True)
    device_id = app.userdata.session_device_id()
    return app.push(LeaderboardScreen(SignIn(form.server, form.key, form.name, device_id, form.ca_file)))


def play_online(app: App) -> Screen:
    """From the menu: the sign-in screen."""
    return login_screen(app)


def _signed_in(app: App, form: LoginForm) -> None:
    app.userdata.update_profile(name=form.name, server=form.server, server_key=form.key, ca_file=form.ca_file or "",
                                name_chosen=True)
    if form.friend:
        _friend_screen(app, form)
    else:
        _online(app, form, "", back=lambda: login_screen(app, replace=True))


def _friend_screen(app: App, form: LoginForm, *, code: str | None = None, typed: str = "") -> None:
    """Make or type a friend code (``code``: ours already made; ``typed``: theirs, typed before); then wait for each other."""
    screen = FriendScreen(on_code=lambda chosen: None, on_back=lambda: login_screen(app, replace=True), code=code, typed=typed)

    def chosen(value: str) -> None:
        theirs = screen.field.text if value != screen.code else ""
        _online(app, form, value, back=lambda: _friend_screen(app, form, code=screen.code, typed=theirs))

    screen.on_code = chosen
    app.replace(screen)


def _online(app: App, form: LoginForm, code: str, *, back: Callable[[], object]) -> None:
    NetFlow(app, TripKind.ONLINE, name=form.name, server=form.server, key=form.key, code=code,
            ca_file=form.ca_file, form=back).begin(replace=True)


def start_online(
    app: App, *, server: str | None = None, key: str | None = None, name: str | None = None, code: str = "",
    ca_file: str | None = None,
) -> Screen:
    """Straight to matchmaking on ``server`` (default: the profile's last server, key, name and authority)."""
    profile = app.userdata.profile
    flow = NetFlow(
        app, TripKind.ONLINE, name=name or profile.name, server=server or profile.server, key=key or profile.server_key,
        code=code, ca_file=ca_file or profile.ca_file or None,
    )
    return flow.begin()


def resume_online(app: App, seat: Seat) -> Screen:
    """Back to the game the client last stopped in (the menu's offer): the trip asks the server, then rejoins it."""
    flow = NetFlow(app, TripKind.ONLINE, name=seat.name or app.userdata.profile.name, server=seat.server, key=seat.key,
                   ca_file=seat.ca_file or None, form=lambda: app.reset(app.home()))
    return flow.begin()


def _with_name(app: App, name: str | None, then: Callable[[str], object]) -> None:
    """Go on with ``name``, or the profile's once the player has chosen one, else ask for it first (once)."""
    if name:
        then(name)
        return
    profile = app.userdata.profile
    if profile.name_chosen:
        then(profile.name)
        return

    def chosen(value: str) -> None:
        app.userdata.update_profile(name=value, name_chosen=True)
        app.pop()
        then(value)

    app.push(NameScreen(profile.name, on_done=chosen))


def host_lan_game(app: App, *, name: str | None = None) -> None:
    """Start hosting a LAN game and wait for someone to join it (asking the player's name first, once)."""
    _with_name(app, name, lambda chosen: NetFlow(app, TripKind.LAN_HOST, name=chosen).begin())


def join_at(app: App, server: str, name: str, *, replace: bool = False) -> Screen:
    """Join the LAN game at ``server`` as ``name``."""
    return NetFlow(app, TripKind.LAN_JOIN, name=name, server=server).begin(replace=replace)


def join_lan_game(app: App, *, server: str | None = None, name: str | None = None, auto_join: bool = False) -> None:
    """Join the LAN game at ``server``, or list the games on the LAN (joining the first one with ``auto_join``)."""

    def go(chosen: str) -> None:
        if server:
            join_at(app, server, chosen)
        else:
            app.push(LanJoinScreen(chosen, on_join=lambda at: join_at(app, at, chosen, replace=True), auto_join=auto_join))

    _with_name(app, name, go)

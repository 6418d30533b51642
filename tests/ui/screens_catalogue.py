"""Every screen of the game in the states a player meets, made on a real App without any network or disk traffic.

``SCREENS`` maps a label to a function that makes the screen for a player called
``name`` playing someone else of that name, on the App given (the screen is shown with
``show``). Networked screens get a real ``NetFlow`` that has sent nothing (drawing
never sends) and a board source that only records; states reach the boards as the
host encodes them. The screen checks (test_screens.py) draw each one at the smallest
window with the longest names; the every-language test can walk the same list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from game.bot import Level
from game.phrase import Phrase, text_of
from game.rules import Board, Mark, Result
from game.xoxo import OP_STATE, PROTOCOL, GoneReason, MatchLabel, Presence, RematchMode, encode_state
from net.address import ServerAddress
from net.beacon import DiscoveredGame, HostState
from net.errors import UnreachableError
from net.messages import (
    Command,
    ConnectionLost,
    Event,
    Failure,
    FailureKind,
    Hosting,
    LanGames,
    OpponentAway,
    SignedIn,
    match_events,
)
from ui.app import App
from ui.boardmodel import BoardModel
from ui.i18n import L_
from ui.netboardmodel import NetBoardModel
from ui.results import GameMode, GameSummary
from ui.screens.base import Screen
from ui.screens.board import BoardScreen
from ui.screens.confirm import ConfirmScreen
from ui.screens.connection import NetErrorScreen
from ui.screens.friend import FriendScreen
from ui.screens.history import HistoryScreen, ReplayScreen
from ui.screens.lan_host import LanHostScreen
from ui.screens.lan_join import LanJoinScreen
from ui.screens.login import LoginScreen
from ui.screens.matchmaking import MatchmakingScreen
from ui.screens.menu import MenuScreen
from ui.screens.name import NameScreen
from ui.screens.netboard import NetBoardScreen
from ui.screens.netflow import NetFlow
from ui.screens.netkit import Choice
from ui.screens.notice import ErrorScreen
from ui.screens.settings import SettingsScreen
from ui.screens.trip import TripKind

LONG_LATIN = "W" * 20  # the widest Latin name a player can type
LONG_CJK = "王" * 20  # twenty wide characters
WIN = [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)]
SERVER = "play.example.org:7350"


class Recorder:
    """A board's controller that only keeps what it was sent (the screens here are drawn, never played)."""

    def __init__(self) -> None:
        self.sent: list[Command] = []

    def send(self, command: Command) -> None:
        self.sent.append(command)


def played(moves: list[tuple[int, int]], first: int = 1) -> Board:
    board = Board.new(first)
    for move in moves:
        board = board.play(*move)
    return board


def deliver(screen: BoardScreen, board: Board, you: str, them: str, **extra: Any) -> None:
    """An op 2 state for us (X) as the host sends it, through the network's own decoding."""
    players = (Presence("u-me", "s-me", you), Presence("u-them", "s-them", them))
    for event in match_events(OP_STATE, encode_state(board, players, you=1, **extra), "u-me"):
        screen.on_event(event)


def show(app: App, screen: Screen, *events: Event) -> Screen:
    """Put ``screen`` on top of ``app`` and hand it ``events``."""
    app.push(screen)
    for event in events:
        screen.on_event(event)
    return screen


def flow(app: App, kind: TripKind, name: str, *, code: str = "") -> NetFlow:
    return NetFlow(app, kind, name=name, server=SERVER if kind is not TripKind.LAN_HOST else "", code=code)


# The screens ----------------------------------------------------------------------------------------


def menu(app: App, name: str) -> Screen:
    return show(app, MenuScreen())


def settings(app: App, name: str) -> Screen:
    app.userdata.update_profile(name=name)
    screen = show(app, SettingsScreen())
    assert isinstance(screen, SettingsScreen)
    screen.name_field.text = ""
    screen.keep_name()  # refused: a name is needed
    return screen


def name_form(app: App, name: str) -> Screen:
    screen = show(app, NameScreen(name, lambda _name: None))
    assert isinstance(screen, NameScreen)
    screen.field.text = name + "!"
    screen.submit()  # refused: one character too many
    return screen


def login(app: App, name: str) -> Screen:
    app.userdata.update_profile(name=name, server="https://" + "w" * 60 + ".example.org", server_key="k" * 40)
    return show(app, LoginScreen(lambda _form: None, error=("server", "The server at " + "w" * 60 + " cannot be reached.")))


def friend(app: App, name: str) -> Screen:
    screen = show(app, FriendScreen(lambda _code: None, lambda: None, code="WWWWW"))
    assert isinstance(screen, FriendScreen)
    screen.copied = True
    screen.field.text = "AB"
    screen.join()  # refused: too short
    return screen


def lan_join(app: App, name: str) -> Screen:
    games = (
        DiscoveredGame("192.168.100.200", 7350, f"{name}'s game", name, HostState.WAITING, True, PROTOCOL, 0.0),
        DiscoveredGame("192.168.100.201", 7350, f"{name}'s game", name, HostState.PLAYING, False, PROTOCOL + 1, 0.0),
    )
    screen = LanJoinScreen(name, lambda _server: None)
    screen.app = app  # not pushed: being shown starts listening on the LAN
    screen.on_event(LanGames(games))
    return screen


def lan_host(app: App, name: str) -> Screen:
    trip = flow(app, TripKind.LAN_HOST, name)
    trip.hosting = Hosting(name, 7351, ("192.168.100.200:7351", "10.200.200.200:7351", "fd00::1234:5678:7351", "x", "y"))
    return show(app, LanHostScreen(trip))


def matchmaking(app: App, name: str) -> Screen:
    return show(app, MatchmakingScreen(flow(app, TripKind.ONLINE, name)), SignedIn(SERVER, "u", name + "7", asked=name))


def friend_wait(app: App, name: str) -> Screen:
    return show(app, MatchmakingScreen(flow(app, TripKind.ONLINE, name, code="WWWWW")))


def reconnecting_search(app: App, name: str) -> Screen:
    return show(app, MatchmakingScreen(flow(app, TripKind.LAN_JOIN, name)), ConnectionLost("dropped", 3, 4.5))


def bot_board(app: App, name: str) -> Screen:
    screen = BoardScreen(Recorder(), BoardModel(mode=GameMode.BOT, level=Level.EASY))
    show(app, screen)
    deliver(screen, played(WIN), name, "Bot (easy)")
    return screen


def net_board(app: App, name: str, board: Board, **extra: Any) -> NetBoardScreen:
    model = NetBoardModel(mode=GameMode.ONLINE, label=MatchLabel(PROTOCOL))
    screen = NetBoardScreen(flow(app, TripKind.ONLINE, name), Recorder(), model)
    show(app, screen)
    deliver(screen, board, name, name, **extra)
    return screen


def net_board_playing(app: App, name: str) -> Screen:
    return net_board(app, name, played(WIN[:2]), turn_seconds_left=12.0, turn_seconds=20.0)


def net_board_rematch(app: App, name: str) -> Screen:
    return net_board(app, name, played(WIN), rematch_countdown=10, rematch_asked=(False, True),
                     rematch_mode=RematchMode.CONSENT)


def net_board_away(app: App, name: str) -> Screen:
    screen = net_board(app, name, played(WIN[:3]))
    screen.on_event(OpponentAway(name))
    return screen


def net_board_reconnecting(app: App, name: str) -> Screen:
    screen = net_board(app, name, played(WIN[:3]))
    screen.on_event(ConnectionLost("dropped", 2, 3.0))
    return screen


def leave_dialog(app: App, name: str) -> Screen:
    board = net_board(app, name, played(WIN[:3]))
    board.leave()
    screen = app.screen
    assert isinstance(screen, ConfirmScreen)
    return screen


def opponent_left(app: App, name: str) -> Screen:
    trip = flow(app, TripKind.ONLINE, name)
    app.push(MenuScreen())
    trip.opponent_left(name, GoneReason.DISCONNECTED, f"Final score: You 3  ·  {name} 2  ·  Draws 1.", False)
    assert app.screen is not None
    return app.screen


def server_closed(app: App, name: str) -> Screen:
    trip = flow(app, TripKind.ONLINE, name)
    app.push(MenuScreen())
    trip.server_closed("Maintenance: back in an hour, see the site for more " + "w" * 30, "Final score: You 3.")
    assert app.screen is not None
    return app.screen


def net_error(app: App, name: str) -> Screen:
    far = ServerAddress.parse("w" * 50 + ".example.org")
    failure = Failure(FailureKind.UNREACHABLE, text_of(UnreachableError(far, Phrase("connection refused"))))  # as net says it
    choices = [Choice(L_("Try again"), lambda: None), Choice(L_("Back"), lambda: None)]  # as the trip makes them
    return show(app, NetErrorScreen(failure, choices, server=SERVER))


def error(app: App, name: str) -> Screen:
    return show(app, ErrorScreen("RuntimeError: " + "something unexpected " * 6))


def history(app: App, name: str) -> Screen:
    moves = tuple((r, c, p) for (r, c), p in zip(WIN, (1, 2, 1, 2, 1), strict=True))
    for mode in [*GameMode] * 4:  # more games than the list shows: it says which it shows
        app.userdata.record_game(GameSummary(mode, Level.PERFECT if mode is GameMode.BOT else None, Mark.CROSS,
                                             Result.WIN, moves, Mark.CROSS, name, name, ended_at=1.0e9))
    return show(app, HistoryScreen())


def replay(app: App, name: str) -> Screen:
    summary = GameSummary(GameMode.ONLINE, None, Mark.NOUGHT, Result.WIN, (), Mark.CROSS, name, name,
                          ended_at=1.0e9)
    return show(app, ReplayScreen(summary))


SCREENS: dict[str, Callable[[App, str], Screen]] = {
    "menu": menu, "settings": settings, "name": name_form, "login": login, "friend": friend, "lan-join": lan_join,
    "lan-host": lan_host, "matchmaking": matchmaking, "friend-wait": friend_wait, "reconnecting-search": reconnecting_search,
    "bot-board": bot_board, "net-board": net_board_playing, "net-board-rematch": net_board_rematch,
    "net-board-away": net_board_away, "net-board-reconnecting": net_board_reconnecting, "leave-dialog": leave_dialog,
    "opponent-left": opponent_left, "server-closed": server_closed, "net-error": net_error, "error": error,
    "history": history, "replay": replay,
}

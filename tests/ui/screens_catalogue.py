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
from game.rating import Rating
from game.rules import Board, Mark, Result, Termination
from game.standing import Standing
from game.xoxo import (
    OP_STATE,
    PROTOCOL,
    AwayClock,
    GoneReason,
    MatchLabel,
    PlayerRating,
    Presence,
    Reaction,
    RematchMode,
    ShownRating,
    encode_state,
)
from net.address import ServerAddress
from net.beacon import DiscoveredGame, HostState
from net.errors import UnreachableError
from net.leaderboard import NO_RATINGS, Leaderboard, LeaderboardEntry
from net.messages import (
    ClaimAvailable,
    Command,
    ConnectionLost,
    Event,
    Failure,
    FailureKind,
    Hosting,
    LanGames,
    LeaderboardUnavailable,
    OpponentAway,
    OpponentFound,
    OpponentLeft,
    RatingChanged,
    ReactionReceived,
    Searching,
    SignedIn,
    SignIn,
    StatsLoaded,
    match_events,
)
from net.resume import SeatAnswer, SeatResult, SeatStatus
from ui.app import App
from ui.boardmodel import BoardModel
from ui.controller import LocalController
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
from ui.screens.leaderboard import LeaderboardScreen
from ui.screens.login import LoginScreen
from ui.screens.matchmaking import MatchmakingScreen
from ui.screens.menu import MenuScreen
from ui.screens.name import NameScreen
from ui.screens.netboard import NetBoardScreen
from ui.screens.netflow import NetFlow
from ui.screens.netkit import Choice
from ui.screens.notice import ErrorScreen
from ui.screens.resume import Phase, ResumeOfferScreen, SeatCheckScreen
from ui.screens.settings import SettingsScreen
from ui.screens.trip import TripKind
from ui.screens.waitbot import WaitBotScreen
from ui.seats import Seat

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
    return show(app, LoginScreen(lambda _form: None, error=("server", "The server at " + "w" * 60 + " cannot be reached."),
                                 on_leaderboard=lambda _form: None))


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


RATED = MatchLabel(PROTOCOL, rated=True)
RATINGS = (ShownRating(1508, True), ShownRating(1623, False))


def rated_board(app: App, name: str, board: Board, **extra: Any) -> NetBoardScreen:
    screen = NetBoardScreen(flow(app, TripKind.ONLINE, name), Recorder(), NetBoardModel(mode=GameMode.ONLINE, label=RATED))
    show(app, screen)
    deliver(screen, board, name, name, ratings=RATINGS, **extra)
    return screen


def rating_change(you: str, them: str) -> RatingChanged:
    def line(user: str, who: str, before: float, after: float) -> PlayerRating:
        return PlayerRating(user, who, Standing(Rating(before, 300.0)), Standing(Rating(after, 120.0), wins=1))

    return RatingChanged(1, line("u-me", you, 1508.0, 1516.0), line("u-them", them, 1623.0, 1616.0))


def net_board_rated_kept(app: App, name: str) -> Screen:
    """A rated game won, its rating change, then the opponent left instead of playing again: the game stays."""
    screen = rated_board(app, name, played(WIN[:4]))
    screen.on_event(rating_change(name, name))
    deliver(screen, played(WIN), name, name, ratings=RATINGS, rematch_mode=RematchMode.OPEN)
    screen.on_event(OpponentLeft(name, GoneReason.DECLINED))
    return screen


def net_board_claim(app: App, name: str) -> Screen:
    """The opponent away past half their seat hold: the hold's card, Claim the win and Call it a draw."""
    screen = rated_board(app, name, played(WIN[:3]), opponent_connected=False, away=AwayClock(8.0, 20.0, 0.0))
    screen.on_event(OpponentAway(name, 8.0, 20.0, 0.0))
    screen.on_event(ClaimAvailable(name, 8.0))
    return screen


def net_board_aborted(app: App, name: str) -> Screen:
    return rated_board(app, name, Board.new(1).finish(Termination.ABORTED, None), aborted_by=2,
                       rematch_mode=RematchMode.OPEN)


def quit_dialog(app: App, name: str) -> Screen:
    """The window closed mid-game: the same question, with Leave and quit."""
    board = net_board(app, name, played(WIN[:3]))
    board.quit_requested(ask=True)
    screen = app.screen
    assert isinstance(screen, ConfirmScreen)
    return screen


def _entry(rank: int, who: str, me: bool = False) -> LeaderboardEntry:
    standing = Standing(Rating(2400.0 - rank, 90.0 if rank % 2 else 200.0), wins=500 - rank // 3, losses=rank // 4, draws=333)
    return LeaderboardEntry("u-me" if me else f"u-{rank}", who, rank, standing.rating.shown, standing.games, standing)


def leaderboard(app: App, name: str) -> Screen:
    """A player below the top 50: the top, then their neighbours; the longest names."""
    me = _entry(1204, name, me=True)
    board = Leaderboard(tuple(_entry(rank, name) for rank in range(1, 51)), me,
                        (_entry(1202, name), _entry(1203, name), me, _entry(1205, name)), ranked=12345)
    screen = LeaderboardScreen(SignIn(SERVER, "defaultkey", name, "device"))
    screen.app = app  # not pushed: being shown signs in to read the board
    screen._loaded(board)
    screen.scroll(60)  # down to the player's neighbours
    return screen


def leaderboard_none(app: App, name: str) -> Screen:
    screen = LeaderboardScreen(SignIn(SERVER, "defaultkey", name, "device"))
    screen.app = app
    screen.on_event(LeaderboardUnavailable(NO_RATINGS, no_ratings=True))
    return screen


def _seat(name: str) -> Seat:
    return Seat(SERVER, "device", "M1.host", 3, name=name, opponent=name, you=1, moves=((2, 2, 1),))


def resume_offer(app: App, name: str) -> Screen:
    screen = ResumeOfferScreen(_seat(name), "device")
    screen.app = app  # not pushed: being shown asks the server
    screen._checked(SeatAnswer(SeatStatus.HELD, 3, seconds_left=14.2, opponent=name))
    return screen


def resume_verdict(app: App, name: str) -> Screen:
    screen = ResumeOfferScreen(_seat(name), "device")
    screen.app = app
    screen.phase = Phase.OVER  # the verdict as the server gave it (recorded in History by the real thing)
    screen.answer = SeatAnswer(SeatStatus.OVER, 3, opponent=name, result=SeatResult.LOSS, reason=Termination.CLAIMED,
                               rating_before=1500, rating_after=1493)
    screen._set_buttons()
    return screen


def resuming(app: App, name: str) -> Screen:
    screen = SeatCheckScreen(flow(app, TripKind.ONLINE, name), _seat(name))
    screen.app = app  # not pushed: being shown asks the server
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
    app.userdata.record_game(_seat(name).abandoned(None, 1.0e9))  # a game the client was killed in, no verdict
    return show(app, HistoryScreen())


def matchmaking_around(app: App, name: str) -> Screen:
    """Searching for a while: who is around on the server, and the bot offered."""
    screen = show(app, MatchmakingScreen(flow(app, TripKind.ONLINE, name)), SignedIn(SERVER, "u", name), Searching("t"),
                  StatsLoaded(12345, 6789))
    assert isinstance(screen, MatchmakingScreen)
    screen.bot_offered = True
    screen._set_buttons()
    return screen


def friend_wait_around(app: App, name: str) -> Screen:
    """Waiting for a friend, signed in, alone on the server (the longest line of who is around in English)."""
    return show(app, MatchmakingScreen(flow(app, TripKind.ONLINE, name, code="WWWWW")), SignedIn(SERVER, "u", name),
                Searching("t"), StatsLoaded(1, 0))


def wait_bot_prompt(app: App, name: str) -> Screen:
    """The bot game while waiting, and an opponent ready: the prompt with its countdown."""
    waiting = matchmaking_around(app, name)
    assert isinstance(waiting, MatchmakingScreen)
    model = BoardModel(mode=GameMode.BOT, level=Level.NORMAL)
    return show(app, WaitBotScreen(waiting, LocalController(Level.NORMAL, player_name=name), model),
                OpponentFound(name, 20.0, "m"))


def net_board_reactions(app: App, name: str) -> Screen:
    """A reaction by the opponent's card, and the picker open under ours (the opponent muted)."""
    screen = net_board(app, name, played(WIN[:2]), reactions=True)
    screen.on_event(ReactionReceived(Reaction.THINKING, name))
    screen.reactions.open = True
    screen.reactions.muted = True
    return screen


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
    "net-board-rated-kept": net_board_rated_kept, "net-board-claim": net_board_claim, "net-board-aborted": net_board_aborted,
    "quit-dialog": quit_dialog, "leaderboard": leaderboard, "leaderboard-none": leaderboard_none,
    "resume-offer": resume_offer, "resume-verdict": resume_verdict, "resuming": resuming,
    "matchmaking-around": matchmaking_around, "friend-wait-around": friend_wait_around, "wait-bot-prompt": wait_bot_prompt,
    "net-board-reactions": net_board_reactions,
}

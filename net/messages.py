"""The messages that cross between the render loop and the network thread.

Small immutable values only: never sockets, tasks or other live objects. Commands go
from the UI to the network thread, events come back. Local games against the bot
produce the same events (``match_events``), so the board screen has one code path.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeAlias

from game.rating import Rating
from game.refusal import Refusal
from game.xoxo import (
    OP_OPPONENT_GONE,
    OP_RATING,
    OP_REACTION,
    OP_REJECTED,
    OP_STATE,
    GoneReason,
    MatchLabel,
    MatchView,
    PayloadError,
    PlainTextPayload,
    PlayerRating,
    Reaction,
    decode_gone,
    decode_rating_news,
    decode_rejected,
    decode_relayed_reaction,
    decode_state,
)
from net.address import DEFAULT_DISCOVERY_PORT, DEFAULT_PORT
from net.beacon import DiscoveredGame
from net.leaderboard import NEIGHBOURS, TOP, Leaderboard
from net.resume import SeatAnswer

# Commands: UI -> network ------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """Sign in to a server (an address as ``net.address`` reads it) as ``username`` and open the socket.

    ``ca_file``: a PEM file of a private certificate authority to trust besides the system's.
    ``lan``: the server is a player's LAN host: once it refuses connections it is gone with its
    match (it keeps nothing), so a drop is not retried past a refusal.
    """

    server: str
    key: str
    username: str
    device_id: str
    ca_file: str | None = None
    lan: bool = False


@dataclass(frozen=True)
class FindOpponent:
    """Ask the matchmaker for an opponent (signs in first if needed); with ``code``, only the friend with that code.

    ``rating``: the player's shown rating (from the leaderboard or the last rating change),
    so that near opponents are preferred among those waiting; never a reason to wait.
    """

    code: str = ""
    rating: int | None = None


@dataclass(frozen=True)
class CancelFind:
    """Withdraw from the matchmaker."""


@dataclass(frozen=True)
class SendMove:
    row: int
    col: int


@dataclass(frozen=True)
class RequestRematch:
    """Ready for the next game now (our host starts it when both are ready)."""


@dataclass(frozen=True)
class LeaveMatch:
    """Leave the current match on purpose."""


@dataclass(frozen=True)
class ClaimWin:
    """Claim the win against an opponent away for more than half their seat hold (revision 3)."""


@dataclass(frozen=True)
class CallDraw:
    """Call the game a draw against an opponent away for more than half their seat hold (revision 3)."""


@dataclass(frozen=True)
class SendReaction:
    """Send the opponent a quick reaction (revision 4; nothing where the server or the opponent takes none)."""

    reaction: Reaction


@dataclass(frozen=True)
class MuteReactions:
    """Show none of the opponent's reactions for the rest of the match."""


@dataclass(frozen=True)
class HoldMatches:
    """``hold``: a match the matchmaker finds waits for the player (``OpponentFound``), who is playing the bot; False:
    join as usual again (a match held now is joined at once)."""

    hold: bool = True


@dataclass(frozen=True)
class PlayNow:
    """Join the match held for the player (after ``OpponentFound``)."""


@dataclass(frozen=True)
class DeclineMatch:
    """Let the held match go (``OpponentMissed``); the search is queued again."""


@dataclass(frozen=True)
class ShowStats:
    """Ask the server who is around (RPC ``xoxo_stats``), once signed in: ``StatsLoaded`` or ``StatsUnavailable``.

    Nothing happens without a server connection; the screen that shows the figures asks every few seconds.
    """


@dataclass(frozen=True)
class ShowLeaderboard:
    """Read the server's leaderboard: the top ``limit``, the player's own record, ``neighbours`` around it if below.

    Answered by ``LeaderboardLoaded`` or ``LeaderboardUnavailable``; signs in first if needed.
    """

    limit: int = TOP
    neighbours: int = NEIGHBOURS


@dataclass(frozen=True)
class CheckSeat:
    """Ask the server about a match the player was in when the game last stopped (answered by ``SeatChecked``)."""

    match_id: str
    game: int = 0


@dataclass(frozen=True)
class ResumeMatch:
    """Join the match the player's seat is held in (after ``SeatChecked`` said so): the game goes on where it was."""

    match_id: str
    opponent: str = ""


@dataclass(frozen=True)
class HostLan:
    """Start the embedded host on this machine, announce it, and join it as a player."""

    name: str
    device_id: str
    port: int = DEFAULT_PORT
    bind: str = "0.0.0.0"
    discovery_port: int = DEFAULT_DISCOVERY_PORT
    broadcast: str | None = None  # one target for every announcement (tests: 127.255.255.255)


@dataclass(frozen=True)
class StopHosting:
    """Stop announcing and shut the embedded host down."""


@dataclass(frozen=True)
class BrowseLan:
    """Listen for LAN games and report them as ``LanGames`` events."""

    discovery_port: int = DEFAULT_DISCOVERY_PORT


@dataclass(frozen=True)
class StopBrowsing:
    pass


@dataclass(frozen=True)
class Disconnect:
    """Close the socket and forget the session (back to the menu)."""


@dataclass(frozen=True)
class Shutdown:
    """Stop everything; the network thread exits."""


Command: TypeAlias = (
    SignIn | FindOpponent | CancelFind | SendMove | RequestRematch | LeaveMatch | HostLan | StopHosting |
    BrowseLan | StopBrowsing | Disconnect | Shutdown | ClaimWin | CallDraw | ShowLeaderboard | CheckSeat | ResumeMatch |
    SendReaction | MuteReactions | ShowStats | HoldMatches | PlayNow | DeclineMatch
)

# Events: network -> UI -------------------------------------------------------------


class FailureKind(enum.Enum):
    UNREACHABLE = "unreachable"  # nothing answers at that address
    TLS = "tls"  # the secure connection failed (certificate, or TLS on one side only)
    BAD_KEY = "bad_key"  # the server key was refused
    REFUSED = "refused"  # the handshake or sign-in was refused (status and body in the message)
    PROTOCOL = "protocol"  # the server sent something the game does not understand
    FULL = "full"  # the game is full
    TIMEOUT = "timeout"  # the server stopped answering
    HOST = "host"  # the embedded host could not start
    DROPPED = "dropped"  # the server keeps dropping the connection right after it opens
    NO_MATCH = "no_match"  # no opponent was found within the time given for the search
    OTHER = "other"


@dataclass(frozen=True)
class Connecting:
    server: str


@dataclass(frozen=True)
class SignedIn:
    """Signed in as ``username``; ``asked`` is the name the player asked for (another if it was taken)."""

    server: str
    user_id: str
    username: str
    asked: str = ""

    @property
    def renamed(self) -> bool:
        """True if the server gave us another name than the one asked for (it was taken)."""
        return bool(self.asked) and self.asked != self.username


@dataclass(frozen=True)
class Searching:
    """In the matchmaker's queue."""

    ticket: str


@dataclass(frozen=True)
class MatchJoined:
    """In a match; states follow (the first may already have come). ``label`` says what the server offers."""

    match_id: str
    label: MatchLabel = MatchLabel()


@dataclass(frozen=True)
class MatchUpdate:
    view: MatchView


@dataclass(frozen=True)
class MoveRejected:
    reason: Refusal
    message: str


@dataclass(frozen=True)
class OpponentAway:
    """The opponent dropped; the server holds their seat for a while.

    A revision-3 server says how long (``seconds_left`` of ``seconds``) and when a claim
    opens (``claim_in`` seconds from now); None from older servers.
    """

    name: str
    seconds_left: float | None = None
    seconds: float | None = None
    claim_in: float | None = None


@dataclass(frozen=True)
class ClaimAvailable:
    """The opponent has been away for half their seat hold: the player may claim the win or call a draw now.

    ``seconds_left`` is what is left of the hold (then the game is the absent player's loss anyway).
    """

    name: str
    seconds_left: float


@dataclass(frozen=True)
class GameAborted:
    """The game was aborted: ``name`` (us if ``me``) never made a first move in time. No result, no rating change."""

    game: int
    name: str
    me: bool = False


@dataclass(frozen=True)
class RatingChanged:
    """After a rated game (op 7): our rating before and after, and the opponent's."""

    game: int
    mine: PlayerRating
    theirs: PlayerRating | None = None

    @property
    def old(self) -> Rating:
        return self.mine.before.rating

    @property
    def new(self) -> Rating:
        return self.mine.after.rating

    @property
    def delta(self) -> int:
        return self.mine.delta

    @property
    def text(self) -> str:
        """``+8``, ``\u22127`` or ``\u00b10``."""
        return self.mine.text

    @property
    def provisional(self) -> bool:
        return self.mine.provisional


@dataclass(frozen=True)
class ReactionReceived:
    """The opponent (``name``) sent a quick reaction (op 8, revision 4)."""

    reaction: Reaction
    name: str = ""
    user_id: str = ""


@dataclass(frozen=True)
class OpponentFound:
    """While matches are held: ``name`` is ready to play; the match waits ``seconds`` for the player (``PlayNow``)."""

    name: str
    seconds: float
    match_id: str = ""


@dataclass(frozen=True)
class OpponentMissed:
    """The held match with ``name`` went (the player let it go, or its time ran out); the search goes on."""

    name: str


@dataclass(frozen=True)
class StatsLoaded:
    """Who is around on the server: players online, and games with both players seated (RPC ``xoxo_stats``)."""

    online: int
    games: int


@dataclass(frozen=True)
class StatsUnavailable:
    """The server's figures could not be read; ``unsupported``: it has no ``xoxo_stats`` (stop asking)."""

    message: str = ""
    unsupported: bool = False


@dataclass(frozen=True)
class LeaderboardLoaded:
    board: Leaderboard


@dataclass(frozen=True)
class LeaderboardUnavailable:
    """The leaderboard could not be read: ``no_ratings`` when the server keeps none (the stock XOXO module)."""

    message: str
    no_ratings: bool = False


@dataclass(frozen=True)
class SeatChecked:
    """The server's answer about a match the player was in (``CheckSeat``)."""

    match_id: str
    answer: SeatAnswer


@dataclass(frozen=True)
class OpponentLeft:
    """The match is over because of the opponent (or, ``reason`` TIMED_OUT with ``me``, because of us)."""

    name: str
    reason: GoneReason = GoneReason.LEFT
    me: bool = False  # the player named is us (taken out of the match after two turns ran out)


@dataclass(frozen=True)
class ServerMessage:
    """A message from the server to show the player (a state this game cannot read, for one)."""

    text: str


@dataclass(frozen=True)
class ServerClosing:
    """The server ended the match because it is going away (its words in ``text``, if it sent any)."""

    text: str = ""


@dataclass(frozen=True)
class ConnectionLost:
    """The connection dropped; retrying (``attempt``, next try in ``retry_in`` s)."""

    message: str
    attempt: int
    retry_in: float


@dataclass(frozen=True)
class Reconnected:
    rejoined: bool  # True if the match was still there and we are back in it


@dataclass(frozen=True)
class MatchGone:
    """After a reconnect the server no longer holds our match."""

    message: str


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    message: str


@dataclass(frozen=True)
class Hosting:
    """The embedded host is up: its port and the addresses others can type."""

    name: str
    port: int
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class HostStopped:
    message: str = ""


@dataclass(frozen=True)
class GuestTurnedAway:
    """Someone (``name``) tried to join the LAN game we host while we were not waiting; they were told why."""

    name: str


@dataclass(frozen=True)
class LanGames:
    games: tuple[DiscoveredGame, ...]


@dataclass(frozen=True)
class Disconnected:
    message: str = ""


Event: TypeAlias = (
    Connecting | SignedIn | Searching | MatchJoined | MatchUpdate | MoveRejected | OpponentAway |
    OpponentLeft | ServerMessage | ServerClosing | ConnectionLost | Reconnected | MatchGone | Failure |
    Hosting | HostStopped | GuestTurnedAway | LanGames | Disconnected | ClaimAvailable | GameAborted | RatingChanged |
    LeaderboardLoaded | LeaderboardUnavailable | SeatChecked | ReactionReceived | StatsLoaded | StatsUnavailable |
    OpponentFound | OpponentMissed
)


def match_events(op_code: int, data: bytes, user_id: str = "", session_id: str = "") -> list[Event]:
    """The UI events one ``match_data`` message means (empty for op codes we ignore)."""
    if op_code == OP_STATE:
        try:
            return [MatchUpdate(decode_state(data, user_id, session_id))]
        except PlainTextPayload as exc:  # XOXO's, and our host's, words when the match is terminated
            return [ServerClosing(exc.text)]
        except PayloadError as exc:
            return [ServerMessage(f"The server sent a game state this game does not understand ({exc}).")]
    if op_code == OP_REJECTED:
        reason, message = decode_rejected(data)
        return [MoveRejected(reason, message)]
    if op_code == OP_OPPONENT_GONE:
        gone = decode_gone(data)
        return [OpponentLeft(gone.username, gone.reason, me=bool(user_id) and gone.user_id == user_id)]
    if op_code == OP_RATING:
        try:
            news = decode_rating_news(data)
        except PayloadError:
            return []  # a rating change this game cannot read changes nothing else
        mine = news.of(user_id)
        return [RatingChanged(news.game, mine, news.opponent_of(user_id))] if mine is not None else []
    if op_code == OP_REACTION:
        try:
            relayed = decode_relayed_reaction(data)
        except PayloadError:
            return []  # a reaction this game does not know: nothing to show
        return [ReactionReceived(relayed.reaction, relayed.username, relayed.user_id)]
    return []

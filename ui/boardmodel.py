"""What the board screen shows and why: the match's events in, view state and texts out.

Pure (no pygame): a test drives a ``BoardModel`` with events and clock times and reads
what a player would see. The screen (``ui.screens.board``) turns input into calls
here, draws what this says, and plays the sounds it asks for.

It shows what the server's states say, never more: both players, our mark, whose turn
it is, the last move, the winning line, the result, the turn and rematch countdowns.
A move is checked here by the rules the match handler plays by (``Board.check``), for
quick feedback; the server checks it again. A notice or a toast disappears when what
it describes stops being true. What only a networked match meets (an opponent away or
gone, a lost connection, a match the server no longer holds) is ``ui.netboardmodel``'s.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from game.bot import Level
from game.phrase import Phrase
from game.refusal import Refusal
from game.rules import EMPTY, PLAYERS, Cell, MoveError, Result, Termination
from game.xoxo import PROTOCOL, MatchLabel, MatchView, RematchMode
from net.messages import (
    Event,
    Failure,
    GuestTurnedAway,
    LeaveMatch,
    MatchUpdate,
    MoveRejected,
    RequestRematch,
    SendMove,
    ServerMessage,
)
from ui.i18n import L_, N_, Later, Text, _, later, ngettext, say, shown
from ui.results import GameMode, GameSummary, Move, SoundName
from ui.textcut import short_name

TOAST_SECONDS = 2.2
SERVER_MESSAGE_SECONDS = 6.0  # how long a server's message stays over the board
POP_SECONDS = 0.22
LINE_DELAY = 0.12
LINE_SECONDS = 0.38
BANNER_SECONDS = 0.3

RESULT_TEXT = {Result.WIN: N_("You won"), Result.LOSS: N_("You lost"), Result.DRAW: N_("Draw")}
# TRANSLATORS: the bot's levels inside its name, "Bot (easy)".
LEVEL_NAMES = {Level.EASY: N_("easy"), Level.NORMAL: N_("normal"), Level.PERFECT: N_("perfect")}
RESULT_SOUND: dict[Result, SoundName] = {Result.WIN: "win", Result.LOSS: "loss", Result.DRAW: "draw"}

# Refusals that describe a moment: their toast goes as soon as a new state arrives.
_MOMENTARY = {Refusal.NOT_YOUR_TURN, Refusal.NOT_STARTED, Refusal.GAME_IN_PROGRESS, Refusal.OFFLINE}


def bot_name(level: Level) -> str:
    """The bot as a player at ``level``, in the language in use: 'Bot (easy)'."""
    return _("Bot ({level})").format(level=_(LEVEL_NAMES[level]))


def shown_name(name: str, mode: GameMode, level: Level | None) -> str:
    """A player's name as shown: the local bot's own name ('Bot (easy)', ``game.local``'s) in the language in use."""
    if mode is GameMode.BOT and level is not None and name == f"Bot ({level})":
        return bot_name(level)
    return name


class NoticeKind(enum.Enum):
    AWAY = "away"  # the opponent dropped; the server holds their seat (play paused)
    CONNECTION = "connection"  # our connection dropped; reconnecting (play paused)
    GONE = "gone"  # the match is over for a reason outside the game (play stopped)
    LEFT = "left"  # the opponent left for good


PAUSING = (NoticeKind.AWAY, NoticeKind.CONNECTION, NoticeKind.GONE)


@dataclass(frozen=True)
class Notice:
    """A message that stays on the board while what it describes is true."""

    kind: NoticeKind
    text: Text  # translated when shown (ui.i18n)


@dataclass(frozen=True)
class Toast:
    """A short message, near the board; ``refusal`` says what it answers (it may go early)."""

    text: Text  # translated when shown (ui.i18n)
    at: float
    refusal: Refusal | None = None


@dataclass
class Effects:
    """What the screen must do after an event: sounds to play, a finished game to report."""

    sounds: list[SoundName] = field(default_factory=list)
    finished: GameSummary | None = None


class BoardModel:
    """One match on screen, game after game: its states, our commands, and what to say about them."""

    def __init__(
        self,
        *,
        mode: GameMode,
        level: Level | None = None,
        label: MatchLabel = MatchLabel(PROTOCOL),
        wall_clock: Callable[[], float] | None = None,
    ):
        self.mode = mode
        self.level = level
        self.label = label  # what the server offers: a rematch request only where it takes them
        self._wall = wall_clock
        self.view: MatchView | None = None
        self.view_at = 0.0  # clock time the view arrived (countdowns run on from it)
        self.now = 0.0
        self.last_move: Cell | None = None
        self.pops: dict[Cell, float] = {}  # cells that just got their mark, and when
        self.ended_at: float | None = None  # when the current game's result arrived
        self.moves: list[Move] = []  # this game's moves, in the order they were seen
        self.score = {1: 0, 2: 0, 0: 0}  # wins by player index, and draws (0)
        self.summaries: list[GameSummary] = []
        self.match_over = False  # no more games in this match
        self.left = False  # we left (or are leaving) the match
        self.notice: Notice | None = None
        self.toast: Toast | None = None
        self.server_message: str | None = None
        self.server_message_at = 0.0
        self.pending_move: Cell | None = None  # sent, its state not yet back
        self.asked_rematch_after: int | None = None  # the game after which we asked for the next one
        self.rematch_deadline: float | None = None  # clock time the server's rematch countdown runs out (our estimate)

    # What the player sees ---------------------------------------------------------------------

    @property
    def game_over(self) -> bool:
        return self.view is not None and self.view.board.is_over

    @property
    def playing(self) -> bool:
        """A game is on and we may be asked to move (not paused, not left)."""
        return self.view is not None and not self.view.board.is_over and not self.match_over and not self.left

    @property
    def paused(self) -> bool:
        return self.notice is not None and self.notice.kind in PAUSING

    @property
    def can_move(self) -> bool:
        """True when a click on an empty square would be a move (not while our last one is on its way)."""
        return self.playing and not self.paused and self.view is not None and self.view.your_turn and self.pending_move is None

    @property
    def can_rematch(self) -> bool:
        """The next game is ours to ask for: the game is over and the server takes requests."""
        return self.label.extended and self.game_over and not self.match_over and not self.left

    @property
    def waiting_for_rematch(self) -> bool:
        return self.view is not None and self.asked_rematch_after == self.view.game

    def name_of(self, index: int) -> str:
        """Player ``index``'s name as shown: the bot's in the language in use ('Bot (easy)'), a person's as they chose it."""
        view = self.view
        if view is None:
            return ""
        return shown_name(view.name_of(index), self.mode, self.level)

    @property
    def opponent_name(self) -> str:
        view = self.view
        if view is None:
            return _("Your opponent")
        index = view.opponent or (3 - view.board.to_move)
        name = self.name_of(index)
        return short_name(name) if name and name != "?" else _("Your opponent")  # a long name, shortened for sentences

    def rating_label(self, index: int) -> str | None:
        """Player ``index``'s rating as shown beside their name (a rated networked match says; None here)."""
        return None

    @property
    def opponent_wants_rematch(self) -> bool:
        view = self.view
        return view is not None and view.board.is_over and bool(view.opponent) and view.asked_rematch(view.opponent)

    @property
    def banner_text(self) -> str | None:
        """'You won', 'You lost', 'Draw' once a game is over; else None."""
        view = self.view
        if view is None or not view.board.is_over:
            return None
        if view.result is not None:
            return _(RESULT_TEXT[view.result])
        if view.termination is Termination.ABORTED:
            return _("Game aborted")
        winner = view.board.outcome.winner if view.board.outcome else None
        return _("{name} won").format(name=self.name_of(winner)) if winner else _("Game over")

    @property
    def detail_text(self) -> str:
        """Why the game ended, and what happens next (who asked for a rematch, the countdown)."""
        view = self.view
        outcome = view.board.outcome if view is not None else None
        if view is None or outcome is None:
            return ""
        them = self.opponent_name
        result = view.result
        reasons = {  # (if we won, if we lost, if we only watched)
            Termination.DRAW: (N_("Nobody wins this one"),) * 3,
            Termination.TIMEOUT: (N_("{name} ran out of time"), N_("You ran out of time"), N_("Out of time")),
            Termination.OPPONENT_LEFT: (N_("{name} left the game"), N_("You left the game"), N_("A player left")),
            Termination.LINE: (N_("Three in a row!"), N_("{name} got three in a row"), N_("Three in a row")),
            Termination.CLAIMED: (N_("You claimed the win: {name} stayed away"), N_("{name} claimed the win while you were away"),
                                  N_("The win was claimed")),
            Termination.DRAW_CALLED: (N_("A draw was called while a player was away"),) * 3,
            Termination.ABORTED: (N_("{name} never made a first move"), N_("You never made your first move"),
                                  N_("A first move never came")),
        }
        whose = 0 if result is Result.WIN else 1 if result is Result.LOSS else 2
        if outcome.termination is Termination.ABORTED:  # no result: it says whose first move never came
            whose = 1 if view.aborted_by == view.you else 0 if view.aborted_by == view.opponent else 2
        why = _(reasons[outcome.termination][whose]).format(name=them)
        if self.match_over:
            return why
        parts = [why]
        if self.opponent_wants_rematch and not self.waiting_for_rematch and self.mode is not GameMode.BOT:
            parts.append(_("{name} wants a rematch").format(name=them))  # the bot always does: nothing to say
        seconds = self.rematch_seconds_left
        if seconds is not None:
            if view.rematch_mode is RematchMode.AUTO:
                parts.append(ngettext("Next game starts in {n} s", "Next game starts in {n} s", seconds).format(n=seconds))
            else:
                parts.append(ngettext("{n} s to decide", "{n} s to decide", seconds).format(n=seconds))
        return "  ·  ".join(parts)

    @property
    def status_text(self) -> str:
        """Whose turn it is (with the turn timer), or what we are waiting for."""
        view = self.view
        if view is None:
            return _("Setting up the board…")
        if view.board.is_over:
            return _("Game {n}").format(n=view.game)
        if self.match_over:
            return _("Match over")
        if self.paused:
            return _("Game paused")
        if view.your_turn:
            text = _("Your turn")
        elif self.mode is GameMode.BOT:
            text = _("{name} is thinking…").format(name=self.opponent_name)
        else:
            text = _("Waiting for {name}…").format(name=self.opponent_name)
        left = self.turn_seconds_left
        if left is not None:
            seconds = math.ceil(left)
            # TRANSLATORS: the turn's time left after whose turn it is: "Your turn  ·  12 s".
            text = ngettext("{status}  ·  {n} s", "{status}  ·  {n} s", seconds).format(status=text, n=seconds)
        return text

    @property
    def score_text(self) -> str:
        """The match so far from our side: 'You 2 · Bob 1 · Draws 1'."""
        view = self.view
        me = view.you if view is not None and view.you in (1, 2) else 1
        # TRANSLATORS: the match's score: "You 2  ·  Bob 1  ·  Draws 1".
        return _("You {mine}  ·  {name} {theirs}  ·  Draws {draws}").format(
            mine=self.score[me], name=self.opponent_name, theirs=self.score[3 - me], draws=self.score[0])

    @property
    def turn_seconds_left(self) -> float | None:
        view = self.view
        if view is None or view.board.is_over or view.turn_seconds_left is None:
            return None
        if not view.opponent_connected or self.paused:
            return view.turn_seconds_left  # the server holds the clock while someone is away
        return max(0.0, view.turn_seconds_left - (self.now - self.view_at))

    @property
    def rematch_seconds_left(self) -> int | None:
        exact = self.rematch_left_exact
        return None if exact is None else max(0, math.ceil(exact - 1e-9))

    @property
    def rematch_left_exact(self) -> float | None:
        view = self.view
        if view is None or self.rematch_deadline is None or not view.board.is_over or self.match_over:
            return None
        return self.rematch_deadline - self.now

    @property
    def toast_text(self) -> str | None:
        toast = self.toast
        if toast is None or self.now - toast.at >= TOAST_SECONDS:
            return None
        return shown(toast.text)

    @property
    def server_message_text(self) -> str | None:
        if self.server_message is None or self.now - self.server_message_at >= SERVER_MESSAGE_SECONDS:
            return None
        if self.mode is GameMode.LAN:  # on the LAN the other end is the game's host, never "the server"
            return _("Host: {message}").format(message=say(self.server_message))
        return _("Server: {message}").format(message=say(self.server_message))

    @property
    def rematch_label(self) -> str:
        """The Rematch button: 'Rematch', 'Accept rematch' once the opponent asked, 'Waiting for Bob' once we did;
        against the bot, which is always ready, 'Play again'."""
        if self.mode is GameMode.BOT:
            return _("Play again")
        if self.waiting_for_rematch:
            return _("Waiting for {name}").format(name=self.opponent_name)
        return _("Accept rematch") if self.opponent_wants_rematch else _("Rematch")

    def _over_text(self) -> Later:
        """Why a move after the game is refused: what the button offers (the bot's is 'Play again')."""
        if self.mode is GameMode.BOT:
            return L_("{what}: {reason}", what=L_("This game is over"), reason=L_("Play again"))
        return L_("This game is over: Rematch or leave") if self.can_rematch else L_("This match is over")

    # What the player does ------------------------------------------------------------------------

    def place(self, row: int, col: int) -> SendMove | None:
        """A move if it can be one, else None (and a toast saying why, when that is not plain)."""
        view = self.view
        if view is None or self.left or self.paused:
            return None
        if view.board.is_over or self.match_over:
            self.say(self._over_text())
            return None
        if not view.your_turn:  # the server's word, which holds even when the state does not name our seat
            self.say(L_(Refusal.NOT_YOUR_TURN.text), Refusal.NOT_YOUR_TURN)
            return None
        try:  # the rules the match handler plays by, for feedback before the server's answer
            view.board.check(row, col, player=view.you if view.you in PLAYERS else None)
        except MoveError as exc:
            self.say(L_(exc.reason.text), exc.reason)
            return None
        if self.pending_move is not None:
            return None
        self.pending_move = (row, col)
        return SendMove(row, col)

    def request_rematch(self) -> RequestRematch | None:
        """Ask for the next game (once per game), where the server takes requests."""
        view = self.view
        if not self.can_rematch or view is None or self.waiting_for_rematch:
            return None
        self.asked_rematch_after = view.game
        return RequestRematch()

    def leave(self) -> LeaveMatch | None:
        """Leave the match (a game in progress counts as lost); the command, once."""
        if self.left:
            return None
        self.left = True
        return LeaveMatch()

    @property
    def leaving_forfeits(self) -> bool:
        """True if leaving now loses the game in progress (so the player is asked first).

        Against a person it always does (the server counts it); against the bot only once we
        have made a move in the game (a game left untouched is not worth counting).
        """
        view = self.view
        if not self.playing or view is None:
            return False
        return self.mode is not GameMode.BOT or any(player == view.you for _, _, player in self.moves)

    def forfeit(self) -> GameSummary | None:
        """The game in progress as lost by leaving it, if leaving loses it (else None)."""
        view = self.view
        if not self.leaving_forfeits or view is None:
            return None
        lost = replace(
            GameSummary.from_view(view, self.mode, self.level, tuple(self.moves), self._wall() if self._wall else None),
            result=Result.LOSS,
            termination=Termination.OPPONENT_LEFT,
        )
        self.summaries.append(lost)
        return lost

    def say(self, text: Text, refusal: Refusal | None = None) -> None:
        self.toast = Toast(text, self.now, refusal)

    # What happens ---------------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Advance to clock time ``now`` (countdowns and toasts follow it)."""
        self.now = now
        if self.toast is not None and now - self.toast.at >= TOAST_SECONDS:
            self.toast = None
        if self.server_message is not None and now - self.server_message_at >= SERVER_MESSAGE_SECONDS:
            self.server_message = None

    def apply(self, event: Event) -> Effects:
        """One event of the match; what the screen must do about it."""
        effects = Effects()
        if isinstance(event, MatchUpdate):
            self._update(event.view, effects)
        elif isinstance(event, MoveRejected):
            self.pending_move = None
            message = event.message
            text = later(lambda: say(message)) if event.reason is Refusal.OTHER and message else L_(event.reason.text)
            self.say(text, event.reason)
            if event.reason is Refusal.GAME_IN_PROGRESS:
                self.asked_rematch_after = None
        elif isinstance(event, ServerMessage):
            self.server_message = _one_line(event.text)
            self.server_message_at = self.now
        elif isinstance(event, GuestTurnedAway):  # someone tried to join the LAN game we host while we play
            self.server_message = Phrase("{name} tried to join and was told you are in a game.", name=event.name)
            self.server_message_at = self.now
        elif isinstance(event, Failure):
            failed = event.message
            self.say(later(lambda: say(failed)))
        return effects

    def _update(self, view: MatchView, effects: Effects) -> None:
        prev = self.view
        cells = view.board.cells
        new_game = (
            prev is None
            or view.game != prev.game
            or any(old != EMPTY and new == EMPTY for old, new in zip(prev.board.cells, cells, strict=True))
        )
        if new_game:
            self.pops.clear()
            self.last_move = None
            self.ended_at = None
            self.moves = []
        before = prev.board.cells if prev is not None and not new_game else (EMPTY,) * 9
        placed = [i for i, c in enumerate(cells) if c != EMPTY and before[i] == EMPTY]
        mover = prev.board.to_move if prev is not None and not new_game else view.board.first
        placed = _in_turn_order(placed, cells, mover)
        for i in placed:
            cell = (i // 3 + 1, i % 3 + 1)
            self.pops[cell] = self.now
            self.moves.append((cell[0], cell[1], cells[i]))
        self.last_move = (placed[-1] // 3 + 1, placed[-1] % 3 + 1) if len(placed) == 1 else None
        if placed:
            effects.sounds.append("place")
        self.view = view
        self.view_at = self.now
        self._follow_countdown(prev, view)
        self.pending_move = None
        if self.toast is not None and self.toast.refusal in _MOMENTARY:
            self.toast = None  # what it said is no longer true
        self._states_flowing(view)
        if view.board.is_over and (new_game or prev is None or not prev.board.is_over):
            self._game_ended(view, effects)

    def _follow_countdown(self, prev: MatchView | None, view: MatchView) -> None:
        """Where the rematch countdown ends, from the whole seconds the states say (the server's ceiling of what is left).

        A state sent mid-second says more than is left, so the earliest end the states allow
        is kept: both players then count down from the server's one deadline and show the
        same second, whichever states each received when (a countdown started again later
        than that replaces it).
        """
        if view.rematch_countdown is None or not view.board.is_over:
            self.rematch_deadline = None
            return
        end = self.now + view.rematch_countdown
        same = prev is not None and prev.game == view.game and self.rematch_deadline is not None
        if not same or self.rematch_deadline is None or end < self.rematch_deadline or end >= self.rematch_deadline + 1:
            self.rematch_deadline = end

    def _states_flowing(self, view: MatchView) -> None:
        """A state arrived: nothing pauses the local game (the networked model says more)."""

    def _game_ended(self, view: MatchView, effects: Effects) -> None:
        self.ended_at = self.now
        out = view.board.outcome
        if out is not None and out.termination.counts:  # an aborted game is neither a win nor a draw
            self.score[out.winner or 0] += 1
        summary = GameSummary.from_view(
            view, self.mode, self.level, tuple(self.moves), self._wall() if self._wall is not None else None
        )
        self.summaries.append(summary)
        effects.finished = summary
        if view.result is not None:
            effects.sounds.append(RESULT_SOUND[view.result])


def _in_turn_order(placed: list[int], cells: tuple[int, ...], mover: int) -> list[int]:
    """Marks that appeared together (after a reconnection) put in an order the game could have had."""
    order: list[int] = []
    pool = list(placed)
    while pool:
        pick = next((i for i in pool if cells[i] == mover), pool[0])
        order.append(pick)
        pool.remove(pick)
        mover = 3 - cells[pick]
    return order


def _one_line(text: str) -> str:
    """``text`` (from a server) on one line: control characters and runs of whitespace become single spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())

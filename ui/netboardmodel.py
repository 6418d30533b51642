"""What only a networked match adds to the board's model: an opponent away or gone, a lost connection, an end.

Pure (no pygame), like ``ui.boardmodel``: ``NetBoardModel`` takes the network's events
too and says, in the notice over the board, why play is paused or over (the opponent
dropped and the server holds their seat, our connection is down and when the next try
is, the opponent left, the server forgot the match or is going away in its own words).
``gone_text`` is the one sentence for each reason op 5 gives.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from game.rules import Termination
from game.xoxo import GoneReason, MatchLabel, MatchView
from net.messages import (
    CallDraw,
    ClaimAvailable,
    ClaimWin,
    ConnectionLost,
    Disconnected,
    Event,
    MatchGone,
    MatchUpdate,
    OpponentAway,
    OpponentLeft,
    Reconnected,
    ServerClosing,
)
from ui.absence import AbsenceClock
from ui.boardmodel import BoardModel, Effects, Notice, NoticeKind
from ui.i18n import L_, N_, Text, _, later, ngettext, say
from ui.lanwords import for_lan
from ui.ratings import BoardRatings
from ui.results import GameMode
from ui.textcut import short_name

SERVER_CLOSED = N_("The server closed the match")  # when the server went away without a word
HOST_CLOSED = N_("The game's host closed the match")  # the same on the LAN


class NetBoardModel(BoardModel):
    """A match on a server: adds the opponent away or gone, the connection, a match the server forgot."""

    def __init__(self, *, mode: GameMode, label: MatchLabel, wall_clock: Callable[[], float] | None = None):
        super().__init__(mode=mode, label=label, wall_clock=wall_clock)
        self.connection: ConnectionLost | None = None  # the last drop, while reconnecting
        self.retry_at: float | None = None
        self.ended: Event | None = None  # what ended the match without the player (OpponentLeft, MatchGone, ...)
        self.ratings = BoardRatings()  # revision 3: the ratings beside the names, and a rated game's change
        self.absence = AbsenceClock()  # revision 3: the absent opponent's seat hold, and when a claim opens
        self.claimed_in: int | None = None  # the game in which we sent a claim (once per game)

    @property
    def retry_seconds_left(self) -> int | None:
        return None if self.retry_at is None else max(0, math.ceil(self.retry_at - self.now - 1e-9))

    @property
    def reconnect_text(self) -> str:
        """'Reconnecting: attempt 2  ·  next try in 3 s' while reconnecting."""
        lost = self.connection
        if lost is None:
            return ""
        left = self.retry_seconds_left
        if left:
            return ngettext("Reconnecting: attempt {attempt}  ·  next try in {n} s",
                            "Reconnecting: attempt {attempt}  ·  next try in {n} s", left).format(attempt=lost.attempt, n=left)
        return _("Reconnecting: attempt {attempt}  ·  trying now…").format(attempt=lost.attempt)

    def apply(self, event: Event) -> Effects:
        self.absence.apply(event, self.now)
        if isinstance(event, MatchUpdate):
            self.connection = None
            self.retry_at = None
        elif self._network(event) or self.ratings.apply(event) or isinstance(event, ClaimAvailable):
            return Effects()
        return super().apply(event)

    # Revision 3: ratings, claims, a game that stays on screen after the match ends --------------------

    def rating_label(self, index: int) -> str | None:
        return self.ratings.label_of(self.label, self.view, index)

    @property
    def can_claim(self) -> bool:
        """The opponent has been away half their seat hold: the player may claim the win or call a draw now."""
        view = self.view
        return (self.absence.claimable and self.playing and self.label.claims and view is not None
                and self.claimed_in != view.game)

    def claim(self, win: bool) -> ClaimWin | CallDraw | None:
        """Claim the win (``win``) or call a draw against the absent opponent, once per game; the server decides."""
        view = self.view
        if not self.can_claim or view is None:
            return None
        self.claimed_in = view.game
        return ClaimWin() if win else CallDraw()

    @property
    def game_kept(self) -> bool:
        """The match ended after a game had finished: that game's board and result stay on screen.

        A game the leave itself ended (the opponent left mid-game) is not one: the match's own end says it all.
        """
        view = self.view
        return (self.match_over and isinstance(self.ended, OpponentLeft) and view is not None and view.board.is_over
                and view.termination is not Termination.OPPONENT_LEFT)

    @property
    def status_text(self) -> str:
        """On a game kept after the match ended: who ended the match and why (over the board; the result stays under)."""
        ended = self.ended
        if self.game_kept and isinstance(ended, OpponentLeft):
            return gone_text(ended.name or self.opponent_name, ended.reason, ended.me)
        return super().status_text

    def _network(self, event: Event) -> bool:
        """React to an event only a networked match meets; True if ``event`` was one."""
        if isinstance(event, ConnectionLost):
            self._lost(event)
        elif isinstance(event, Reconnected):
            self._reconnected(event)
        elif isinstance(event, OpponentAway):
            self.notice = Notice(NoticeKind.AWAY, self._away(event.name))
            self.pending_move = None
        elif isinstance(event, OpponentLeft):
            name = event.name or self.opponent_name
            reason, me = event.reason, event.me
            self._over(event, Notice(NoticeKind.LEFT, later(lambda: gone_text(name, reason, me))))
        elif isinstance(event, MatchGone):  # its reason is the server's own ("Match not found"): not for the player
            gone = N_("The game's host no longer has this match") if self.lan else N_("This match is no longer on the server")
            self._over(event, Notice(NoticeKind.GONE, L_(gone)))
        elif isinstance(event, ServerClosing):
            self._over(event, Notice(NoticeKind.GONE, self._words(event.text, HOST_CLOSED if self.lan else SERVER_CLOSED)))
        elif isinstance(event, Disconnected):
            self._over(event, Notice(NoticeKind.GONE, self._words(event.message, HOST_CLOSED if self.lan else SERVER_CLOSED)))
        else:
            return False
        return True

    @property
    def lan(self) -> bool:
        """A LAN match: its words say the game's host, never the server."""
        return self.mode is GameMode.LAN

    def _away(self, name: str) -> Text:
        """The notice while the opponent (``name``, else the one on the board) is away."""
        return later(lambda: _("{name} disconnected: waiting for them").format(
            name=short_name(name) if name else self.opponent_name))

    def _words(self, text: str, otherwise: str) -> Text:
        """What the server or the network said (translated if it is one of ours), else ``otherwise`` (marked English)."""
        return later(lambda: say(for_lan(text) if self.lan else text) if text else _(otherwise))

    def _lost(self, event: ConnectionLost) -> None:
        self.connection = event
        self.retry_at = self.now + max(0.0, event.retry_in)
        self.notice = Notice(NoticeKind.CONNECTION, L_("Connection lost"))
        self.pending_move = None

    def _reconnected(self, event: Reconnected) -> None:
        self.connection = None
        self.retry_at = None
        if self.notice is not None and self.notice.kind is NoticeKind.CONNECTION:
            self.notice = None
        self.say(L_("Reconnected") if event.rejoined else L_("Reconnected, but the match is gone"))
        if not event.rejoined:
            self._over(event)

    def _over(self, event: Event, notice: Notice | None = None) -> None:
        """The match is over without the player choosing it (``notice`` says why, if it is to be shown)."""
        if notice is not None:
            self.notice = notice
        self.match_over = True
        self.connection = None
        self.retry_at = None
        self.pending_move = None
        self.absence.clear()
        if self.ended is None:
            self.ended = event

    def _states_flowing(self, view: MatchView) -> None:
        notice = self.notice
        if notice is not None and notice.kind is NoticeKind.AWAY and view.opponent_connected:
            self.notice = None
        elif not view.opponent_connected and (notice is None or notice.kind is NoticeKind.AWAY) and not view.board.is_over:
            self.notice = Notice(NoticeKind.AWAY, self._away(""))
        if notice is not None and notice.kind is NoticeKind.CONNECTION:
            self.notice = None  # states are flowing again


def gone_text(name: str, reason: GoneReason, me: bool = False) -> str:
    """One sentence for why the match is over (op 5); a long name is shortened in it."""
    name = short_name(name)
    if reason is GoneReason.TIMED_OUT:
        return _("You let two turns run out, so you were taken out of the match") if me else (
            _("{name} let two turns run out and was taken out of the match").format(name=name))
    if reason is GoneReason.NO_REMATCH:
        return _("No rematch: the time to ask for one ran out")
    if reason is GoneReason.NO_SHOW:
        return _("{name} never joined the match").format(name=name)
    if reason is GoneReason.DISCONNECTED:
        return _("{name} lost the connection and did not come back").format(name=name)
    if reason is GoneReason.DECLINED:
        return _("{name} left instead of playing again").format(name=name)
    if reason is GoneReason.IDLE:
        return _("Nobody started the next game, so the match ended")
    if reason is GoneReason.ABORTED:
        return _("You never made a first move, twice in a row, so you were taken out of the match") if me else (
            _("{name} never made a first move, twice in a row, and was taken out of the match").format(name=name))
    return _("{name} left the match").format(name=name)

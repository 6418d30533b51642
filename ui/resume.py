"""Coming back to an online game after the client was killed, and the record of a game that was never finished.

While an online game is in progress its board keeps a note on disk (``SeatKeeper``: the
server, the account, the match, the game, the moves seen), and drops it when the game ends
or the player leaves. A note still there at the next launch means the process died
mid-game: the game asks the server about that seat (``CheckSeat``; docs/PROTOCOL.md,
"Coming back to a game") and either goes back to it while the server still holds the seat,
or lists the game in History as abandoned with the server's verdict (``record_verdict``).
The screens that do it are ``ui.screens.resume``'s; the sentences a player reads about a
verdict are here (``verdict_title``, ``verdict_text``). No pygame.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from game.rules import PLAYERS, Termination
from net.resume import SeatAnswer, SeatResult, SeatStatus
from ui.i18n import N_, _
from ui.seats import Seat, server_id
from ui.textcut import short_name

if TYPE_CHECKING:
    from ui.netboardmodel import NetBoardModel
    from ui.userdata import UserData


class SeatKeeper:
    """The note on disk of the online game in progress on one board, kept up to date; forgotten when the game ends."""

    def __init__(self, userdata: UserData, *, server: str, key: str, ca_file: str | None, match_id: str, device_id: str,
                 wall_clock: Callable[[], float] = time.time):
        self.userdata = userdata
        self.server = server_id(server)
        self.key = key
        self.ca_file = ca_file or ""
        self.match_id = match_id
        self.device_id = device_id
        self.wall_clock = wall_clock
        self._saved: tuple[object, ...] | None = None  # what the note on disk says (game, moves, opponent)
        self._noted: object = None  # the rating change last remembered

    def observe(self, model: NetBoardModel) -> None:
        """After each event: note the game while it is on, forget it once it is not; remember a new rating."""
        view = model.view
        if view is not None and model.playing and view.you in PLAYERS and self.match_id:
            me, them = view.players[view.you - 1], view.name_of(view.opponent) if view.opponent else ""
            seat = Seat(self.server, self.device_id, self.match_id, view.game, self.key, self.ca_file,
                        name=view.name_of(view.you), user_id=me.user_id if me is not None else "", opponent=them,
                        you=view.you, first=view.board.first, moves=tuple(model.moves), saved_at=self.wall_clock())
            state = (seat.game, seat.moves, seat.opponent)
            if state != self._saved:
                self.userdata.remember_seat(seat)
                self._saved = state
        elif self._saved is not None:
            self.forget()
        change = model.ratings.change
        if change is not None and change is not self._noted:
            self._noted = change
            self.userdata.note_rating(self.server, self.device_id, change.mine.after.rating.shown)

    def forget(self) -> None:
        """The game is no longer in progress here (it ended, or the player left it)."""
        self._saved = None
        self.userdata.forget_seat(self.server, self.device_id)


def record_verdict(userdata: UserData, seat: Seat, answer: SeatAnswer | None, ended_at: float) -> None:
    """List the game of ``seat`` in History as abandoned with the server's verdict (``answer``), and forget the seat."""
    userdata.record_game(seat.abandoned(answer, ended_at))
    userdata.forget_seat(seat.server, seat.device_id)
    if answer is not None and answer.rating_after is not None:
        userdata.note_rating(seat.server, seat.device_id, answer.rating_after)


def latest_seat(userdata: UserData, device_id: str) -> Seat | None:
    """The game in progress this account last noted, on any server (None if none)."""
    mine = [s for s in userdata.seats if s.device_id == device_id]
    return max(mine, key=lambda s: s.saved_at) if mine else None


def worth_rejoining(answer: SeatAnswer) -> bool:
    """The server holds the seat (or cannot say, having no such RPC: then the join is tried once)."""
    return answer.status in (SeatStatus.HELD, SeatStatus.SEATED, SeatStatus.UNSUPPORTED)


# What a player reads about a game that was never finished ----------------------------------------------

# TRANSLATORS: why a game the player's client stopped in ended, as the server recorded it ({name}: the opponent).
LOSS_REASONS = {
    Termination.OPPONENT_LEFT: N_("You lost: you did not come back in time."),
    Termination.LINE: N_("You lost: {name} got three in a row."),
    Termination.TIMEOUT: N_("You lost: your time ran out."),
    Termination.CLAIMED: N_("You lost: {name} claimed the win while you were away."),
}
WIN_REASONS = {
    Termination.OPPONENT_LEFT: N_("You won: {name} left too."),
    Termination.LINE: N_("You won with three in a row."),
    Termination.TIMEOUT: N_("You won: {name} ran out of time."),
    Termination.CLAIMED: N_("You won: you claimed it."),
}
DRAW_REASONS = {
    Termination.DRAW_CALLED: N_("A draw: {name} called it while you were away."),
}


def verdict_title(opponent: str, answer: SeatAnswer | None) -> str:
    """The card's title for a game the server says is over, or no longer knows."""
    name = short_name(opponent) or _("your opponent")
    if answer is not None and answer.status is SeatStatus.OVER:
        return _("Your game against {name} is over").format(name=name)
    return _("Your game against {name} was abandoned").format(name=name)


def verdict_text(opponent: str, answer: SeatAnswer | None) -> str:
    """What the server recorded, in a sentence or two (with the rating change of a rated game)."""
    name = short_name(opponent) or _("your opponent")
    if answer is None or answer.status is not SeatStatus.OVER or answer.result is None:
        return _("The server no longer knows that game, so History lists it without a result.")
    result, reason = answer.result, answer.reason
    if result is SeatResult.ABORTED:
        said = _("Nobody made a first move in time: the game was aborted, with no result.")
    elif result is SeatResult.LOSS:
        said = _(LOSS_REASONS.get(reason, N_("You lost."))) if reason is not None else _("You lost.")
    elif result is SeatResult.WIN:
        said = _(WIN_REASONS.get(reason, N_("You won."))) if reason is not None else _("You won.")
    else:
        said = _(DRAW_REASONS.get(reason, N_("A draw."))) if reason is not None else _("A draw.")
    said = said.format(name=name)
    if answer.rating_after is not None and answer.delta_text:
        # TRANSLATORS: after a rated game's verdict: "Your rating: 1493 (-7)" (a minus sign in the game).
        said += " " + _("Your rating: {rating} ({change}).").format(rating=answer.rating_after, change=answer.delta_text)
    return said

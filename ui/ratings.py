"""Ratings on the board: each player's rating beside their name, and the change a rated game brought.

Pure (no pygame), like ``ui.boardmodel``. Only a rated match shows ratings (its label's
``rated``: two players the matchmaker paired without a friend code, on a server that keeps
ratings). While a game is on, a player's rating is the one the state carries (as it stood
when the game started: ``1508?`` while provisional); once the server has sent the rating
change of the game just finished (op 7, which comes just before the final state), it is the
new rating with the change beside it: ``1516? +8``, ``1493 \u22127``.
"""

from __future__ import annotations

from game.xoxo import MatchLabel, MatchView, PlayerRating
from net.messages import Event, RatingChanged


class BoardRatings:
    """The rating change of the game on the board (once the server sent it), and the ratings to show beside names."""

    def __init__(self) -> None:
        self.change: RatingChanged | None = None  # the last rating change the server sent in this match

    def apply(self, event: Event) -> bool:
        """Keep a rating change; True if ``event`` was one."""
        if isinstance(event, RatingChanged):
            self.change = event
            return True
        return False

    def change_of(self, view: MatchView, index: int) -> PlayerRating | None:
        """Player ``index``'s rating change for the finished game on ``view`` (None while it is on, or unrated)."""
        change = self.change
        if change is None or not view.board.is_over or (change.game and change.game != view.game):
            return None
        if index == view.you:
            return change.mine
        theirs = change.theirs
        return theirs if theirs is not None and index == view.opponent else None

    def label_of(self, label: MatchLabel, view: MatchView | None, index: int) -> str | None:
        """What shows beside player ``index``'s name: ``1508?``, ``1516? +8`` after a rated game; None if unrated."""
        if view is None or not label.rated:
            return None
        changed = self.change_of(view, index)
        if changed is not None:
            return f"{changed.after.rating.label} {changed.text}"
        shown = view.rating_of(index)
        return shown.label if shown is not None else None

    def my_change(self, view: MatchView | None) -> PlayerRating | None:
        """Our own rating change for the finished game on ``view``, if the server sent one."""
        return self.change_of(view, view.you) if view is not None and view.you in (1, 2) else None

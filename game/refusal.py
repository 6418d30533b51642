"""Why a player's move or request was refused: one vocabulary for the host, the client and the screen.

Pure: no I/O. The values are the words of op 3's ``reason`` field (docs/PROTOCOL.md);
``text`` is what a player reads (English, marked for translation: the board screen shows
it in the player's language). The host sends both (the reason and a detailed message),
the client's own quick checks use the same words, and the board screen shows ``text``,
so every refusal reads the same wherever it was decided.
"""

from __future__ import annotations

import enum

from game.phrase import N_


class Refusal(enum.StrEnum):
    """A reason a move or a request was refused."""

    NOT_YOUR_TURN = "not_your_turn"
    OCCUPIED = "occupied"
    OUT_OF_BOUNDS = "out_of_bounds"
    GAME_OVER = "game_over"
    NOT_STARTED = "not_started"
    GAME_IN_PROGRESS = "game_in_progress"
    BAD_PAYLOAD = "bad_payload"
    UNKNOWN_OP = "unknown_op"
    CLAIM_TOO_EARLY = "claim_too_early"  # op 6 before half the absent opponent's seat hold has passed
    NOTHING_TO_CLAIM = "nothing_to_claim"  # op 6 with the opponent present, or no game in progress
    TOO_MANY_REACTIONS = "too_many_reactions"  # op 8 beyond the server's limit (3 in 10 s)
    NOT_IN_MATCH = "not_in_match"  # the client's own: no match to send the move to
    OFFLINE = "offline"  # the client's own: the connection is down, the move did not go out
    OTHER = "refused"  # a reason this game does not know (the server's message says why)

    @property
    def text(self) -> str:
        """One short sentence a player understands."""
        return _TEXT[self]

    @classmethod
    def parse(cls, word: object) -> Refusal:
        """The refusal a reason word names; ``OTHER`` for anything this game does not know."""
        if not isinstance(word, str):
            return cls.OTHER
        try:
            return cls(word)
        except ValueError:
            return cls.OTHER


_TEXT = {
    # TRANSLATORS: a refused move or request, shown over the board.
    Refusal.NOT_YOUR_TURN: N_("Wait for your turn"),
    Refusal.OCCUPIED: N_("That square is taken"),
    Refusal.OUT_OF_BOUNDS: N_("That is not a square on the board"),
    Refusal.GAME_OVER: N_("This game is over"),
    Refusal.NOT_STARTED: N_("Waiting for your opponent to join"),
    Refusal.GAME_IN_PROGRESS: N_("Finish this game first"),
    Refusal.BAD_PAYLOAD: N_("The server could not read that move"),
    Refusal.UNKNOWN_OP: N_("The server does not know that request"),
    Refusal.CLAIM_TOO_EARLY: N_("Too early to claim: give your opponent a moment longer"),
    Refusal.NOTHING_TO_CLAIM: N_("There is nothing to claim: your opponent is here"),
    Refusal.TOO_MANY_REACTIONS: N_("Easy there: a few reactions at a time"),
    Refusal.NOT_IN_MATCH: N_("You are not in a game right now"),
    Refusal.OFFLINE: N_("Not connected: try again in a moment"),
    Refusal.OTHER: N_("The server refused that"),
}

"""The opponent is gone for good: who left, how the match stood, and the way to play on.

Online the player can look for a new opponent at once; a LAN host keeps its game
announced and can wait for someone new on its own host; a LAN joiner can look for
another game. "Menu" ends the trip (disconnecting, or closing the hosted game).
"""

from __future__ import annotations

from game.ui.screens.netflow import NetFlow, NetMode
from game.ui.screens.netkit import ChoiceScreen


class OpponentLeftScreen(ChoiceScreen):
    """'Alice left' with the match's outcome, then the mode's way to play on, or the menu."""

    name = "opponent-left"

    def __init__(self, flow: NetFlow, opponent: str, reason: str = "left", note: str = ""):
        self.flow = flow
        self.opponent = opponent or "Your opponent"
        self.reason = reason
        how = "lost the connection" if reason == "disconnected" else "left"
        title = f"{self.opponent} {how}"
        message = "The match is over."
        if note:
            message += "\n" + note
        if flow.mode is NetMode.LAN_HOST:
            message += "\n\nYour game is still announced on the network: someone new can join it."
        elif flow.mode is NetMode.LAN_JOIN:
            message += f"\n\n{self.opponent} was hosting this game: look for another one, or host your own."
        super().__init__(title, message, flow.play_on_choices(), stuck=f"The opponent ({self.opponent}) {how}.")

"""When the network lets a player down: the error screen, and the notice that a match ended without them.

``NetErrorScreen`` turns a ``Failure`` into a title and a sentence a player can act on
(the server cannot be reached and at which address, the key is wrong, the secure
connection failed and why, the handshake was refused with its status, the server spoke
something else, the game is full), with "Try again" and "Back". ``MatchEndedScreen``
says a match is over (the opponent left, the server shut down or forgot it, the
connection closed) with the final score, and offers to play on. The choices come from
the trip that shows them.
"""

from __future__ import annotations

from collections.abc import Sequence

from net.address import DEFAULT_SERVER_KEY
from net.messages import Failure, FailureKind
from ui import theme
from ui.screens.netkit import Choice, ChoiceScreen

TITLES = {
    FailureKind.UNREACHABLE: "Can't reach the server",
    FailureKind.TLS: "No secure connection",
    FailureKind.BAD_KEY: "Wrong server key",
    FailureKind.REFUSED: "The server said no",
    FailureKind.PROTOCOL: "Unexpected server reply",
    FailureKind.FULL: "This game is full",
    FailureKind.TIMEOUT: "The server stopped answering",
    FailureKind.HOST: "Couldn't host the game",
    FailureKind.DROPPED: "The connection keeps dropping",
    FailureKind.NO_MATCH: "No opponent found",
    FailureKind.OTHER: "Something went wrong",
}

LAN_TITLES = {
    FailureKind.UNREACHABLE: "Can't reach that game",
    FailureKind.TIMEOUT: "The host stopped answering",
}


def failure_title(failure: Failure, *, lan: bool = False) -> str:
    """The error screen's title for ``failure``."""
    if lan and failure.kind in LAN_TITLES:
        return LAN_TITLES[failure.kind]
    return TITLES.get(failure.kind, TITLES[FailureKind.OTHER])


def failure_hint(failure: Failure, server: str, key: str, *, lan: bool = False) -> str:
    """What the player can do about ``failure`` (empty when the message says it all)."""
    kind = failure.kind
    if kind is FailureKind.UNREACHABLE:
        if lan:
            return "The host may have closed the game, or the address may be wrong."
        return "Check the address, and that the server is running and lets you in."
    if kind is FailureKind.TLS:
        return "Check the address (https:// or not) and its port, or ask the server's operator."
    if kind is FailureKind.BAD_KEY:
        where = f"The server at {server}" if server else "The server"
        return (
            f"{where} did not accept the key \u201c{key}\u201d. "
            f"Ask its operator for the right one (a stock Nakama server uses {DEFAULT_SERVER_KEY})."
        )
    if kind is FailureKind.REFUSED:
        return "Those are the server's own words. Check the address and the key, or try again later."
    if kind is FailureKind.PROTOCOL:
        return "It may not be a game server, or it may run another game. Check the address."
    if kind is FailureKind.FULL:
        return "Two players are already in this game. Pick another game, or try again when it is free."
    if kind is FailureKind.TIMEOUT:
        return "It may be busy or far away. Try again in a moment."
    if kind is FailureKind.HOST:
        return "Another program may be using the game's ports. Close it, or try again."
    return ""


def _sentence(text: str) -> str:
    text = text.strip()
    if text and text[-1] not in ".!?":
        text += "."
    return text[:1].upper() + text[1:]


class NetErrorScreen(ChoiceScreen):
    """A networked action failed: what happened in plain words, then the trip's choices ("Try again", "Back")."""

    name = "net-error"

    def __init__(self, failure: Failure, choices: Sequence[Choice], *, server: str = "", key: str = "", lan: bool = False):
        self.failure = failure
        hint = failure_hint(failure, server, key, lan=lan)
        message = _sentence(failure.message or TITLES[failure.kind])
        if hint:
            message += "\n\n" + hint
        super().__init__(
            failure_title(failure, lan=lan),
            message,
            choices,
            title_color=theme.ERROR,
            stuck=_sentence(failure.message or TITLES[failure.kind]),
        )


class MatchEndedScreen(ChoiceScreen):
    """The match is over without the player choosing it: why, how it stood, and the ways to play on."""

    name = "match-ended"

    def __init__(self, title: str, message: str, choices: Sequence[Choice], *, stuck: str, name: str = "match-ended"):
        self.name = name
        super().__init__(title, message, choices, stuck=stuck)

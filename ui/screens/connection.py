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

from game.phrase import Phrase, counted_phrase
from net.address import DEFAULT_SERVER_KEY
from net.messages import Event, Failure, FailureKind, GuestTurnedAway
from ui import theme
from ui.i18n import N_, Text, _, later, say, shown
from ui.screens.netkit import Choice, ChoiceScreen

TITLES = {
    FailureKind.UNREACHABLE: N_("Can't reach the server"),
    FailureKind.TLS: N_("No secure connection"),
    FailureKind.BAD_KEY: N_("Wrong server key"),
    FailureKind.REFUSED: N_("The server said no"),
    FailureKind.PROTOCOL: N_("Unexpected server reply"),
    FailureKind.FULL: N_("This game is full"),
    FailureKind.TIMEOUT: N_("The server stopped answering"),
    FailureKind.HOST: N_("Couldn't host the game"),
    FailureKind.DROPPED: N_("The connection keeps dropping"),
    FailureKind.NO_MATCH: N_("No opponent found"),
    FailureKind.OTHER: N_("Something went wrong"),
}

LAN_TITLES = {  # a LAN game never says "server": the other end is a game another player hosts
    FailureKind.UNREACHABLE: N_("Can't reach that game"),
    FailureKind.REFUSED: N_("The game's host said no"),
    FailureKind.PROTOCOL: N_("Unexpected reply from that game"),
    FailureKind.TIMEOUT: N_("The host stopped answering"),
    FailureKind.DROPPED: N_("The connection to the game keeps dropping"),
}


def failure_title(failure: Failure, *, lan: bool = False) -> str:
    """The error screen's title for ``failure``."""
    if lan and failure.kind in LAN_TITLES:
        return _(LAN_TITLES[failure.kind])
    return _(TITLES.get(failure.kind, TITLES[FailureKind.OTHER]))


HINTS = {
    FailureKind.UNREACHABLE: N_("Check the address, and that the server is running and lets you in."),
    FailureKind.TLS: N_("Check the address (https:// or not) and its port, or ask the server's operator."),
    FailureKind.REFUSED: N_("Those are the server's own words. Check the address and the key, or try again later."),
    FailureKind.PROTOCOL: N_("It may not be a game server, or it may run another game. Check the address."),
    FailureKind.FULL: N_("Two players are already in this game. Pick another game, or try again when it is free."),
    FailureKind.TIMEOUT: N_("It may be busy or far away. Try again in a moment."),
    FailureKind.HOST: N_("Another program may be using the game's ports. Close it, or try again."),
}
LAN_HINTS = {
    FailureKind.UNREACHABLE: N_("The host may have closed the game, or the address may be wrong."),
    FailureKind.REFUSED: N_("Those are the host's own words. Try again, or join another game."),
    FailureKind.PROTOCOL: N_("It may run another version of the game. Check the address."),
}


def failure_hint(failure: Failure, server: str, key: str, *, lan: bool = False) -> str:
    """What the player can do about ``failure`` (empty when the message says it all)."""
    kind = failure.kind
    if kind is FailureKind.BAD_KEY:
        if server:
            refused = _("The server at {server} did not accept the key \u201c{key}\u201d.").format(server=server, key=key)
        else:
            refused = _("The server did not accept the key \u201c{key}\u201d.").format(key=key)
        ask = _("Ask its operator for the right one (a stock Nakama server uses {key}).").format(key=DEFAULT_SERVER_KEY)
        return f"{refused} {ask}"
    hints = LAN_HINTS if lan and kind in LAN_HINTS else HINTS
    return _(hints[kind]) if kind in hints else ""


UNREACHABLE_AT = {  # what the title of an unreachable server (or LAN game) already says, before its address
    N_("Can't reach the server at {address} ({reason})"),
    N_("Can't reach the game at {address} ({reason})"),
}


def without_title(message: str) -> str:
    """``message`` without what the card's title already says: 'Can't reach the server at A (refused)' under the title
    'Can't reach the server' is just 'A (refused)', there or as the reason of a longer sentence."""
    if not isinstance(message, Phrase):
        return message
    if message.template in UNREACHABLE_AT:
        return Phrase("{result} ({how})", result=message.values["address"], how=message.values["reason"])
    values = {key: without_title(value) if isinstance(value, str) else value for key, value in message.values.items()}
    if values == dict(message.values):
        return message
    if message.plural is not None and message.number is not None:
        return counted_phrase(message.template, message.plural, message.number,
                              **{k: v for k, v in values.items() if k != "n"})
    return Phrase(message.template, **values)


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

        def message() -> str:
            said = _sentence(say(without_title(failure.message)) if failure.message else _(TITLES[failure.kind]))
            hint = failure_hint(failure, server, key, lan=lan)
            return f"{said} {hint}" if hint else said  # one paragraph: the card's gap between two read as a hole

        super().__init__(
            later(lambda: failure_title(failure, lan=lan)),
            later(message),
            choices,
            title_color=theme.ERROR,
            stuck=_sentence(failure.message or TITLES[failure.kind]),
        )


class MatchEndedScreen(ChoiceScreen):
    """The match is over without the player choosing it: why, how it stood, and the ways to play on."""

    name = "match-ended"

    def __init__(self, title: Text, message: Text, choices: Sequence[Choice], *, stuck: str, name: str = "match-ended",
                 default: int = 0):
        self.name = name
        super().__init__(title, message, choices, stuck=stuck, default=default)
        self.base_message = message

    def on_event(self, event: Event) -> None:
        if isinstance(event, GuestTurnedAway):
            # The LAN host's runtime told the guest at once that nobody waits; the host learns who came.
            base, name = self.base_message, event.name
            self.message = later(lambda: f"{shown(base)}\n\n"
                                 + _("{name} tried to join: they can join once you wait again.").format(name=name))

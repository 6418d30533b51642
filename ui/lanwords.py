"""A LAN game never says "server": the network's sentences about the server, as a player on the LAN reads them.

The network layer (``net``) words its failures for a game server; on the LAN the other end
is a game another player hosts. ``for_lan`` swaps the sentences a LAN player can meet for
their LAN wording (and does so inside the values they carry, such as a reason), keeping
everything else as it came. Pure: no pygame.
"""

from __future__ import annotations

from game.phrase import N_, Nn_, Phrase, counted_phrase

# The network's template -> the LAN's. Marked for translation here: the UI says them (ui.i18n.say).
LAN_WORDS: dict[str, str] = {
    "Can't reach the server at {address} ({reason})": N_("Can't reach the game at {address} ({reason})"),
    "the server closed the connection without answering": N_("the other computer closed the connection without answering"),
    "The server at {address} did not answer within {seconds:g} s":
        N_("The game at {address} did not answer within {seconds:g} s"),
    "The server at {address} took the connection but did not answer within {seconds:g} s":
        N_("The game at {address} took the connection but did not answer within {seconds:g} s"),
    "The server at {address} closed the connection while it opened":
        N_("The game at {address} closed the connection while it opened"),
    "The server at {address} did not open a game connection ({reason})":
        N_("The game at {address} did not open a game connection ({reason})"),
    "The connection to the server was lost": N_("The connection to the game was lost"),
    "The server closed the connection": N_("The other computer closed the connection"),
    "The server closed the connection ({reason})": N_("The other computer closed the connection ({reason})"),
    "The server closed the connection: {reason}": N_("The other computer closed the connection: {reason}"),
    "The server stopped answering (nothing for {seconds:g} s)": N_("The game stopped answering (nothing for {seconds:g} s)"),
    "The server stopped reading what we send": N_("The other computer stopped reading what we send"),
    "The server keeps dropping the connection": N_("The game keeps dropping the connection"),
    "Still trying to reach the server: {reason}": N_("Still trying to reach the game: {reason}"),
    "Reconnecting to the server; try again in a moment.": N_("Reconnecting to the game; try again in a moment."),
    "The server refused the {what}: {detail}": N_("The game's host refused the {what}: {detail}"),
    "The server sent something this game does not understand ({reason})":
        N_("The game's host sent something this game does not understand ({reason})"),
}
LAN_COUNTED: dict[str, tuple[str, str]] = {
    "Lost the connection to the server and could not get it back after {n} try": Nn_(
        "Lost the connection to the game and could not get it back after {n} try",
        "Lost the connection to the game and could not get it back after {n} tries",
    ),
}


def for_lan(text: str) -> str:
    """``text`` as a LAN player reads it: one of the network's sentences about the server in its LAN wording."""
    if not isinstance(text, Phrase):
        return text
    values = {key: for_lan(value) if isinstance(value, str) else value for key, value in text.values.items()}
    if text.plural is not None:
        if text.number is None or text.template not in LAN_COUNTED:
            return text
        singular, plural = LAN_COUNTED[text.template]
        return counted_phrase(singular, plural, text.number, **{k: v for k, v in values.items() if k != "n"})
    template = LAN_WORDS.get(text.template, text.template)
    if template == text.template and values == dict(text.values):
        return text
    return Phrase(template, **values)

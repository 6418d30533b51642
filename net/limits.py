"""What a player may type, in one place: names, device ids, friend codes and server addresses.

Pure: no sockets, no pygame. The login and name screens, the command line, the client's
sign-in and the host's sign-in all call these functions, so a name the form accepts is
a name the host accepts, and the player reads one sentence for one mistake. Every
refusal is an ``InvalidInput`` (a ValueError) whose message a player can act on.

Names are NFKC-normalised (fullwidth letters become ASCII ones, a ligature its
letters) and compared case-blind through ``name_key``, so look-alikes and case variants
cannot be two accounts' names.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from game.phrase import Phrase, counted_phrase, text_of
from net.address import DEFAULT_SERVER, ServerAddress
from net.friendcode import ALPHABET, MAX_LENGTH, MIN_LENGTH

MAX_NAME_LENGTH: Final = 20
"""The longest name, in characters after normalisation (our host's limit; Nakama takes longer ones)."""

DEVICE_ID_BYTES: Final = (10, 128)
"""Nakama's rule: a device id is 10 to 128 bytes of UTF-8."""


class InvalidInput(ValueError):
    """Something a player typed (or a client sent) that the game does not take; ``str()`` says why."""


def normalize_name(text: str) -> str:
    """``text`` as a name (NFKC, trimmed, inner runs of spaces made one); InvalidInput saying what is wrong.

    A name is 1 to ``MAX_NAME_LENGTH`` printable characters after normalisation.
    """
    if not isinstance(text, str):
        raise InvalidInput(Phrase("A name must be text."))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(Phrase("A name must be valid text.")) from None
    name = unicodedata.normalize("NFKC", text).strip()  # strip after NFKC: it can make spaces (U+00B4)
    if "\ufffd" in name:  # bytes that were not UTF-8, replaced on the way in
        raise InvalidInput(Phrase("A name must be valid text."))
    if not name:
        raise InvalidInput(Phrase("Type your name: it is what your opponent sees."))
    if not name.isprintable():
        raise InvalidInput(Phrase("A name can only have letters, digits, spaces and punctuation."))
    name = " ".join(part for part in name.split(" ") if part)  # one space between words
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(counted_phrase("A name has at most {n} character.", "A name has at most {n} characters.",
                                          MAX_NAME_LENGTH))
    return name


def name_key(name: str) -> str:
    """What two names are compared by: the normalised name, case-folded (``Ann``, ``ANN`` and fullwidth ANN are one).

    Folding can leave text out of normal form (some letters fold to a letter and a
    combining mark), so the folded name is normalised once more, as Unicode's caseless
    matching does.
    """
    shaped = " ".join(unicodedata.normalize("NFKC", name).split())
    return unicodedata.normalize("NFKC", shaped.casefold())


def check_device_id(device_id: object) -> str:
    """``device_id`` if Nakama would take it (10 to 128 bytes, no spaces or control characters); InvalidInput if not."""
    if not isinstance(device_id, str) or not device_id:
        raise InvalidInput("Device ID is required.")
    try:
        size = len(device_id.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidInput("Device ID invalid, must be valid text.") from None
    lo, hi = DEVICE_ID_BYTES
    if not lo <= size <= hi:
        raise InvalidInput(f"Device ID invalid, must be {lo}-{hi} bytes.")
    if any(c.isspace() or not c.isprintable() for c in device_id):
        raise InvalidInput("Device ID invalid, no spaces or control characters allowed.")
    return device_id


def check_friend_code(text: str) -> str:
    """``text`` as a friend code (trimmed, upper-cased, spaces and dashes dropped); InvalidInput saying what is wrong."""
    code = "".join(text.split()).replace("-", "").upper()
    if not code:
        raise InvalidInput(Phrase("Type the code your friend gave you."))
    wrong = sorted({c for c in code if c not in ALPHABET})
    if wrong:
        shown = " ".join(wrong)
        raise InvalidInput(Phrase("A code has no {wrong}: codes use the letters A to Z without I, L and O, "
                                  "and the digits 2 to 9.", wrong=shown))
    if not MIN_LENGTH <= len(code) <= MAX_LENGTH:
        raise InvalidInput(Phrase("A code has {low} to {high} characters.", low=MIN_LENGTH, high=MAX_LENGTH))
    return code


def check_server(text: str) -> ServerAddress:
    """The server ``text`` names; InvalidInput with an example of what to type."""
    try:
        return ServerAddress.parse(text)
    except ValueError as exc:
        raise InvalidInput(Phrase("{reason:cap}. Type host:port or https://host, for example {example}.",
                                  reason=text_of(exc), example=DEFAULT_SERVER)) from None

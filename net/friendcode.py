"""Friend codes: a short code two friends share so that the matchmaker pairs them with each other only.

Pure. A code is 4 to 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
read case-blind, so it survives being read aloud or typed from a screenshot. On the wire
it is the ticket's ``string_properties.code`` and its query ``+properties.code:CODE``.
"""

from __future__ import annotations

import random

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 5  # made codes; typed ones may have 4 to 6 characters
MIN_LENGTH, MAX_LENGTH = 4, 6


def make_code(rng: random.Random | None = None) -> str:
    """A fresh code (about 28 million of them)."""
    pick = rng or random.SystemRandom()
    return "".join(pick.choice(ALPHABET) for _ in range(LENGTH))


def check_code(text: str) -> str:
    """``text`` as a code (trimmed, upper-cased, spaces and dashes dropped); ValueError saying what is wrong."""
    code = "".join(text.split()).replace("-", "").upper()
    if not code:
        raise ValueError("Type the code your friend gave you.")
    wrong = sorted({c for c in code if c not in ALPHABET})
    if wrong:
        shown = " ".join(wrong)
        raise ValueError(f"A code has no {shown}: codes use the letters A to Z without I, L and O, and the digits 2 to 9.")
    if not MIN_LENGTH <= len(code) <= MAX_LENGTH:
        raise ValueError(f"A code has {MIN_LENGTH} to {MAX_LENGTH} characters.")
    return code

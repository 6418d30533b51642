"""Friend codes: a short code two friends share so that the matchmaker pairs them with each other only.

Pure. A code is 4 to 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
read case-blind, so it survives being read aloud or typed from a screenshot. On the wire
it is the ticket's ``string_properties.code`` and its query ``+properties.code:CODE``.
"""

from __future__ import annotations

# Checking a typed code is net.limits.check_friend_code, beside the other things a player types.
import random

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 5  # made codes; typed ones may have 4 to 6 characters
MIN_LENGTH, MAX_LENGTH = 4, 6


def make_code(rng: random.Random | None = None) -> str:
    """A fresh code (about 28 million of them)."""
    pick = rng or random.SystemRandom()
    return "".join(pick.choice(ALPHABET) for _ in range(LENGTH))


"""How an App plays: the pace of games and who plays the player's side, and where networked play goes.

Frozen values, no pygame: the command line (``ui.launch``), the test pilot and the
benches make them, and the App and its screens read them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from game.bot import Level
from game.local import THINK_SECONDS
from net.address import DEFAULT_DISCOVERY_PORT, DEFAULT_PORT

if TYPE_CHECKING:
    from net.config import SessionConfig


@dataclass(frozen=True)
class PlaySettings:
    """How games are paced and who plays the player's side.

    ``think_seconds`` is the bot's pause before it moves; ``auto_level`` (a bot level)
    lets a bot play the player's side after ``auto_delay`` seconds (a (low, high) range);
    ``animations`` False draws every animation at its end; ``seed`` makes the bots and
    their pauses repeatable.
    """

    think_seconds: tuple[float, float] = THINK_SECONDS
    auto_level: Level | None = None
    auto_delay: tuple[float, float] = THINK_SECONDS
    animations: bool = True
    seed: int | None = None

    @classmethod
    def instant(cls, *, auto_level: Level | None = None, seed: int | None = None) -> PlaySettings:
        """No pauses and no animations: for scripts and benches."""
        return cls(think_seconds=(0.0, 0.0), auto_level=auto_level, auto_delay=(0.0, 0.0), animations=False, seed=seed)

    def seed_for(self, tag: str) -> int | None:
        """A seed for ``tag`` derived from ``seed`` (None if unseeded): repeatable runs, different per game."""
        if self.seed is None:
            return None
        return random.Random(f"{self.seed}/{tag}").getrandbits(63)


@dataclass(frozen=True)
class NetSettings:
    """Where networked play goes: the LAN host's port and address, LAN discovery, the network thread's knobs.

    ``lan_port`` is the port a LAN host asks for first (the next free one is used if it
    is taken; 0 picks any free port); ``broadcast`` replaces every LAN announcement
    target with one address (``TICTACTOE_BROADCAST`` sets it too; tests use
    127.255.255.255); ``session`` tunes the network thread's timeouts and backoff.
    """

    lan_port: int = DEFAULT_PORT
    lan_bind: str = "0.0.0.0"
    discovery_port: int = DEFAULT_DISCOVERY_PORT
    broadcast: str | None = None
    session: SessionConfig | None = None

"""The values in the player's files: the profile, tallies of results, and the stats file's form.

Pure values with their JSON forms (no files, no pygame): ``ui.userdata`` reads and
writes them. Reading is forgiving: a field of the wrong type falls back to its default
alone (with a warning), so a damaged file loses as little as possible.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from game.bot import Level
from game.rules import Result
from net.address import DEFAULT_SERVER, DEFAULT_SERVER_KEY
from net.limits import MAX_NAME_LENGTH
from ui.results import GameMode, GameSummary

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
STATS_VERSION = 2  # 1 had the bot's levels only; 2 adds "lan" and "online" (version 1 files still read)


def new_device_id() -> str:
    """A fresh random device id (what the server's device sign-in knows us by)."""
    return uuid.uuid4().hex


THEMES = ("dark", "light", "high-contrast")  # the names ``ui.theme.PALETTES`` knows them by
TEXT_SIZES = (100, 125, 150)  # per cent (``ui.theme.TEXT_SIZES``)


@dataclass(frozen=True)
class Profile:
    """Who the player is, how they left things, and their settings; the screens read and update it.

    ``name_chosen`` is False until the player typed a name (the LAN screens ask for one
    then, once); ``ca_file`` is a private certificate authority's PEM file, or "".
    The settings: ``language`` (a catalogue's code, "" for the system's language),
    ``theme``, ``text_size`` (per cent), ``muted`` (the game's sounds off) and
    ``cue_sounds`` (the attention cues' sounds).
    """

    device_id: str
    name: str = "Player"
    server: str = DEFAULT_SERVER
    server_key: str = DEFAULT_SERVER_KEY
    muted: bool = False
    name_chosen: bool = False
    ca_file: str = ""
    language: str = ""
    theme: str = THEMES[0]
    text_size: int = TEXT_SIZES[0]
    cue_sounds: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], path: Path | None = None) -> Profile:
        """A profile from its JSON; a missing or wrongly typed field gets its default (and a warning)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in obj:
                continue
            v = obj[f.name]
            if _valid(f.name, v):
                values[f.name] = v.strip() if isinstance(v, str) else v
            else:
                log.warning("profile field %r in %s is invalid (%r); using the default", f.name, path, v)
        if "name" in values:
            values["name"] = values["name"][:MAX_NAME_LENGTH]
        device_id = values.pop("device_id", None) or new_device_id()
        return cls(device_id=device_id, **values)


_CHOICES: dict[str, tuple[object, ...]] = {"theme": THEMES, "text_size": TEXT_SIZES}
_FLAGS = ("muted", "name_chosen", "cue_sounds")
_MAY_BE_EMPTY = ("ca_file", "language")


def _valid(field_name: str, value: object) -> bool:
    """Whether ``value`` can be the profile's ``field_name``."""
    if field_name in _FLAGS:
        return isinstance(value, bool)
    if field_name in _CHOICES:
        return not isinstance(value, bool) and value in _CHOICES[field_name]
    return isinstance(value, str) and (field_name in _MAY_BE_EMPTY or value.strip() != "") and len(value) <= 400


@dataclass(frozen=True)
class Tally:
    """Wins, losses and draws of the player against one bot level."""

    wins: int = 0
    losses: int = 0
    draws: int = 0

    @property
    def games(self) -> int:
        return self.wins + self.losses + self.draws

    def add(self, result: Result) -> Tally:
        """This tally with one more ``result``."""
        if result is Result.WIN:
            return replace(self, wins=self.wins + 1)
        if result is Result.LOSS:
            return replace(self, losses=self.losses + 1)
        return replace(self, draws=self.draws + 1)

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: Any) -> Tally:
        """A tally from JSON; counts that are not whole numbers >= 0 read as 0."""
        if not isinstance(obj, Mapping):
            return cls()

        def count(key: str) -> int:
            v = obj.get(key, 0)
            return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else 0

        return cls(count("wins"), count("losses"), count("draws"))


Stats = dict[Level, Tally]  # bot level -> tally, every level present
ModeStats = dict[GameMode, Tally]  # every mode present; the bot's is the sum of its levels


def empty_stats() -> Stats:
    return {level: Tally() for level in Level}


@dataclass
class StatsFile:
    """What stats.json holds: the bot's levels, and the two networked modes."""

    bot: Stats = field(default_factory=empty_stats)
    lan: Tally = Tally()
    online: Tally = Tally()

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATS_VERSION,
            "bot": {level.value: tally.to_json() for level, tally in self.bot.items()},
            "lan": self.lan.to_json(),
            "online": self.online.to_json(),
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], source: Path | None = None) -> StatsFile:
        """The tallies in stats.json (version 1 or 2); a part that cannot be read counts from zero."""
        data = cls()
        bot = obj.get("bot")
        if isinstance(bot, Mapping):
            for level in Level:
                data.bot[level] = Tally.from_json(bot.get(level.value))
        else:
            log.warning("%s has no per-level results; counting from zero", source)
        data.lan = Tally.from_json(obj.get("lan"))
        data.online = Tally.from_json(obj.get("online"))
        return data

    def by_mode(self) -> ModeStats:
        """Tallies per mode: the bot (all levels), the LAN, online."""
        bot = Tally()
        for tally in self.bot.values():
            bot = Tally(bot.wins + tally.wins, bot.losses + tally.losses, bot.draws + tally.draws)
        return {GameMode.BOT: bot, GameMode.LAN: self.lan, GameMode.ONLINE: self.online}

    def count(self, summary: GameSummary) -> None:
        """Add a finished game to its mode's (or its bot level's) tally."""
        if summary.result is None:
            return
        if summary.mode is GameMode.BOT:
            if summary.level is not None:
                self.bot[summary.level] = self.bot[summary.level].add(summary.result)
        elif summary.mode is GameMode.LAN:
            self.lan = self.lan.add(summary.result)
        else:
            self.online = self.online.add(summary.result)

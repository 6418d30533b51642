"""The player's files: a profile (device id, name, last server, mute), results by mode, and recent games.

They live as small JSON files in the per-user data folder (platformdirs), or in
``$TICTACTOE_DATA_DIR`` when that is set (tests point it at a temporary folder).
Writes are atomic (a temporary file, then ``os.replace``), so a crash never leaves
half a file. A file that cannot be read or parsed is renamed aside as
``<name>.corrupt-<timestamp>`` with a logged warning and the game starts from
defaults: losing a tally is better than refusing to start. A field of the wrong
type falls back to its default alone. No pygame here.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from game.bot import Level
from game.rules import Result
from net.address import DEFAULT_SERVER, DEFAULT_SERVER_KEY
from net.limits import MAX_NAME_LENGTH
from ui.results import GameMode, GameSummary

log = logging.getLogger(__name__)

DATA_DIR_ENV = "TICTACTOE_DATA_DIR"
APP_NAME = "tictactoe"
PROFILE_FILE = "profile.json"
STATS_FILE = "stats.json"
HISTORY_FILE = "history.json"
FORMAT_VERSION = 1
STATS_VERSION = 2  # 1 had the bot's levels only; 2 adds "lan" and "online" (version 1 files still read)
HISTORY_LENGTH = 200  # games kept, newest last

MAX_INSTANCES = 16  # windows of one player on one machine that get identities of their own


def data_dir() -> Path:
    """Where the player's files live: ``$TICTACTOE_DATA_DIR`` if set, else the platform's user data folder."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


# Files ------------------------------------------------------------------------------


def write_json_atomic(path: Path, obj: Any) -> bool:
    """Write ``obj`` as JSON to ``path`` all at once; False (and a warning) if the disk refuses."""
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
        return True
    except OSError as exc:
        log.warning("could not save %s: %s", path, exc)
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
        return False


def set_aside(path: Path, why: str) -> Path | None:
    """Rename an unusable file to ``<name>.corrupt-<timestamp>`` so the game can start afresh."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        os.replace(path, target)
    except OSError as exc:
        log.warning("%s is unusable (%s) and could not be moved aside (%s); using defaults", path, why, exc)
        return None
    log.warning("%s is unusable (%s); moved it to %s and started afresh", path, why, target.name)
    return target


def read_json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``; None if there is no file, or if it was unusable and set aside."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        set_aside(path, f"unreadable: {exc}")
        return None
    try:
        obj = json.loads(text)
    except ValueError as exc:
        set_aside(path, f"not JSON: {exc}")
        return None
    if not isinstance(obj, dict):
        set_aside(path, "not a JSON object")
        return None
    return obj


def _try_lock(fd: int) -> bool:
    """Take an exclusive, non-blocking lock on an open file descriptor; False if someone holds it."""
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


# Values -----------------------------------------------------------------------------------


def new_device_id() -> str:
    """A fresh random device id (what the server's device sign-in knows us by)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Profile:
    """Who the player is and how they left things; the online screens read and update it.

    ``name_chosen`` is False until the player typed a name (the LAN screens ask for one
    then, once); ``ca_file`` is a private certificate authority's PEM file, or "".
    """

    device_id: str
    name: str = "Player"
    server: str = DEFAULT_SERVER
    server_key: str = DEFAULT_SERVER_KEY
    muted: bool = False
    name_chosen: bool = False
    ca_file: str = ""

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
            expected = bool if f.name in ("muted", "name_chosen") else str
            may_be_empty = f.name == "ca_file"
            if expected is bool:
                ok = isinstance(v, bool)
            else:
                ok = isinstance(v, str) and (may_be_empty or v.strip() != "") and len(v) <= 400
            if ok:
                values[f.name] = v.strip() if isinstance(v, str) else v
            else:
                log.warning("profile field %r in %s is invalid (%r); using the default", f.name, path, v)
        if "name" in values:
            values["name"] = values["name"][:MAX_NAME_LENGTH]
        device_id = values.pop("device_id", None) or new_device_id()
        return cls(device_id=device_id, **values)


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
class _StatsFile:
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

    def count(self, summary: GameSummary) -> None:
        if summary.result is None:
            return
        if summary.mode is GameMode.BOT:
            if summary.level is not None:
                self.bot[summary.level] = self.bot[summary.level].add(summary.result)
        elif summary.mode is GameMode.LAN:
            self.lan = self.lan.add(summary.result)
        else:
            self.online = self.online.add(summary.result)


# The store ---------------------------------------------------------------------------------


class UserData:
    """The player's profile and stats in ``folder`` (default ``data_dir()``), cached in memory.

    Reads happen once (``profile`` and ``stats`` load on first use); every change is
    written through at once. Disk errors are logged, never raised.
    """

    def __init__(self, folder: Path | str | None = None, *, background: bool = False):
        self.folder = Path(folder) if folder is not None else data_dir()
        # With ``background``, writes go to one worker thread, in order, so the render loop
        # never waits on the disk; ``close()`` waits for them.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="userdata") if background else None
        self._profile: Profile | None = None
        self._stats: _StatsFile | None = None
        self._history: list[GameSummary] | None = None
        self._slot: int | None = None
        self._slot_fd: int | None = None

    @property
    def profile_path(self) -> Path:
        return self.folder / PROFILE_FILE

    @property
    def stats_path(self) -> Path:
        return self.folder / STATS_FILE

    @property
    def history_path(self) -> Path:
        return self.folder / HISTORY_FILE

    # Profile --------------------------------------------------------------------------------

    @property
    def profile(self) -> Profile:
        """The profile, created (with a new device id) and saved the first time the game runs."""
        if self._profile is None:
            obj = read_json_object(self.profile_path)
            if obj is None:
                self._profile = Profile(device_id=new_device_id())
                self.save_profile(self._profile)
            else:
                self._profile = Profile.from_json(obj, self.profile_path)
                if self._profile.to_json() != obj:
                    self.save_profile(self._profile)  # repair defaulted fields on disk
        return self._profile

    def save_profile(self, profile: Profile) -> None:
        """Keep ``profile`` and write it (if the disk refuses, it is still kept in memory)."""
        self._profile = profile
        self._write(write_json_atomic, self.profile_path, profile.to_json())

    def _write(self, job: Any, *args: Any) -> None:
        if self._writer is None:
            job(*args)
        else:
            self._writer.submit(self._logged, job, *args)

    @staticmethod
    def _logged(job: Any, *args: Any) -> None:
        try:
            job(*args)
        except Exception:  # a bug in a background write must not go unseen
            log.exception("saving the player's files failed")

    def close(self) -> None:
        """Wait for the writes still queued (background mode); the store stays usable, writing in place."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.shutdown(wait=True)

    def update_profile(self, **changes: Any) -> Profile:
        """The profile with ``changes`` applied (e.g. ``muted=True``), saved."""
        profile = replace(self.profile, **changes)
        self.save_profile(profile)
        return profile

    # Identity -----------------------------------------------------------------------------

    def session_device_id(self) -> str:
        """The device id this running game signs in with.

        The first window of a player on a machine uses the profile's device id; a second
        window open at the same time (two players sharing a computer, or a LAN test on
        one machine) takes the next free slot and signs in as ``<device id>-<slot>``, so
        the two are different users to the server and can play each other. A slot is an
        exclusive lock on a file in the data folder, released when the process ends.
        """
        if self._slot is None:
            self._slot = self._take_instance_slot()
        base = self.profile.device_id
        return base if self._slot == 0 else f"{base}-{self._slot}"

    def _take_instance_slot(self) -> int:
        for slot in range(MAX_INSTANCES):
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.folder / f"instance-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                log.warning("cannot lock an instance slot in %s (%s); signing in with the profile's id", self.folder, exc)
                return 0
            if _try_lock(fd):
                self._slot_fd = fd  # held open: the lock lasts as long as the process
                return slot
            os.close(fd)
        log.warning("more than %d windows are open; this one shares the last identity", MAX_INSTANCES)
        return MAX_INSTANCES - 1

    # Stats and history -----------------------------------------------------------------------

    @property
    def stats(self) -> Stats:
        """Tallies per bot level, as last read or written."""
        return dict(self._stats_file().bot)

    @property
    def mode_stats(self) -> ModeStats:
        """Tallies per mode: the bot (all levels), the LAN, online."""
        data = self._stats_file()
        bot = Tally()
        for tally in data.bot.values():
            bot = Tally(bot.wins + tally.wins, bot.losses + tally.losses, bot.draws + tally.draws)
        return {GameMode.BOT: bot, GameMode.LAN: data.lan, GameMode.ONLINE: data.online}

    def _stats_file(self) -> _StatsFile:
        if self._stats is None:
            self._stats = self._read_stats()
        return self._stats

    def _read_stats(self) -> _StatsFile:
        data = _StatsFile()
        obj = read_json_object(self.stats_path)
        if obj is not None:
            bot = obj.get("bot")
            if isinstance(bot, Mapping):
                for level in Level:
                    data.bot[level] = Tally.from_json(bot.get(level.value))
            else:
                log.warning("%s has no per-level results; counting from zero", self.stats_path)
            data.lan = Tally.from_json(obj.get("lan"))
            data.online = Tally.from_json(obj.get("online"))
        return data

    @property
    def history(self) -> list[GameSummary]:
        """The games kept, newest first (an entry that cannot be read is skipped)."""
        if self._history is None:
            self._history = self._read_history()
        return list(reversed(self._history))

    def _read_history(self) -> list[GameSummary]:
        obj = read_json_object(self.history_path)
        games = obj.get("games") if obj is not None else None
        if not isinstance(games, list):
            return []
        out = []
        for entry in games[-HISTORY_LENGTH:]:
            try:
                out.append(GameSummary.from_record(entry))
            except ValueError as exc:
                log.warning("skipped a game in %s: %s", self.history_path, exc)
        return out

    def record_game(self, summary: GameSummary) -> None:
        """Count a finished game in the stats and keep it in the history; re-reads first so two windows add up."""
        if summary.result is not None:
            self._stats_file().count(summary)
        history = self._history if self._history is not None else self._read_history()
        self._history = [*history, summary][-HISTORY_LENGTH:]
        self._write(self._add_on_disk, summary)

    def _add_on_disk(self, summary: GameSummary) -> None:
        """Add one game to the files as they are now (another window may have added its own)."""
        data = self._read_stats()
        data.count(summary)
        write_json_atomic(self.stats_path, data.to_json())
        obj = read_json_object(self.history_path)
        games = obj.get("games") if obj is not None else None
        kept = [g for g in games if isinstance(g, dict)] if isinstance(games, list) else []
        kept.append(summary.to_record())
        write_json_atomic(self.history_path, {"version": FORMAT_VERSION, "games": kept[-HISTORY_LENGTH:]})

"""The player's files: a profile (device id, name, last server, mute), results by mode, and recent games;
per server and account, the online game in progress and the last rating (``seats.json``, ``ui.seats``).

They live as small JSON files in the per-user data folder (platformdirs), or in
``$TICTACTOE_DATA_DIR`` when that is set (tests point it at a temporary folder).
``UserData`` reads each once and writes every change through, on a background thread
if asked, so the render loop never waits on the disk. The files are written and set
aside as ``ui.storage`` does it; what they hold is ``ui.records``'s. A bad file never
stops the game: losing a tally is better than refusing to start. No pygame here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import platformdirs

from ui.records import FORMAT_VERSION, ModeStats, Profile, Stats, StatsFile, new_device_id
from ui.results import GameSummary
from ui.seats import Seat, SeatFile, rating_key
from ui.storage import read_json_object, try_lock, write_json_atomic

log = logging.getLogger(__name__)

DATA_DIR_ENV = "TICTACTOE_DATA_DIR"
APP_NAME = "tictactoe"
PROFILE_FILE = "profile.json"
STATS_FILE = "stats.json"
HISTORY_FILE = "history.json"
SEATS_FILE = "seats.json"
HISTORY_LENGTH = 200  # games kept, newest last

MAX_INSTANCES = 16  # windows of one player on one machine that get identities of their own


def data_dir() -> Path:
    """Where the player's files live: ``$TICTACTOE_DATA_DIR`` if set, else the platform's user data folder."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


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
        self._stats: StatsFile | None = None
        self._history: list[GameSummary] | None = None
        self._seats: SeatFile | None = None
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

    @property
    def seats_path(self) -> Path:
        return self.folder / SEATS_FILE

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
        path, obj = self.profile_path, profile.to_json()
        self._write(lambda: write_json_atomic(path, obj))

    def _write(self, job: Callable[[], object]) -> None:
        """Run a write now, or queue it on the writer thread (in order) in background mode."""
        if self._writer is None:
            job()
        else:
            self._writer.submit(self._logged, job)

    @staticmethod
    def _logged(job: Callable[[], object]) -> None:
        try:
            job()
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
            if try_lock(fd):
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
        return self._stats_file().by_mode()

    def _stats_file(self) -> StatsFile:
        if self._stats is None:
            self._stats = self._read_stats()
        return self._stats

    def _read_stats(self) -> StatsFile:
        obj = read_json_object(self.stats_path)
        return StatsFile() if obj is None else StatsFile.from_json(obj, self.stats_path)

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
        self._write(lambda: self._add_on_disk(summary))

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

    # Games in progress and ratings, per server and account (ui.seats) --------------------------------

    def _seat_file(self) -> SeatFile:
        if self._seats is None:
            self._seats = self._read_seats()
        return self._seats

    def _read_seats(self) -> SeatFile:
        obj = read_json_object(self.seats_path)
        return SeatFile() if obj is None else SeatFile.from_json(obj)

    @property
    def seats(self) -> list[Seat]:
        """The online games that were in progress when the game last stopped, oldest first."""
        return list(self._seat_file().seats)

    def seat(self, server: str, device_id: str) -> Seat | None:
        """The game in progress on ``server`` as the account ``device_id``, if one is remembered."""
        return self._seat_file().find(server, device_id)

    def remember_seat(self, seat: Seat) -> None:
        """Keep ``seat`` as the game in progress on its server for its account (replacing the one before)."""
        self._seat_file().put(seat)
        self._write(lambda: self._change_seats(lambda data: data.put(seat)))

    def forget_seat(self, server: str, device_id: str) -> None:
        """That game is no longer in progress (finished, left, or its verdict recorded)."""
        if self._seat_file().drop(server, device_id):
            self._write(lambda: self._change_seats(lambda data: data.drop(server, device_id)))

    def rating_on(self, server: str, device_id: str) -> int | None:
        """The player's last shown rating on ``server`` (from a rated game or the leaderboard), if known."""
        return self._seat_file().ratings.get(rating_key(server, device_id))

    def note_rating(self, server: str, device_id: str, shown: int) -> None:
        """Remember the player's shown rating on ``server`` (the matchmaker prefers opponents near it)."""
        key = rating_key(server, device_id)
        data = self._seat_file()
        if data.ratings.get(key) == shown:
            return
        data.ratings[key] = shown
        self._write(lambda: self._change_seats(lambda d: d.ratings.__setitem__(key, shown)))

    def _change_seats(self, change: Callable[[SeatFile], object]) -> None:
        """Apply ``change`` to the file as it is now (another window may have written its own seat)."""
        data = self._read_seats()
        change(data)
        write_json_atomic(self.seats_path, data.to_json())


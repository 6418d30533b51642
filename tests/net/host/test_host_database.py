"""The database never stops a player and never loses a finished game quietly; one host per data folder.

Against a real host on loopback (and, for the spill file, a real ``Database`` with its
writer thread): the database files removed or replaced under the running host, another
process holding SQLite's write lock, a database that refuses writes for longer than the
spill delay, and a second host started on the same folder.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from game.match import GameRecord
from game.rules import Termination
from game.xoxo import Presence
from net.host import HostError
from net.host.database import Database
from net.host.folderlock import LOCK_FILE
from net.host.store import DB_FILE
from net.host.writer import SPILL_FILE, WriterSettings
from tests.net.conftest import http_get_raw, sign_in_path
from tests.net.host.test_host_store import DRAW, WIN, play

REPO = Path(__file__).resolve().parents[3]
DEADLINE = 15.0

# Holds SQLite's write lock on the file named by argv[1] until a line arrives on stdin.
LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
db.close()
"""


def family(folder: Path) -> list[Path]:
    return [folder / DB_FILE, folder / f"{DB_FILE}-wal", folder / f"{DB_FILE}-shm"]


def table(folder: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(folder / DB_FILE)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def logged(caplog: pytest.LogCaptureFixture, level: int, words: str) -> list[str]:
    return [r.getMessage() for r in list(caplog.records) if r.levelno == level and words in r.getMessage()]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


async def async_wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.01)


class Locker:
    """Another process holding the database's write lock until ``release``."""

    def __init__(self, path: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the child prints once it holds the lock (or dies, closing its output)
        if line.strip() != "locked":
            self.proc.kill()
            self.release()
            raise AssertionError("the locking process did not get the lock")

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
        self.proc.wait(10)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


# Files removed or replaced under the host ----------------------------------------------------------------


def test_database_files_removed_under_the_host_are_put_back_and_nothing_is_lost(host_factory, host_client, caplog, tmp_path):
    caplog.set_level(logging.INFO, logger="net.host")
    folder = tmp_path / "kept"
    host = host_factory(data_dir=folder, rematch_seconds=None)

    async def scenario():
        p1, p2 = await host_client.pair(host.port)
        await play(p1, p2, WIN)  # its row is written before the players hear the result
        for f in family(folder):
            f.unlink()
        await host_client.connect(host.port, "cat", device_id="device-0000-cat")  # a new account, after the files went
        await p1.rematch()
        await p2.rematch()
        for p in (p1, p2):
            while (await p.state()).game != 2:
                pass
        await play(p1, p2, DRAW, first=2)

    host_client.run(scenario())
    wait_until(lambda: logged(caplog, logging.ERROR, "was removed"), "the removal is reported")
    host.close()
    assert (folder / DB_FILE).exists()
    assert sorted(table(folder, "SELECT game, termination FROM games")) == [(1, "line"), (2, "draw")]
    assert sorted(n for (n,) in table(folder, "SELECT username FROM users")) == ["ann", "bob", "cat"]
    again = host_factory(data_dir=folder)
    answer = http_get_raw(again.port, sign_in_path("cat", "device-0000-cat"))
    assert answer.status == 200 and answer.json()["created"] is False  # cat's account survived the removal
    (message,) = logged(caplog, logging.ERROR, "was removed")
    assert "2 accounts" in message or "3 accounts" in message  # what the copy held when it was put back


def test_a_database_file_replaced_under_the_host_is_set_aside_and_the_hosts_own_put_back(running_host, caplog):
    caplog.set_level(logging.INFO, logger="net.host")
    folder = running_host.data_dir
    assert http_get_raw(running_host.port, sign_in_path("ann", "device-0000-ann")).status == 200
    stranger = folder / "stranger.sqlite3"
    db = sqlite3.connect(stranger)
    db.execute("CREATE TABLE note (text TEXT)")
    db.execute("INSERT INTO note VALUES ('not the host''s')")
    db.commit()
    db.close()
    os.replace(stranger, folder / DB_FILE)
    assert http_get_raw(running_host.port, sign_in_path("bob", "device-0000-bob")).status == 200  # a write: checked after it
    wait_until(lambda: logged(caplog, logging.ERROR, "was replaced"), "the replacement is reported")
    running_host.stop()
    assert sorted(n for (n,) in table(folder, "SELECT username FROM users")) == ["ann", "bob"]
    (aside,) = folder.glob(f"{DB_FILE}.replaced-*")
    kept = sqlite3.connect(aside)
    assert kept.execute("SELECT text FROM note").fetchall() == [("not the host's",)]
    kept.close()


# A database locked by another process ------------------------------------------------------------------------


def test_a_database_locked_by_another_process_delays_its_rows_never_the_players(host_factory, host_client, caplog):
    caplog.set_level(logging.INFO, logger="net.host")
    host = host_factory(rematch_seconds=None)
    folder = host.data_dir
    assert http_get_raw(host.port, sign_in_path("dan", "device-0000-dan")).status == 200  # dan will return

    async def pings(watcher, count: int) -> None:
        for _ in range(count):
            await watcher.request("ping", timeout=1.0)  # generous: the old host froze 2 s on each write

    async def sign_ins() -> list[int]:
        statuses = []
        for n in range(3):
            returning = await asyncio.to_thread(http_get_raw, host.port, sign_in_path("dan", "device-0000-dan"))
            new = await asyncio.to_thread(http_get_raw, host.port, sign_in_path(f"new{n}", f"device-0000-new{n}"))
            statuses += [returning.status, new.status]
        return statuses

    async def scenario():
        p1, p2 = await host_client.pair(host.port)
        watcher = await host_client.connect(host.port, "eve")
        locker = await asyncio.to_thread(Locker, folder / DB_FILE)
        try:
            v1, v2 = await play(p1, p2, WIN)  # the game ends while the lock is held: its row must wait, not vanish
            assert (v1.result, v2.result) == ("win", "loss")
            await async_wait_until(lambda: logged(caplog, logging.WARNING, "writes are failing"), "the writer notices")
            _, statuses = await asyncio.gather(pings(watcher, 20), sign_ins())
            assert statuses == [200] * 6  # a returning player's last-seen time waits; the sign-in does not
            assert host.stats().games_recorded == 0  # still locked: nothing could be written yet
        finally:
            await asyncio.to_thread(locker.release)

    host_client.run(scenario())
    wait_until(lambda: host.stats().games_recorded == 1, "the waiting game is written")
    host.stop()
    assert table(folder, "SELECT game, winner FROM games") == [(1, 1)]
    assert len(table(folder, "SELECT 1 FROM users")) == 7  # ann, bob, eve, dan and the three new ones
    assert len(logged(caplog, logging.WARNING, "writes are failing")) == 1  # one line for the whole outage
    assert len(logged(caplog, logging.WARNING, "writes resumed")) == 1
    assert not logged(caplog, logging.ERROR, "")


# The spill file -----------------------------------------------------------------------------------------------------

QUICK = WriterSettings(retry_max=0.1, spill_after=0.2, check_seconds=60.0, stop_seconds=0.3)


def _game(game: int) -> GameRecord:
    p1, p2 = Presence("u1", "s1", "ann"), Presence("u2", "s2", "bob")
    return GameRecord("m.host", game, (p1, p2), 1, ((2, 2, 1),), 1, Termination.LINE, None, 10.0, 12.0)


def test_games_the_database_refuses_for_long_go_to_the_spill_file_and_are_replayed_at_start(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="net.host")
    folder = tmp_path / "spill"
    folder.mkdir()

    async def first_run() -> None:
        db = await Database.open(folder, settings=QUICK)
        locker = None
        try:
            db.accounts.create("u1", "ann")
            await db.flush(5)
            locker = await asyncio.to_thread(Locker, folder / DB_FILE)
            saved = asyncio.Event()
            db.record(_game(1), saved.set)
            db.accounts.create("u2", "bob")
            await asyncio.wait_for(saved.wait(), DEADLINE)  # safe: in the spill file, not yet in the database
            assert (folder / SPILL_FILE).exists() and db.games_kept == 1 and db.games_lost == 0
            db.record(_game(2))
        finally:
            await db.close()  # still locked: what is left goes to the spill file too
            if locker is not None:
                await asyncio.to_thread(locker.release)

    asyncio.run(first_run())
    assert logged(caplog, logging.ERROR, SPILL_FILE)
    assert table(folder, "SELECT count(*) FROM games") == [(0,)]

    async def second_run() -> None:
        db = await Database.open(folder, settings=QUICK)
        try:
            assert db.accounts.name_of("u2") == "bob"  # known at once, before the spill file is replayed
            assert db.accounts.taken("BOB")
            assert await db.flush(5)
        finally:
            await db.close()

    asyncio.run(second_run())
    assert not (folder / SPILL_FILE).exists()
    assert table(folder, "SELECT game FROM games ORDER BY game") == [(1,), (2,)]
    assert sorted(table(folder, "SELECT user_id, username FROM users")) == [("u1", "ann"), ("u2", "bob")]
    assert not logged(caplog, logging.ERROR, "NOT SAVED")


def test_a_game_that_can_be_neither_written_nor_spilled_is_an_error_never_a_silence(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="net.host")
    folder = tmp_path / "full"
    folder.mkdir()
    tiny = WriterSettings(retry_max=0.1, spill_after=0.2, check_seconds=60.0, stop_seconds=0.3, spill_bytes=300)

    async def run() -> None:
        db = await Database.open(folder, settings=tiny)
        locker = await asyncio.to_thread(Locker, folder / DB_FILE)
        try:
            told = [asyncio.Event() for _ in range(4)]
            for n, event in enumerate(told, start=1):
                db.record(_game(n), event.set)
            for event in told[:2]:
                await asyncio.wait_for(event.wait(), DEADLINE)  # the spill file has room for two
            assert (db.games_kept, db.games_lost) == (2, 0)  # the other two wait in memory meanwhile
        finally:
            await db.close()  # still locked, the spill file full: the last two are lost, and said to be
            await asyncio.to_thread(locker.release)
        for event in told[2:]:
            await asyncio.wait_for(event.wait(), DEADLINE)
        assert (db.games_kept, db.games_lost) == (2, 2)
        late = asyncio.Event()
        db.record(_game(5), late.set)  # after the database closed: said at once, not queued for nobody
        assert late.is_set() and db.games_lost == 3

    asyncio.run(run())
    lost = logged(caplog, logging.ERROR, "GAME NOT SAVED")
    assert len(lost) == 3
    assert "game 3 of match m.host (ann vs bob)" in lost[0] and "spill file" in lost[0] and "is full" in lost[0]
    assert "game 5 of match m.host" in lost[2] and "already closed" in lost[2]


# One host per data folder ------------------------------------------------------------------------------------------------


def test_a_second_host_on_one_data_folder_refuses_to_start_and_names_the_first(running_host, host_factory):
    folder = running_host.data_dir
    second = subprocess.run(
        [sys.executable, "-m", "net.host.serve", "--data", str(folder), "--port", "0"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert second.returncode == 1
    assert f"pid {os.getpid()}" in second.stderr and f"http://127.0.0.1:{running_host.port}" in second.stderr
    assert "in use by another host" in second.stderr and "Traceback" not in second.stderr
    with pytest.raises(HostError, match="in use by another host"):  # a second host in the same process too
        host_factory(data_dir=folder)
    running_host.close()  # the lock goes with the host
    assert (folder / LOCK_FILE).exists()
    third = host_factory(data_dir=folder)
    assert http_get_raw(third.port, sign_in_path("ann", "device-0000-ann")).status == 200

"""Real processes: a headless client killed (``kill -9``) mid-game against ``main.py --serve`` comes back to its game
on its own when launched again, and both finish it; a client told to stop (SIGTERM) mid-game leaves it as a loss.

Two auto players (``--online --auto perfect --auto-delay``) play one game on a host run with no turn timer; a move
every 0.3 s leaves the game on long enough to kill one of them in it. A client's per-user data is its own folder
(``TICTACTOE_DATA_DIR``); the note of the game in progress (``seats.json``) says when it is mid-game.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.test_cli_network import finish, games, start

WAIT = 30.0  # a broken run fails after this long


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """``main.py --serve`` with seats held 20 s and no turn timer, on a port of its choosing; its address."""
    log = tmp_path / "serve.log"
    process = start("--serve", "--port", "0", "--data", str(tmp_path / "served"), "--grace-seconds", "20",
                    "--turn-seconds", "0", data_dir=tmp_path / "serve", stderr_file=log)
    try:
        address = wait_for(lambda: _listening(log), process, "the server to listen", log)
        yield address
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _listening(log: Path) -> str | None:
    found = re.search(r"listening on https?://(127\.0\.0\.1:\d+)", log.read_text())
    return found.group(1) if found else None


def wait_for(probe, process: subprocess.Popen[str], what: str, log: Path | None = None):
    """Poll ``probe()`` until it gives something; fail if ``process`` ends first or the wait runs out."""
    deadline = time.monotonic() + WAIT
    while True:
        found = probe()
        if found:
            return found
        if process.poll() is not None or time.monotonic() > deadline:
            said = log.read_text() if log is not None else ""
            raise AssertionError(f"waited for {what} in vain (exit {process.poll()}) {said}")
        time.sleep(0.02)


def mid_game(data_dir: Path) -> bool:
    """The client's note of a game in progress holds a move."""
    try:
        seats = json.loads((data_dir / "seats.json").read_text())["seats"]
    except (OSError, ValueError, KeyError):
        return False
    return any(seat["moves"] for seat in seats)


def client(server: str, name: str, data_dir: Path, tmp_path: Path) -> subprocess.Popen[str]:
    return start("--online", "--server", server, "--auto", "perfect", "--auto-delay", "0.3", "--games", "1",
                 "--name", name, data_dir=data_dir, stderr_file=tmp_path / f"{name}-{time.monotonic_ns()}.log")


def test_a_client_killed_mid_game_comes_back_to_it_when_launched_again_and_both_finish_it(tmp_path, server) -> None:
    ann_data, bob_data = tmp_path / "ann", tmp_path / "bob"
    ann = client(server, "ann", ann_data, tmp_path)
    bob = client(server, "bob", bob_data, tmp_path)
    try:
        wait_for(lambda: mid_game(ann_data), ann, "ann mid-game")
        ann.kill()  # kill -9: nothing runs on the way out
        ann.wait(timeout=10)
        assert mid_game(ann_data), "the note of the game survives the kill"
        again = client(server, "ann", ann_data, tmp_path)
        code, out, err = finish(again)
        assert code == 0, err
        (mine,) = games(out)
        code, out, err = finish(bob)
        assert code == 0, err
        (theirs,) = games(out)
    finally:
        for process in (ann, bob):
            if process.poll() is None:
                process.kill()
                process.wait()
    assert mine["mode"] == theirs["mode"] == "online" and {mine["mark"], theirs["mark"]} == {"X", "O"}
    assert mine["result"] == theirs["result"] == "draw" and mine["moves"] == theirs["moves"] == 9, "one game, finished"
    history = json.loads((ann_data / "history.json").read_text())["games"]
    assert [(g["result"], g.get("abandoned", False)) for g in history] == [("draw", False)]
    assert json.loads((ann_data / "seats.json").read_text())["seats"] == [], "over: nothing left to come back to"


def test_a_client_told_to_stop_mid_game_leaves_it_as_a_loss_and_its_opponent_is_told(tmp_path, server) -> None:
    ann_data = tmp_path / "ann"
    ann = client(server, "ann", ann_data, tmp_path)
    bob = client(server, "bob", tmp_path / "bob", tmp_path)
    try:
        wait_for(lambda: mid_game(ann_data), ann, "ann mid-game")
        ann.send_signal(signal.SIGTERM)
        code, out, err = finish(ann)
        assert code == 0, err
        (left,) = games(out)
        code, out, err = finish(bob)  # its one game: the one ann left
    finally:
        for process in (ann, bob):
            if process.poll() is None:
                process.kill()
                process.wait()
    assert left["result"] == "loss"
    history = json.loads((ann_data / "history.json").read_text())["games"]
    assert [(g["result"], g["termination"]) for g in history] == [("loss", "opponent_left")]
    assert code == 0, err
    (won,) = games(out)
    assert won["result"] == "win", "the server credits the opponent with the game left"

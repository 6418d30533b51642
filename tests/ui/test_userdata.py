"""The player's files: created once, kept across runs, written atomically, and a bad file never stops the game."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from game.bot import Level
from game.rules import Mark, Result
from ui.pilot import Pilot
from ui.records import Profile, Tally
from ui.results import GameMode, GameSummary
from ui.userdata import DATA_DIR_ENV, HISTORY_LENGTH, UserData, data_dir


def game(
    result: Result | str, mode: GameMode = GameMode.BOT, level: Level | None = Level.EASY, moves=((2, 2, 1),)
) -> GameSummary:
    return GameSummary(mode, level if mode is GameMode.BOT else None, Mark.CROSS, Result(result), tuple(moves), Mark.CROSS,
                       "Ada", "Bob")


def test_the_data_folder_comes_from_the_environment_when_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "elsewhere"))
    assert data_dir() == tmp_path / "elsewhere"
    assert UserData().folder == tmp_path / "elsewhere"
    monkeypatch.delenv(DATA_DIR_ENV)
    assert data_dir().name == "tictactoe"


def test_the_first_run_creates_a_profile_that_later_runs_keep(data_dir: Path) -> None:
    profile = UserData(data_dir).profile
    assert len(profile.device_id) == 32
    assert profile.name == "Player" and profile.muted is False
    assert (profile.server, profile.server_key) == ("127.0.0.1:7350", "defaultkey")
    again = UserData(data_dir).profile
    assert again == profile, "the device id must not change between runs"


def test_profile_updates_are_saved_whole_and_leave_no_temporary_files(data_dir: Path) -> None:
    store = UserData(data_dir)
    store.update_profile(name="Ada", server="10.0.0.5:7350", muted=True)
    assert UserData(data_dir).profile.name == "Ada"
    assert UserData(data_dir).profile.server == "10.0.0.5:7350"
    assert sorted(p.name for p in data_dir.iterdir()) == ["profile.json"]


def test_results_add_up_per_level_and_mode_across_two_stores(data_dir: Path) -> None:
    first, second = UserData(data_dir), UserData(data_dir)
    first.record_game(game("win"))
    second.record_game(game("loss"))  # another window, same files
    first.record_game(game("draw", level=Level.PERFECT))
    first.record_game(game("win", GameMode.ONLINE))
    second.record_game(game("loss", GameMode.LAN))
    fresh = UserData(data_dir)
    stats = fresh.stats
    assert stats["easy"] == Tally(wins=1, losses=1)
    assert stats["perfect"] == Tally(draws=1)
    assert stats["normal"] == Tally()
    assert fresh.mode_stats == {
        GameMode.BOT: Tally(wins=1, losses=1, draws=1), GameMode.LAN: Tally(losses=1), GameMode.ONLINE: Tally(wins=1),
    }
    assert [g.mode for g in fresh.history] == [GameMode.LAN, GameMode.ONLINE, GameMode.BOT, GameMode.BOT, GameMode.BOT]


def test_an_old_stats_file_of_the_bot_alone_still_counts(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "stats.json").write_text(json.dumps({"version": 1, "bot": {"easy": {"wins": 2, "losses": 0, "draws": 1}}}))
    store = UserData(data_dir)
    assert store.stats["easy"] == Tally(wins=2, draws=1) and store.mode_stats[GameMode.LAN] == Tally()
    store.record_game(game("win", GameMode.LAN))
    assert json.loads((data_dir / "stats.json").read_text())["bot"]["easy"] == {"wins": 2, "losses": 0, "draws": 1}


def test_the_history_keeps_the_latest_games_and_skips_entries_it_cannot_read(data_dir: Path, caplog) -> None:
    store = UserData(data_dir)
    for n in range(HISTORY_LENGTH + 5):
        store.record_game(game("draw", moves=((1 + n % 3, 1, 1),)))
    kept = json.loads((data_dir / "history.json").read_text())["games"]
    assert len(kept) == HISTORY_LENGTH
    kept[0]["moves"] = [[9, 9, 1]]  # a move that cannot be
    kept[1] = "nonsense"
    kept[2]["mode"] = "chess"
    (data_dir / "history.json").write_text(json.dumps({"version": 1, "games": kept}))
    with caplog.at_level(logging.WARNING):
        history = UserData(data_dir).history
    assert len(history) == HISTORY_LENGTH - 3
    assert history[0].moves == ((1 + (HISTORY_LENGTH + 4) % 3, 1, 1),), "newest first"


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2, 3]", b"\xff\xfe\x00garbage"])
def test_a_corrupt_stats_file_is_set_aside_with_a_warning(
    data_dir: Path, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "stats.json").write_bytes(content)
    with caplog.at_level(logging.WARNING):
        store = UserData(data_dir)
        assert store.stats["easy"] == Tally()
    aside = list(data_dir.glob("stats.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == content
    assert any("stats.json" in r.getMessage() and "unusable" in r.getMessage() for r in caplog.records)
    store.record_game(game("win"))
    assert json.loads((data_dir / "stats.json").read_text())["bot"]["easy"] == {"wins": 1, "losses": 0, "draws": 0}


def test_a_corrupt_stats_file_does_not_stop_the_game(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "stats.json").write_text("{\"bot\": ")
    (data_dir / "profile.json").write_text("\x00\x01")
    with Pilot.launch(data_dir=data_dir) as pilot:
        assert pilot.caption("Easy") == "W 0  ·  L 0  ·  D 0"
        pilot.click("Easy")
        pilot.press("escape")  # a forfeit after no move: not counted, but the menu is back
        assert pilot.screen.name == "menu"
    assert len(list(data_dir.glob("*.corrupt-*"))) == 2


def test_wrongly_typed_fields_fall_back_to_their_defaults(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "profile.json").write_text(json.dumps({"device_id": "abc123", "name": 42, "muted": "yes", "server": "h:1"}))
    (data_dir / "stats.json").write_text(json.dumps({"bot": {"easy": {"wins": -3, "losses": 2, "draws": "x"}}}))
    with caplog.at_level(logging.WARNING):
        store = UserData(data_dir)
        profile = store.profile
        stats = store.stats
    assert profile == Profile(device_id="abc123", name="Player", server="h:1", muted=False)
    assert stats["easy"] == Tally(losses=2)
    assert not list(data_dir.glob("*.corrupt-*")), "a file with bad fields is repaired, not set aside"
    assert json.loads((data_dir / "profile.json").read_text())["name"] == "Player"


def test_a_folder_that_cannot_be_written_is_logged_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("I am a file, not a folder")
    with caplog.at_level(logging.WARNING):
        store = UserData(blocker / "data")
        profile = store.profile
        store.record_game(game("win"))
        store.update_profile(muted=True)
    assert profile.device_id and store.profile.muted
    assert store.stats["easy"] == Tally(wins=1)  # kept in memory for this session
    assert any("could not save" in r.getMessage() for r in caplog.records)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs file permissions that root ignores")
def test_an_unreadable_file_is_set_aside(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    path = data_dir / "profile.json"
    path.write_text("{}")
    path.chmod(0)
    try:
        assert UserData(data_dir).profile.name == "Player"
    finally:
        for p in data_dir.iterdir():
            p.chmod(0o600)
    assert list(data_dir.glob("profile.json.corrupt-*"))


def test_two_windows_of_one_player_sign_in_as_different_devices(tmp_path: Path) -> None:
    first, second = UserData(tmp_path), UserData(tmp_path)
    one, two = first.session_device_id(), second.session_device_id()
    assert one == first.profile.device_id  # the first window is the profile's own device
    assert two != one and two.startswith(one)
    assert first.session_device_id() == one  # stable for the life of the window
    third = UserData(tmp_path)
    assert third.session_device_id() not in (one, two)


def test_a_closed_window_frees_its_identity_for_the_next(tmp_path: Path) -> None:
    code = (
        "import sys; from ui.userdata import UserData; "
        "print(UserData(sys.argv[1]).session_device_id())"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] == UserData(tmp_path).profile.device_id + "\n"


def test_background_writes_keep_their_order_and_are_all_on_disk_after_close(data_dir: Path) -> None:
    # The App's store: writes leave the render thread; memory is up to date at once.
    store = UserData(data_dir, background=True)
    for result in ("win", "loss", "win"):
        store.record_game(game(result))
    store.update_profile(name="Ada")
    store.update_profile(name="Grace")
    assert store.stats["easy"] == Tally(wins=2, losses=1)
    store.close()
    fresh = UserData(data_dir)
    assert fresh.stats["easy"] == Tally(wins=2, losses=1)
    assert fresh.profile.name == "Grace"

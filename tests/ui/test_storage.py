"""The file handling under the player's files: whole writes, unusable files set aside, one lock per file."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from ui.storage import read_json_object, set_aside, try_lock, write_json_atomic


def test_a_write_replaces_the_file_whole_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "thing.json"
    assert write_json_atomic(path, {"b": 1, "a": [1, 2]})
    assert read_json_object(path) == {"a": [1, 2], "b": 1}
    assert write_json_atomic(path, {"c": 3})
    assert json.loads(path.read_text()) == {"c": 3}
    assert sorted(p.name for p in path.parent.iterdir()) == ["thing.json"], "no temporary file is left behind"


def test_no_file_reads_as_none_and_is_not_set_aside(tmp_path: Path) -> None:
    assert read_json_object(tmp_path / "missing.json") is None
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [b"{half", b'"a string"', b"\xff\xfe"])
def test_a_file_that_is_not_a_json_object_is_set_aside(tmp_path: Path, content: bytes, caplog) -> None:
    path = tmp_path / "stats.json"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        assert read_json_object(path) is None
    (aside,) = tmp_path.iterdir()
    assert aside.name.startswith("stats.json.corrupt-") and aside.read_bytes() == content
    assert any("unusable" in r.getMessage() for r in caplog.records)


def test_setting_aside_twice_in_one_second_keeps_both(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "a.json"
    first.write_text("1")
    one = set_aside(first, "test")
    second.write_text("2")
    two = set_aside(second, "test")
    assert one is not None and two is not None and one != two
    assert {one.read_text(), two.read_text()} == {"1", "2"}


def test_a_disk_that_refuses_a_write_is_a_false_answer_not_an_error(tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    with caplog.at_level(logging.WARNING):
        assert write_json_atomic(blocker / "x.json", {}) is False
    assert any("could not save" in r.getMessage() for r in caplog.records)


def test_a_lock_is_held_by_one_descriptor_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "slot.lock"
    fds = [os.open(path, os.O_RDWR | os.O_CREAT, 0o644) for _ in range(2)]
    try:
        assert try_lock(fds[0]) is True
        assert try_lock(fds[1]) is False
        os.close(fds.pop(0))  # closing the holder frees the lock
        assert try_lock(fds[0]) is True
    finally:
        for fd in fds:
            os.close(fd)

"""The networked command line, run as a script would: ``main.py --serve``, ``--online``, ``--host``, ``--join``.

Real processes under SDL's dummy video driver, talking over loopback only: a server
on a port it picked itself (read back from its log), LAN announcements sent to
127.255.255.255 on a UDP port picked free for the test. Usage errors are checked
in-process (argparse exits before anything starts).
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from game.bot import Level
from net.config import SessionConfig
from tests.net.standins import LoopThread, NakamaStandIn, StandInSocket
from ui import cli as main
from ui.launch import ClientOptions, Play, run_client
from ui.settings import NetSettings

REPO = Path(__file__).resolve().parents[2]
WAIT = 60.0  # a broken run fails after this long; a working one takes a few seconds


def env_for(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", TICTACTOE_DATA_DIR=str(data_dir))
    env.pop("PYGAME_HIDE_SUPPORT_PROMPT", None)
    return env


def start(*args: str, data_dir: Path, stderr_file: Path | None = None) -> subprocess.Popen[str]:
    """``main.py ARGS`` in the background (stdout piped; stderr to a file, so a chatty log never blocks it)."""
    command = [sys.executable, str(REPO / "main.py"), *args]
    if stderr_file is None:
        return subprocess.Popen(command, cwd=REPO, env=env_for(data_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    with open(stderr_file, "w") as err:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, cwd=REPO, env=env_for(data_dir), stdout=subprocess.PIPE, stderr=err, text=True)


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait for ``process``; (exit code, stdout, stderr)."""
    out, err = process.communicate(timeout=WAIT)
    return process.returncode, out, err or ""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """``main.py --serve`` on a free port of its choosing; its address, read from its log."""
    log = tmp_path / "serve.log"
    process = start("--serve", "--port", "0", "--data", str(tmp_path / "served"), "--grace-seconds", "3",
                    data_dir=tmp_path / "serve", stderr_file=log)
    try:
        deadline = time.monotonic() + WAIT
        address = None
        while address is None:
            found = re.search(r"listening on https?://(127\.0\.0\.1:\d+)", log.read_text())
            if found:
                address = found.group(1)
            elif process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start: {log.read_text()}")
            else:
                time.sleep(0.05)
        yield address
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, log.read_text()
    assert "INFO net.host: stopped" in log.read_text(), "a SIGTERM stops the server cleanly"


def games(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_two_online_clients_play_their_games_against_the_served_host_and_exit_0(tmp_path: Path, server: str) -> None:
    args = ("--online", "--server", server, "--auto", "perfect", "--games", "2")
    a = start(*args, "--name", "ann", data_dir=tmp_path / "ann")
    b = start(*args, "--name", "bob", data_dir=tmp_path / "bob")
    results = [finish(a), finish(b)]
    for code, out, err in results:
        assert code == 0, err
        played = games(out)
        assert len(played) == 2
        assert all(g["mode"] == "online" and g["result"] == "draw" and g["moves"] == 9 for g in played)
    marks = [{g["mark"] for g in games(out)} for _, out, _ in results]
    assert marks[0] | marks[1] == {"X", "O"} and marks[0].isdisjoint(marks[1])


def test_a_lan_host_and_a_joiner_find_each_other_and_finish(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        discovery = str(probe.getsockname()[1])
    host = start("--host", "--bind", "127.0.0.1", "--port", "0", "--broadcast", "127.255.255.255",
                 "--discovery-port", discovery, "--auto", "perfect", "--games", "1", "--name", "Hana",
                 data_dir=tmp_path / "host")
    joiner = start("--join", "--discovery-port", discovery, "--auto", "perfect", "--games", "1", "--name", "Jo",
                   data_dir=tmp_path / "join")
    for code, out, err in (finish(host), finish(joiner)):
        assert code == 0, err
        (game,) = games(out)
        assert game["mode"] == "lan" and game["result"] == "draw"


def test_an_unreachable_server_exits_1_with_one_line_saying_where(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{s.getsockname()[1]}"  # closed again: nothing listens there
    code, out, err = finish(start("--online", "--server", dead, "--auto", "easy", "--games", "1", data_dir=tmp_path))
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [f"Can't reach the server at {dead} (connection refused)."]


def test_an_opponent_who_stops_early_makes_the_other_exit_1_saying_so(tmp_path: Path, server: str) -> None:
    args = ("--online", "--server", server, "--auto", "perfect")
    short = start(*args, "--games", "1", "--name", "ann", data_dir=tmp_path / "ann")
    long = start(*args, "--games", "3", "--name", "bob", data_dir=tmp_path / "bob")
    code, out, err = finish(short)
    assert code == 0 and len(games(out)) == 1, err
    code, out, err = finish(long)
    assert code == 1 and len(games(out)) == 1
    assert err.strip().splitlines()[-1] == "ann left instead of playing again."  # after a game: no rematch


def test_a_search_that_finds_nobody_within_the_match_timeout_exits_1_saying_so(tmp_path: Path, server: str) -> None:
    code, out, err = finish(start("--online", "--server", server, "--match-timeout", "1", "--auto", "easy",
                                  "--games", "1", "--name", "ann", data_dir=tmp_path))
    assert code == 1 and out == ""
    assert err.strip().splitlines()[-1] == "No opponent was found within 1 s."


def test_a_server_that_drops_every_connection_makes_the_headless_client_exit_1_saying_so(tmp_path, monkeypatch) -> None:
    # In process, so that the backoff can be shrunk: with the defaults giving up takes about 40 s.
    monkeypatch.setenv("TICTACTOE_DATA_DIR", str(tmp_path))
    session = SessionConfig(backoff_first=0.05, backoff_max=0.2, reconnect_attempts=3, http_timeout=5, open_timeout=5)
    options = ClientOptions(play=Play.ONLINE, auto=Level.EASY, games=1, instant=True, name="ann",
                            net=NetSettings(session=session))
    out, err = io.StringIO(), io.StringIO()

    async def drop(ws: StandInSocket) -> None:
        await ws.ws.close(1011, "internal error")

    with LoopThread() as loop:
        nakama = loop.run(NakamaStandIn(drop).start())
        try:
            code = run_client(replace(options, server=nakama.address), out=out, err=err)
        finally:
            loop.run(nakama.stop())
    assert code == 1 and out.getvalue() == ""
    assert err.getvalue().strip().splitlines()[-1] == "The server keeps dropping the connection."
    assert len(nakama.sockets) == 4  # the first connection and three tries


def test_help_documents_every_flag() -> None:
    text = " ".join(main.build_parser().format_help().split())
    for flag in ("--bot", "--online", "--host", "--join", "--serve", "--server", "--key", "--name", "--port",
                 "--discovery-port", "--broadcast", "--bind", "--data", "--turn-seconds", "--grace-seconds",
                 "--auto", "--games", "--size", "--screenshot"):
        assert flag in text
    assert "with --host: the LAN game's port" in text and "with --serve: the port to listen on" in text


@pytest.mark.parametrize(
    "args, complaint",
    [
        (["--online", "--bot", "easy"], "not allowed with argument"),
        (["--host", "--join"], "not allowed with argument"),
        (["--serve", "--online"], "not allowed with argument"),
        (["--server", "127.0.0.1:7350"], "--server goes with --online"),
        (["--host", "--server", "127.0.0.1:7350"], "--server goes with --online"),
        (["--host", "--key", "k"], "--key goes with --online or --serve"),
        (["--bot", "easy", "--name", "ann"], "--name goes with"),
        (["--online", "--port", "7350"], "--port goes with --host or --serve"),
        (["--online", "--bind", "0.0.0.0"], "--bind goes with --host or --serve"),
        (["--online", "--discovery-port", "7351"], "--discovery-port is for LAN announcements"),
        (["--join", "10.0.0.2:7350", "--discovery-port", "7351"], "--discovery-port is for LAN announcements"),
        (["--join", "--broadcast", "127.255.255.255"], "--broadcast sets where a LAN host announces"),
        (["--online", "--turn-seconds", "5"], "--turn-seconds is a game server option"),
        (["--data", "/nowhere"], "--data is a game server option"),
        (["--serve", "--auto", "easy"], "--serve runs the server without a window"),
        (["--serve", "--name", "ann"], "--serve runs the server without a window"),
        (["--online", "--server", "nowhere:http"], "expected HOST:PORT"),
        (["--join", "a b:1"], "expected HOST:PORT"),
        (["--host", "--name", ""], "Type your name"),
        (["--host", "--name", "x" * 21], "A name has at most 20 characters"),
        (["--bot", "easy", "--match-timeout", "5"], "--match-timeout goes with --online, --host or --join"),
        (["--online", "--match-timeout", "0"], "expected a number of seconds above 0"),
        (["--host", "--broadcast", "everyone"], "expected an IPv4 address"),
        (["--host", "--discovery-port", "0"], "a port is 1 to 65535"),
        (["--host", "--port", "70000"], "a port is 0 to 65535"),
        (["--games", "1", "--auto", "easy"], "--games needs --bot LEVEL, --online, --host or --join"),
        (["--online", "--games", "1"], "--games needs --auto"),
        (["--ser"], "unrecognized arguments"),
    ],
)
def test_bad_combinations_get_the_usage_and_exit_2(args: list[str], complaint: str, capsys, monkeypatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    with pytest.raises(SystemExit) as exit_:
        main.main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: main.py") and complaint in err

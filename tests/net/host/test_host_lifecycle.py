"""Starting and stopping a host: embedded (``Host``) and headless (``net.host.serve``)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from game.xoxo import OP_STATE
from net.host import Host, HostConfig, HostError, PortInUseError

REPO = Path(__file__).resolve().parents[3]


def test_a_port_in_use_is_a_clear_error(running_host, tmp_path):
    async def scenario():
        host = Host(HostConfig(port=running_host.port, data_dir=tmp_path / "second"))
        with pytest.raises(PortInUseError) as info:
            await host.start()
        return info.value

    err = asyncio.run(scenario())
    assert isinstance(err, HostError) and isinstance(err, OSError)
    assert str(err) == f"port {running_host.port} is already in use on 127.0.0.1"


def test_an_unusable_data_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    async def scenario():
        with pytest.raises(HostError, match="data folder"):
            await Host(HostConfig(port=0, data_dir=blocker / "host")).start()

    asyncio.run(scenario())


def test_bad_settings_are_refused():
    for bad in ({"port": 70000}, {"server_key": ""}, {"turn_seconds": -1}, {"max_players": 1}, {"node": "a.b"}):
        with pytest.raises(ValueError):
            HostConfig(**bad)


def test_stop_tells_players_and_closes_their_sockets(running_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)
        lobby = await host_client.connect(running_host.port, "cat")
        stats = running_host.stats()
        assert (stats.connected, stats.users, stats.matches) == (3, 3, 1)
        await asyncio.to_thread(running_host.stop, "Server shutting down")
        for p in (p1, p2):
            assert await p.match_data(OP_STATE) == b"Server shutting down"
            code, reason = await p.closed()
            assert code == 1001 and reason == "Server shutting down"
        assert (await lobby.closed())[0] == 1001

    host_client.run(scenario())


def test_abort_drops_every_socket_and_the_port_at_once(running_host, host_client):
    async def scenario():
        p1, p2 = await host_client.pair(running_host.port)
        await asyncio.to_thread(running_host.call, running_host.host.abort)
        for p in (p1, p2):
            code, _ = await p.closed()
            assert code == 1006  # no close handshake: the connection was dropped
        assert not running_host.host.running
        with pytest.raises(OSError):
            await host_client.connect(running_host.port, "late")

    host_client.run(scenario())


def test_an_embedded_host_runs_on_any_loop_and_restarts_on_its_data(tmp_path, host_client):
    async def scenario():
        host = Host(HostConfig(port=0, data_dir=tmp_path / "emb"))
        await host.start()
        try:
            p1, p2 = await host_client.pair(host.port)
            await p1.move(1, 1)
            assert (await p2.state()).board.at(1, 1) == 1
        finally:
            await host.stop()
        assert not host.running
        await host.stop()  # twice is harmless

    host_client.run(scenario())


# Headless --------------------------------------------------------------------------------


def _serve(*args: str, entry: tuple[str, ...] = ("-m", "net.host.serve")) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, *entry, *args],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _port_of(proc: subprocess.Popen) -> int:
    assert proc.stderr is not None
    for line in proc.stderr:
        found = re.search(r"listening on https?://127\.0\.0\.1:(\d+)", line)
        if found:
            return int(found.group(1))
    raise AssertionError(f"the host did not start: {proc.wait(5)}")


def test_serve_stops_on_sigterm_after_telling_players(tmp_path, host_client):
    proc = _serve("--serve", "--port", "0", "--data", str(tmp_path / "data"), entry=("main.py",))
    try:
        port = _port_of(proc)

        async def scenario():
            p1, _p2 = await host_client.pair(port)
            proc.send_signal(signal.SIGTERM)
            assert await p1.match_data(OP_STATE) == b"Server shutting down"
            assert (await p1.closed())[0] == 1001

        host_client.run(scenario())
        assert proc.wait(10) == 0
        log = proc.stderr.read()
        assert "Traceback" not in log
        assert "stopped" in log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (tmp_path / "data" / "host.sqlite3").exists()


def test_serve_refuses_a_port_in_use_in_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _serve("--port", str(port), "--data", str(tmp_path / "data"))
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert err.strip() == f"error: port {port} is already in use on 127.0.0.1"
    assert out == ""

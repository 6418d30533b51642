"""LAN play across a real link: two network namespaces joined by a veth pair.

The announcer runs with its default targets (the limited broadcast and each interface's
directed broadcast, found by reading the namespace's interfaces), so this checks the
whole path a player's machine takes; a second test plays a whole LAN game between a
hosting and a joining game, one in each namespace. Both namespaces are created here, hold nothing but
the veth pair and loopback, and are deleted afterwards: nothing reaches a real network.
Skipped where the machine does not allow namespaces (not root, no iproute2, a sandbox
that refuses them).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# Inside the namespaces the announcer uses its default targets: the suite's loopback-only
# switch (TICTACTOE_BROADCAST, set in tests/conftest.py) is left out of their environment.
_DEFAULT_TARGETS = {k: v for k, v in os.environ.items() if k != "TICTACTOE_BROADCAST"}

LISTENER = """
import asyncio, json, sys
from net.discovery import Listener

async def main(port):
    found = asyncio.get_running_loop().create_future()

    def on_change(snapshot):
        if snapshot and not found.done():
            found.set_result(snapshot)

    async with Listener(port=port, on_change=on_change):
        snapshot = await asyncio.wait_for(found, 20)
    print(json.dumps([{"address": g.address, "port": g.port, "host": g.host, "game": g.game,
                       "state": g.state.value, "compatible": g.compatible} for g in snapshot]), flush=True)

asyncio.run(main(int(sys.argv[1])))
"""

ANNOUNCER = """
import asyncio, json, sys
from net.announcer import Announcer
from net.interfaces import lan_addresses

async def main(port):
    async with Announcer(host="Netns host", port=7350, discovery_port=port, interval=0.2) as announcer:
        print(json.dumps({"targets": announcer.targets, "lan": lan_addresses()}), flush=True)
        await asyncio.sleep(30)  # the test ends it sooner

asyncio.run(main(int(sys.argv[1])))
"""


def ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=15, check=False)


def require(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        pytest.skip(f"cannot {what} here: {done.stderr.strip() or done.returncode}")


@dataclass(frozen=True)
class Link:
    """Two namespaces joined by veth: the host's side is ``subnet``.1, the finder's ``subnet``.2."""

    host_ns: str
    finder_ns: str
    subnet: str


@pytest.fixture
def veth_link() -> Iterator[Link]:
    if not sys.platform.startswith("linux"):
        pytest.skip("network namespaces are a Linux feature")
    if os.geteuid() != 0:
        pytest.skip("creating network namespaces needs root")
    if shutil.which("ip") is None:
        pytest.skip("iproute2's ip command is not installed")
    tag = secrets.token_hex(3)
    link = Link(f"xoxo-disc-{tag}-h", f"xoxo-disc-{tag}-f", f"10.200.{secrets.randbelow(250) + 1}")
    host_if, finder_if = f"xd{tag}h", f"xd{tag}f"  # interface names stay under 16 bytes
    created: list[str] = []
    try:
        for ns in (link.host_ns, link.finder_ns):
            require(ip("netns", "add", ns), "create a network namespace")
            created.append(ns)
        require(ip("link", "add", host_if, "netns", link.host_ns, "type", "veth", "peer", "name", finder_if,
                   "netns", link.finder_ns), "create a veth pair")
        for ns, ifname, address in ((link.host_ns, host_if, f"{link.subnet}.1/24"),
                                    (link.finder_ns, finder_if, f"{link.subnet}.2/24")):
            require(ip("-n", ns, "addr", "add", address, "broadcast", "+", "dev", ifname), "address the veth pair")
            require(ip("-n", ns, "link", "set", ifname, "up"), "bring the veth pair up")
            require(ip("-n", ns, "link", "set", "lo", "up"), "bring loopback up")
        yield link
    finally:
        for ns in created:
            ip("netns", "del", ns)


class Processes:
    """Processes started inside namespaces; whatever still runs at the end is killed."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[str]] = []

    def start(self, ns: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, *args],
            cwd=REPO_ROOT, env={**_DEFAULT_TARGETS, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.started.append(process)
        return process

    def kill_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def processes() -> Iterator[Processes]:
    procs = Processes()
    yield procs
    procs.kill_all()


def test_a_game_is_discovered_from_another_namespace_over_veth(veth_link: Link, processes: Processes) -> None:
    port = 20000 + secrets.randbelow(20000)
    finder = processes.start(veth_link.finder_ns, ["-c", LISTENER, str(port)])
    host = processes.start(veth_link.host_ns, ["-c", ANNOUNCER, str(port)])
    found, finder_errors = finder.communicate(timeout=40)
    host.terminate()
    announced, host_errors = host.communicate(timeout=10)
    assert finder.returncode == 0, finder_errors
    games = json.loads(found)
    info = json.loads(announced.splitlines()[0]) if announced else None
    assert info is not None, host_errors

    subnet = veth_link.subnet
    assert games == [{"address": f"{subnet}.1", "port": 7350, "host": "Netns host", "game": "Tic-tac-toe",
                      "state": "waiting", "compatible": True}]
    assert [f"{subnet}.255", port] in info["targets"]
    assert ["255.255.255.255", port] in info["targets"]
    assert info["lan"] == [f"{subnet}.1"]


def test_a_whole_lan_game_is_played_across_the_link(veth_link: Link, processes: Processes, tmp_path: Path) -> None:
    # The real game, headless: one hosts (announcing with its default targets inside its
    # namespace), the other joins the first game it discovers, and both play to the end.
    discovery = str(20000 + secrets.randbelow(20000))
    headless = {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    main = str(REPO_ROOT / "main.py")
    host = processes.start(
        veth_link.host_ns,
        [main, "--host", "--name", "Hosting", "--discovery-port", discovery, "--auto", "perfect", "--games", "1"],
        {**headless, "TICTACTOE_DATA_DIR": str(tmp_path / "host")},
    )
    joiner = processes.start(
        veth_link.finder_ns,
        [main, "--join", "--name", "Joining", "--discovery-port", discovery, "--auto", "perfect", "--games", "1"],
        {**headless, "TICTACTOE_DATA_DIR": str(tmp_path / "joiner")},
    )
    joined, join_errors = joiner.communicate(timeout=90)
    hosted, host_errors = host.communicate(timeout=30)
    assert joiner.returncode == 0, join_errors
    assert host.returncode == 0, host_errors
    ours, theirs = json.loads(joined), json.loads(hosted)
    assert ours["mode"] == theirs["mode"] == "lan"
    assert {ours["mark"], theirs["mark"]} == {"X", "O"}
    assert ours["result"] == theirs["result"] == "draw"  # perfect against perfect

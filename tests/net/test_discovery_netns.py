"""LAN discovery across a real link: two network namespaces joined by a veth pair.

The announcer runs with its default targets (the limited broadcast and each interface's
directed broadcast, found by reading the namespace's interfaces), so this checks the
whole path a player's machine takes. Both namespaces are created here, hold nothing but
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
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

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
from net.discovery import Announcer, lan_addresses

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


def test_a_game_is_discovered_from_another_namespace_over_veth() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("network namespaces are a Linux feature")
    if os.geteuid() != 0:
        pytest.skip("creating network namespaces needs root")
    if shutil.which("ip") is None:
        pytest.skip("iproute2's ip command is not installed")

    tag = secrets.token_hex(3)
    host_ns, finder_ns = f"xoxo-disc-{tag}-h", f"xoxo-disc-{tag}-f"
    host_if, finder_if = f"xd{tag}h", f"xd{tag}f"  # interface names stay under 16 bytes
    subnet = f"10.200.{secrets.randbelow(250) + 1}"
    port = 20000 + secrets.randbelow(20000)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    created: list[str] = []
    processes: list[subprocess.Popen[str]] = []
    try:
        for ns in (host_ns, finder_ns):
            require(ip("netns", "add", ns), "create a network namespace")
            created.append(ns)
        require(ip("link", "add", host_if, "netns", host_ns, "type", "veth", "peer", "name", finder_if,
                   "netns", finder_ns), "create a veth pair")
        for ns, ifname, address in ((host_ns, host_if, f"{subnet}.1/24"), (finder_ns, finder_if, f"{subnet}.2/24")):
            require(ip("-n", ns, "addr", "add", address, "broadcast", "+", "dev", ifname), "address the veth pair")
            require(ip("-n", ns, "link", "set", ifname, "up"), "bring the veth pair up")
            require(ip("-n", ns, "link", "set", "lo", "up"), "bring loopback up")

        def start(ns: str, script: str) -> subprocess.Popen[str]:
            process = subprocess.Popen(
                ["ip", "netns", "exec", ns, sys.executable, "-c", script, str(port)],
                cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            processes.append(process)
            return process

        finder = start(finder_ns, LISTENER)
        host = start(host_ns, ANNOUNCER)
        found, finder_errors = finder.communicate(timeout=40)
        host.terminate()
        announced, host_errors = host.communicate(timeout=10)
        assert finder.returncode == 0, finder_errors
        games = json.loads(found)
        info = json.loads(announced.splitlines()[0]) if announced else None
        assert info is not None, host_errors
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        for ns in created:
            ip("netns", "del", ns)

    assert games == [{"address": f"{subnet}.1", "port": 7350, "host": "Netns host", "game": "Tic-tac-toe",
                      "state": "waiting", "compatible": True}]
    assert [f"{subnet}.255", port] in info["targets"]
    assert ["255.255.255.255", port] in info["targets"]
    assert info["lan"] == [f"{subnet}.1"]

"""Descriptor exhaustion: a host under a low RLIMIT_NOFILE keeps answering, and its log stays short.

Each test starts ``python -m net.host.serve`` in a subprocess whose descriptor limit is
lowered to 64, then holds idle connections from 127.0.0.2 while another client
(127.0.0.3) signs in. Loopback only; a few dozen connections; every wait has a deadline.
"""

from __future__ import annotations

import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.net.host.rawclient import WAIT, http_exchange, tcp
from tests.net.host.test_host_limits import get, sign_in

REPO = Path(__file__).resolve().parents[3]
NOFILE = 64


@contextmanager
def served(tmp_path: Path, *options: str) -> Iterator[tuple[int, Path]]:
    """A host with RLIMIT_NOFILE at 64: its port and its log file."""
    log = tmp_path / "host.log"

    def lower_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "net.host.serve", "--bind", "127.0.0.1", "--port", "0", "--data", str(tmp_path / "data"),
             "--sign-ins-per-minute", "0", *options],
            cwd=REPO, stdout=out, stderr=out, preexec_fn=lower_limit,
        )
    try:
        deadline = time.monotonic() + 20
        while not (found := re.search(r"listening on http://127\.0\.0\.1:(\d+)", log.read_text())):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield int(found.group(1)), log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_at_the_derived_cap_a_sign_in_is_answered_503_and_succeeds_once_room_is_made(tmp_path):
    with served(tmp_path, "--max-connections-per-address", "0") as (port, log):
        idle = [tcp(port, "127.0.0.2") for _ in range(NOFILE)]  # more than the cap (40) and than the descriptors
        try:
            with tcp(port, "127.0.0.2") as probe:  # answered once the host has taken the idle ones in
                http_exchange(probe, get("/healthcheck"))
            status, headers, _ = sign_in(port, "patient", source="127.0.0.3")
            assert status == 503 and headers.get("retry-after") == "5"
        finally:
            for sock in idle:
                sock.close()
        end = time.monotonic() + WAIT
        while (status := sign_in(port, "patient", source="127.0.0.3")[0]) != 200 and time.monotonic() < end:
            time.sleep(0.1)
        assert status == 200
        text = log.read_text()
    assert "Traceback" not in text
    assert text.count("out of descriptors") <= 1, text


def test_accept_survives_running_out_of_descriptors_with_one_log_line(tmp_path):
    with served(tmp_path, "--max-connections", "1000", "--max-connections-per-address", "0") as (port, log):
        idle = [tcp(port, "127.0.0.2") for _ in range(NOFILE + 16)]  # the host cannot take them all
        try:
            end = time.monotonic() + WAIT
            while "out of descriptors" not in log.read_text():
                assert time.monotonic() < end, log.read_text()
                time.sleep(0.05)
        finally:
            for sock in idle:
                sock.close()
        end = time.monotonic() + WAIT
        while (status := sign_in(port, "after", source="127.0.0.3")[0]) != 200 and time.monotonic() < end:
            time.sleep(0.1)
        assert status == 200
        text = log.read_text()
    assert "Traceback" not in text
    assert text.count("out of descriptors") == 1, text  # one line for the shortage, not one per attempt

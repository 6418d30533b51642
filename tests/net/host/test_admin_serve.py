"""``--serve --admin-port`` from the command line, and ``--log-format json``: what an operator runs and reads.

One real process: the host and its admin listener on ports the system picks, logs as
JSON lines on stderr (read line by line, each with a deadline), /metrics and the console
asked over loopback, then SIGTERM. And the JSON formatter on its own: the fields a log
shipper expects, extra fields, a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from net.host.jsonlog import JsonFormatter
from tests.net.host.adminclient import PASSWORD, Browser

REPO = Path(__file__).resolve().parents[3]
RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def test_the_json_formatter_writes_one_object_a_line_with_extra_fields_and_the_traceback():
    formatter = JsonFormatter()
    record = logging.LogRecord("net.host", logging.WARNING, __file__, 1, "match %s: %d moves", ("m1", 5), None)
    record.match_id = "m1"
    line = formatter.format(record)
    assert "\n" not in line
    obj = json.loads(line)
    assert RFC3339_UTC.fullmatch(obj.pop("time"))
    assert obj == {"level": "WARNING", "logger": "net.host", "message": "match m1: 5 moves", "match_id": "m1"}
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord("net.host", logging.ERROR, __file__, 1, "it failed", None, sys.exc_info())
    obj = json.loads(formatter.format(failed))
    assert obj["message"] == "it failed" and "ValueError: boom" in obj["exception"]


def _lines(proc: subprocess.Popen[str], until: str, deadline: float) -> list[dict[str, object]]:
    """JSON log lines from ``proc``'s stderr up to and including the first whose message starts with ``until``."""
    assert proc.stderr is not None
    got: list[dict[str, object]] = []
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stderr, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no log line starting {until!r}; got {got}"
            if not sel.select(left):
                continue
            line = proc.stderr.readline()
            assert line, f"the host ended before logging {until!r}; got {got}"
            got.append(json.loads(line))
            if str(got[-1]["message"]).startswith(until):
                return got


def test_serve_with_an_admin_port_and_json_logs(tmp_path):
    env = {**os.environ, "TICTACTOE_ADMIN_PASSWORD": PASSWORD}
    cmd = [sys.executable, "-m", "net.host.serve", "--port", "0", "--admin-port", "0", "--data", str(tmp_path / "d"),
           "--log-format", "json"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        lines = _lines(proc, "admin listener on", time.monotonic() + 20)
        for obj in lines:
            assert RFC3339_UTC.fullmatch(str(obj["time"])) and obj["logger"] == "net.host" and obj["level"] == "INFO"
        found = re.search(r"http://127\.0\.0\.1:(\d+)", str(lines[-1]["message"]))
        assert found, lines[-1]
        browser = Browser(int(found.group(1)))
        assert "tictactoe_players_connected 0.0" in browser.get("/metrics").body
        assert browser.sign_in().status == 303
        assert browser.get("/console").status == 200
        proc.send_signal(signal.SIGTERM)
        tail = _lines(proc, "stopped", time.monotonic() + 20)
        assert any(obj["message"] == "admin listener stopped" for obj in tail)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        if proc.stderr is not None:
            proc.stderr.close()
    audit = [json.loads(line) for line in (tmp_path / "d" / "audit.jsonl").read_text().splitlines()]
    assert [(e["action"], e["operator"]) for e in audit] == [("sign_in", "Olga")]

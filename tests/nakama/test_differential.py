"""Differential test: the Nakama module and game/match.py's XoxoMatch, fed the same events, say the same.

Hypothesis writes a session of a match: joins (declaring our protocol or not), rejoins
by a new session of the same user, strangers trying to join, leaves on purpose and
dropped sockets, legal and illegal moves, malformed payloads, rematch requests, claims,
unknown op codes, ticks, a shutdown; in a rated match (the matchmaker's, without a
friend code) from players' standings already on the leaderboard or new ones. The Nakama
stand-in plays Nakama's part for the Lua module (presence list, ticks, message queue,
leaderboard); the same events go to an ``XoxoMatch`` whose clock reads the same tick /
tick rate and whose ``tick()`` runs at every match_loop.
After every step both must have sent the same messages (op code, recipients, decoded
payload), stored the same games and written the same leaderboard records (standings to
the last bit), in the same order, ended together, and show the same label. A difference
fails with both transcripts side by side.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.match import GameRecord, LeaveReason, MatchMessage, MatchSettings, XoxoMatch
from game.rating import Rating
from game.rules import cell_of
from game.standing import LEADERBOARD_ID, Standing
from game.xoxo import MAX_MOVE_BYTES
from game.xoxo import Presence as PyPresence
from tests.nakama.standin import (
    NODE,
    PRESENCE_DISCONNECT,
    PRESENCE_LEAVE,
    NakamaRuntime,
    Presence,
    StandInMatch,
)
from tests.nakama.strategies import (
    claim_payloads,
    edge_payloads,
    move_payloads,
    reaction_payloads,
    rematch_payloads,
    unknown_ops,
)

NAMES = ("ann", "bob", "eve")  # ann and bob are matched; eve is a stranger when the match has expected players
USER_IDS = {name: str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.example")) for name in NAMES}
COLLECTION = "xoxo_plus_games"
SYSTEM_USER = "00000000-0000-0000-0000-000000000000"
DECLARATIONS = [None, {"protocol": "2"}, {"protocol": "1"}, {"protocol": "x"}, {}, {"protocol": "000002", "x": "y"},
                {"protocol": "3"}, {"protocol": "3"}, {"protocol": "003"}, {"protocol": "4"}, {"protocol": "4"}]
# Standings already on the leaderboard when a seeded session starts (the same on both sides).
SEEDS = {"ann": Standing(Rating(1623.4, 80.5, 0.0598), 12, 3, 5, 1, "old/7"),
         "bob": Standing(Rating(1488.0, 200.0, 0.061), 1, 2, 0, 0, "old/3")}


@dataclass(frozen=True)
class Config:
    tick_rate: int
    turn: str  # as written in runtime.env
    grace: str
    rematch: str  # "none": only when both ask
    join_timeout: str
    matched: bool  # created by the matchmaker hook (expected players) or by match_create without params
    idle: str = "none"  # xoxo_plus_idle_seconds
    rated: bool = False  # (matched only) queued without a friend code, so rated
    seeded: bool = False  # ann and bob have standings on the leaderboard already (SEEDS)

    def env(self) -> dict[str, str]:
        return {"xoxo_plus_tick_rate": str(self.tick_rate), "xoxo_plus_turn_seconds": self.turn,
                "xoxo_plus_grace_seconds": self.grace, "xoxo_plus_rematch_seconds": self.rematch,
                "xoxo_plus_join_timeout_seconds": self.join_timeout, "xoxo_plus_idle_seconds": self.idle}

    def match_settings(self, expected: tuple[PyPresence, ...] | None) -> MatchSettings:
        return MatchSettings(turn_seconds=float(self.turn), grace_seconds=float(self.grace),
                             rematch_seconds=None if self.rematch == "none" else int(self.rematch),
                             expected=expected, join_timeout_seconds=float(self.join_timeout),
                             rated=self.matched and self.rated,
                             idle_seconds=None if self.idle == "none" else float(self.idle))


configs = st.builds(
    Config,
    tick_rate=st.sampled_from([1, 2, 4, 10, 60]),
    turn=st.sampled_from(["0", "0.5", "1", "2.5", "6"]),
    grace=st.sampled_from(["0", "0.7", "2"]),
    rematch=st.sampled_from(["none", "0", "1", "3"]),
    join_timeout=st.sampled_from(["0.3", "1", "4"]),
    matched=st.booleans(),
    idle=st.sampled_from(["none", "0.5", "3"]),
    rated=st.booleans(),
    seeded=st.booleans(),
)

who = st.sampled_from(NAMES)
players = st.sampled_from(NAMES[:2])
steps = st.one_of(
    st.tuples(st.just("join"), who, st.booleans(), st.sampled_from(DECLARATIONS)),  # (.., user, new session?, metadata)
    st.tuples(st.just("leave"), who, st.booleans()),  # (.., user, on purpose?)
    st.tuples(st.just("reconnect"), players, st.sampled_from([0, 0.5, 1.5, 3]), st.sampled_from(["2", "3", "4"])),
    st.tuples(st.just("play"), st.integers(min_value=0, max_value=8)),  # a legal move by whoever is to move
    st.tuples(st.just("plays"), st.lists(st.integers(min_value=0, max_value=8), min_size=2, max_size=9)),
    st.tuples(st.just("plays"), st.lists(st.integers(min_value=0, max_value=8), min_size=2, max_size=9)),
    st.tuples(st.just("play"), st.integers(min_value=0, max_value=8), st.sampled_from(["occupied", "not_your_turn"])),
    st.tuples(st.just("send"), who, st.just(1), move_payloads),
    st.tuples(st.just("send"), players, st.just(1), move_payloads),
    st.tuples(st.just("move"), move_payloads),  # by the player to move
    st.tuples(st.just("move"), edge_payloads),
    st.tuples(st.just("send"), players, st.just(4), rematch_payloads),
    st.tuples(st.just("send"), players, st.just(4), rematch_payloads),
    st.tuples(st.just("send"), players, st.just(6), claim_payloads),  # claims against an absent opponent
    st.tuples(st.just("away"), players, st.sampled_from([0.2, 0.6, 1.2]), claim_payloads),  # the other drops, a claim
    st.tuples(st.just("send"), who, st.just(8), reaction_payloads),  # quick reactions
    st.tuples(st.just("send"), players, st.just(8), reaction_payloads),
    st.tuples(st.just("send"), who, unknown_ops, st.sampled_from([b"{}", None])),
    st.tuples(st.just("wait"), st.sampled_from([0.25, 0.5, 1, 1.5, 2.5, 4])),  # seconds of ticks
    st.tuples(st.just("loop"), st.integers(min_value=1, max_value=3)),  # ticks
    st.tuples(st.just("terminate"), st.sampled_from([0, 5, 30])),
)
BOTH_DECLARED = (("join", "bob", False, {"protocol": "2"}), ("join", "ann", False, {"protocol": "2"}))
BOTH_3 = (("join", "ann", False, {"protocol": "3"}), ("join", "bob", False, {"protocol": "3"}))
BOTH_4 = (("join", "ann", False, {"protocol": "4"}), ("join", "bob", False, {"protocol": "4"}))
openings = st.sampled_from([(), (("join", "ann", False, {"protocol": "2"}),),
                            (("join", "ann", False, None), ("join", "bob", False, {"protocol": "2"})),
                            (("join", "ann", False, {"protocol": "3"}), ("join", "bob", False, {"protocol": "2"})),
                            (("join", "ann", False, {"protocol": "4"}), ("join", "bob", False, {"protocol": "3"})),
                            BOTH_DECLARED, BOTH_DECLARED, BOTH_3, BOTH_3, BOTH_4, BOTH_4])


# Normal forms of what each side sent ------------------------------------------------------------


def canon(v: Any) -> Any:
    """A JSON value in a form where true != 1 and 1 == 1.0 (as a JSON reader sees them)."""
    if isinstance(v, bool) or v is None:
        return ("lit", v)
    if isinstance(v, (int, float)):
        return ("num", float(v))
    if isinstance(v, list):
        return ("list", tuple(canon(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple(sorted((k, canon(x)) for k, x in v.items())))
    return v


def decoded(data: bytes | None) -> Any:
    try:
        return json.loads(data or b"")
    except ValueError:
        return data  # op 2's plain-text notice, as bytes


@dataclass(frozen=True)
class Out:
    """One thing a side did: a message sent (op code, recipients, payload) or a game stored."""

    kind: str
    op_code: int
    to: tuple[str, ...]
    value: Any = field(compare=False)  # as decoded, for the report
    canonical: Any = None  # what is compared

    @classmethod
    def send(cls, op_code: int, to: tuple[str, ...], data: bytes | None) -> Out:
        value = decoded(data)
        return cls("send", op_code, to, value, canon(value))

    @classmethod
    def store(cls, stored: dict[str, Any]) -> Out:
        return cls("store", 0, (), stored, canon(stored))

    @classmethod
    def board(cls, record: dict[str, Any]) -> Out:
        """A leaderboard record written: owner, name, score, subscore and metadata (a JSON text, compared decoded)."""
        value = {k: record[k] for k in ("leaderboard_id", "owner_id", "username", "score", "subscore")}
        value["metadata"] = json.loads(record["metadata"]) if isinstance(record["metadata"], str) else record["metadata"]
        return cls("board", 0, (), value, canon(value))


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two decoded payloads differ, as "path: a | b" lines."""
    if canon(a) == canon(b):
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{path}.{key}: {a.get(key, '(absent)')!r} | {b.get(key, '(absent)')!r}")
            else:
                out += differences(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    return [f"{path or '(payload)'}: {a!r} | {b!r}"]


def record_value(rec: GameRecord) -> dict[str, Any]:
    """The storage object the module writes for a finished game (docs/NAKAMA.md)."""
    p1, p2 = rec.players
    value: dict[str, Any] = {
        "match_id": rec.match_id, "game": rec.game, "player1_id": p1.user_id, "player1_name": p1.username,
        "player2_id": p2.user_id, "player2_name": p2.username, "first": rec.first,
        "termination": rec.termination.value, "started_at": rec.started_at, "ended_at": rec.ended_at,
    }
    if rec.moves:
        value["moves"] = [list(m) for m in rec.moves]
    if rec.winner is not None:
        value["winner"] = rec.winner
    if rec.line is not None:
        value["line"] = [list(c) for c in rec.line]
    change = rec.standings
    if change is not None and change.rated:
        value["ratings"] = [{"shown_before": b.rating.shown, "shown_after": a.rating.shown}
                            for b, a in zip(change.before, change.after, strict=True)]
    return {"collection": COLLECTION, "key": f"{rec.match_id}/{rec.game}", "user_id": SYSTEM_USER,
            "value": value, "permission_read": 0, "permission_write": 0}


class PythonSide:
    """XoxoMatch's Dispatcher and Ledger: what it sends reaches the sessions the runtime has in the match, and
    the standings it records are the ones it reads next (as on our host)."""

    def __init__(self, in_match: Any):
        self.in_match = in_match  # session id -> bool, the stand-in's presence list
        self.match: XoxoMatch | None = None
        self.events: list[Out] = []
        self.ended = False
        self.standings: dict[str, Standing] = {}

    def standing(self, user_id: str) -> Standing:
        return self.standings.get(user_id, Standing())

    def send(self, op_code: int, data: bytes, to: Any = None) -> None:
        assert self.match is not None
        targets = to if to is not None else self.match.connected_presences()
        sids = tuple(p.session_id for p in targets if self.in_match(p.session_id))
        if sids:
            self.events.append(Out.send(op_code, sids, data))

    def record(self, record: GameRecord) -> None:
        self.events.append(Out.store(record_value(record)))
        if record.standings is not None:
            for p, after in zip(record.players, record.standings.after, strict=True):
                self.standings[p.user_id] = after
                self.events.append(Out.board({"leaderboard_id": LEADERBOARD_ID, "owner_id": p.user_id,
                                              "username": p.username, "score": after.score, "subscore": after.games,
                                              "metadata": after.metadata()}))

    def end(self) -> None:
        self.ended = True

    def take(self) -> list[Out]:
        out, self.events = self.events, []
        return out


def lua_events(match: StandInMatch) -> list[Out]:
    kinds = {"send": lambda e: Out.send(e.op_code, e.to, e.data), "store": lambda e: Out.store(e.value),
             "board": lambda e: Out.board(e.value)}
    return [kinds[e.kind](e) for e in match.take()]


# The harness ----------------------------------------------------------------------------------------


class Mismatch(AssertionError):
    pass


@dataclass
class Session:
    """Both sides of one generated session, driven step by step."""

    config: Config
    runtime: NakamaRuntime = field(init=False)
    lua: StandInMatch = field(init=False)
    py: XoxoMatch = field(init=False)
    side: PythonSide = field(init=False)
    current: dict[str, str | None] = field(default_factory=dict)  # user -> session id it uses now
    aliases: dict[str, str] = field(default_factory=dict)  # session id -> "ann#2", for readable failures
    done: list[Any] = field(default_factory=list)
    inbox: list[tuple[Presence, int, bytes | None]] = field(default_factory=list)  # for Python, delivered at the loop
    tick: int = 0  # the tick Python's clock reads: the one the Lua hook being mirrored was given

    def make_runtime(self) -> NakamaRuntime:
        """The Nakama side: the Lua module under the stand-in (test_differential_go puts the Go match here)."""
        return NakamaRuntime(env=self.config.env())

    def __post_init__(self) -> None:
        self.runtime = self.make_runtime()
        for name in NAMES:
            self.current[name] = self.new_session(name)
        expected = None
        self.side = PythonSide(lambda sid: sid in self.lua.presences)
        if self.config.seeded:  # the same standings on both sides' leaderboards
            for name, standing in SEEDS.items():
                self.side.standings[USER_IDS[name]] = standing
                self.runtime.records[(LEADERBOARD_ID, USER_IDS[name])] = {
                    "leaderboard_id": LEADERBOARD_ID, "owner_id": USER_IDS[name], "username": name,
                    "score": standing.score, "subscore": standing.games, "num_score": 3, "max_num_score": 1000000,
                    "metadata": standing.metadata_json(), "create_time": 1, "update_time": 2}
        if self.config.matched:
            mm = [self.presence(n) for n in ("ann", "bob")]  # the sessions that asked the matchmaker
            codes = None if self.config.rated else [{"code": "K7QXM"}, {"code": "K7QXM"}]
            match_id = self.runtime.matchmaker_matched(mm, codes)
            assert match_id is not None
            self.lua = self.runtime.matches[match_id]
            expected = tuple(self.py_presence(p) for p in mm)
        else:
            self.lua = self.runtime.match_create("xoxo_plus_match")
        rate = self.config.tick_rate
        self.py = XoxoMatch(self.lua.match_id, self.side, self.config.match_settings(expected),
                            clock=lambda: self.tick / rate, wall_clock=lambda: self.runtime.clock_ms / 1000,
                            ledger=self.side)
        self.side.match = self.py
        self.check("creation", allowed=None)

    # Identities

    def new_session(self, name: str) -> str:
        sid = str(uuid.uuid4())
        self.aliases[sid] = f"{name}#{sum(1 for a in self.aliases.values() if a.startswith(name)) + 1}"
        return sid

    def presence(self, name: str, sid: str | None = None) -> Presence:
        return Presence(USER_IDS[name], sid or self.current[name] or "", name, NODE)

    @staticmethod
    def py_presence(p: Presence) -> PyPresence:
        return PyPresence(p.user_id, p.session_id, p.username, p.node)

    # Steps

    def run(self, step: tuple[Any, ...]) -> bool:
        """Do one step on both sides and compare; False once the match is over."""
        self.done.append(step)
        self.set_clocks()
        kind, args = step[0], step[1:]
        if kind == "wait":
            return self.wait(*args)
        if kind == "loop":
            self.loops(*args)
            return not self.side.ended
        actions = {"join": self.join, "leave": self.leave, "reconnect": self.reconnect, "send": self.send, "away": self.away,
                   "play": self.play, "move": self.move, "plays": self.plays, "terminate": self.terminate}
        action = actions.get(kind)
        if action is not None:
            action(*args)
        self.check(step, allowed=None)
        self.check_seats(step)
        return not self.side.ended

    def reconnect(self, name: str, seconds: float, protocol: str = "2") -> None:
        self.leave(name, False)
        if self.wait(seconds):
            self.join(name, True, {"protocol": protocol})

    def away(self, claimant: str, seconds: float, data: bytes | None) -> None:
        """The claimant's opponent drops; ``seconds`` later the claimant sends ``data`` as a claim, then a tick."""
        self.leave("bob" if claimant == "ann" else "ann", False)
        if self.wait(seconds):
            self.send(claimant, 6, data)
            self.loop()

    def plays(self, cells: Iterable[int]) -> None:
        for k in cells:
            self.play(k)
            if self.side.ended:
                break

    def loops(self, count: int) -> None:
        for _ in range(count):
            self.loop()
            if self.side.ended:
                break

    def terminate(self, grace: int) -> None:
        self.lua.terminate(grace)
        self.py.terminate(f"Server shutting down in {grace} seconds")

    def join(self, name: str, new_session: bool, metadata: dict[str, str] | None) -> None:
        sid = self.current[name]
        if new_session or sid is None:
            sid = self.new_session(name)
        p = self.presence(name, sid)
        if sid in self.lua.presences:
            return  # Nakama answers a session already in the match without asking the handler
        lua_allowed, lua_reason = self.lua.join_attempt(p, metadata)  # an allowed join runs match_join too
        py_reason = self.py.join_attempt(self.py_presence(p), metadata)
        if py_reason is None:
            self.py.join(self.py_presence(p))
        allowed = ((lua_allowed, lua_reason), (py_reason is None, py_reason or ""))
        self.check(("join", name, new_session, metadata), allowed=allowed)
        if lua_allowed:
            self.current[name] = sid
        for kicked in self.lua.take_kicked():  # Nakama untracks a kicked session: a match_leave (reason 3)
            self.lua.leave(kicked, PRESENCE_LEAVE)
            self.py.leave(self.py_presence(kicked), LeaveReason.LEFT)

    def leave(self, name: str, on_purpose: bool) -> None:
        sid = self.current[name]
        if sid is None or sid not in self.lua.presences:
            return
        p = self.presence(name, sid)
        self.lua.leave(p, PRESENCE_LEAVE if on_purpose else PRESENCE_DISCONNECT)
        self.py.leave(self.py_presence(p), LeaveReason.LEFT if on_purpose else LeaveReason.DISCONNECTED)
        self.current[name] = None  # a dropped or departed session does not come back: a new one joins

    def send(self, name: str, op_code: int, data: bytes | None) -> None:
        sid = self.current[name]
        if sid is None:
            return
        p = self.presence(name, sid)
        if self.lua.send(p, op_code, data):  # Nakama drops data from a session that is not in the match
            self.inbox.append((p, op_code, data))

    def play(self, k: int, wrong: str = "") -> None:
        """The player to move marks the k-th empty cell (or, if ``wrong``, a taken cell, or
        the other player moves), then a tick."""
        board = self.py.board
        mover, cell = "ann", (1, 1)
        if board is not None and not board.is_over:
            seat = self.py.players[(board.to_move if wrong != "not_your_turn" else 3 - board.to_move) - 1]
            assert seat is not None
            mover = seat.username
            empties = [i for i, c in enumerate(board.cells) if c == -1]
            taken = [i for i, c in enumerate(board.cells) if c != -1]
            cells = taken if wrong == "occupied" and taken else empties
            cell = cell_of(cells[k % len(cells)])
        self.send(mover, 1, json.dumps({"row": cell[0], "col": cell[1]}).encode())
        self.loop()

    def move(self, data: bytes | None) -> None:
        """The player to move (ann while no game is on) sends ``data`` as a move, then a tick:
        the payload is judged against a live board, where every reading shows."""
        board = self.py.board
        mover = "ann"
        if board is not None and not board.is_over:
            seat = self.py.players[board.to_move - 1]
            assert seat is not None
            mover = seat.username
        self.send(mover, 1, data)
        self.loop()

    def wait(self, seconds: float) -> bool:
        """Loops for about ``seconds``; False if the match ended meanwhile."""
        for _ in range(round(seconds * self.config.tick_rate)):
            if self.side.ended:
                break
            self.loop()
        self.check_seats(("wait", seconds))
        return not self.side.ended

    def check_seats(self, step: Any) -> None:
        """Where each player stands, as the RPC xoxo_seat asks the live match (match_signal) and the host asks XoxoMatch."""
        if self.side.ended or self.lua.stopped:
            return
        for name in ("ann", "bob"):
            said = json.loads(self.lua.signal(json.dumps({"seat": USER_IDS[name]}, separators=(",", ":"))))
            status, left = self.py.seat_status(USER_IDS[name])
            expected = {"status": status or "none"}
            if status == "seated":
                expected["game"] = self.py.game
            elif status == "held":
                expected.update(game=self.py.game, seconds_left=round(left, 2))
                said.pop("opponent", None)
            if canon(said) != canon(expected):
                raise Mismatch(self.report(step, [f"seat of {name}: Lua {said}, Python {expected}"], [], []))

    def set_clocks(self) -> None:
        """Both sides read the stand-in's tick (match time) and the same wall clock."""
        self.tick = self.lua.tick
        self.runtime.clock_ms = 1_700_000_000_000 + round(self.tick * 1000 / self.config.tick_rate)

    def loop(self) -> None:
        self.set_clocks()
        tick = self.tick
        self.lua.loop()
        for p, op_code, data in self.inbox:
            self.py.handle(MatchMessage(self.py_presence(p), op_code, data or b""))
        self.inbox = []
        self.py.tick()
        self.check(("loop at tick", tick), allowed=None)
        self.set_clocks()

    # Comparison

    def check(self, step: Any, allowed: Any) -> None:
        lua_out, py_out = lua_events(self.lua), self.side.take()
        problems = []
        if allowed is not None and allowed[0] != allowed[1]:
            problems.append(f"join attempt: Lua {allowed[0]!r}, Python {allowed[1]!r}")
        if lua_out != py_out:
            problems.append("they sent or stored different things")
        if self.lua.stopped != self.side.ended:
            problems.append(f"match over: Lua {self.lua.stopped}, Python {self.side.ended}")
        if not self.side.ended and not self.lua.stopped and self.lua.label != self.py.label:
            problems.append(f"label: Lua {self.lua.label}, Python {self.py.label}")
        errors = self.lua.errors + self.runtime.errors()
        if errors:
            problems.append(f"Lua errors: {errors}")
        if problems:
            raise Mismatch(self.report(step, problems, lua_out, py_out))

    def report(self, step: Any, problems: list[str], lua_out: list[Out], py_out: list[Out]) -> str:
        def show(events: list[Out]) -> str:
            return "\n".join(f"    {i}. {self.describe(e)}" for i, e in enumerate(events, 1)) or "    (nothing)"

        first = next((i for i, (a, b) in enumerate(zip(lua_out, py_out, strict=True)) if a != b), min(len(lua_out), len(py_out)))
        detail = ""
        if first < min(len(lua_out), len(py_out)):
            a, b = py_out[first], lua_out[first]
            lines = [f"op {a.op_code} | op {b.op_code}", f"to {self.names(a.to)} | to {self.names(b.to)}"][
                0 if a.op_code != b.op_code else 1 if a.to != b.to else 2:]
            lines += differences(a.value, b.value)
            detail = f"\nevent #{first + 1}, Python | Lua:\n" + "\n".join(f"    {self.alias(x)}" for x in lines)
        history = "\n".join(f"  {i}. {s!r}" for i, s in enumerate(self.done, 1))
        return (
            f"Lua and Python disagree after {step!r} (tick {self.lua.tick}, t = {self.lua.tick / self.config.tick_rate:g} s):"
            f" {'; '.join(problems)}{detail}\n"
            f"config: {self.config}\nsteps:\n{history}\n"
            f"Python (game/match.py):\n{show(py_out)}\nLua (nakama/xoxo_plus_match.lua):\n{show(lua_out)}"
        )

    def alias(self, text: str) -> str:
        for sid, name in self.aliases.items():
            text = text.replace(sid, name)
        for name, uid in USER_IDS.items():
            text = text.replace(uid, f"<{name}>")
        return text

    def names(self, sids: tuple[str, ...]) -> str:
        return "[" + ", ".join(self.aliases.get(s, s) for s in sids) + "]"

    def describe(self, e: Out) -> str:
        if e.kind == "store":
            return self.alias(f"store {e.value['key']}: {json.dumps(e.value['value'])}")
        if e.kind == "board":
            return self.alias(f"leaderboard record of {e.value['owner_id']}: {json.dumps(e.value)}")
        body = json.dumps(e.value) if not isinstance(e.value, bytes) else repr(e.value)
        return self.alias(f"op {e.op_code} to {self.names(e.to)}: {body}")


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(config=configs, opening=openings, script=st.lists(steps, max_size=40))
def test_the_lua_module_and_xoxomatch_agree_step_by_step(config, opening, script):
    session = Session(config)
    for step in (*opening, *script, ("loop", 1)):  # the last loop delivers what is still queued
        if not session.run(step):
            break


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rematch=st.sampled_from(["none", "0"]),
       payloads=st.lists(st.one_of(edge_payloads, move_payloads), min_size=1, max_size=12))
def test_every_move_payload_gets_the_same_answer_on_a_live_board(rematch, payloads):
    """Payload reading on its own: each payload is sent by the player to move, so whatever
    either side makes of it (refused, out of bounds, taken, played) shows."""
    session = Session(cfg(rematch=rematch))  # "0": with stock clients the next game starts at once
    for step in (*OPEN, *(("move", p) for p in payloads), ("loop", 1)):
        if not session.run(step):
            break


# Scenarios: the behaviours of tests/game/test_match.py, each driven through both sides -----------------

WIN = [("play", 0), ("play", 2), ("play", 0), ("play", 1), ("play", 0)]  # ann takes the top row
DRAW_MOVES = [(1, 1), (1, 2), (1, 3), (2, 2), (3, 2), (2, 1), (2, 3), (3, 3), (3, 1)]


def at(row: int, col: int, who: str) -> tuple[Any, ...]:
    return ("send", who, 1, json.dumps({"row": row, "col": col}).encode())


def draw_steps(first: str = "ann") -> list[tuple[Any, ...]]:
    second = "bob" if first == "ann" else "ann"
    out: list[tuple[Any, ...]] = []
    for i, (r, c) in enumerate(DRAW_MOVES):
        out += [at(r, c, first if i % 2 == 0 else second), ("loop", 1)]
    return out


def cfg(**kw: Any) -> Config:
    base = {"tick_rate": 10, "turn": "30", "grace": "20", "rematch": "10", "join_timeout": "30", "matched": True,
            "idle": "none", "rated": False, "seeded": False}
    base.update(kw)
    return Config(**base)


OPEN = [("join", "ann", False, None), ("join", "bob", False, None)]  # two stock XOXO clients
DECLARED = [("join", "ann", False, {"protocol": "2"}), ("join", "bob", False, {"protocol": "2"})]
REV3 = list(BOTH_3)
REV4 = list(BOTH_4)
HELLO, GG = b'{"reaction":"hello"}', b'{"reaction": "good_game"}'
CLAIM_WIN, CLAIM_DRAW = b'{"claim":"win"}', b'{"claim":"draw"}'
BOTH_ASK = [("send", "ann", 4, b"{}"), ("send", "bob", 4, b"{}"), ("loop", 1)]

SCENARIOS: dict[str, tuple[Config, list[tuple[Any, ...]], Any]] = {
    "a win, the countdown, the next game opened by the other player": (
        cfg(rematch="3"), [*OPEN, *WIN, ("wait", 3.5), ("play", 4)],
        lambda s: s.py.game == 2 and s.py.board.moves[0][2] == 2),
    "a draw is recorded": (cfg(), [*OPEN, *draw_steps()], lambda s: s.py.board.outcome.winner is None),
    "refusals: turn, bounds, types, junk, occupied, over, rematch mid-game, unknown op": (
        cfg(), [*OPEN, at(1, 1, "bob"), at(4, 1, "ann"), at(1, 0, "ann"),
                ("send", "ann", 1, b'{"row": "1", "col": 1}'), ("send", "ann", 1, b'{"row": true, "col": 1}'),
                ("send", "ann", 1, b'{"row": 1.5, "col": 1}'), ("send", "ann", 1, b"not json"),
                ("send", "ann", 1, b"\xff\xfe"), ("send", "ann", 1, b"[1, 1]"), ("send", "ann", 1, b"[" * 5000),
                ("send", "ann", 1, b'{"row": 1}'), ("send", "ann", 1, b""), ("send", "ann", 1, None),
                ("send", "ann", 4, b"{}"), ("send", "bob", 42, b"{}"), ("loop", 1), at(1, 1, "ann"), ("loop", 1),
                at(1, 1, "bob"), ("loop", 1), *WIN[1:], at(3, 3, "bob"), ("loop", 1)],
        lambda s: s.py.board.is_over),
    "moves as decode_move reads them: whole-number doubles play; long, BOM, UTF-16, NaN and surrogates do not": (
        cfg(), [*OPEN, ("send", "ann", 1, b'{"row": 2.0, "col": 2e0}'), ("loop", 1),
                ("send", "bob", 1, b'{"row":1,"col":1}' + b" " * (MAX_MOVE_BYTES - 17)), ("loop", 1),
                ("send", "ann", 1, b'{"row":3,"col":3}' + b" " * (MAX_MOVE_BYTES - 16)),
                ("send", "ann", 1, b'\xef\xbb\xbf{"row":3,"col":3}'), ("send", "ann", 1, '{"row":3,"col":3}'.encode("utf-16")),
                ("send", "ann", 1, b'{"row":3,"col":3,"x":NaN}'), ("send", "ann", 1, b'{"row":3,"col":3,"x":"\xed\xa0\x80"}'),
                ("send", "ann", 1, b'{"row":1e400,"col":3}'), ("send", "ann", 1, b'{"row":"\\ud800","col":3}'),
                ("send", "ann", 1, b'{"row":-0.0,"col":3}'), ("send", "ann", 1, b'{"row":2.5,"col":3}'), ("loop", 1),
                ("send", "ann", 1, b'{"row":0.3e1,"col":2.9999999999999999,"row":30E-1}'), ("loop", 1)],
        lambda s: s.py.board.moves == ((2, 2, 1), (1, 1, 2), (3, 3, 1))),
    "two declared clients: both ask, the next game starts": (
        cfg(), [*DECLARED, *WIN, ("send", "ann", 4, b"{}"), ("send", "ann", 4, b"{}"), ("loop", 1),
                ("send", "bob", 4, b"{}"), ("loop", 1)],
        lambda s: s.py.game == 2),
    "two declared clients: one asks, the countdown runs out, the match ends": (
        cfg(rematch="2"), [*DECLARED, *WIN, ("send", "bob", 4, b"{}"), ("wait", 2.5)], lambda s: s.py.ended),
    "a stock client keeps the automatic countdown": (
        cfg(rematch="1"), [("join", "ann", False, {"protocol": "2"}), ("join", "bob", False, {}), *WIN, ("wait", 1.5)],
        lambda s: s.py.game == 2),
    "no countdown: only when both ask": (
        cfg(rematch="none"), [*OPEN, *WIN, ("wait", 4), ("send", "ann", 4, b"{}"), ("send", "bob", 4, b"{}"),
                              ("loop", 1)],
        lambda s: s.py.game == 2),
    "a turn timeout forfeits; two in a row take the player out": (
        cfg(turn="1", rematch="1"), [*OPEN, ("wait", 1.5), ("wait", 1.5), ("play", 4), ("wait", 1.5)],
        lambda s: s.py.ended),
    "a move between timeouts starts the count again": (
        cfg(turn="1", rematch="1"), [*OPEN, ("wait", 1.5), ("wait", 1), ("play", 4), ("play", 0), ("wait", 1.5),
                                     ("wait", 1), ("wait", 1.5)],
        lambda s: not s.py.ended and s.py.game >= 3),
    "a dropped player comes back to at least five seconds of turn": (
        cfg(turn="6", grace="3"), [*OPEN, ("wait", 2), ("reconnect", "ann", 0.5), ("play", 4)],
        lambda s: len(s.py.board.moves) == 1),
    "a dropped opponent pauses the clock and comes back to the time left": (
        cfg(turn="30", grace="20"), [*OPEN, ("play", 4), ("wait", 2.5), ("reconnect", "ann", 1.5), ("play", 0)],
        lambda s: len(s.py.board.moves) == 2),
    "staying away past the grace period loses and ends the match": (
        cfg(grace="2"), [*OPEN, ("play", 4), ("leave", "bob", False), ("wait", 2.5)], lambda s: s.py.ended),
    "leaving on purpose ends the match at once": (cfg(), [*OPEN, ("leave", "ann", True)], lambda s: s.py.ended),
    "leaving after a finished game records nothing more": (
        cfg(), [*OPEN, *WIN, ("leave", "bob", True)], lambda s: s.py.ended),
    "leaving before the game starts ends the match quietly": (
        cfg(), [("join", "ann", False, None), ("leave", "ann", False)], lambda s: s.py.ended),
    "both players gone": (
        cfg(grace="1"), [*OPEN, ("leave", "ann", False), ("leave", "bob", False), ("wait", 1.5)],
        lambda s: s.py.ended),
    "who may join: a stranger, a full game, a returning user": (
        cfg(matched=False), [("join", "ann", False, None), ("join", "bob", False, None), ("join", "eve", False, None),
                             ("join", "ann", True, None), ("play", 4)],
        lambda s: len(s.py.board.moves) == 1),
    "a stranger is refused by a matched game": (
        cfg(), [("join", "eve", False, {"protocol": "2"}), ("join", "ann", False, None)], lambda s: s.py.game == 0),
    "an older session is kicked and cannot leave or move for the newer one": (
        cfg(), [*OPEN, ("join", "ann", True, {"protocol": "2"}), ("play", 4), ("leave", "ann", False), ("wait", 1)],
        lambda s: not s.py.ended),
    "the next game waits for a dropped player": (
        cfg(rematch="1", turn="10", grace="60"), [*OPEN, *WIN, ("leave", "bob", False), ("wait", 1.5), ("wait", 4),
                                                  ("reconnect", "bob", 0)],
        lambda s: s.py.game == 2 and not s.py.board.is_over),
    "terminate tells everyone in plain text and ends": (cfg(), [*OPEN, ("play", 4), ("terminate", 5)],
                                                         lambda s: s.py.ended),
    "a matched player who never joins ends the match for the other": (
        cfg(join_timeout="3"), [("join", "bob", False, None), ("wait", 2.5), ("wait", 1)], lambda s: s.py.ended),
    "revision 3: a first move never made aborts the game, and the offer of the next stays open": (
        cfg(turn="1"), [*REV3, ("wait", 1.5), ("wait", 3)],
        lambda s: s.py.board.outcome.termination.value == "aborted" and not s.py.ended),
    "revision 3: two aborts in a row count as leaving": (
        cfg(turn="1"), [*REV3, ("wait", 1.5), *BOTH_ASK, ("play", 4), ("wait", 1.5)],
        lambda s: s.py.ended and s.side.ended),
    "revision 3: a claim is refused before half the hold, then wins; the absent player comes back to it": (
        cfg(grace="2"), [*REV3, ("play", 4), ("leave", "bob", False), ("wait", 0.5), ("send", "ann", 6, CLAIM_WIN),
                         ("loop", 1), ("wait", 0.6), ("send", "ann", 6, CLAIM_WIN), ("loop", 1),
                         ("join", "bob", True, {"protocol": "3"})],
        lambda s: s.py.board.outcome.termination.value == "claimed" and not s.py.ended),
    "revision 3: a draw called, and the hold running out after it": (
        cfg(grace="1"), [*REV3, ("leave", "ann", False), ("wait", 0.6), ("send", "bob", 6, CLAIM_DRAW), ("loop", 1),
                         ("wait", 1)],
        lambda s: s.py.ended and s.py.board.outcome.termination.value == "draw_called"),
    "revision 3: claims with nothing to claim or junk are refused": (
        cfg(), [*REV3, ("send", "ann", 6, CLAIM_WIN), ("send", "bob", 6, b"junk"), ("send", "ann", 6, None),
                ("loop", 1), *WIN, ("send", "bob", 6, CLAIM_DRAW), ("loop", 1)],
        lambda s: s.py.board.is_over),
    "revision 3: the open offer ends when the match is idle": (
        cfg(idle="1"), [*REV3, *WIN, ("send", "bob", 4, b"{}"), ("loop", 1), ("wait", 1.5)], lambda s: s.py.ended),
    "revision 3: leaving after a game declines the next one": (
        cfg(), [*REV3, *WIN, ("leave", "bob", True)], lambda s: s.py.ended),
    "revision 3: a player at revision 2 keeps the countdown and the lost first turn": (
        cfg(turn="1", rematch="1"), [("join", "ann", False, {"protocol": "3"}), ("join", "bob", False, {"protocol": "2"}),
                                     ("wait", 1.5), ("wait", 1.5)],
        lambda s: s.py.game >= 1 and s.py.board.outcome is not None),
    "rated: a game writes both standings and tells the declared players": (
        cfg(rated=True, seeded=True), [*REV3, *WIN, *BOTH_ASK, *draw_steps("bob")],
        lambda s: s.side.standings[USER_IDS["ann"]].games == 22 and s.side.standings[USER_IDS["bob"]].draws == 1),
    "rated: an abort carried over from an earlier rated game makes the next one a leave": (
        cfg(rated=True, seeded=True, turn="1"), [*REV3, ("wait", 1.5)],
        lambda s: s.py.ended and s.side.standings[USER_IDS["ann"]].aborts_in_a_row == 2),
    "rated: new players, one abort, then a game; a player back after a claim gets the rating change": (
        cfg(rated=True, turn="2", grace="2"), [*REV3, ("wait", 2.5), *BOTH_ASK, ("play", 4), ("play", 0),
                                                ("leave", "ann", False), ("wait", 1.2), ("send", "bob", 6, CLAIM_WIN),
                                                ("loop", 1), ("join", "ann", True, {"protocol": "3"})],
        lambda s: s.py.board.outcome.termination.value == "claimed" and s.side.standings[USER_IDS["bob"]].wins == 1),
    "revision 4: reactions relayed within the limit, and again once the window has passed": (
        cfg(), [("join", "ann", False, {"protocol": "4"}), ("send", "ann", 8, HELLO), ("loop", 1),
                ("join", "bob", False, {"protocol": "4"}), *[("send", "ann", 8, GG)] * 4, ("send", "bob", 8, HELLO),
                ("loop", 1), ("wait", 9.5), ("send", "ann", 8, GG), ("loop", 1), ("play", 4), ("send", "ann", 8, GG),
                ("loop", 1), ("leave", "bob", False), ("send", "ann", 8, HELLO), ("loop", 1)],
        lambda s: len(s.py.board.moves) == 1),
    "revision 4: no relay to a revision-3 opponent, and op 8 from one is unknown": (
        cfg(), [("join", "ann", False, {"protocol": "4"}), ("join", "bob", False, {"protocol": "3"}),
                ("send", "ann", 8, HELLO), ("send", "bob", 8, HELLO), ("send", "ann", 8, b"junk"), ("loop", 1), *WIN,
                ("send", "ann", 8, GG), ("loop", 1)],
        lambda s: s.py.board.is_over),
    "revision 4: the rules of revision 3 hold between two revision-4 players": (
        cfg(turn="1", rated=True), [*REV4, ("wait", 1.5), ("send", "bob", 8, GG), ("loop", 1)],
        lambda s: s.py.board.outcome.termination.value == "aborted"),
    "rated: stock clients are rated too, without op 7": (
        cfg(rated=True), [*OPEN, *WIN], lambda s: s.side.standings[USER_IDS["ann"]].wins == 1),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_on_both_sides(name):
    config, script, reached = SCENARIOS[name]
    session = Session(config)
    for step in (*script, ("loop", 1)):
        if not session.run(step):
            break
    assert reached(session), f"the scenario did not reach its point; steps: {session.done}"

"""A small stand-in of Nakama's Lua runtime, enough to run the modules in ``nakama/`` under lupa.

It follows Nakama 3.x's Go source (server/runtime_lua*.go, match_handler.go,
match_registry.go, match_presence.go) for the calls our modules make, and nothing more:

* modules: every ``*.lua`` file of the folder is preloaded under its file name and run
  once at start-up, as Nakama's ``loadModules`` does; ``require("nakama")`` is the ``nk``
  table below. Any other ``nk.X`` raises, so an uncovered call cannot go unnoticed.
* ``nk``: ``register_matchmaker_matched``, ``match_create`` (params go through Nakama's
  Lua -> Go -> Lua conversion), ``json_encode`` (Go's: whole numbers as integers, a table
  with a sequence part as an array, any other table as an object, keys sorted),
  ``json_decode``, ``storage_write``, ``storage_read``, ``time`` (milliseconds),
  ``logger_info``/``logger_warn``/``logger_error``, ``register_rpc``, ``register_rt_before``
  (``realtime`` runs a session's message through its hook), ``stream_user_join`` and
  ``stream_count`` (sessions ``connect`` and ``disconnect``; a closed one leaves every
  stream), ``match_list`` (no label or query: by size, newest first), ``match_signal``, and
  the leaderboard calls ``leaderboard_create``, ``leaderboard_record_write`` (operator
  ``set``) and ``leaderboard_records_list`` (owners' records; a page is not covered), with
  the arguments and checks of runtime_lua_nakama.go.
* the dispatcher: ``broadcast_message`` (recipients filtered by the match's presence list;
  an empty list sends nothing), ``match_label_update``, ``match_kick``.
* presences shaped as Nakama hands them to Lua: join attempts and message senders carry
  ``user_id``, ``session_id``, ``username``, ``node``; ``match_join``/``match_leave`` add
  ``reason`` (3 for a match_leave, 4 for a closed socket).
* ticks: ``loop()`` calls ``match_loop`` with the current tick, then counts it; joins and
  leaves between loops see the same tick; a hook returning nil stops the match; a hook
  that raises stops it too (recorded in ``errors``), as Nakama does.

The real VM is gopher-lua; lupa's Lua 5.1 is the same language level. The modules avoid
the places where the two differ (tonumber and string.format details).
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lupa.lua51 as lupa

MODULES = Path(__file__).resolve().parents[2] / "nakama"
NODE = "nakama1"
MATCH_LABEL_MAX_BYTES = 2048

PRESENCE_JOIN_ATTEMPT = 0
PRESENCE_LEAVE = 3
PRESENCE_DISCONNECT = 4

_PRELUDE = """
local bridge, names = ...
local nk = {}
local function values(ok, ...)
  if not ok then error((...), 3) end
  return ...
end
for _, name in ipairs(names) do
  nk[name] = function(...)
    return values(bridge(name, ...))
  end
end
setmetatable(nk, { __index = function(_, key)
  error("the Nakama stand-in does not cover nk." .. tostring(key), 2)
end })
package.preload["nakama"] = function() return nk end

-- Calls f and packs every value it returns, so the caller can check them as Nakama does.
local function pack(...) return { n = select("#", ...), ... } end
local function call(f, ...) return pack(f(...)) end

local function dispatcher(bridge_d)
  local d = {}
  for _, name in ipairs({ "broadcast_message", "match_label_update", "match_kick" }) do
    d[name] = function(...)
      local ok, result = bridge_d(name, ...)
      if not ok then error(result, 2) end
    end
  end
  return setmetatable(d, { __index = function(_, key)
    error("the Nakama stand-in does not cover dispatcher." .. tostring(key), 2)
  end })
end
return call, dispatcher
"""


class StandInError(Exception):
    """A call the real Nakama would refuse (bad arguments, a bad return value)."""


@dataclass(frozen=True)
class Presence:
    user_id: str
    session_id: str
    username: str
    node: str = NODE


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Event:
    """Something a match did, in order: a broadcast or a storage write."""

    kind: str  # "send" or "store"
    op_code: int = 0
    data: bytes | None = None
    to: tuple[str, ...] = ()  # session ids, after Nakama's filtering
    value: Any = None  # a stored object: {"collection", "key", "user_id", "value", "permission_read", ...}


class NakamaRuntime:
    """One Nakama node running the modules of a folder."""

    def __init__(self, env: dict[str, str] | None = None, modules: Path = MODULES, clock_ms: int = 1_700_000_000_000):
        self.env = dict(env or {})
        self.clock_ms = clock_ms
        self.logs: list[tuple[str, str]] = []
        self.storage: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.matches: dict[str, StandInMatch] = {}
        self.matchmaker_hook: Any = None
        self.rpcs: dict[str, Any] = {}  # id -> Lua function
        self.rt_before: dict[str, Any] = {}  # realtime message name (lower case) -> its before-hook
        self.sessions: dict[str, str] = {}  # connected session id -> user id
        self.streams: dict[tuple[int, str, str, str], dict[str, str]] = {}  # stream -> session id -> user id
        self.leaderboards: dict[str, dict[str, Any]] = {}  # id -> its configuration
        self.records: dict[tuple[str, str], dict[str, Any]] = {}  # (board, owner) -> a record as Nakama keeps it
        self.fail_next: dict[str, str] = {}  # nk function -> error message its next call raises
        self.calls: Counter[str] = Counter()  # nk function -> how many times the modules called it
        self.current: StandInMatch | None = None  # the match whose hook is running
        self.lua = lupa.LuaRuntime(encoding=None, unpack_returned_tuples=True, register_eval=False)
        self._nk: dict[str, Callable[..., Any]] = {
            "register_matchmaker_matched": self._register_matchmaker_matched,
            "match_create": self._match_create,
            "json_encode": self._json_encode,
            "storage_write": self._storage_write,
            "storage_read": self._storage_read,
            "json_decode": self._json_decode,
            "register_rpc": self._register_rpc,
            "register_rt_before": self._register_rt_before,
            "stream_user_join": self._stream_user_join,
            "stream_count": self._stream_count,
            "match_list": self._match_list,
            "match_signal": self._match_signal,
            "leaderboard_create": self._leaderboard_create,
            "leaderboard_record_write": self._leaderboard_record_write,
            "leaderboard_records_list": self._leaderboard_records_list,
            "time": self._time,
            "logger_info": lambda msg: self._log("info", msg),
            "logger_warn": lambda msg: self._log("warn", msg),
            "logger_error": lambda msg: self._log("error", msg),
        }
        names = self.lua.table_from([n.encode() for n in self._nk])
        self._call, self._dispatcher = self.lua.execute(_PRELUDE, self._bridge, names)
        self._load_modules(modules)

    # Modules -------------------------------------------------------------------------

    def _load_modules(self, folder: Path) -> None:
        preload = self.lua.eval("package.preload")
        loaded = self.lua.eval("package.loaded")
        chunks = []
        for path in sorted(folder.glob("*.lua")):
            chunk = self.lua.eval(f"function(src) return assert(loadstring(src, {json.dumps('@' + path.name)})) end")(
                path.read_bytes()
            )
            preload[path.stem.encode()] = chunk
            chunks.append((path.stem, chunk))
        for name, chunk in chunks:  # each module runs once, unless a require already ran it
            if loaded[name.encode()] is None:
                chunk()

    def ctx(self, mode: str, **extra: Any) -> Any:
        """A context table as Nakama builds it (``env``, ``execution_mode``, ``node``, ...)."""
        fields = {b"env": self.lua.table_from({k.encode(): v.encode() for k, v in self.env.items()}),
                  b"execution_mode": mode.encode(), b"node": NODE.encode(), b"version": b"3.x-standin"}
        fields.update({k.encode(): v.encode() if isinstance(v, str) else v for k, v in extra.items()})
        return self.lua.table_from(fields)

    # The bridge from Lua -----------------------------------------------------------------

    def _bridge(self, name: bytes, *args: Any) -> tuple[Any, ...]:
        key = name.decode()
        self.calls[key] += 1
        if key in self.fail_next:
            return False, self.fail_next.pop(key).encode()
        try:
            result = self._nk[key](*args)
        except StandInError as exc:
            return False, str(exc).encode()
        return (True, *result) if isinstance(result, tuple) else (True, result)

    def _log(self, level: str, message: Any) -> Any:
        if not isinstance(message, bytes) or not message:
            raise StandInError("expects message string")
        self.logs.append((level, message.decode("utf-8", "replace")))
        return message

    def _time(self) -> int:
        return self.clock_ms

    def _register_matchmaker_matched(self, fn: Any) -> None:
        if lupa.lua_type(fn) != "function":
            raise StandInError("expects a function")
        self.matchmaker_hook = fn

    def _json_encode(self, value: Any) -> bytes:
        if value is None:
            raise StandInError("expects a non-nil value to encode")
        return json.dumps(go_value(value), separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()

    def _storage_write(self, writes: Any) -> Any:
        if lupa.lua_type(writes) != "table":
            raise StandInError("expects a valid set of data")
        acks = []
        for w in writes.values():
            obj = {k.decode(): v for k, v in w.items()}
            collection, key = obj.get("collection"), obj.get("key")
            if not isinstance(collection, bytes) or not collection or not isinstance(key, bytes) or not key:
                raise StandInError("expects collection and key to be non-empty strings")
            value = obj.get("value")
            if lupa.lua_type(value) != "table":
                raise StandInError("expects value to be table")
            converted = go_value(value)
            if not isinstance(converted, dict):
                raise StandInError("value must be a table of key-value pairs")
            user_id = obj.get("user_id", b"00000000-0000-0000-0000-000000000000").decode()
            stored = {
                "collection": collection.decode(), "key": key.decode(), "user_id": user_id,
                "value": json.loads(json.dumps(converted)),
                "permission_read": obj.get("permission_read", 1), "permission_write": obj.get("permission_write", 1),
            }
            self.storage[(stored["collection"], stored["key"], user_id)] = stored
            if self.current is not None:
                self.current.events.append(Event("store", value=stored))
            acks.append({b"collection": collection, b"key": key, b"user_id": user_id.encode(), b"version": b"v"})
        return self.lua.table_from([self.lua.table_from(a) for a in acks])

    def _storage_read(self, keys: Any) -> Any:
        if lupa.lua_type(keys) != "table":
            raise StandInError("expects a valid set of keys")
        out = []
        for k in keys.values():
            if lupa.lua_type(k) != "table":
                raise StandInError("expects a valid set of keys")
            collection, key, user_id = k[b"collection"], k[b"key"], k[b"user_id"] or b""
            if not isinstance(collection, bytes) or not isinstance(key, bytes):
                raise StandInError("expects collection and key to be strings")
            stored = self.storage.get((collection.decode(), key.decode(), user_id.decode()))
            if stored is not None:
                out.append(to_lua(self.lua, stored))
        return self.lua.table_from(out)

    def _json_decode(self, text: Any) -> Any:
        if not isinstance(text, bytes):
            raise StandInError("expects a string to decode")
        try:
            return to_lua(self.lua, json.loads(text.decode("utf-8")))
        except ValueError as exc:
            raise StandInError(f"error decoding json: {exc}") from None

    def _register_rpc(self, fn: Any, rpc_id: Any) -> None:
        if lupa.lua_type(fn) != "function" or not isinstance(rpc_id, bytes) or not rpc_id:
            raise StandInError("expects a function and an id")
        self.rpcs[rpc_id.decode().lower()] = fn

    def _register_rt_before(self, fn: Any, name: Any) -> None:
        if lupa.lua_type(fn) != "function" or not isinstance(name, bytes) or not name:
            raise StandInError("expects a function and a message name")
        self.rt_before[name.decode().lower()] = fn

    @staticmethod
    def _stream(stream: Any) -> tuple[int, str, str, str]:
        """A stream table as Nakama reads it: mode (a number, kept as a byte), subject and subcontext (ids), label."""
        if lupa.lua_type(stream) != "table":
            raise StandInError("expects a valid stream")
        mode = stream[b"mode"]
        if mode is not None and (not isinstance(mode, (int, float)) or isinstance(mode, bool)):
            raise StandInError("stream mode must be a number")
        ids = []
        for key in (b"subject", b"subcontext"):
            value = stream[key]
            if value is None:
                ids.append("")
                continue
            try:
                ids.append(str(uuid.UUID(value.decode() if isinstance(value, bytes) else "")))
            except ValueError:
                raise StandInError(f"stream {key.decode()} must be a valid identifier") from None
        label = stream[b"label"]
        if label is not None and not isinstance(label, bytes):
            raise StandInError("stream label must be a string")
        return int(mode or 0) & 0xFF, ids[0], ids[1], (label or b"").decode()

    def _stream_user_join(self, user_id: Any, session_id: Any, stream: Any, hidden: Any = False, persistence: Any = True,
                          status: Any = b"") -> bool:
        ids = []
        for name, value in (("user id", user_id), ("session id", session_id)):
            try:
                ids.append(str(uuid.UUID(value.decode() if isinstance(value, bytes) else "")))
            except ValueError:
                raise StandInError(f"expects valid {name}") from None
        key = self._stream(stream)
        uid, sid = ids
        if self.sessions.get(sid) != uid:
            raise StandInError("session id does not exist")
        members = self.streams.setdefault(key, {})
        fresh = sid not in members
        members[sid] = uid
        return fresh

    def _stream_count(self, stream: Any) -> int:
        return len(self.streams.get(self._stream(stream), {}))

    def _match_list(self, limit: Any = 1, authoritative: Any = None, label: Any = None, min_size: Any = None,
                    max_size: Any = None, query: Any = None) -> Any:
        if label is not None or query is not None:
            raise StandInError("the stand-in covers match_list without a label or a query")
        if authoritative is False:
            return self.lua.table_from([])
        found = []
        for match in reversed(list(self.matches.values())):  # newest first, as Nakama sorts them
            size = len(match.presences)
            if match.stopped or (min_size is not None and size < min_size) or (max_size is not None and size > max_size):
                continue
            found.append(self.lua.table_from({
                b"match_id": match.match_id.encode(), b"authoritative": True, b"label": match.label.encode(),
                b"size": size, b"tick_rate": match.tick_rate, b"handler_name": match.module.encode()}))
        return self.lua.table_from(found[: int(limit or 0)])

    def _match_signal(self, match_id: Any, data: Any = b"") -> bytes:
        match = self.matches.get(match_id.decode() if isinstance(match_id, bytes) else "")
        if match is None or match.stopped:
            raise StandInError("failed to signal match: match not found")
        current, self.current = self.current, None  # the signalled match runs its own hook
        try:
            return match.signal((data or b"").decode()).encode()
        finally:
            self.current = current

    def _leaderboard_create(self, board: Any, authoritative: Any = False, sort: Any = b"desc", operator: Any = b"best",
                            reset: Any = b"", metadata: Any = None, enable_ranks: Any = False) -> None:
        if not isinstance(board, bytes) or not board:
            raise StandInError("expects a leaderboard ID string")
        if sort not in (b"asc", b"ascending", b"desc", b"descending"):
            raise StandInError("expects sort order to be 'asc' or 'desc'")
        if operator not in (b"best", b"set", b"incr", b"increment", b"decr", b"decrement"):
            raise StandInError("expects operator to be 'best', 'set', 'decr' or 'incr'")
        self.leaderboards.setdefault(board.decode(), {  # an existing board keeps its configuration
            "authoritative": bool(authoritative), "sort": sort.decode(), "operator": operator.decode(),
            "reset": (reset or b"").decode(), "enable_ranks": bool(enable_ranks)})

    def _leaderboard_record_write(self, board: Any, owner: Any, username: Any = b"", score: Any = 0, subscore: Any = 0,
                                  metadata: Any = None, override: Any = None) -> Any:
        if not isinstance(board, bytes) or not board:
            raise StandInError("expects a leaderboard ID string")
        try:
            uuid.UUID((owner or b"").decode())
        except ValueError:
            raise StandInError("expects owner ID to be a valid identifier") from None
        for name, value in (("score", score), ("subscore", subscore)):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise StandInError(f"expects {name} to be a number")
            if int(value) < 0:  # Go's OptInt64 drops a fraction, then the sign is checked
                raise StandInError(f"expects {name} to be >= 0")
        config = self.leaderboards.get(board.decode())
        if config is None or config["operator"] != "set" or override is not None:
            raise StandInError("error writing leaderboard record: the stand-in covers existing boards with 'set' only")
        key = (board.decode(), owner.decode())
        old = self.records.get(key)
        meta = json.dumps(go_value(metadata), separators=(",", ":"), sort_keys=True) if metadata is not None else None
        record = {
            "leaderboard_id": key[0], "owner_id": key[1], "username": (username or b"").decode(),
            "score": int(score), "subscore": int(subscore), "num_score": (old["num_score"] if old else 0) + 1,
            "max_num_score": 1000000, "metadata": meta if meta is not None else (old["metadata"] if old else "{}"),
            "create_time": old["create_time"] if old else self.clock_ms // 1000, "update_time": self.clock_ms // 1000,
        }
        self.records[key] = record
        if self.current is not None:
            self.current.events.append(Event("board", value=record))
        return self._record_table(record)

    def _record_table(self, record: dict[str, Any]) -> Any:
        fields = {k: v for k, v in record.items() if k != "metadata"}
        table = to_lua(self.lua, fields)
        table[b"metadata"] = to_lua(self.lua, json.loads(record["metadata"]))
        return table

    def _leaderboard_records_list(self, board: Any, owners: Any = None, limit: Any = 0, cursor: Any = b"",
                                  expiry: Any = 0) -> Any:
        if not isinstance(board, bytes) or not board:
            raise StandInError("expects a leaderboard ID string")
        ids: list[str] = []
        if owners is not None:
            values = list(owners.values())
            if not values:
                return self.lua.table_from([])  # Nakama returns just one empty table
            for v in values:
                try:
                    uuid.UUID(v.decode())
                except (ValueError, AttributeError):
                    raise StandInError("expects each owner ID to be a valid identifier") from None
                ids.append(v.decode())
        if not isinstance(limit, (int, float)) or not 0 <= int(limit) <= 10000:
            raise StandInError("expects limit to be 0-10000")
        if int(limit) != 0:
            raise StandInError("the stand-in covers owners' records only (limit 0)")
        if board.decode() not in self.leaderboards:
            raise StandInError("error listing leaderboard records: Leaderboard not found.")
        found = [self.records[(board.decode(), o)] for o in dict.fromkeys(ids) if (board.decode(), o) in self.records]
        found.sort(key=lambda r: (r["score"], r["subscore"], r["owner_id"]), reverse=True)
        every = sorted((r for (b, _), r in self.records.items() if b == board.decode()),
                       key=lambda r: (r["score"], r["subscore"], r["owner_id"]), reverse=True)
        ranks = {r["owner_id"]: i for i, r in enumerate(every, start=1)}
        owner_tables = []
        for r in found:
            table = self._record_table(r)
            table[b"rank"] = ranks[r["owner_id"]]
            owner_tables.append(table)
        return self.lua.table_from([]), self.lua.table_from(owner_tables), None, None, len(every)

    def rpc(self, rpc_id: str, payload: str, user_id: str = "") -> tuple[bool, Any]:
        """Call a registered RPC as Nakama's gateway does: (True, result) or (False, (message, gRPC code))."""
        fn = self.rpcs.get(rpc_id.lower())
        if fn is None:
            return False, ("RPC function not found", 5)
        ctx = self.ctx("rpc", user_id=user_id, username="", session_id="")
        result = as_tuple(self.lua.eval("pcall")(fn, ctx, payload.encode()))
        if result[0]:
            return True, result[1].decode() if isinstance(result[1], bytes) else result[1]
        err = result[1]
        if lupa.lua_type(err) == "table" and err[2] is not None:
            message = err[1].decode() if isinstance(err[1], bytes) else repr(err[1])
            return False, (message, int(err[2]))
        return False, (err.decode() if isinstance(err, bytes) else repr(err), 13)

    def _match_create(self, module: Any, params: Any = None) -> bytes:
        if not isinstance(module, bytes) or not module:
            raise StandInError("expects module name")
        converted = go_value(params) if params is not None else None
        if converted is not None and not isinstance(converted, dict):
            raise StandInError("expects params to be nil or a table of key-value pairs")
        match = StandInMatch(self, module.decode(), converted)
        self.matches[match.match_id] = match
        return match.match_id.encode()

    # What a test drives -------------------------------------------------------------------

    def matchmaker_matched(self, users: list[Presence], properties: list[dict[str, Any]] | None = None) -> str | None:
        """The matchmaker paired ``users``: run the hook as Nakama does; the match id it returned."""
        if self.matchmaker_hook is None:
            raise StandInError("no matchmaker matched hook registered")
        entries = []
        for i, u in enumerate(users):
            props = (properties or [{}] * len(users))[i]
            entries.append(self.lua.table_from({
                b"presence": presence_table(self.lua, u),
                b"properties": self.lua.table_from({k.encode(): (v.encode() if isinstance(v, str) else v)
                                                     for k, v in props.items()}),
            }))
        result = as_tuple(self.lua.eval("pcall")(self.matchmaker_hook, self.ctx("matchmaker"), self.lua.table_from(entries)))
        ok, value = result[0], result[1] if len(result) > 1 else None
        if not ok:
            raise StandInError(f"Error running runtime Matchmaker Matched hook: {value!r}")
        if value is None:
            return None
        if not isinstance(value, bytes):
            raise StandInError("Unexpected return type from runtime Matchmaker Matched hook, must be string or nil.")
        match_id = value.decode()
        head, dot, _ = match_id.partition(".")
        uuid.UUID(head)
        if not dot:
            raise StandInError("not a valid match ID")
        return match_id

    def connect(self, p: Presence) -> None:
        """``p``'s session opens its socket."""
        self.sessions[p.session_id] = p.user_id

    def disconnect(self, p: Presence) -> None:
        """``p``'s session closes: Nakama's tracker drops it from every stream."""
        self.sessions.pop(p.session_id, None)
        for members in self.streams.values():
            members.pop(p.session_id, None)

    def realtime(self, name: str, p: Presence, envelope: dict[str, Any] | None = None) -> Any:
        """A realtime message ``name`` from ``p``'s session, through its before-hook as Nakama runs one: what the hook
        let through (the envelope table, or None if it dropped the message); the message itself if there is no hook."""
        fn = self.rt_before.get(name.lower())
        message = to_lua(self.lua, envelope or {})
        if fn is None:
            return message
        ctx = self.ctx("before", user_id=p.user_id, username=p.username, session_id=p.session_id)
        result = as_tuple(self.lua.eval("pcall")(fn, ctx, message))
        if not result[0]:
            raise StandInError(f"Error running runtime before hook: {result[1]!r}")
        return result[1] if len(result) > 1 else None

    def match_create(self, module: str, params: dict[str, Any] | None = None) -> StandInMatch:
        """``nk.match_create`` called from outside Lua (an operator's RPC would do this)."""
        lua_params = to_lua(self.lua, params) if params is not None else None
        return self.matches[self._match_create(module.encode(), lua_params).decode()]

    def errors(self) -> list[str]:
        return [m for level, m in self.logs if level == "error"]


def as_tuple(values: Any) -> tuple[Any, ...]:
    """What a Lua call returned, as a tuple (lupa gives a lone value as itself)."""
    return values if isinstance(values, tuple) else (values,)


def presence_table(lua: Any, p: Presence, reason: int | None = None) -> Any:
    fields = {b"user_id": p.user_id.encode(), b"session_id": p.session_id.encode(), b"username": p.username.encode(),
              b"node": p.node.encode()}
    if reason is not None:
        fields[b"reason"] = reason
    return lua.table_from(fields)


class StandInMatch:
    """One authoritative match: its presence list, tick, state and everything it sent."""

    def __init__(self, runtime: NakamaRuntime, module: str, params: dict[str, Any] | None):
        self.runtime = runtime
        lua = runtime.lua
        self.match_id = f"{uuid.uuid4()}.{NODE}"
        self.module = module
        handler = lua.eval("require")(module.encode())
        if lupa.lua_type(handler) != "table":
            raise StandInError("match module must return a table containing the match callback functions")
        self.fns = {}
        for name in ("match_init", "match_join_attempt", "match_join", "match_leave", "match_loop",
                     "match_terminate", "match_signal"):
            fn = handler[name.encode()]
            if lupa.lua_type(fn) != "function":
                raise StandInError(f"{name} not found or not a function")
            self.fns[name] = fn
        self.presences: dict[str, Presence] = {}  # session id -> presence, in join order
        self.tick = 0
        self.stopped = False
        self.events: list[Event] = []
        self.label_updates: list[str] = []
        self.kicked: list[Presence] = []
        self.errors: list[str] = []
        self.queue: list[tuple[Presence, int, bytes | None]] = []
        self.dispatcher = runtime._dispatcher(self._dispatch)
        self.context = runtime.ctx("match", match_id=self.match_id, match_node=NODE)
        out = self._call("match_init", self.context, to_lua(lua, params) if params is not None else None)
        if out is None:
            raise StandInError(f"match_init failed: {self.errors}")
        if len(out) != 3:
            raise StandInError("match_init must return: state, tick rate number, label string")
        state, rate, label = out
        if not isinstance(label, bytes) or len(label) > MATCH_LABEL_MAX_BYTES:
            raise StandInError("match_init returned unexpected third value, must be a label string")
        if not isinstance(rate, (int, float)) or not 1 <= int(rate) <= 60:
            raise StandInError("match_init returned invalid tick rate, must be between 1 and 60")
        if state is None:
            raise StandInError("Match initial state must not be nil")
        self.state, self.tick_rate, self.label = state, int(rate), label.decode()
        self.context[b"match_label"] = label
        self.context[b"match_tick_rate"] = rate

    # The dispatcher -------------------------------------------------------------------------

    def _dispatch(self, name: bytes, *args: Any) -> tuple[bool, Any]:
        if self.stopped:
            return False, b"match stopped"
        try:
            getattr(self, "_" + name.decode())(*args)
        except StandInError as exc:
            return False, str(exc).encode()
        return True, None

    def _presence_ids(self, presences: Any, arg: int) -> list[str]:
        ids = []
        for p in presences.values():
            if lupa.lua_type(p) != "table":
                raise StandInError(f"bad argument #{arg}: expects a valid set of presences")
            sid, node = p[b"session_id"], p[b"node"]
            try:
                uuid.UUID((sid or b"").decode())
            except ValueError:
                raise StandInError(f"bad argument #{arg}: expects each presence to have a valid session_id") from None
            if not isinstance(node, bytes) or not node:
                raise StandInError(f"bad argument #{arg}: expects each presence to have a valid session_id and node")
            ids.append(sid.decode())
        return ids

    def _broadcast_message(self, op_code: Any, data: Any = None, presences: Any = None, sender: Any = None,
                           reliable: Any = True) -> None:
        if not isinstance(op_code, (int, float)) or isinstance(op_code, bool) or op_code != int(op_code):
            raise StandInError("bad argument #1: number expected")
        if data is not None and not isinstance(data, bytes):
            raise StandInError("bad argument #2: expects data to be a string or nil")
        if sender is not None:
            raise StandInError("the stand-in does not cover a sender presence")
        if presences is None:
            to = list(self.presences)
        else:
            if lupa.lua_type(presences) != "table":
                raise StandInError("bad argument #3: table expected")
            ids = self._presence_ids(presences, 3)
            if len(ids) == 1:
                user_id = presences[1][b"user_id"] if presences[1] is not None else None
                try:
                    uuid.UUID((user_id or b"").decode())
                except (ValueError, AttributeError):
                    raise StandInError("bad argument #3: expects each presence to have a valid user_id") from None
            to = [sid for sid in ids if sid in self.presences]
        if to:
            self.events.append(Event("send", int(op_code), data, tuple(to)))

    def _match_label_update(self, label: Any = b"") -> None:
        if not isinstance(label, bytes):
            raise StandInError("bad argument #1: string expected")
        if len(label) > MATCH_LABEL_MAX_BYTES:
            raise StandInError("error updating match label: label too long")
        self.label = label.decode()
        self.label_updates.append(self.label)
        self.context[b"match_label"] = label

    def _match_kick(self, presences: Any = None) -> None:
        if presences is None:
            return
        for sid in self._presence_ids(presences, 1):
            p = self.presences.get(sid)
            if p is not None and p not in self.kicked:
                self.kicked.append(p)

    # Calling the handler ----------------------------------------------------------------------

    def _call(self, hook: str, *args: Any) -> tuple[Any, ...] | None:
        """Run a hook; its return values, or None if it raised (the match is then stopped)."""
        self.runtime.current = self
        try:
            ok_and_values = as_tuple(self.runtime.lua.eval("pcall")(self.runtime._call, self.fns[hook], *args))
        finally:
            self.runtime.current = None
        ok, result = ok_and_values[0], ok_and_values[1] if len(ok_and_values) > 1 else None
        if not ok:
            message = result.decode("utf-8", "replace") if isinstance(result, bytes) else repr(result)
            self.errors.append(f"{hook}: {message}")
            self.stopped = True
            return None
        return tuple(result[i] for i in range(1, int(result[b"n"]) + 1))

    def _expect_state(self, hook: str, out: tuple[Any, ...] | None, extra: int = 0) -> tuple[Any, ...]:
        if out is None:
            return ()
        if not out or out[0] is None:
            self.stopped = True
            return ()
        if len(out) > 1 + extra:
            raise StandInError(f"{hook} returned too many values, stopping match")
        self.state = out[0]
        return out[1:]

    def join_attempt(self, p: Presence, metadata: dict[str, str] | None = None) -> tuple[bool, str]:
        """A client's match_join: (allowed, reason). A session already in the match is let in
        without asking the handler; an allowed one is then joined (match_join), as in Nakama."""
        if self.stopped:
            return False, "Match not found"
        if p.session_id in self.presences:
            return True, ""
        lua = self.runtime.lua
        meta = lua.table_from({k.encode(): v.encode() for k, v in (metadata or {}).items()})
        ctx = lua.table_from(dict(self.context.items()))
        ctx[b"user_id"], ctx[b"username"], ctx[b"session_id"] = p.user_id.encode(), p.username.encode(), p.session_id.encode()
        out = self._call("match_join_attempt", ctx, self.dispatcher, self.tick, self.state, presence_table(lua, p), meta)
        if out is None:
            return False, ""
        if len(out) not in (2, 3) or not isinstance(out[1], bool):
            raise StandInError("Match join attempt returned incorrect values, stopping match")
        if len(out) == 3 and not isinstance(out[2], bytes):
            raise StandInError("Match join attempt returned non-string reject reason, stopping match")
        if out[0] is None:
            self.stopped = True
            return False, ""
        self.state = out[0]
        allowed, reason = out[1], out[2].decode() if len(out) == 3 else ""
        if allowed:
            self.join([p])
        return allowed, reason

    def join(self, presences: list[Presence]) -> None:
        fresh = [p for p in presences if p.session_id not in self.presences]
        if not fresh or self.stopped:
            return
        for p in fresh:
            self.presences[p.session_id] = p
        lua = self.runtime.lua
        joins = lua.table_from([presence_table(lua, p, PRESENCE_JOIN_ATTEMPT) for p in fresh])
        self._expect_state("match_join", self._call("match_join", self.context, self.dispatcher, self.tick, self.state, joins))

    def leave(self, p: Presence, reason: int) -> None:
        """The session left (``PRESENCE_LEAVE``) or its socket closed (``PRESENCE_DISCONNECT``)."""
        if self.stopped or self.presences.pop(p.session_id, None) is None:
            return
        lua = self.runtime.lua
        leaves = lua.table_from([presence_table(lua, p, reason)])
        self._expect_state("match_leave", self._call("match_leave", self.context, self.dispatcher, self.tick, self.state, leaves))

    def take_kicked(self) -> list[Presence]:
        """Presences the handler kicked since the last call. Nakama then untracks each, which
        comes back to the handler as a match_leave with reason 3: the caller delivers it
        (``leave(p, PRESENCE_LEAVE)``), so a test can mirror it on the Python side."""
        out, self.kicked = self.kicked, []
        return out

    def send(self, p: Presence, op_code: int, data: bytes | None) -> bool:
        """match_data_send from ``p``: queued for the next loop if ``p`` is in the match (else dropped)."""
        if self.stopped or p.session_id not in self.presences:
            return False
        self.queue.append((p, op_code, data))
        return True

    def loop(self) -> None:
        """One tick: match_loop with the queued messages, then the tick counter moves on."""
        if self.stopped:
            return
        lua = self.runtime.lua
        messages = []
        for p, op, data in self.queue:
            fields = {b"sender": presence_table(lua, p), b"op_code": op, b"reliable": True,
                      b"receive_time_ms": self.runtime.clock_ms}
            if data is not None:
                fields[b"data"] = data
            messages.append(lua.table_from(fields))
        self.queue = []
        self._expect_state("match_loop", self._call("match_loop", self.context, self.dispatcher, self.tick, self.state,
                                                     lua.table_from(messages)))
        self.tick += 1

    def terminate(self, grace_seconds: int) -> None:
        if self.stopped:
            return
        self._expect_state("match_terminate", self._call("match_terminate", self.context, self.dispatcher, self.tick,
                                                         self.state, grace_seconds))
        if grace_seconds == 0:
            self.stopped = True

    def signal(self, data: str) -> str:
        out = self._expect_state("match_signal", self._call("match_signal", self.context, self.dispatcher, self.tick,
                                                            self.state, data.encode()), extra=1)
        return out[0].decode() if out and isinstance(out[0], bytes) else ""

    def take(self) -> list[Event]:
        out, self.events = self.events, []
        return out

    def lua_state(self) -> Any:
        """The handler's state table (for white-box checks in unit tests)."""
        return self.state


# Go's view of Lua values (RuntimeLuaConvertLuaValue) and back (RuntimeLuaConvertValue) -----------


def go_value(v: Any) -> Any:
    """A Lua value as Nakama's Go side sees it before json.Marshal."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")  # Go's json writes invalid UTF-8 as U+FFFD
    if isinstance(v, (int, float)):
        f = float(v)
        if math.isnan(f) or math.isinf(f):
            raise StandInError(f"error encoding to JSON: unsupported value {f}")
        if f.is_integer() and -(2**63) <= f < 2**63:
            return int(f)
        return f
    if lupa.lua_type(v) == "table":
        items = list(v.items())
        n = 0
        while v[n + 1] is not None:
            n += 1
        if n:
            if len(items) != n:
                raise StandInError("a table with a sequence part and other keys: Nakama would drop the other keys")
            return [go_value(v[i]) for i in range(1, n + 1)]
        out = {}
        for key, value in items:
            if not isinstance(key, bytes):
                raise StandInError(f"a non-string key {key!r}: our modules never write one")
            out[key.decode()] = go_value(value)
        return out
    raise StandInError(f"cannot convert {lupa.lua_type(v)}")


def to_lua(lua: Any, v: Any) -> Any:
    """A Go value handed to Lua (strings, numbers, booleans, lists, maps)."""
    if isinstance(v, str):
        return v.encode()
    if isinstance(v, dict):
        return lua.table_from({k.encode(): to_lua(lua, x) for k, x in v.items()})
    if isinstance(v, (list, tuple)):
        return lua.table_from([to_lua(lua, x) for x in v])
    return v

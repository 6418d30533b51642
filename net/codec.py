"""The realtime protocol codec: Nakama's JSON envelopes as typed values, and back.

Sans-I/O: text in, values out, no sockets and no asyncio, so every envelope and
every malformed input is a fast unit test. ``decode_client`` is strict (the host
uses it on what players send); ``decode_server`` is lenient as a client must be
(missing fields read as their zero value, unknown message keys become ``Unknown``).
``encode`` writes either direction the way Nakama does: zero values left out,
``op_code`` as a string, ``data`` in base64.

One job, kept in one module past the usual size: the message types, their field-by-field
readers and the writer are one table of the wire format, and splitting them would put
each message's shape in two places.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeAlias

from game import fastjson
from game.xoxo import Presence

_DECIMAL = re.compile(r"[+-]?[0-9]{1,20}")
_PLAIN_ID = re.compile(r"[A-Za-z0-9._-]*")  # a match id JSON writes as it is, between quotes

MAX_OP_CODE = 2**63 - 1


class ErrorCode:
    """Nakama's realtime error codes."""

    RUNTIME_EXCEPTION = 0
    UNRECOGNIZED_PAYLOAD = 1
    MISSING_PAYLOAD = 2
    BAD_INPUT = 3
    MATCH_NOT_FOUND = 4
    MATCH_JOIN_REJECTED = 5


class ProtocolError(ValueError):
    """An envelope the codec refuses.

    ``fatal`` errors are those Nakama answers by closing the socket (invalid JSON, an
    unknown or missing message key); the others are answered with an ``error``
    envelope carrying ``code`` and the request's ``cid``.
    """

    def __init__(self, message: str, *, code: int = ErrorCode.BAD_INPUT, fatal: bool = False, cid: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.fatal = fatal
        self.cid = cid


# Messages --------------------------------------------------------------------


@dataclass(frozen=True)
class MatchmakerAdd:
    min_count: int = 2
    max_count: int = 2
    query: str = "*"
    string_properties: Mapping[str, str] = field(default_factory=dict)
    numeric_properties: Mapping[str, float] = field(default_factory=dict)

    KEY = "matchmaker_add"


@dataclass(frozen=True)
class MatchmakerRemove:
    ticket: str = ""

    KEY = "matchmaker_remove"


@dataclass(frozen=True)
class MatchmakerTicket:
    ticket: str = ""

    KEY = "matchmaker_ticket"


@dataclass(frozen=True)
class MatchmakerUser:
    presence: Presence
    string_properties: Mapping[str, str] = field(default_factory=dict)
    numeric_properties: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class MatchmakerMatched:
    ticket: str = ""
    match_id: str = ""
    token: str = ""
    users: tuple[MatchmakerUser, ...] = ()
    self_user: MatchmakerUser | None = None

    KEY = "matchmaker_matched"


@dataclass(frozen=True)
class MatchJoin:
    match_id: str = ""
    token: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)

    KEY = "match_join"


@dataclass(frozen=True)
class MatchLeave:
    match_id: str = ""

    KEY = "match_leave"


@dataclass(frozen=True)
class Match:
    match_id: str = ""
    authoritative: bool = False
    label: str = ""
    size: int = 0
    presences: tuple[Presence, ...] = ()
    self_presence: Presence | None = None

    KEY = "match"


@dataclass(frozen=True)
class MatchPresenceEvent:
    match_id: str = ""
    joins: tuple[Presence, ...] = ()
    leaves: tuple[Presence, ...] = ()

    KEY = "match_presence_event"


@dataclass(frozen=True)
class MatchDataSend:
    match_id: str = ""
    op_code: int = 0
    data: bytes = b""
    presences: tuple[Presence, ...] = ()
    reliable: bool = True

    KEY = "match_data_send"


@dataclass(frozen=True)
class MatchData:
    match_id: str = ""
    op_code: int = 0
    data: bytes = b""
    presence: Presence | None = None
    reliable: bool = True

    KEY = "match_data"


@dataclass(frozen=True)
class Error:
    code: int = 0
    message: str = ""
    context: Mapping[str, str] = field(default_factory=dict)

    KEY = "error"


@dataclass(frozen=True)
class Ping:
    KEY = "ping"


@dataclass(frozen=True)
class Pong:
    KEY = "pong"


@dataclass(frozen=True)
class Ack:
    """An answer with nothing in it but the request's ``cid`` (``{"cid": "2"}``)."""

    KEY = ""


@dataclass(frozen=True)
class Unknown:
    """A server message this client does not know (ignored, never an error)."""

    key: str = ""
    KEY = "?"


Message: TypeAlias = (
    MatchmakerAdd | MatchmakerRemove | MatchmakerTicket | MatchmakerMatched | MatchJoin | MatchLeave | Match |
    MatchPresenceEvent | MatchDataSend | MatchData | Error | Ping | Pong | Ack | Unknown
)

CLIENT_MESSAGES: dict[str, type] = {
    m.KEY: m for m in (MatchmakerAdd, MatchmakerRemove, MatchJoin, MatchLeave, MatchDataSend, Ping, Pong)
}
SERVER_MESSAGES: dict[str, type] = {
    m.KEY: m
    for m in (MatchmakerTicket, MatchmakerMatched, Match, MatchPresenceEvent, MatchData, Error, Ping, Pong)
}


@dataclass(frozen=True)
class Envelope:
    """One frame: an optional ``cid`` and exactly one message."""

    message: Message
    cid: str | None = None


# Field readers ----------------------------------------------------------------


class _Fields:
    """Typed access to one message object; missing fields read as their zero value."""

    def __init__(self, key: str, obj: Any, cid: str | None):
        if obj is None:
            obj = {}
        if not isinstance(obj, dict):
            raise ProtocolError(f"{key} must be an object", cid=cid)
        self.key, self.obj, self.cid = key, obj, cid

    def fail(self, name: str, what: str) -> ProtocolError:
        return ProtocolError(f"{self.key}.{name} must be {what}", cid=self.cid)

    def text(self, name: str, limit: int = 512) -> str:
        v = self.obj.get(name, "")
        if v is None:
            return ""
        if not isinstance(v, str):
            raise self.fail(name, "a string")
        if len(v) > limit:
            raise self.fail(name, f"at most {limit} characters")
        return v

    def whole(self, name: str, default: int = 0, lo: int = -MAX_OP_CODE - 1, hi: int = MAX_OP_CODE) -> int:
        """An integer given as a JSON number or a numeric string (Nakama's int64 fields)."""
        v = self.obj.get(name, default)
        if v is None:
            return default
        if isinstance(v, bool):
            raise self.fail(name, "a whole number")
        if isinstance(v, str):
            v = v.strip()
            if not _DECIMAL.fullmatch(v):  # int() would also take "1_000" and non-ASCII digits
                raise self.fail(name, "a whole number")
            v = int(v, 10)
        elif isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int) or not lo <= v <= hi:
            raise self.fail(name, f"a whole number from {lo} to {hi}")
        return v

    def flag(self, name: str, default: bool = False) -> bool:
        v = self.obj.get(name, default)
        if v is None:
            return default
        if not isinstance(v, bool):
            raise self.fail(name, "true or false")
        return v

    def str_map(self, name: str) -> dict[str, str]:
        v = self.obj.get(name) or {}
        if not isinstance(v, dict) or not all(isinstance(k, str) and isinstance(x, str) for k, x in v.items()):
            raise self.fail(name, "an object of strings")
        return dict(v)

    def num_map(self, name: str) -> dict[str, float]:
        v = self.obj.get(name) or {}
        if not isinstance(v, dict) or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in v.values()
        ):
            raise self.fail(name, "an object of numbers")
        return {k: float(x) for k, x in v.items()}

    def data(self, name: str) -> bytes:
        v = self.obj.get(name, "")
        if v is None or v == "":
            return b""
        if not isinstance(v, str):
            raise self.fail(name, "a base64 string")
        try:
            return base64.b64decode(v, validate=True)
        except (binascii.Error, ValueError):
            raise self.fail(name, "base64") from None

    def presence(self, name: str) -> Presence | None:
        v = self.obj.get(name)
        if v is None:
            return None
        try:
            return Presence.from_json(v)
        except ValueError as exc:
            raise self.fail(name, f"a presence ({exc})") from None

    def presences(self, name: str) -> tuple[Presence, ...]:
        v = self.obj.get(name) or []
        if not isinstance(v, list):
            raise self.fail(name, "a list of presences")
        try:
            return tuple(Presence.from_json(p) for p in v)
        except ValueError as exc:
            raise self.fail(name, f"a list of presences ({exc})") from None


def _read(cls: type, f: _Fields) -> Message:
    """Build message ``cls`` from its JSON object (both directions)."""
    reader = _READERS.get(cls)
    if reader is None:
        raise TypeError(f"no reader for {cls.__name__}")
    return reader(f)


def _matchmaker_add(f: _Fields) -> MatchmakerAdd:
    return MatchmakerAdd(
        min_count=f.whole("min_count", 0, 0, 1_000_000),
        max_count=f.whole("max_count", 0, 0, 1_000_000),
        query=f.text("query", 1024),
        string_properties=f.str_map("string_properties"),
        numeric_properties=f.num_map("numeric_properties"),
    )


def _match_data_send(f: _Fields) -> MatchDataSend:
    return MatchDataSend(
        match_id=f.text("match_id"),
        op_code=f.whole("op_code"),
        data=f.data("data"),
        presences=f.presences("presences"),
        reliable=f.flag("reliable", True),
    )


def _match_data(f: _Fields) -> MatchData:
    return MatchData(
        match_id=f.text("match_id"),
        op_code=f.whole("op_code"),
        data=f.data("data"),
        presence=f.presence("presence"),
        reliable=f.flag("reliable", True),
    )


def _match(f: _Fields) -> Match:
    return Match(
        match_id=f.text("match_id"),
        authoritative=f.flag("authoritative"),
        label=f.text("label", 4096),
        size=f.whole("size", 0, 0, 1_000_000),
        presences=f.presences("presences"),
        self_presence=f.presence("self"),
    )


def _matchmaker_matched(f: _Fields) -> MatchmakerMatched:
    users = f.obj.get("users") or []
    if not isinstance(users, list):
        raise f.fail("users", "a list")
    return MatchmakerMatched(
        ticket=f.text("ticket"),
        match_id=f.text("match_id"),
        token=f.text("token", 4096),
        users=tuple(_user(u, f) for u in users),
        self_user=_user(f.obj["self"], f) if f.obj.get("self") else None,
    )


_READERS: dict[type, Callable[[_Fields], Message]] = {
    MatchmakerAdd: _matchmaker_add,
    MatchmakerRemove: lambda f: MatchmakerRemove(ticket=f.text("ticket")),
    MatchmakerTicket: lambda f: MatchmakerTicket(ticket=f.text("ticket")),
    MatchJoin: lambda f: MatchJoin(match_id=f.text("match_id"), token=f.text("token", 4096), metadata=f.str_map("metadata")),
    MatchLeave: lambda f: MatchLeave(match_id=f.text("match_id")),
    MatchDataSend: _match_data_send,
    MatchData: _match_data,
    Match: _match,
    MatchPresenceEvent: lambda f: MatchPresenceEvent(
        match_id=f.text("match_id"), joins=f.presences("joins"), leaves=f.presences("leaves")
    ),
    MatchmakerMatched: _matchmaker_matched,
    Error: lambda f: Error(code=f.whole("code"), message=f.text("message", 4096), context=f.str_map("context")),
    Ping: lambda f: Ping(),
    Pong: lambda f: Pong(),
}


def _user(obj: Any, parent: _Fields) -> MatchmakerUser:
    f = _Fields(parent.key + ".users", obj, parent.cid)
    presence = f.presence("presence")
    if presence is None:
        raise f.fail("presence", "a presence")
    return MatchmakerUser(presence, f.str_map("string_properties"), f.num_map("numeric_properties"))


def _parse(text: str | bytes) -> tuple[dict[str, Any], str | None]:
    try:
        obj = fastjson.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ProtocolError("received malformed payload", code=ErrorCode.UNRECOGNIZED_PAYLOAD, fatal=True) from None
    if not isinstance(obj, dict):
        raise ProtocolError("received malformed payload", code=ErrorCode.UNRECOGNIZED_PAYLOAD, fatal=True)
    cid = obj.get("cid")
    if cid is not None and not isinstance(cid, str):
        cid = str(cid) if isinstance(cid, (int, float)) and not isinstance(cid, bool) else None
    if cid is not None and len(cid) > 128:
        raise ProtocolError("cid is too long", code=ErrorCode.BAD_INPUT, fatal=True)
    return obj, cid


def decode_client(text: str | bytes) -> Envelope:
    """Decode what a player sent. Raises ProtocolError (fatal or not) on anything else."""
    obj, cid = _parse(text)
    keys = [k for k in obj if k != "cid"]
    if not keys:
        raise ProtocolError("missing payload", code=ErrorCode.MISSING_PAYLOAD, fatal=True, cid=cid)
    if len(keys) > 1:
        raise ProtocolError("an envelope carries exactly one message", code=ErrorCode.UNRECOGNIZED_PAYLOAD, fatal=True, cid=cid)
    key = keys[0]
    cls = CLIENT_MESSAGES.get(key)
    if cls is None:
        raise ProtocolError(f"unrecognised message {key[:40]!r}", code=ErrorCode.UNRECOGNIZED_PAYLOAD, fatal=True, cid=cid)
    return Envelope(_read(cls, _Fields(key, obj[key], cid)), cid)


def decode_server(text: str | bytes) -> Envelope:
    """Decode what a server sent, leniently. Raises ProtocolError only if it is not an envelope."""
    obj, cid = _parse(text)
    keys = [k for k in obj if k != "cid"]
    if not keys:
        return Envelope(Ack(), cid)
    for key in keys:
        cls = SERVER_MESSAGES.get(key)
        if cls is not None:
            return Envelope(_read(cls, _Fields(key, obj[key], cid)), cid)
    return Envelope(Unknown(keys[0]), cid)


# Encoding ---------------------------------------------------------------------


def _zero(v: Any) -> bool:
    if v is None or v is False or v == "" or v == b"":
        return True
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v == 0
    return isinstance(v, (list, tuple, dict)) and len(v) == 0


def _presence_json(p: Presence) -> dict[str, Any]:
    return {k: v for k, v in p.to_json().items() if v}


def _value(v: Any) -> Any:
    if isinstance(v, Presence):
        return _presence_json(v)
    if isinstance(v, MatchmakerUser):
        return _compact(
            {"presence": v.presence, "string_properties": v.string_properties, "numeric_properties": v.numeric_properties}
        )
    if isinstance(v, (list, tuple)):
        return [_value(x) for x in v]
    if isinstance(v, Mapping):
        return dict(v)
    if isinstance(v, bytes):
        return base64.b64encode(v).decode("ascii")
    return v


def _compact(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: _value(v) for k, v in obj.items() if not _zero(v)}


_RENAMES = {"self_presence": "self", "self_user": "self"}


def message_json(message: Message) -> dict[str, Any]:
    """The JSON object of one message, zero values left out."""
    body: dict[str, Any] = {}
    for f in fields(message):
        v = getattr(message, f.name)
        if f.name == "op_code":
            v = str(v)  # Nakama writes int64 as a string
        body[_RENAMES.get(f.name, f.name)] = v
    out = _compact(body)
    if isinstance(message, (MatchDataSend, MatchData)):
        out.pop("reliable", None)  # the default is true, so only false is worth writing
        if not message.reliable:
            out["reliable"] = False
    return out


def encode(envelope: Envelope | Message, cid: str | None = None) -> str:
    """One frame's text for ``envelope`` (or a bare message with an optional ``cid``)."""
    if not isinstance(envelope, Envelope):
        if type(envelope) is MatchData and cid is None:
            return _match_data_frame(envelope)
        envelope = Envelope(envelope, cid)
    out: dict[str, Any] = {}
    if envelope.cid is not None:
        out["cid"] = envelope.cid
    msg = envelope.message
    if not isinstance(msg, (Ack, Unknown)):
        out[msg.KEY] = message_json(msg)
    return json.dumps(out, separators=(",", ":"), ensure_ascii=False)


def _match_data_frame(m: MatchData) -> str:
    """``match_data`` pushed to a player, written directly: the host's hottest path (every state to every player).

    The same text as the generic path, which a test checks; a message of any other shape
    (no data, op code 0, a sender presence, unreliable) goes the generic way.
    """
    if not (m.match_id and m.op_code and m.data) or m.presence is not None or not m.reliable:
        return encode(Envelope(m))
    match_id = f'"{m.match_id}"' if _PLAIN_ID.fullmatch(m.match_id) else json.dumps(m.match_id, ensure_ascii=False)
    data = base64.b64encode(m.data).decode("ascii")
    return f'{{"match_data":{{"match_id":{match_id},"op_code":"{m.op_code:d}","data":"{data}"}}}}'


def match_data_writer(match_id: str) -> Callable[[int, bytes], str]:
    """``encode(MatchData(match_id, op_code, data))`` as a function of one match's frames, its id's JSON written once.

    The host sends every state of a match through one of these: the frame without a
    message value built first, nor its id checked and quoted again each time.
    """
    if not match_id:
        return lambda op_code, data: encode(MatchData(match_id, op_code, data))
    head = '{"match_data":{"match_id":' + (
        f'"{match_id}"' if _PLAIN_ID.fullmatch(match_id) else json.dumps(match_id, ensure_ascii=False)
    ) + ',"op_code":"'

    def write(op_code: int, data: bytes) -> str:
        if not (op_code and data):
            return encode(MatchData(match_id, op_code, data))
        return f'{head}{op_code:d}","data":"{base64.b64encode(data).decode("ascii")}"}}}}'

    return write


def error_envelope(exc: ProtocolError) -> str:
    """The ``error`` frame answering a non-fatal ProtocolError."""
    return encode(Envelope(Error(code=exc.code, message=exc.message), exc.cid))

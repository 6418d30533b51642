"""The Lua payload reader accepts exactly the moves game/xoxo.py's decode_move accepts, and reads the same values.

decode_move reads at most ``MAX_MOVE_BYTES`` with ``json.loads(data.decode("utf-8"),
parse_constant=<refuse>)``, then takes ``row`` and ``col``, a whole-number double as
the whole number, and the rules take 1 to 3. nakama/xoxo_plus_json.lua must agree on
every payload: ``decode`` on whether it is JSON and on the value (types, whole numbers
apart from doubles, each double to the bit, strings, key order, the last of equal
keys), ``read_move`` on what decode_move and the bounds check make of it. Both are
compared with Python on generated and hand-picked payloads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import lupa.lua51 as lupa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.rules import Board, OutOfBoundsError
from game.xoxo import MAX_MOVE_BYTES, PayloadError, decode_move
from tests.nakama.standin import NakamaRuntime
from tests.nakama.strategies import (
    NUMBER_TEXTS,
    json_values,
    move_payloads,
    near_the_limit,
    number_literals,
    other_encodings,
    written_moves,
)

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]

Verdict = tuple[Any, ...]


# Python's side ---------------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def canon(v: Any) -> Any:
    """A decoded JSON value with its types spelled out (True is not 1, 1 is not 1.0, -0.0 is not 0.0)."""
    if v is None:
        return ("null",)
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int):
        return ("int", v)
    if isinstance(v, float):
        return ("float", v.hex())
    if isinstance(v, str):
        return ("str", v)
    if isinstance(v, list):
        return ("list", tuple(canon(x) for x in v))
    return ("dict", tuple((k, canon(x)) for k, x in v.items()))


def python_value(data: bytes) -> Verdict:
    """The value decode_move reads from ``data`` (its reading steps), or ("error",)."""
    if len(data) > MAX_MOVE_BYTES:
        return ("error",)
    try:
        return ("ok", canon(json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return ("error",)


def in_bounds(v: Any) -> bool:
    try:
        Board().check(v, 1)
    except OutOfBoundsError:
        return False
    return True


def python_move(data: bytes) -> Verdict:
    """What decode_move and the rules' bounds check make of a move: ("bad_payload",) or
    (row, col), each the whole number 1 to 3 or False."""
    try:
        row, col = decode_move(data)
    except PayloadError:
        return ("bad_payload",)
    return tuple(v if in_bounds(v) else False for v in (row, col))


# Lua's side ------------------------------------------------------------------------------------


class Reader:
    def __init__(self) -> None:
        lua = NakamaRuntime().lua
        self._decode = lua.eval("""function(data)
            local ok, v = pcall(require("xoxo_plus_json").decode, data)
            return ok, v
        end""")
        self._move = lua.eval("""function(data)
            local row, col = require("xoxo_plus_json").read_move(data)
            if row == nil then return "bad_payload" end
            return row, col
        end""")
        self._bits = lua.eval("function(v) return string.format('%.17g', v.value) end")
        self._frames = lua.eval("""function(data)
            local deepest = 0
            debug.sethook(function()
                local level = 2
                while debug.getinfo(level, "l") ~= nil do level = level + 1 end
                if level > deepest then deepest = level end
            end, "c")
            pcall(require("xoxo_plus_json").decode, data)
            debug.sethook()
            return deepest
        end""")

    def value(self, data: bytes) -> Verdict:
        ok, v = self._decode(data)
        return ("ok", self._canon(v)) if ok else ("error",)

    def move(self, data: bytes) -> Verdict:
        out = self._move(data)
        return (out.decode(),) if isinstance(out, bytes) else out

    def call_depth(self, data: bytes) -> int:
        """The deepest Lua call stack while decoding ``data``."""
        return self._frames(data)

    def _canon(self, v: Any) -> Any:
        if isinstance(v, bool):
            return ("bool", v)
        if isinstance(v, bytes):
            return ("str", v.decode("utf-8", "surrogatepass"))
        assert lupa.lua_type(v) == "table"
        kind = v[b"kind"]
        if kind is None:
            return ("null",)
        if kind == b"int":
            return ("int", int(v[b"text"]))
        if kind == b"float":
            return ("float", float(self._bits(v)).hex())  # %.17g and back: the same double
        if kind == b"list":
            return ("list", tuple(self._canon(v[k]) for k in range(1, v[b"n"] + 1)))
        keys, members = v[b"keys"], v[b"map"]
        return ("dict", tuple((keys[k].decode("utf-8", "surrogatepass"), self._canon(members[keys[k]]))
                              for k in range(1, len(keys) + 1)))


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


@pytest.fixture(scope="module")
def agree(reader: Reader) -> Callable[[bytes], None]:
    """Checks one payload: Lua's value and move against Python's."""

    def check(data: bytes) -> None:
        expected = python_value(data)
        assert reader.value(data) == expected, f"decode: payload {data!r}"
        move = python_move(data)
        if expected == ("error",):
            assert move == ("bad_payload",), f"the oracle and decode_move disagree on {data!r}"
        assert reader.move(data) == move, f"read_move: payload {data!r}"

    return check


# Generated payloads ----------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(value=json_values, ensure_ascii=st.booleans(), encoding=st.sampled_from(ENCODINGS))
def test_json_texts_in_every_encoding(agree, value, ensure_ascii, encoding):
    agree(json.dumps(value, ensure_ascii=ensure_ascii).encode(encoding, "surrogatepass"))


@settings(max_examples=400, deadline=None)
@given(data=st.one_of(written_moves(), near_the_limit(), other_encodings, move_payloads))
def test_moves_as_clients_might_write_them(agree, data):
    agree(data or b"")


@settings(max_examples=300, deadline=None)
@given(value=json_values, cut=st.integers(min_value=0, max_value=64), insert=st.binary(max_size=3),
       where=st.integers(min_value=0, max_value=64))
def test_damaged_texts(agree, value, cut, insert, where):
    data = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    data = data[: max(0, len(data) - cut)]
    agree(data[:where] + insert + data[where:])


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=24))
def test_random_bytes(agree, data):
    agree(data)


@settings(max_examples=500, deadline=None)
@given(soup=st.text(alphabet='{}[]",:0123456789.eE+-truefalsnNIiy \t\n\r\\/u\x0b\x00\x7fé\ufeff', max_size=30))
def test_strings_of_json_s_own_characters(agree, soup):
    agree(soup.encode())


@settings(max_examples=300, deadline=None)
@given(literal=st.one_of(number_literals, st.sampled_from(NUMBER_TEXTS)), space=st.sampled_from(["", " ", "\t\n\r "]))
def test_number_literals(agree, literal, space):
    agree(f'{space}{{"row": {literal}, "col": [{literal}]}}{space}'.encode())
    agree(f'{{"col":{literal},"row":{literal}}}'.encode())
    agree(literal.encode())


@settings(max_examples=300, deadline=None)
@given(x=st.floats(allow_nan=False, allow_infinity=False))
def test_doubles_are_read_to_the_bit(agree, x):
    agree(repr(x).encode())
    agree(f'{{"row":{x!r},"col":{x:.17e}}}'.encode())


# Hand-picked payloads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "NaN", "-Infinity", "Infinity", "[NaN]", '{"row":NaN,"col":1}', '{"row":1,"col":1,"x":Infinity}', "-NaN", "nan",
        "inf", "1e400", "-1e400", "1e-400", "-0", "-0.0", "0.0", "01", "1.", ".5", "1e", "1e+", "+1", "1E5", "1.5e+3",
        "0e99999", "1e-99999999999", "-", "--1", "0x10", "1_0",
        '"\\ud800\\udc00"', '"\\ud800"', '"\\udc00\\ud800"', '"\\ud800\\u0041"', '"\\ud800\\uZZZZ"', '"\\ud800\\n"',
        '"\\ud800\\ud800\\udc00"', '"\\ud800\\u12"', '"\\u004"', '"\\u00e9\\u00E9"', '"\\x41"', '"\\/\\b\\f\\n\\r\\t"',
        '"\\\'"', '"a\nb"', '"a\x00b"', '"\x7f"', '"\x1f"', "\ufeff{}", " \ufeff{}", '{"a":"\ufeff"}',
        '{"a":1,"b":2,"a":3}', '{"row":1,"col":2,"row":"x"}', '{"row":"x","col":2,"row":3}', '{"a":1,}', "[1,]", "[1 2]",
        "{1:2}", "{'a':1}", '{"a" 1}', '{"a":}', '{,"a":1}', "[,1]", "[]", "{}", " [ ] ", "[[]]", "", " ", "\t\n\r ",
        "\x0b1", "1\x0c", "\xa01", "nul", "truex", "true false", "[true,false,null]",
        '{"row": 1, "col": 1}', '{"row":"1","col":1}', '{"row":true,"col":false}', '{"row":null}', '{"row":null,"col":1}',
        '{"row":2.0,"col":2e0}', '{"row":0.2e1,"col":20E-1}', '{"row":-0,"col":1}', '{"row":-0.0,"col":1}',
        '{"row":1E0,"col":3.0000000000000001}', '{"row":2.5,"col":1}', '{"row":[2],"col":[[2]]}', '{"row":{},"col":1}',
        '{"r\\u006fw":3,"\\u0063ol":3}', '{"Row":1,"col":1}', '[{"row":1,"col":1}]', '{"row":1,"col":1} x',
    ],
)
def test_edge_cases(agree, text):
    agree(text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbf[1]", b"\xef\xbb\xbf\xef\xbb\xbf[1]", b'\xef\xbb\xbf{"row":1,"col":1}',
    b"\xff\xfe[\x001\x00]\x00", b"\xfe\xff\x00[\x001\x00]", '{"row":1,"col":1}'.encode("utf-16-le"),
    '{"row":1,"col":1}'.encode("utf-32"), b"[\x00", b"\x00[", b"[1]\x00", b"\xed\xa0\x80", b'"\xed\xa0\x80"',
    b'"\xed\xbf\xbf"', b'"\xed\x9f\xbf"', b'"\xee\x80\x80"', b'"\xed\xa0"', b'"\xc0\xaf"', b'"\xc1\xbf"', b'"\xc2\x80"',
    b'"\xe0\x80\xaf"', b'"\xe0\x9f\xbf"', b'"\xe0\xa0\x80"', b'"\xf0\x8f\xbf\xbf"', b'"\xf0\x90\x80\x80"',
    b'"\xf4\x8f\xbf\xbf"', b'"\xf4\x90\x80\x80"', b'"\xf5\x80\x80\x80"', b'"\xf8"', b'"\xff"', b'"\x80"', b'"\xbf"',
    b'"\xe9"', b'"\xe9\x80"', b'"\xf0\x90\x80"', b'{"row":1,"col":1,"x":"\xc3"}', b'{"row":1,"col":1}\xff',
])
def test_byte_level_edge_cases(agree, data):
    agree(data)


def test_the_byte_limit_counts_bytes_not_characters(agree):
    move = b'{"row":2,"col":3}'
    for n in range(MAX_MOVE_BYTES - 3, MAX_MOVE_BYTES + 4):
        agree(move + b" " * (n - len(move)))
        agree(b" " * (n - len(move)) + move)
        head = b'{"row":2,"col":3,"x":"'
        room = n - len(head) - 2
        agree(head + "é".encode() * (room // 2) + b"x" * (room % 2) + b'"}')
    assert python_move(move + b" " * (MAX_MOVE_BYTES - len(move))) == (2, 3)
    assert python_move(move + b" " * (MAX_MOVE_BYTES - len(move) + 1)) == ("bad_payload",)


def test_doubles_a_half_unit_from_a_whole_number_round_as_python_rounds_them(agree):
    near = [t for t in NUMBER_TEXTS if len(t) > 40]  # each tie next to 1, 2 and 3, and a hair either side
    assert {float(t).is_integer() for t in near} == {True, False}
    for text in near:
        agree(f'{{"row":{text},"col":{text}}}'.encode())
        agree(f'{{"row":{text},"col":1}}'.encode())
    assert python_move(b'{"row":2.0000000000000002220446049250313080847263336181640625,"col":3e0}') == (2, 3)


def test_nesting_up_to_the_byte_limit_is_read_without_call_frames(agree, reader):
    # Nakama gives a Lua VM 128 call frames by default; a reader that recursed per level
    # could run out of them within 128 bytes where Python reads the value.
    shapes = [
        lambda d: b"[" * d + b"]" * d,
        lambda d: b'{"row":' + b"[" * d + b"1" + b"]" * d + b',"col":1}',
        lambda d: b'{"row":' + b'{"a":' * d + b"1" + b"}" * d + b',"col":1}',
        lambda d: b'{"row":1,"col":' + b'[{"a":' * d + b"2" + b"}]" * d + b"}",
    ]
    for shape in shapes:
        frames = reader.call_depth(shape(1))
        depth = 1
        while len(shape(depth)) <= MAX_MOVE_BYTES:
            agree(shape(depth))
            agree(shape(depth)[:-1])
            assert reader.call_depth(shape(depth)) == frames, shape(depth)
            depth += 1
        agree(shape(depth))  # a byte or two too long
    agree(b"[" * 5000)
    agree(b"[" * 5000 + b"]" * 5000)

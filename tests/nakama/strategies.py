"""Hypothesis strategies for what clients send: JSON values, move payloads, junk.

A move is read by game/xoxo.py's ``decode_move``: at most ``MAX_MOVE_BYTES`` of strict
UTF-8 JSON without NaN or Infinity, an object with ``row`` and ``col``, a whole-number
double read as the whole number. The move strategies aim at those edges: payloads
around the byte limit, a BOM, UTF-16 and UTF-32, NaN and Infinity, every spelling of a
number (``2.0``, ``2e0``, ``0.2e1``, ``-0``, doubles a half-unit from a whole number),
escaped keys, repeated keys, JSON's whitespace and characters that are not.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, localcontext
from typing import Any

from hypothesis import strategies as st

from game.xoxo import MAX_MOVE_BYTES

# Characters JSON must escape, characters it may escape, lone surrogates (valid only as
# \u escapes: raw they are invalid UTF-8), the BOM, and non-ASCII of every UTF-8 length.
SPECIAL_CHARS = [chr(c) for c in range(0x20)] + list("\x7f'\"\\/ \x80\xa0\u2028\ufeff") + [
    "\ud800", "\udbff", "\udc00", "\udfff", "\ue000", "é", "名", "😀", "\U0010ffff"]

text = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(SPECIAL_CHARS)), max_size=8)
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-5, max_value=5), st.integers(),
                    st.integers(min_value=-(10**40), max_value=10**40), st.floats(), text)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                           max_leaves=6)


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def halfway(whole: int, up: bool) -> str:
    """The decimal exactly halfway between ``whole`` and the double next to it (above or
    below): it rounds to ``whole`` (ties to even); a hair further from ``whole`` does not."""
    x = float(whole)
    y = math.nextafter(x, math.inf if up else -math.inf)
    with localcontext(prec=200):  # exact: a double has at most 767 significant digits, these far fewer
        return format((Decimal(x) + Decimal(y)) / 2, "f")


# Numbers written as a client might write them, in and around 1 to 3.
NUMBER_TEXTS = [
    "1", "2", "3", "0", "4", "-1", "-0", "10", "01", "+1", "1.", ".5", "2.0", "2.00", "2e0", "2E0", "2e+0", "2E-0",
    "0.2e1", "20e-1", "200E-2", "2.5", "-0.0", "0.0", "0e5", "1E2", "0.5e1", "3.0000000000000001", "2.0000000000000004",
    "2.9999999999999996", "1e400", "-1e400", "1e-400", "1.7976931348623157e308", "5e-324", "0x2", "2_0", "١",
    *(text for n in (1, 2, 3) for up in (False, True) for h in [halfway(n, up)] for text in (h, h + "1", h[:-1] + "49")),
]
number_literals = st.from_regex(r"\A-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,20})?([eE][-+]?[0-9]{1,3})?\Z")
values_written = st.one_of(
    st.sampled_from(["1", "2", "3"]),
    st.sampled_from(["1", "2", "3"]),
    st.sampled_from(NUMBER_TEXTS),
    st.sampled_from(NUMBER_TEXTS),
    number_literals,
    st.sampled_from(["NaN", "Infinity", "-Infinity", "nan", "-NaN", "true", "false", "null", "None", '"2"',
                     '"\\u0032"', '"\\ud800"', "[2]", "[[2]]", "[]", "{}", '{"row": 2}', '"\xed\xa0\x80"']),
)
ROW_KEYS = ['"row"', '"r\\u006fw"', '"\\u0072\\u006F\\u0077"', '"Row"', '"row "', '"\\ud800"']
COL_KEYS = ['"col"', '"c\\u006fl"', '"\\u0063ol"', '"column"', '"co\\u006c"']
EXTRA_KEYS = ['"row"', '"col"', '"why"', '""', '"\\ud83d\\ude00"', '"é"', '"\\/"']
# JSON's whitespace; and characters that look like it but are not (a written move holds at
# most one of those, so that the rest of it still counts).
spaces = st.sampled_from(["", "", " ", "\n", "\t", "\r\n  ", " " * 9])
NOT_SPACES = ["\x0b", "\x0c", "\x00", "\xa0", "\u3000", "\ufeff", "\u2028"]


@st.composite
def written_moves(draw: Any) -> bytes:
    """A move written by hand: keys spelled any way, in any order, with extra or repeated
    keys, numbers in any notation, and any spacing."""
    members = [(draw(st.one_of(st.just('"row"'), st.sampled_from(ROW_KEYS))), draw(values_written)),
               (draw(st.one_of(st.just('"col"'), st.sampled_from(COL_KEYS))), draw(values_written))]
    members += draw(st.lists(st.tuples(st.sampled_from(EXTRA_KEYS), values_written), max_size=2))
    members = draw(st.permutations(members))
    gaps = 4 * len(members) + 2
    odd_gap = draw(st.one_of(st.none(), st.none(), st.integers(min_value=0, max_value=gaps - 1)))
    odd = draw(st.sampled_from(NOT_SPACES))

    def gap() -> str:
        nonlocal gaps
        gaps -= 1
        return odd if gaps == odd_gap else draw(spaces)

    body = ",".join(f"{gap()}{k}{gap()}:{gap()}{v}{gap()}" for k, v in members)
    return f"{gap()}{{{body}}}{gap()}".encode("utf-8", "surrogatepass")


@st.composite
def near_the_limit(draw: Any) -> bytes:
    """A move padded (with JSON whitespace, or a string member) to a few bytes either side of MAX_MOVE_BYTES."""
    row, col = draw(st.integers(0, 4)), draw(st.sampled_from(["1", "2", "3", "2.0", "3e0", "4"]))
    target = draw(st.integers(min_value=MAX_MOVE_BYTES - 6, max_value=MAX_MOVE_BYTES + 6))
    how = draw(st.sampled_from(["before", "after", "inside", "string", "multibyte"]))
    core = f'{{"row": {row}, "col": {col}}}'
    if how in ("string", "multibyte"):
        head = f'{{"row": {row}, "col": {col}, "pad": "'
        fill = "é" if how == "multibyte" else "x"
        room = max(0, target - len(head.encode()) - 2)
        pad = fill * (room // len(fill.encode())) + "x" * (room % len(fill.encode()))
        return (head + pad + '"}').encode()
    pad = " " * max(0, target - len(core))
    if how == "before":
        return (pad + core).encode()
    if how == "after":
        return (core + pad).encode()
    return ("{" + pad + core[1:]).encode()


ENCODINGS = ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"]
other_encodings = st.builds(lambda data, enc: data.decode("utf-8", "surrogatepass").encode(enc, "surrogatepass"),
                            written_moves(), st.sampled_from(ENCODINGS))

cell = st.integers(min_value=0, max_value=4)

# Payloads at the edges of decode_move. Most are a real move but for one thing, so a
# reader that let that thing through would play the move where Python refuses it.
EDGES = [
    None, b"", b"not json", b"[1, 1]", b'{"row": 1}', b'{"row": 1, "col": 1,}', b"[" * 5000, b"[" * 64 + b"]" * 64,
    b'{"row": 1e400, "col": 1}', b'{"row": NaN, "col": 2}', b'{"row": -Infinity, "col": 2}', b'{"row": Infinity, "col": 2}',
    b'{"row": 2, "col": 2, "x": NaN}', b'{"row": 1.0, "col": 1}', b'{"row": 1E0, "col": 3}', b'{"row": 0.2e1, "col": 2e0}',
    b'{"row": 30e-1, "col": 3.0000000000000001}', b'{"row": -0, "col": 1}', b'{"row": -0.0, "col": 1}',
    b'{"row": 10000000000000000000000000000001, "col": 1}', b'{"row": "2", "col": 2}', b'{"row": true, "col": 2}',
    b'{"row": [[[2]]], "col": 2}', b"\xff\xfe", b'\xef\xbb\xbf{"row":2,"col":2}', '{"row":2,"col":3}'.encode("utf-16"),
    '{"row":3,"col":1}'.encode("utf-16-le"), '{"row":3,"col":1}'.encode("utf-32-le"), b'{"row":2,"row":3,"col":3}',
    b'{"row":3,"col":3,"row":"x"}', b'{"r\\u006fw":1,"col":2}', b'{"row":1,"col":"\xed\xa0\x80"}',
    b'{"row":1,"col":"\\ud800"}', b'{"row":1,"col":2,"x":"\xed\xa0\x80"}', b'{"row":1,"col":2,"x":"\xc0\xaf"}',
    b'{"row":1,"col":2,"x":"\xf4\x90\x80\x80"}', b'{"row":1,"col":2,"x":"\x01"}', b'{"row":1,"col":2,"x":"\\x"}',
    b'{"row":1,"col":2}\x0b', b'\xa0{"row":1,"col":2}', b'{"row":1,"col":2,}', b'{"row":01,"col":2}',
    b"1" * 5000, b'{"row":2,"col":2}' + b" " * (MAX_MOVE_BYTES - 17), b'{"row":2,"col":2}' + b" " * (MAX_MOVE_BYTES - 16),
    b'{"row":1,"col":3,"x":"' + "é".encode() * ((MAX_MOVE_BYTES - 24) // 2) + b'"}',
    b'{"row":1,"col":3,"x":"' + "é".encode() * ((MAX_MOVE_BYTES - 24) // 2 + 1) + b'"}',
]
edge_payloads = st.one_of(st.sampled_from(EDGES), written_moves(), near_the_limit(), other_encodings)

# Op 1 payloads: moves in and out of the board, in every notation, wrong types and shapes,
# not JSON, not UTF-8, too long.
move_payloads = st.one_of(
    st.builds(lambda r, c: dumps({"row": r, "col": c}), cell, cell),
    st.builds(lambda r, c: dumps({"col": c, "row": r, "why": [1, {"x": None}]}), cell, cell),
    st.builds(lambda r, c: dumps({"row": r, "col": c}), json_values, st.one_of(cell, json_values)),
    st.builds(lambda v: dumps(v), json_values),
    written_moves(),
    written_moves(),
    near_the_limit(),
    other_encodings,
    st.sampled_from(EDGES),
    st.binary(max_size=16),
)

rematch_payloads = st.sampled_from([b"{}", b"", None, b"junk", b'{"please": true}'])
unknown_ops = st.sampled_from([0, 3, 5, 42, -1, 2**31, -(2**53), 2**53])

# Claims (op 6): the two the game sends, other spellings decode_claim reads the same way, and ones it refuses.
CLAIMS = [b'{"claim":"win"}', b'{"claim":"draw"}', b'{"claim": "win"}', b' {"claim" : "draw"}\n', b'{"claim":"\\u0077in"}',
          b'{"claim":"draw","claim":"win"}', b'{"x":1,"claim":"draw"}', b'{"claim":"Win"}', b'{"claim":"lose"}',
          b'{"claim":true}', b'{"claim":["win"]}', b'["claim","win"]', b'"win"', b"{}", b"",
          b'{"claim":"win"' + b" " * 120 + b"}", b'\xef\xbb\xbf{"claim":"win"}', b'{"claim":"win","x":NaN}']
claim_payloads = st.one_of(st.sampled_from(CLAIMS), st.sampled_from(CLAIMS), st.none(), edge_payloads)

# Reactions (op 8, revision 4): the six ids as the game sends them, other spellings, and ones decode_reaction refuses.
REACTIONS = [b'{"reaction":"hello"}', b'{"reaction":"good_game"}', b'{"reaction": "well_played"}', b'{"reaction":"oops"}',
             b'{"reaction":"thinking"}', b'{"reaction":"rematch"}', b' {"reaction" : "oops"} ', b'{"reaction":"\\u0068ello"}',
             b'{"reaction":"Hello"}', b'{"reaction":"gg"}', b'{"reaction":1}', b'{"reaction":null}', b'["hello"]', b"{}",
             b'{"reaction":"hello","reaction":"nope"}', b'{"reaction":"hello"' + b" " * 120 + b"}"]
reaction_payloads = st.one_of(st.sampled_from(REACTIONS), st.sampled_from(REACTIONS), st.none(), edge_payloads)

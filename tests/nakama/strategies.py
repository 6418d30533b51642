"""Hypothesis strategies for what clients send: JSON values, move payloads, junk."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Characters repr escapes or quotes specially, the unprintable ones the module knows, lone
# surrogates; with letters, marks, digits, punctuation and symbols (printable in every
# Unicode version) they reach every branch of repr. Unassigned code points are left out:
# the module does not know them (docs/NAKAMA.md).
SPECIAL_CHARS = [chr(c) for c in range(0x20)] + list("\x7f'\"\\ \x80\x9f\xa0\xad\u061c\u2000\u2028\u2029\u202f\ufeff\ufffb") + [
    "\ud800", "\udbff", "\udc00", "\udfff", "\ue000", "\U000e0041", "\U000ffffd", "\U0010fffd", "é", "名", "😀"]

text = st.text(alphabet=st.one_of(st.characters(categories=("L", "M", "N", "P", "S")), st.sampled_from(SPECIAL_CHARS)),
               max_size=10)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**40), max_value=10**40),
                    st.floats(), text)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
                           max_leaves=10)


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


cell = st.integers(min_value=0, max_value=4)

# Op 1 payloads: moves in and out of the board, wrong types, wrong shapes, not JSON.
move_payloads = st.one_of(
    st.builds(lambda r, c: dumps({"row": r, "col": c}), cell, cell),
    st.builds(lambda r, c: dumps({"col": c, "row": r, "why": [1, {"x": None}]}), cell, cell),
    st.builds(lambda r, c: dumps({"row": r, "col": c}), json_values, st.one_of(cell, json_values)),
    st.builds(lambda v: dumps(v), json_values),
    st.sampled_from([
        None, b"", b"not json", b"[1, 1]", b'{"row": 1}', b'{"row": 1, "col": 1,}', b"[" * 5000, b"[" * 3000 + b"]" * 3000,
        b'{"row": 1e400, "col": 1}', b'{"row": NaN, "col": 2}', b'{"row": -Infinity, "col": 2}',
        b'{"row": 1.0, "col": 1}', b'{"row": 1E0, "col": 1}', b'{"row": 10000000000000000000000000000001, "col": 1}',
        b'{"row": -0, "col": 1}', b'{"row": "2", "col": 2}', b'{"row": true, "col": 2}', b'{"row": [[[2]]], "col": 2}',
        b"\xff\xfe", b'\xef\xbb\xbf{"row":2,"col":2}', '{"row":2,"col":3}'.encode("utf-16"),
        '{"row":3,"col":1}'.encode("utf-32-le"), b'{"row":2,"row":3,"col":3}', b'{"r\\u006fw":1,"col":2}',
        b'{"row":1,"col":"\xed\xa0\x80"}', b'{"row":1,"col":"\xc0\xaf"}', b"1" * 5000,
    ]),
    st.binary(max_size=16),
)

rematch_payloads = st.sampled_from([b"{}", b"", None, b"junk", b'{"please": true}'])
unknown_ops = st.sampled_from([0, 3, 5, 6, 42, -1, 2**31, -(2**53), 2**53])

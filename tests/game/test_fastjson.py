"""game.fastjson writes and reads exactly what the standard json module does, orjson or not."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from game import fastjson

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                      max_leaves=20)


@given(VALUES)
def test_dumps_is_byte_for_byte_the_standard_librarys(value):
    assert fastjson.dumps(value) == fastjson.standard_dumps(value)


@given(VALUES)
def test_loads_reads_what_the_standard_library_reads(value):
    text = json.dumps(value)
    assert fastjson.loads(text) == json.loads(text)
    assert fastjson.loads(text.encode()) == json.loads(text)


def test_the_edges_where_orjson_alone_would_differ():
    for value in (1e16, 1e-05, -1.5e300, 2**64, -(2**63) - 1, {"u": "3e4f:1e5"}, [0.00001, 29.99]):
        assert fastjson.dumps(value) == fastjson.standard_dumps(value)
    for text in ('{"op":-9223372036854775809}', "[NaN, Infinity]", '"\\ud800"', "[1e400]"):
        assert repr(fastjson.loads(text)) == repr(json.loads(text))

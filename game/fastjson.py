"""JSON in and out through orjson where it is installed, with the standard library's exact results.

The host reads every message and writes every state as JSON; orjson does both several
times faster than ``json`` (BENCHMARKS.md, "The host under load"). It is an optional
dependency, and where it is missing, or where its result could differ from ``json``'s,
``json`` does the work, so the text on the wire is the same byte for byte either way:

* ``loads`` gives ``json``'s answer to what orjson refuses (NaN and Infinity, lone
  surrogates, nesting past orjson's depth) and to texts with a run of 19 digits or more,
  where orjson would read an integer past 64 bits as a float;
* ``dumps`` writes compact JSON with non-ASCII characters as they are (``json.dumps`` with
  ``separators=(",", ":"), ensure_ascii=False``, encoded as UTF-8). The two write floats
  alike except with an exponent (``1e+16`` against ``1e16``, ``1e-05`` against
  ``0.00001``): output that has one, or a small fraction, is written again by ``json``. So
  are values orjson refuses (keys that are not strings, integers past 64 bits). Non-finite
  floats are not written by either here: no payload holds one.
"""

from __future__ import annotations

import json
import re
from types import ModuleType
from typing import Any

_COMPACT = (",", ":")
# Where orjson's floats could differ from json's: a number (first, or after ':', ',' or '[') with an exponent, or a
# small fraction. A string that looks so (a name "a:1e5") only sends that one text through json.
_FLOAT_SHAPES = re.compile(rb"[:,\[]-?(?:[0-9][0-9.]*[eE]|0\.0000)")  # (a bare number: see dumps)
_BARE = frozenset(b"-0123456789")  # the first byte of a bare number (always written by json)
_LONG_TEXT, _LONG_BYTES = re.compile(r"[0-9]{19}"), re.compile(rb"[0-9]{19}")  # integers orjson may read as floats


def _orjson() -> ModuleType | None:
    try:
        import orjson
    except ImportError:
        return None
    return orjson


_fast = _orjson()


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``, faster where orjson is installed."""
    long = _LONG_TEXT.search(text) if isinstance(text, str) else _LONG_BYTES.search(text)
    if _fast is not None and not long:
        try:
            return _fast.loads(text)
        except _fast.JSONDecodeError:
            pass
    return json.loads(text)


def dumps(obj: Any) -> bytes:
    """``json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()``, faster where orjson is installed."""
    if _fast is not None:
        try:
            out: bytes = _fast.dumps(obj)
        except TypeError:  # orjson's JSONEncodeError: json decides (and raises what it raises)
            pass
        else:
            if out[0] not in _BARE and not _FLOAT_SHAPES.search(out):
                return out
    return json.dumps(obj, separators=_COMPACT, ensure_ascii=False).encode()


def standard_dumps(obj: Any) -> bytes:
    """What ``dumps`` must equal: the standard library's compact JSON (for tests)."""
    return json.dumps(obj, separators=_COMPACT, ensure_ascii=False).encode()

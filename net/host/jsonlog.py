"""Structured logs for ``--log-format json``: one JSON object a line, as log shippers read them.

Each line has ``time`` (RFC 3339, UTC, milliseconds: ``2025-06-01T12:00:00.123Z``),
``level`` (``INFO``, ``WARNING``...), ``logger`` (``net.host``), ``message`` (the text the
plain format shows), then any extra fields the record carries (``log.info(...,
extra={"match_id": ...})``), and ``exception`` with the traceback when there is one.
Vector, Fluent Bit, Promtail and the like parse it with their JSON parsers, no pattern.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

# The attributes every LogRecord has; anything else on a record is an extra field.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def rfc3339(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module's docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": rfc3339(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)

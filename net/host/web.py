"""The host's HTTP values: a request as the host sees it, a response, and the shapes of Nakama's answers.

Plain values with no sockets: the front (``net.host.front``) makes the requests and
writes the responses; the HTTP API (``net.host.api``) and the realtime side answer them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import h11

MAX_HEAD = 16 * 1024  # bytes of request line and headers
MAX_HEADERS = 100  # header fields in one request
MAX_LINE = 8 * 1024  # bytes of one header line

# gRPC status codes Nakama puts in its HTTP error bodies, by HTTP status.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 408: 4, 409: 6, 413: 8, 429: 8, 431: 8, 500: 13, 503: 14}


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request as the site sees it: method, path, query, headers (names lower-cased), body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    remote: str

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass(frozen=True)
class ApiResponse:
    """One HTTP response: status, body and its type, and extra headers."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def json_response(status: int, obj: Any) -> ApiResponse:
    return ApiResponse(status, json.dumps(obj, separators=(",", ":")).encode())


def api_error(status: int, message: str, *, allow: str = "") -> ApiResponse:
    """An error of the HTTP API in Nakama's shape: ``{"error", "code", "message"}``."""
    extra = (("Allow", allow),) if allow else ()
    return ApiResponse(
        status,
        json.dumps({"error": message, "code": GRPC_CODES.get(status, 2), "message": message}, separators=(",", ":")).encode(),
        headers=extra,
    )


def text_response(status: int, message: str) -> ApiResponse:
    return ApiResponse(status, message.encode("utf-8"), "text/plain; charset=utf-8")


def head_refusal(request: h11.Request) -> ApiResponse | None:
    """431 for a head past the limits (however it arrived), 400 for a body framed two ways; None if it is fine."""
    headers = request.headers
    if len(headers) > MAX_HEADERS:
        return text_response(431, f"Request Header Fields Too Large: at most {MAX_HEADERS} header fields.\n")
    lines = [len(k) + len(v) + 4 for k, v in headers]
    if sum(lines) + len(request.method) + len(request.target) + 12 > MAX_HEAD or max(lines, default=0) > MAX_LINE:
        return text_response(
            431, f"Request Header Fields Too Large: at most {MAX_HEAD // 1024} KiB, {MAX_LINE // 1024} KiB a line.\n"
        )
    names = {k for k, _ in headers}
    if b"content-length" in names and b"transfer-encoding" in names:
        return text_response(400, "Bad Request: Content-Length and Transfer-Encoding together.\n")
    return None


def header(request: h11.Request, name: bytes) -> str | None:
    for key, value in request.headers:
        if key == name:
            return value.decode("latin-1")
    return None


def is_upgrade(request: ApiRequest) -> bool:
    return "websocket" in request.headers.get("upgrade", "").lower()

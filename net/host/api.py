"""The host's HTTP API, as Nakama's gateway answers it: sign-in, refresh, the account, the health check.

Device sign-in and refresh come by ``POST`` as Nakama's clients send them, or by ``GET``
as older versions of this game did. Accounts are Nakama's: a device's account keeps the
name it was created with whatever a later sign-in asks for, a name belongs to one
account (whatever its case), and ``PUT /v2/account`` renames. A request from a browser
page gets CORS headers, and its preflight is answered as Nakama's gateway answers it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from net.host.accounts import Accounts
from net.host.auth import (
    AuthError,
    TokenIssuer,
    check_device_id,
    check_server_key,
    clean_username,
    made_up_username,
)
from net.host.config import HostConfig
from net.host.front import ApiRequest, ApiResponse, api_error, json_response, text_response
from net.host.seats import Seats
from net.host.store import NameInUse

log = logging.getLogger("net.host")

SIGN_IN_PATH = "/v2/account/authenticate/device"
REFRESH_PATH = "/v2/account/session/refresh"
ACCOUNT_PATH = "/v2/account"
SOCKET_PATH = "/ws"
HEALTH_PATH = "/healthcheck"
SHUTTING_DOWN = "Server shutting down"
NAME_IN_USE = "Username is already in use."
NO_ACCOUNT = "User account not found."
REFRESH_INVALID = "Refresh token invalid or expired."  # Nakama's words, for a forged, expired or used refresh token

_METHODS = {SIGN_IN_PATH: "GET, POST", REFRESH_PATH: "GET, POST", ACCOUNT_PATH: "GET, PUT", HEALTH_PATH: "GET"}
_WHAT = {SIGN_IN_PATH: "sign-in", REFRESH_PATH: "refresh", ACCOUNT_PATH: "account"}

# CORS as Nakama's HTTP gateway does it (gorilla/handlers CORS: any origin, these methods and
# headers), so a stock client in a browser page (nakama-js, a Defold HTML5 build) can sign in:
# its Authorization and JSON Content-Type headers make the browser ask with a preflight first.
CORS_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE"})
CORS_SIMPLE_METHODS = frozenset({"GET", "HEAD", "POST"})
CORS_HEADERS = frozenset({"authorization", "content-type", "user-agent"})
CORS_SIMPLE_HEADERS = frozenset({"accept", "accept-language", "content-language", "origin"})


def preflight(request: ApiRequest) -> ApiResponse:
    """A browser's CORS preflight, answered as Nakama's gateway answers it (any path, any origin)."""
    method = request.headers.get("access-control-request-method")
    if method is None:
        return ApiResponse(400)
    method = method.strip()
    if method not in CORS_METHODS:
        return ApiResponse(405)
    asked = [h.strip().lower() for h in request.headers.get("access-control-request-headers", "").split(",")]
    allowed = [h for h in asked if h and h not in CORS_SIMPLE_HEADERS]
    if any(h not in CORS_HEADERS for h in allowed):
        return ApiResponse(403)
    headers = [("Access-Control-Allow-Origin", "*")]
    if allowed:
        headers.append(("Access-Control-Allow-Headers", ",".join(allowed)))
    if method not in CORS_SIMPLE_METHODS:
        headers.append(("Access-Control-Allow-Methods", method))
    return ApiResponse(200, headers=tuple(headers))


def json_body(request: ApiRequest) -> dict[str, Any]:
    """The request's JSON object body (``{}`` when empty); AuthError(400) if it is anything else."""
    if not request.body.strip():
        return {}
    try:
        obj = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise AuthError(400, "Unable to parse request body.") from None
    if not isinstance(obj, dict):
        raise AuthError(400, "Unable to parse request body: a JSON object is expected.")
    return obj


def bearer(request: ApiRequest) -> str:
    """The token of an ``Authorization: Bearer ...`` header ("" without one)."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class HttpApi:
    """Answers every HTTP request that is not a socket upgrade."""

    def __init__(
        self,
        config: HostConfig,
        issuer: TokenIssuer,
        accounts: Accounts,
        seats: Seats,
        stopping: Callable[[], bool],
    ):
        self.config = config
        self._issuer = issuer
        self._accounts = accounts
        self._seats = seats
        self._stopping = stopping
        self._routes: list[tuple[str, Callable[[ApiRequest], ApiResponse]]] = []

    def route(self, prefix: str, handler: Callable[[ApiRequest], ApiResponse]) -> None:
        """Hand every request whose path starts with ``prefix`` to ``handler`` (the leaderboard, the RPCs)."""
        self._routes.append((prefix, handler))

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Answer the HTTP API: sign-in, refresh, the account, the health check; CORS as Nakama does."""
        if "origin" not in request.headers:
            return self._route(request)
        if request.method == "OPTIONS":
            return preflight(request)
        response = self._route(request)
        return replace(response, headers=(*response.headers, ("Access-Control-Allow-Origin", "*")))

    def _route(self, request: ApiRequest) -> ApiResponse:
        path = request.path
        if path == SOCKET_PATH:
            return text_response(426, "Upgrade Required: /ws is the realtime socket (a WebSocket).\n")
        allowed = _METHODS.get(path)
        if allowed is None:
            handler = next((h for prefix, h in self._routes if path.startswith(prefix)), None)
            if handler is not None:
                return api_error(503, SHUTTING_DOWN) if self._stopping() else handler(request)
            return api_error(404, f"Nothing at {path[:100]}")
        if request.method not in allowed.split(", "):
            return api_error(405, f"Use {allowed.replace(', ', ' or ')} for {path}", allow=allowed)
        if path == HEALTH_PATH:
            return json_response(200, {})
        if self._stopping():
            return api_error(503, SHUTTING_DOWN)
        what = _WHAT[path]
        try:
            if path == SIGN_IN_PATH:
                return self._sign_in(request)
            if path == REFRESH_PATH:
                return self._refresh(request)
            return self._account(request)
        except AuthError as exc:
            log.info("refused %s from %s: %s", what, request.remote, exc.message)
            return api_error(exc.status, exc.message)

    def _sign_in(self, request: ApiRequest) -> ApiResponse:
        """Device sign-in: ``POST`` with ``{"id": DEVICE_ID}`` (Nakama's form), or ``GET`` with ``id`` in the query."""
        check_server_key(request.headers.get("authorization"), self.config.server_key)
        device_id = json_body(request).get("id") if request.method == "POST" else request.param("id")
        device_id = check_device_id(device_id)
        asked = clean_username(request.param("username"))
        create = (request.param("create", "true") or "true").lower() not in ("false", "0")
        uid = self._issuer.user_id_for_device(device_id)
        self._seats.check(uid)
        name = self._accounts.name_of(uid)
        created = name is None
        if name is None:
            if not create:
                raise AuthError(404, NO_ACCOUNT)
            name = asked or made_up_username(self._accounts.taken)
            try:
                self._accounts.create(uid, name)
            except NameInUse:
                raise AuthError(409, NAME_IN_USE) from None
        else:
            self._accounts.seen(uid)  # an existing account keeps its name, as on Nakama: rename with PUT /v2/account
        tokens = self._issuer.issue(uid, name)
        log.info("sign-in: %s (user %s, %s) from %s", name, uid, "new" if created else "returning", request.remote)
        return json_response(200, {"created": created, "token": tokens.token, "refresh_token": tokens.refresh_token})

    def _refresh(self, request: ApiRequest) -> ApiResponse:
        """Refresh: ``POST`` with ``{"token": REFRESH_TOKEN}``, or ``GET`` with ``token`` in the query."""
        check_server_key(request.headers.get("authorization"), self.config.server_key)
        token = json_body(request).get("token") if request.method == "POST" else request.param("token")
        claims = self._issuer.verify_refresh(token if isinstance(token, str) else "")
        name = self._accounts.name_of(claims.uid)  # a rename since is carried by the new tokens
        if name is None:
            raise AuthError(404, NO_ACCOUNT)
        self._seats.check(claims.uid)
        if not self._accounts.use_refresh(claims.tid, claims.exp):  # one use each: the answer carries a new one
            raise AuthError(401, REFRESH_INVALID)
        tokens = self._issuer.issue(claims.uid, name)
        log.info("session refreshed: %s (user %s) from %s", name, claims.uid, request.remote)
        return json_response(200, {"created": False, "token": tokens.token, "refresh_token": tokens.refresh_token})

    def _account(self, request: ApiRequest) -> ApiResponse:
        """``GET`` the account, or ``PUT`` ``{"username": NAME}`` to rename it, with the session token as Bearer."""
        claims = self._issuer.verify_session(bearer(request))
        name = self._accounts.name_of(claims.uid)
        if name is None:
            raise AuthError(404, NO_ACCOUNT)
        if request.method == "GET":
            return json_response(200, {"user": {"id": claims.uid, "username": name}})
        wanted = clean_username(json_body(request).get("username"))
        if wanted is not None and wanted != name:
            try:
                self._accounts.rename(claims.uid, wanted)
            except NameInUse:
                raise AuthError(400, NAME_IN_USE) from None
            log.info("renamed: %s is now %s (user %s)", name, wanted, claims.uid)
        return json_response(200, {})

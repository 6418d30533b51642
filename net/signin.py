"""Signing in to a game server over HTTP: device sign-in, session refresh, and renaming the account.

Every server speaks Nakama's HTTP API here (docs/PROTOCOL.md, "Sign-in"): ``POST`` with a
JSON body and the server key as HTTP Basic credentials for sign-in and refresh, and
``PUT /v2/account`` with the session token for a rename. The answer is a pair of JWTs
whose claims (``uid``, ``usn``, ``exp``) say who we are and for how long; the client
reads them without checking the signature (it cannot; the server does).

Every failure is a ``net.errors.ClientError`` subclass whose ``str()`` a player can read.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from game.phrase import Phrase, text_of
from net import httpclient, tls
from net.address import ServerAddress
from net.errors import (
    BadKeyError,
    GameFullError,
    NameTakenError,
    RefusedError,
    ServerProtocolError,
    ServerTimeoutError,
    TlsError,
    UnauthorizedError,
    UnreachableError,
)
from net.limits import MAX_NAME_LENGTH, check_device_id

AUTHENTICATE_PATH = "/v2/account/authenticate/device"
REFRESH_PATH = "/v2/account/session/refresh"
ACCOUNT_PATH = "/v2/account"
DEFAULT_TOKEN_LIFETIME = 60.0  # Nakama's default, assumed when a token's times make no sense
NAME_IN_USE = "already in use"  # what Nakama's refusal of a taken name says (409 at sign-in, 400 on a rename)


def decode_token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, without checking its signature (a client cannot); ServerProtocolError if unreadable."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise ServerProtocolError(Phrase("The server's session token is not a JWT"))
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error, RecursionError):
        raise ServerProtocolError(Phrase("The server's session token cannot be read")) from None
    if not isinstance(claims, dict):
        raise ServerProtocolError(Phrase("The server's session token cannot be read"))
    return claims


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


@dataclass(frozen=True)
class AuthSession:
    """A signed-in session: the tokens, who we are, and when the token runs out (on our clock)."""

    token: str
    refresh_token: str
    user_id: str
    username: str
    created: bool
    received_at: float  # the client's monotonic clock when the token arrived
    lifetime: float  # seconds the token lives from then

    @classmethod
    def from_answer(cls, answer: Any, now: float, wall_now: float, previous: AuthSession | None = None) -> AuthSession:
        """Read ``{"token", "refresh_token", "created"}``; ServerProtocolError if it is not that."""
        if not isinstance(answer, dict) or not isinstance(answer.get("token"), str) or not answer["token"]:
            raise ServerProtocolError(Phrase("The server's sign-in answer has no session token"))
        claims = decode_token_claims(answer["token"])
        uid, usn, exp = claims.get("uid"), claims.get("usn"), _number(claims.get("exp"))
        if not isinstance(uid, str) or not uid or not isinstance(usn, str) or exp is None:
            raise ServerProtocolError(Phrase("The server's session token lacks the user id, name or expiry"))
        iat = _number(claims.get("iat"))
        # Measure the life on our own clock: the server's wall clock may differ from ours.
        lifetime = exp - iat if iat is not None and exp > iat else exp - wall_now
        if lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME
        refresh = answer.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            refresh = previous.refresh_token if previous is not None else ""
        created = answer.get("created") is True
        return cls(answer["token"], refresh, uid, usn, created, now, lifetime)

    @property
    def expires_at(self) -> float:
        return self.received_at + self.lifetime

    @property
    def refresh_at(self) -> float:
        """When to refresh: with 20% of the life (at least 15 s, at most half of it) left."""
        margin = min(max(15.0, 0.2 * self.lifetime), 0.5 * self.lifetime)
        return self.expires_at - margin

    def needs_refresh(self, now: float) -> bool:
        return now >= self.refresh_at


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def _refusal_text(response: httpclient.HttpResponse) -> str:
    obj = _json_object(response.body)
    if obj is not None and isinstance(obj.get("message"), str):
        return " ".join(obj["message"].split())[:200]
    return response.text() or response.reason


def refusal(what: str, status: int, body: str) -> RefusedError:
    """The RefusedError subclass that fits a refusal: full, name taken, unauthorised, or plain."""
    lowered = body.lower()
    if "full" in lowered:
        return GameFullError(what, status, body)
    if status == 409 or (status == 400 and NAME_IN_USE in lowered):
        return NameTakenError(what, status, body)
    if status == 401:
        return UnauthorizedError(what, status, body)
    return RefusedError(what, status, body)


class AuthClient:
    """Signs in to one server by device id, refreshes sessions, and renames the account."""

    def __init__(
        self,
        address: ServerAddress,
        server_key: str,
        *,
        tls_context: ssl.SSLContext | None = None,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ):
        if address.tls and tls_context is None:
            raise ValueError("a TLS address needs a TLS context")
        self.address = address
        self._basic = "Basic " + base64.b64encode(f"{server_key}:".encode()).decode("ascii")
        self._tls = tls_context if address.tls else None
        self._timeout = timeout
        self._clock = clock
        self._wall = wall_clock

    async def authenticate_device(self, device_id: str, username: str, *, create: bool = True) -> AuthSession:
        """Sign in (creating the account if new and ``create``) as ``username`` on this device.

        An existing account keeps its name whatever ``username`` says (as on Nakama);
        compare ``AuthSession.username`` and ``rename``. Raises UnreachableError, TlsError,
        ServerTimeoutError, BadKeyError, NameTakenError (a new account asked for a taken
        name), RefusedError or ServerProtocolError; ValueError for a device id Nakama would refuse.
        """
        check_device_id(device_id)
        query = {"create": "true" if create else "false", "username": username}
        response = await self._call("POST", AUTHENTICATE_PATH, query, {"id": device_id}, self._basic, "sign-in")
        if response.status == 401:
            raise BadKeyError(self.address)
        return self._session(response, Phrase("sign-in"))

    async def refresh(self, session: AuthSession) -> AuthSession:
        """A new token for ``session`` from its refresh token; RefusedError when that is no longer accepted."""
        if not session.refresh_token:
            raise RefusedError("session refresh", 0, "no refresh token")
        response = await self._call(
            "POST", REFRESH_PATH, {}, {"token": session.refresh_token}, self._basic, "session refresh"
        )
        return self._session(response, Phrase("session refresh"), session)

    async def rename(self, session: AuthSession, username: str) -> None:
        """Change the account's name (``PUT /v2/account``); the next sign-in's token carries it.

        Raises NameTakenError if another player has that name, UnauthorizedError if the
        token is no longer accepted, RefusedError for any other refusal.
        """
        response = await self._call(
            "PUT", ACCOUNT_PATH, {}, {"username": username}, f"Bearer {session.token}", "new name"
        )
        if response.status != 200:
            raise refusal(Phrase("new name"), response.status, _refusal_text(response))

    def _session(self, response: httpclient.HttpResponse, what: str, previous: AuthSession | None = None) -> AuthSession:
        if response.status != 200:
            raise refusal(what, response.status, _refusal_text(response))
        answer = _json_object(response.body)
        if answer is None:
            raise ServerProtocolError(
                Phrase("The server at {address} answered the {what} with something that is not JSON: {text!r}",
                       address=str(self.address), what=what, text=response.text(80))
            )
        return AuthSession.from_answer(answer, self._clock(), self._wall(), previous)

    async def api(
        self, session: AuthSession, method: str, path: str, what: str, *,
        query: Sequence[tuple[str, str]] = (), body: bytes = b"",
    ) -> httpclient.HttpResponse:
        """Another call of the server's HTTP API with the session token (the leaderboard, an RPC): the raw answer.

        Raises what sign-in raises when the server cannot be reached or does not speak HTTP;
        a refusal is the caller's to read from the answer's status and body.
        """
        return await self._call(method, path, query, {}, f"Bearer {session.token}", what, body=body)

    async def _call(
        self, method: str, path: str, query: Mapping[str, str] | Sequence[tuple[str, str]], fields: Mapping[str, str],
        authorization: str, what: str, *, body: bytes | None = None,
    ) -> httpclient.HttpResponse:
        headers = {
            "Authorization": authorization,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        target = path + ("?" + urlencode(list(query.items()) if isinstance(query, Mapping) else list(query)) if query else "")
        if body is None:
            body = json.dumps(dict(fields)).encode("utf-8")
        address = self.address
        try:
            response = await httpclient.request(
                address.host, address.port, method, target, headers=headers, body=body, timeout=self._timeout, tls=self._tls
            )
        except httpclient.ConnectError as exc:
            raise UnreachableError(address, text_of(exc), refused=exc.refused) from exc
        except httpclient.TlsHandshakeError as exc:
            raise TlsError(tls.explain(exc.error, str(address))) from exc
        except httpclient.ResponseTimeoutError as exc:
            raise ServerTimeoutError(Phrase("The server at {address} did not answer within {seconds:g} s", address=str(address),
                                            seconds=self._timeout)) from exc
        except httpclient.MalformedResponseError as exc:
            if not address.tls and tls.expects_tls(exc.head):
                raise TlsError(_expects_tls(address)) from exc
            raise ServerProtocolError(Phrase("The server at {address} does not speak HTTP as expected ({reason})",
                                             address=str(address), reason=text_of(exc))) from exc
        except httpclient.NoResponseError as exc:
            raise ServerProtocolError(Phrase("The server at {address} closed the connection without answering the {what}",
                                             address=str(address), what=what)) from exc
        if (
            response.status == 400
            and not address.tls
            and _json_object(response.body) is None
            and tls.expects_tls(b"", response.text())
        ):
            raise TlsError(_expects_tls(address))
        return response


def _expects_tls(address: ServerAddress) -> str:
    return Phrase("The server at {address} expects a secure connection on that port: use https://{netloc}",
                  address=str(address), netloc=address.netloc)




def name_variants(name: str, rng: random.Random, count: int) -> list[str]:
    """Up to ``count`` names to try when ``name`` is taken, nearest first: the name plus a short number.

    ``Ann2`` to ``Ann9``, then random two- and three-digit numbers; each at most
    ``MAX_NAME_LENGTH`` characters (the name is shortened to make room).
    """
    numbers = [str(n) for n in range(2, 10)]
    numbers += [str(rng.randint(10, 99)) for _ in range(4)]
    numbers += [str(rng.randint(100, 999)) for _ in range(4)]
    out: list[str] = []
    for number in numbers:
        candidate = name[: MAX_NAME_LENGTH - len(number)].rstrip() + number
        if candidate not in out and candidate != name:
            out.append(candidate)
        if len(out) >= count:
            break
    return out


def is_variant_of(candidate: str, name: str) -> bool:
    """True if ``candidate`` is one of ``name_variants(name)``: the name, shortened only to make room, and a number.

    Only as much of the name is cut as the number needs, so ``Ann2`` is a variant of
    ``Ann`` but not of ``Anna`` (a player who picks Anna after playing as Ann2 is renamed).
    """
    digits = len(candidate) - len(candidate.rstrip("0123456789"))
    for size in range(1, digits + 1):
        stem, number = candidate[:-size], candidate[-size:]
        if stem and not number.startswith("0") and stem == name[: MAX_NAME_LENGTH - size].rstrip():
            return candidate != name
    return False

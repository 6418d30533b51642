"""Sign-in for the host: the server key, device ids, usernames and Nakama-shaped JWTs.

Pure apart from ``load_or_create_secret`` (one small file): no sockets. Tokens are
JWTs (HS256, signed and verified by PyJWT) with Nakama's claims (``uid``, ``usn``,
``tid``, ``iat``, ``exp``) so a stock client can decode them; they are signed with keys
derived from one per-host secret, a different key for session and refresh tokens so
neither passes for the other.
A device id is a credential: the user id is derived from it by HMAC, and the id itself
is never stored or logged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt

from net import limits

DEFAULT_USERNAME = "Player"
MAX_TOKEN_CHARS = 4096
SECRET_FILE = "host_secret"
ALGORITHM = "HS256"


class AuthError(Exception):
    """A sign-in or token the host refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Claims:
    """What a verified token says: who (``uid``, ``usn``), which token (``tid``), and when."""

    uid: str
    usn: str
    tid: str
    iat: int
    exp: int


@dataclass(frozen=True)
class Tokens:
    token: str
    refresh_token: str


class TokenIssuer:
    """Issues and verifies this host's session and refresh tokens (PyJWT, HS256), and maps devices to users."""

    def __init__(
        self,
        secret: bytes,
        token_seconds: int = 7200,
        refresh_seconds: int = 86400,
        clock: Callable[[], float] = time.time,
    ):
        if len(secret) < 16:
            raise ValueError("the host secret must be at least 16 bytes")
        self._session_key = hmac.new(secret, b"xoxo-host session token", hashlib.sha256).digest()
        self._refresh_key = hmac.new(secret, b"xoxo-host refresh token", hashlib.sha256).digest()
        self._device_key = hmac.new(secret, b"xoxo-host device user id", hashlib.sha256).digest()
        self.token_seconds = token_seconds
        self.refresh_seconds = refresh_seconds
        self._clock = clock

    def user_id_for_device(self, device_id: str) -> str:
        """The user id of a device on this host: a UUID from an HMAC of the device id."""
        digest = hmac.new(self._device_key, device_id.encode("utf-8"), hashlib.sha256).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def issue(self, uid: str, usn: str) -> Tokens:
        """A fresh session token and refresh token for user ``uid`` named ``usn``."""
        now = int(self._clock())
        return Tokens(
            token=self._sign(self._session_key, uid, usn, now, now + self.token_seconds),
            refresh_token=self._sign(self._refresh_key, uid, usn, now, now + self.refresh_seconds),
        )

    def verify_session(self, token: str) -> Claims:
        """The claims of a valid, unexpired session token; AuthError(401) otherwise."""
        return self._verify(self._session_key, token, "session token")

    def verify_refresh(self, token: str) -> Claims:
        """The claims of a valid, unexpired refresh token; AuthError(401) otherwise."""
        return self._verify(self._refresh_key, token, "refresh token")

    @staticmethod
    def _sign(key: bytes, uid: str, usn: str, iat: int, exp: int) -> str:
        claims = {"tid": str(uuid.uuid4()), "uid": uid, "usn": usn, "exp": exp, "iat": iat}
        return jwt.encode(claims, key, algorithm=ALGORITHM)

    def _verify(self, key: bytes, token: str, what: str) -> Claims:
        if not token:
            raise AuthError(401, f"a {what} is required")
        if len(token) > MAX_TOKEN_CHARS or not token.isascii():
            raise AuthError(401, f"{what} invalid")
        try:
            # The expiry is checked below against the host's own (injectable) clock.
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"verify_exp": False, "verify_iat": False})
        except (jwt.PyJWTError, ValueError, RecursionError):
            raise AuthError(401, f"{what} invalid") from None
        uid, usn, tid, iat, exp = (claims.get(k) for k in ("uid", "usn", "tid", "iat", "exp"))
        if not (
            isinstance(uid, str) and isinstance(usn, str) and isinstance(tid, str)
            and isinstance(iat, int) and isinstance(exp, int)
            and not isinstance(iat, bool) and not isinstance(exp, bool)
        ):
            raise AuthError(401, f"{what} invalid")
        if exp <= self._clock():
            raise AuthError(401, f"{what} expired; sign in again")
        return Claims(uid=uid, usn=usn, tid=tid, iat=iat, exp=exp)


def check_server_key(authorization: str | None, server_key: str) -> None:
    """Accept only HTTP Basic credentials whose user name is the server key (``KEY:``)."""
    if not authorization:
        raise AuthError(401, "Server key required (HTTP Basic, the key as user name).")
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise AuthError(401, "Server key required (HTTP Basic, the key as user name).")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise AuthError(401, "Server key invalid") from None
    given = decoded.partition(":")[0]
    if not hmac.compare_digest(given.encode("utf-8"), server_key.encode("utf-8")):
        raise AuthError(401, "Server key invalid")


def check_device_id(device_id: object) -> str:
    """The device id if Nakama would take it (``net.limits``); AuthError(400) saying why not."""
    try:
        return limits.check_device_id(device_id)
    except limits.InvalidInput as exc:
        raise AuthError(400, str(exc)) from None


def clean_username(name: object) -> str | None:
    """The username normalised (``net.limits``), None when none is given; AuthError(400) saying why not."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise AuthError(400, "Username must be a string.")
    if not name.strip():
        return None
    try:
        return limits.normalize_name(name)
    except limits.InvalidInput as exc:
        raise AuthError(400, f"Username invalid: {exc}") from None


def made_up_username(taken: Callable[[str], bool]) -> str:
    """A name for an account that asked for none (as Nakama makes one up): "Player" and four digits."""
    while True:
        name = f"{DEFAULT_USERNAME}{secrets.randbelow(9000) + 1000}"
        if not taken(name):
            return name


def load_or_create_secret(data_dir: Path | None) -> bytes:
    """The host's signing secret: read from ``data_dir``, created there (mode 0600) on first use.

    Without a data folder the secret is random for this process, so tokens do not
    survive a restart. Raises OSError if the folder cannot be used, ValueError if the
    file is not a secret this host wrote.
    """
    if data_dir is None:
        return secrets.token_bytes(32)
    path = Path(data_dir) / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = path.read_text(encoding="ascii", errors="replace").strip()
        try:
            secret = bytes.fromhex(text)
        except ValueError:
            secret = b""  # not hex: refused just below
        if len(secret) < 16:
            raise ValueError(f"{path} is not a host secret (delete it to make a new one; old tokens stop working)") from None
        return secret
    secret = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secret.hex() + "\n")
    return secret

"""Who may use the admin listener: the password, the console's sessions and CSRF tokens, and the wrong-password brake.

One password (from ``TICTACTOE_ADMIN_PASSWORD`` or a file) opens everything; the
console then hands out a session: a random token in a cookie that is HttpOnly,
SameSite=Strict, Secure over TLS, and ends after ``SESSION_SECONDS`` whatever happens.
Each session has its own CSRF token, which every form carries and every POST must
return; the sign-in form, before there is a session, carries one bound to a cookie of
its own (the double-submit pattern). Wrong passwords are rate-limited per address and in
all (``FAILURES_PER_ADDRESS`` and ``FAILURES_IN_ALL`` a minute), so guessing is slow
even from many addresses; the password is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

PASSWORD_ENV = "TICTACTOE_ADMIN_PASSWORD"
MIN_PASSWORD = 12  # characters
SESSION_COOKIE = "tictactoe_console"
LOGIN_COOKIE = "tictactoe_console_login"
SESSION_SECONDS = 8 * 3600  # a working day; then sign in again
LOGIN_SECONDS = 900  # how long a sign-in form stays good
MAX_SESSIONS = 64  # the oldest is dropped past this
FAILURES_PER_ADDRESS = 5  # wrong passwords a minute from one address
FAILURES_IN_ALL = 20  # wrong passwords a minute from everywhere
WINDOW = 60.0


class AdminConfigError(ValueError):
    """The admin listener cannot start as asked; the message is one sentence for the operator."""


def read_password(environ: Mapping[str, str], password_file: Path | None) -> str:
    """The admin password: from ``password_file`` if given, else the environment; AdminConfigError if none or too short."""
    if password_file is not None:
        try:
            password = password_file.read_text(encoding="utf-8").strip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise AdminConfigError(f"cannot read the admin password file {password_file}: {why}") from None
        source = f"the admin password in {password_file}"
    else:
        password = environ.get(PASSWORD_ENV, "")
        if not password:
            raise AdminConfigError(
                f"the admin listener needs a password: set {PASSWORD_ENV} or give --admin-password-file FILE"
            )
        source = f"the admin password in {PASSWORD_ENV}"
    if len(password) < MIN_PASSWORD:
        raise AdminConfigError(f"{source} is too short: {len(password)} characters, at least {MIN_PASSWORD} are needed")
    return password


@dataclass
class Session:
    """One signed-in console: its cookie token, its CSRF token, who, from where, until when."""

    token: str
    csrf: str
    operator: str
    address: str
    expires: float  # on the monotonic clock

    @property
    def who(self) -> str:
        """How the audit log names this operator."""
        return f"{self.operator} from {self.address}" if self.operator else f"an operator from {self.address}"


class Access:
    """The password check, the sessions and the brake on wrong passwords (loop thread only)."""

    def __init__(self, password: str, clock: Callable[[], float] = time.monotonic):
        self._salt = os.urandom(16)
        self._digest = self._hash(password)
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._logins: dict[str, float] = {}  # sign-in form token -> expiry
        self._failures: dict[str, deque[float]] = {}
        self._all_failures: deque[float] = deque()

    def _hash(self, text: str) -> bytes:
        return hashlib.sha256(self._salt + text.encode("utf-8", "surrogatepass")).digest()

    def password_ok(self, given: str) -> bool:
        return hmac.compare_digest(self._hash(given), self._digest)

    # The brake ---------------------------------------------------------------------------

    def wait(self, address: str) -> float:
        """Seconds before ``address`` may try a password again (0: now)."""
        now = self._clock()
        mine = self._failures.get(address, deque())
        for times in (mine, self._all_failures):
            while times and times[0] <= now - WINDOW:
                times.popleft()
        if not mine:
            self._failures.pop(address, None)
        waits = [0.0]
        if len(mine) >= FAILURES_PER_ADDRESS:
            waits.append(mine[0] + WINDOW - now)
        if len(self._all_failures) >= FAILURES_IN_ALL:
            waits.append(self._all_failures[0] + WINDOW - now)
        return max(waits)

    def failed(self, address: str) -> None:
        """A wrong password from ``address``."""
        now = self._clock()
        self._failures.setdefault(address, deque()).append(now)
        self._all_failures.append(now)
        if len(self._failures) > 10_000:  # addresses remembered: the oldest go first
            self._failures.pop(next(iter(self._failures)))

    # Sessions -------------------------------------------------------------------------------

    def open_session(self, operator: str, address: str) -> Session:
        self._forget_expired()
        while len(self._sessions) >= MAX_SESSIONS:
            self._sessions.pop(next(iter(self._sessions)))
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), operator, address,
                          self._clock() + SESSION_SECONDS)
        self._sessions[session.token] = session
        return session

    def session(self, token: str | None) -> Session | None:
        """The live session a cookie names, or None."""
        if not token:
            return None
        session = self._sessions.get(token)
        if session is None:
            return None
        if session.expires <= self._clock():
            del self._sessions[token]
            return None
        return session

    def close_session(self, session: Session) -> None:
        self._sessions.pop(session.token, None)

    def _forget_expired(self) -> None:
        now = self._clock()
        for token in [t for t, s in self._sessions.items() if s.expires <= now]:
            del self._sessions[token]
        for token in [t for t, exp in self._logins.items() if exp <= now]:
            del self._logins[token]

    # The sign-in form's own CSRF token --------------------------------------------------------

    def login_token(self) -> str:
        """A token for one sign-in form (in its cookie and its hidden field)."""
        self._forget_expired()
        while len(self._logins) >= 1024:
            self._logins.pop(next(iter(self._logins)))
        token = secrets.token_urlsafe(32)
        self._logins[token] = self._clock() + LOGIN_SECONDS
        return token

    def login_token_ok(self, cookie: str | None, field: str | None) -> bool:
        """The form's token matches its cookie and is one this listener handed out, still good."""
        if not cookie or not field or not hmac.compare_digest(cookie.encode(), field.encode()):
            return False
        expires = self._logins.get(cookie)
        return expires is not None and expires > self._clock()

    def use_login_token(self, token: str) -> None:
        self._logins.pop(token, None)


def csrf_ok(session: Session, field: str | None) -> bool:
    return bool(field) and hmac.compare_digest(session.csrf.encode(), (field or "").encode())

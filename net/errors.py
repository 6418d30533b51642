"""What can go wrong talking to a game server, as types whose ``str()`` a player can read.

Pure: no sockets. The sign-in client, the realtime socket and the session raise and
catch these; the session turns them into ``net.messages.Failure`` events for the UI,
of the kind ``failure_kind`` names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from game.phrase import Phrase
from net.messages import FailureKind

if TYPE_CHECKING:
    from net.address import ServerAddress


class ClientError(Exception):
    """Something the client could not do; ``str()`` says what in plain words."""


class UnreachableError(ClientError):
    """Nothing answers at the address: refused, unknown host, no route, or no answer to connect.

    ``refused``: the connection was refused outright (the machine is there, nothing listens on the port).
    """

    def __init__(self, address: ServerAddress, reason: str, *, refused: bool = False):
        super().__init__(Phrase("Can't reach the server at {address} ({reason})", address=str(address), reason=reason))
        self.address = address
        self.reason = reason
        self.refused = refused


class TlsError(ClientError):
    """The secure connection could not be made; the message says why in a sentence."""


class ServerTimeoutError(ClientError):
    """The server took the connection or the request but did not answer in time."""


class BadKeyError(ClientError):
    """The server refused the server key (401 from the sign-in endpoint)."""

    def __init__(self, address: ServerAddress):
        super().__init__(Phrase("The server key was refused"))
        self.address = address


class RefusedError(ClientError):
    """The server answered with a refusal; ``status`` and ``body`` say which."""

    def __init__(self, what: str, status: int, body: str):
        detail = f"{status} {body}".strip()
        super().__init__(Phrase("The server refused the {what}: {detail}", what=what, detail=detail))
        self.status = status
        self.body = body


class GameFullError(RefusedError):
    """The server refused us because its game is full."""


class UnauthorizedError(RefusedError):
    """401 from the socket's handshake or an account call: the session token is not (or no longer) accepted."""


class NameTakenError(RefusedError):
    """The name asked for belongs to another player on this server (409 at sign-in, 400 on a rename)."""


class ServerProtocolError(ClientError):
    """The server sent something this game does not understand."""


class ServerError(ClientError):
    """An ``error`` envelope answering one of our requests."""

    def __init__(self, code: int, message: str):
        super().__init__(message or f"error {code}")
        self.code = code
        self.message = message


class ConnectionLostError(ClientError):
    """The realtime connection is gone (closed, reset, or silent for too long)."""


class ServerGoingAwayError(ConnectionLostError):
    """The server closed the socket saying it is going away (close code 1001): not worth reconnecting to."""


def failure_kind(error: BaseException) -> FailureKind:
    """The FailureKind the UI shows for a client error."""
    if isinstance(error, GameFullError):
        return FailureKind.FULL
    if isinstance(error, BadKeyError):
        return FailureKind.BAD_KEY
    if isinstance(error, UnreachableError):
        return FailureKind.UNREACHABLE
    if isinstance(error, TlsError):
        return FailureKind.TLS
    if isinstance(error, (ServerTimeoutError, ConnectionLostError)):
        return FailureKind.TIMEOUT
    if isinstance(error, (RefusedError, ServerError)):
        return FailureKind.REFUSED
    if isinstance(error, ServerProtocolError):
        return FailureKind.PROTOCOL
    return FailureKind.OTHER

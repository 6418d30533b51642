"""The host's realtime side: who may open ``/ws``, and each socket's frames turned into runtime calls.

An upgrade is let in with a valid session token (in the query, as Nakama's clients send
it, or as a Bearer header) while the host has room; each open socket becomes a
``Connection`` (the runtime's ``Peer``) with its own rate limit. Every text frame is
decoded by the strict codec and routed to the ``MatchRuntime``. Bad input from one
socket is answered on that socket alone; a socket that floods is closed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

from game.xoxo import Presence
from net.codec import (
    Envelope,
    Error,
    MatchDataSend,
    MatchJoin,
    MatchLeave,
    MatchmakerAdd,
    MatchmakerRemove,
    Ping,
    Pong,
    ProtocolError,
    decode_client,
    encode,
    error_envelope,
)
from net.host.accounts import Accounts
from net.host.activity import Activity
from net.host.api import NO_ACCOUNT, SHUTTING_DOWN, SOCKET_PATH, bearer
from net.host.auth import AuthError, Claims, TokenIssuer
from net.host.config import HostConfig
from net.host.playersocket import PlayerSocket
from net.host.runtime import MatchRuntime, RequestError
from net.host.seats import Seats
from net.host.web import ApiRequest, ApiResponse, text_response

log = logging.getLogger("net.host")

MALFORMED = "received malformed payload"
CLOSE_MALFORMED = 1000  # Nakama closes a malformed payload with a normal closure
CLOSE_GOING_AWAY = 1001
CLOSE_RENAMED = (1000, "your account was renamed; connect again")


class Connection:
    """One player's socket as the runtime sees it (a ``Peer``): who, a way to send, a way out.

    The front keeps each socket within its message budget (``net.host.playersocket``).
    """

    __slots__ = ("activity", "presence", "socket")

    def __init__(self, socket: PlayerSocket, presence: Presence, activity: Activity):
        self.presence = presence
        self.socket = socket
        self.activity = activity  # counts each frame sent, for the metrics

    def send_text(self, frame: str) -> None:
        self.activity.sent(frame)
        self.socket.send_text(frame)

    def close(self, code: int, reason: str) -> None:
        self.socket.close(code, reason)


class Realtime:
    """The ``/ws`` side of the host: admission, the open sockets, and dispatch of their frames."""

    def __init__(
        self,
        config: HostConfig,
        issuer: TokenIssuer,
        runtime: MatchRuntime,
        seats: Seats,
        stopping: Callable[[], bool],
        accounts: Accounts,
    ):
        self.config = config
        self._issuer = issuer
        self._accounts = accounts
        accounts.on_rename(self._renamed)
        self.runtime = runtime
        self._seats = seats
        self._stopping = stopping
        self.sockets: dict[PlayerSocket, Connection] = {}
        self.none_open = asyncio.Event()  # set while no socket is open (the host's stop waits on it)
        self.none_open.set()

    def socket_request(self, request: ApiRequest) -> ApiResponse | Claims:
        """Check a ``/ws`` upgrade's token (and format); the claims let it in, a response refuses it."""
        if request.path != SOCKET_PATH:
            return text_response(404, f"Nothing at {request.path[:100]}")
        if self._stopping():
            return text_response(503, SHUTTING_DOWN)
        if request.param("format", "json") != "json":
            return text_response(400, "only format=json is supported")
        token = request.param("token") or bearer(request)
        try:
            claims = self._issuer.verify_session(token)
            if self._accounts.name_of(claims.uid) is None:
                raise AuthError(401, NO_ACCOUNT)
            self._seats.check(claims.uid)
        except AuthError as exc:
            log.info("refused socket from %s: %s", request.remote, exc.message)
            return text_response(exc.status, exc.message)
        self._seats.hold(claims.uid)
        return claims

    def socket_opened(self, socket: PlayerSocket, claims: Claims) -> None:
        self._seats.release(claims.uid)
        if self._stopping():
            socket.close(CLOSE_GOING_AWAY, SHUTTING_DOWN)
            return
        # The name is the account's now, not the token's: a token from before a rename must not carry the old name.
        name = self._accounts.name_of(claims.uid) or claims.usn
        presence = Presence(claims.uid, str(uuid.uuid4()), name, self.config.node)
        conn = Connection(socket, presence, self.runtime.activity)
        socket.owner = conn
        self.sockets[socket] = conn
        self.none_open.clear()
        self.runtime.connect(conn)
        log.info("%s connected (user %s) from %s", presence.username, presence.user_id, socket.remote)

    def _renamed(self, user_id: str, name: str) -> None:
        """A rename: the user's open sockets carry the old name (in tickets and matches), so they are closed."""
        for conn in [c for c in self.sockets.values() if c.presence.user_id == user_id]:
            log.info("%s is now %s; closing their socket", conn.presence.username, name)
            conn.close(*CLOSE_RENAMED)

    def socket_text(self, socket: PlayerSocket, text: str) -> None:
        """Handle one frame completely: answer it, refuse it, or close the socket."""
        conn = self.sockets.get(socket)
        if conn is None:
            return
        try:
            envelope = decode_client(text)
        except ProtocolError as exc:
            if exc.fatal:
                log.info("%s sent a malformed payload (%s); closing the socket", conn.presence.username, exc.message)
                reason = exc.message if exc.message.startswith(MALFORMED) else f"{MALFORMED}: {exc.message}"
                conn.activity.malformed()
                socket.close(CLOSE_MALFORMED, reason)
            else:
                conn.activity.request_error(exc.code)
                conn.send_text(error_envelope(exc))
            return
        conn.activity.got(envelope.message)
        try:
            self._dispatch(conn, envelope)
        except RequestError as exc:
            conn.activity.request_error(exc.code)
            conn.send_text(encode(Envelope(Error(exc.code, exc.message), envelope.cid)))

    def socket_closed(self, socket: PlayerSocket) -> None:
        conn = self.sockets.pop(socket, None)
        if conn is None:
            return
        if not self.sockets:
            self.none_open.set()
        self.runtime.disconnect(conn)
        log.info(
            "%s disconnected (code %s%s)", conn.presence.username, socket.close_code,
            f", {socket.close_reason}" if socket.close_reason else "",
        )

    def _dispatch(self, conn: Connection, env: Envelope) -> None:
        """Route one decoded request to the runtime (it answers on ``conn`` itself)."""
        rt = self.runtime
        msg, cid = env.message, env.cid
        if isinstance(msg, MatchDataSend):
            rt.data(conn, msg)
        elif isinstance(msg, Ping):
            conn.send_text(encode(Envelope(Pong(), cid)))
        elif isinstance(msg, Pong):
            pass
        elif isinstance(msg, MatchmakerAdd):
            rt.matchmaker_add(conn, msg, cid)
        elif isinstance(msg, MatchmakerRemove):
            rt.matchmaker_remove(conn, msg, cid)
        elif isinstance(msg, MatchJoin):
            rt.join(conn, msg, cid)
        elif isinstance(msg, MatchLeave):
            rt.leave(conn, msg, cid)
        else:  # the codec only yields the client messages above
            raise RequestError(1, f"{type(msg).__name__} is not a request")

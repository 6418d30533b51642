"""The host's listening sockets and its accept loop, which survives running out of descriptors.

asyncio's own accept loop (Python 3.11) logs a traceback for each ``accept`` that fails
with "too many open files" and goes on trying in the same turn, so a host out of
descriptors spins and fills its log. This one accepts at most ``batch`` connections a
turn (the others wait in the kernel's backlog, behind everything else the loop has to
do); when ``accept`` fails for want of descriptors it stops accepting for ``pause``
seconds, logs one line, and tries again. Each accepted socket gets an asyncio transport
through the public ``loop.connect_accepted_socket``.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable

log = logging.getLogger("net.host")

OUT_OF_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
ACCEPT_BATCH = 64  # connections accepted per turn of the loop
ACCEPT_PAUSE = 0.5  # seconds without accepting after running out of descriptors
QUIET = 5.0  # seconds with descriptors to spare before a shortage counts as over (and is logged as over)


class Acceptor:
    """Listening sockets on ``bind``:``port``, each accepted connection handed to ``factory``'s protocol."""

    def __init__(
        self,
        factory: Callable[[], asyncio.Protocol],
        *,
        batch: int = ACCEPT_BATCH,
        pause: float = ACCEPT_PAUSE,
    ):
        self._factory = factory
        self._batch = batch
        self._pause = pause
        self.sockets: list[socket.socket] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._paused: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._servers: list[asyncio.Server] = []
        self.exhausted = 0  # times accept ran out of descriptors
        self._short_since: float | None = None  # loop time accept first ran out of descriptors, until it works again
        self._last_short = 0.0  # loop time it last did

    async def listen(self, bind: str, port: int, backlog: int = 1024) -> None:
        """Bind every address ``bind`` names and start accepting; OSError if one cannot be bound."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(bind or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        try:
            for family, kind, proto, _, address in dict.fromkeys(infos):
                sock = socket.socket(family, kind, proto)
                self.sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(address)
                sock.listen(backlog)
                sock.setblocking(False)
        except OSError:
            self.close()
            raise
        self._loop = loop
        for sock in self.sockets:
            try:
                loop.add_reader(sock.fileno(), self._accept, sock)
            except NotImplementedError:  # a proactor loop (Windows): asyncio's own accept loop
                self._servers.append(await loop.create_server(self._factory, sock=sock))

    @property
    def port(self) -> int:
        port: int = self.sockets[0].getsockname()[1]
        return port

    def close(self) -> None:
        """Stop listening (connections already accepted are left alone)."""
        if self._paused is not None:
            self._paused.cancel()
            self._paused = None
        for server in self._servers:
            server.close()
        for sock in self.sockets:
            if self._loop is not None and sock.fileno() >= 0 and not self._servers:
                self._loop.remove_reader(sock.fileno())
            sock.close()
        self.sockets = []
        self._servers = []

    async def wait_closed(self) -> None:
        """Wait for the connections accepted so far to have their transports (or have failed to)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _accept(self, sock: socket.socket) -> None:
        for _ in range(self._batch):
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                if exc.errno not in OUT_OF_RESOURCES:
                    log.warning("accepting a connection failed: %s", exc)
                    return
                self._out_of_descriptors(exc)
                return
            conn.setblocking(False)
            if self._short_since is not None:
                self._accepted_again()
            self._start(conn)

    def _start(self, conn: socket.socket) -> None:
        assert self._loop is not None
        task = self._loop.create_task(self._connect(conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect(self, conn: socket.socket) -> None:
        assert self._loop is not None
        try:
            await self._loop.connect_accepted_socket(self._factory, conn)
        except OSError as exc:  # the peer left already, or no memory for the transport
            log.debug("a connection was lost before it started: %s", exc)
            conn.close()

    def _out_of_descriptors(self, exc: OSError) -> None:
        """Stop accepting for a moment: the kernel keeps the waiting connections in its backlog meanwhile."""
        self.exhausted += 1
        assert self._loop is not None
        self._last_short = self._loop.time()
        if self._short_since is None:  # one line per shortage, not one per attempt
            self._short_since = self._last_short
            log.error("out of descriptors (%s): accepting connections again as they free up, every %g s",
                      exc.strerror or exc, self._pause)
        for sock in self.sockets:
            self._loop.remove_reader(sock.fileno())
        self._paused = self._loop.call_later(self._pause, self._resume)

    def _accepted_again(self) -> None:
        """An accept worked: the shortage is over once none has come for ``QUIET`` seconds (one pair of lines each)."""
        assert self._loop is not None and self._short_since is not None
        now = self._loop.time()
        if now - self._last_short >= QUIET:
            log.warning("accepting connections again after %.1f s short of descriptors", self._last_short - self._short_since)
            self._short_since = None

    def _resume(self) -> None:
        self._paused = None
        assert self._loop is not None
        for sock in self.sockets:
            self._loop.add_reader(sock.fileno(), self._accept, sock)

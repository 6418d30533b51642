"""One player's WebSocket on the host's front: frames in to the site, text frames out, pings, a bounded close.

``websockets``' sans-I/O ``ServerProtocol`` parses and writes the frames; this class
drives it and keeps each socket inside its bounds:

* every frame a client sends (text, continuation, binary, ping, pong) is paid for from a
  token bucket (``messages_per_second``, ``message_burst``); a client past it is closed
  with 1008 "too many messages";
* at most ``frames_per_turn`` frames are handled per turn of the event loop; the rest
  wait, with reading paused, so one busy socket cannot hold the loop;
* a text message may come in fragments (RFC 6455): they are put back together, up to
  ``max_frame`` bytes in all (1009 past it), and a message that is not UTF-8 is closed
  with 1007; binary messages with 1003;
* a client whose unsent data passes ``send_buffer`` bytes (it does not read) is dropped.

The frames nearly every message comes in, a whole masked text frame of at most
``max_frame`` bytes with no extension bits, are read here directly (``_fast_frames``):
``websockets``' parser costs several times as much a frame. Every other frame (control
frames, fragments, binary, anything malformed or too big, anything once a close has begun)
goes to the ``ServerProtocol`` whole and in order, so its checks and answers are those of
RFC 6455 as ``websockets`` implements them; the first frame the fast path cannot take
whole and alone (a close, a fragment, an error) hands the protocol the rest of the stream
for good. Text frames out are written directly too (a server's frames are not masked).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from websockets.exceptions import InvalidHandshake
from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN
from websockets.server import ServerProtocol

from net.host.guard import TokenBucket

if TYPE_CHECKING:
    from net.host.front import FrontLimits

log = logging.getLogger("net.host")

CLOSE_POLICY = 1008
CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID_DATA = 1007
CLOSE_INTERNAL = 1011
_PAID = frozenset({Opcode.TEXT, Opcode.BINARY, Opcode.CONT, Opcode.PING, Opcode.PONG})
_DATA = frozenset({Opcode.TEXT, Opcode.BINARY, Opcode.CONT})
_TEXT_FIN = 0x81  # FIN, no RSV bits, opcode 1: a whole text message in one frame
_PING_FIN, _PONG_FIN = 0x89, 0x8A  # whole ping and pong frames (the protocol answers and checks them)


def text_frame(data: bytes) -> bytes:
    """One unmasked text frame (a server's) carrying ``data`` (RFC 6455, 5.2)."""
    n = len(data)
    if n < 126:
        return bytes((_TEXT_FIN, n)) + data
    if n < 65536:
        return bytes((_TEXT_FIN, 126)) + n.to_bytes(2, "big") + data
    return bytes((_TEXT_FIN, 127)) + n.to_bytes(8, "big") + data


def unmask_in_python(data: bytes | bytearray | memoryview, mask: bytes | bytearray) -> bytes:
    """``data`` XOR the 4-byte ``mask`` repeated (RFC 6455, 5.3), as one big-integer XOR."""
    n = len(data)
    if not n:
        return b""
    repeated = (bytes(mask) * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")).to_bytes(n, "little")


try:  # websockets' own C loop where its build has one (about 0.1 us a frame against 0.9 in Python)
    from websockets.speedups import apply_mask as unmask
except ImportError:  # a platform without websockets' extension
    unmask = unmask_in_python


class Wire(Protocol):
    """The connection under a socket (the front's): bytes out, flow control, a way out."""

    remote: str

    def write(self, data: bytes) -> None: ...

    def write_buffer_size(self) -> int: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...

    def backlog(self, waiting: bool) -> None:
        """Work is waiting (stop reading) or done (read again)."""

    def limit_hit(self, kind: str) -> None:
        """A limit was hit (counted for the metrics)."""

    @property
    def writing_paused(self) -> bool: ...


class SocketSite(Protocol):
    """What a socket tells the host."""

    def socket_text(self, socket: PlayerSocket, text: str) -> None: ...

    def socket_closed(self, socket: PlayerSocket) -> None: ...


class PlayerSocket:
    """One player's WebSocket (see the module's docstring)."""

    def __init__(self, wire: Wire, protocol: ServerProtocol, site: SocketSite, limits: FrontLimits):
        self._wire = wire
        self._protocol = protocol
        self._site = site
        self._limits = limits
        self.owner: Any = None  # the site's record of this socket (set when the site is told it opened)
        self._closing = False
        self._gone = False
        self._loop = asyncio.get_running_loop()
        self._close_timer: asyncio.TimerHandle | None = None
        self._ping_timer: asyncio.TimerHandle | None = None
        self._work_handle: asyncio.Handle | None = None
        self._budget = TokenBucket(limits.messages_per_second, limits.message_burst, self._loop.time())
        self._waiting: deque[Frame | bytes] = deque()  # frames received and paid for (bytes: a whole text), not handled
        self._parts: list[bytes] | None = None  # the fragments of a text message being put together
        self._fast = True  # frames are read here until the first one only the protocol may read (see the module)
        self._unread = bytearray()  # the start of a frame not yet whole (fast path)
        self._last_heard = time.monotonic()
        self._schedule_ping()

    @property
    def remote(self) -> str:
        return self._wire.remote

    @property
    def open(self) -> bool:
        return not self._closing and self._protocol.state is OPEN

    @property
    def close_code(self) -> int | None:
        return self._protocol.close_code

    @property
    def close_reason(self) -> str:
        return self._protocol.close_reason or ""

    # Out ------------------------------------------------------------------------------------

    def send_text(self, frame: str) -> None:
        """Write one text frame now; a reader too slow to take what it is sent is dropped."""
        if self._closing or self._protocol.state is not OPEN:  # self.open, inline: every frame out passes here
            return
        self._wire.write(text_frame(frame.encode("utf-8")))
        self._check_buffer()

    def close(self, code: int, reason: str) -> None:
        """Start the closing handshake; the connection is dropped if it does not end within the close timeout."""
        if self._closing or self._protocol.state is not OPEN:
            return
        self._closing = True
        self._waiting.clear()
        self._protocol.send_close(code, close_reason(reason))
        self._flush()
        self._expect_close()

    def abort(self) -> None:
        """Drop the connection at once."""
        self._closing = True
        self._waiting.clear()
        self._wire.abort()

    # In -------------------------------------------------------------------------------------

    def receive(self, data: bytes) -> None:
        self._last_heard = time.monotonic()
        frames: list[Frame | bytes] = []
        if self._fast and self.open:
            data, frames = self._fast_frames(data)
        elif self._unread:  # the fast path's last, unfinished frame goes to the protocol first
            data, self._fast = bytes(self._unread) + data, False
            self._unread.clear()
        if data:
            try:
                self._protocol.receive_data(data)
            except (EOFError, InvalidHandshake):
                self.abort()
                return
            frames += [e for e in self._protocol.events_received() if isinstance(e, Frame)]
            self._flush()  # pongs, and the answer to a close, go out at once
        self._received(frames)

    def _fast_frames(self, data: bytes) -> tuple[bytes, list[Frame | bytes]]:
        """Take the whole text frames (and pings and pongs) off the stream; what only the protocol may read.

        Returns the bytes left for the protocol (from the first frame the fast path does not
        take, for good; or nothing) and the frames read, in order: texts as their payloads,
        pings and pongs as the protocol's events (it has answered a ping meanwhile).
        """
        buf = self._unread
        if buf:
            buf += data
            data = bytes(buf)
            buf.clear()
        frames: list[Frame | bytes] = []
        at, end, limit = 0, len(data), self._limits.max_frame
        while end - at >= 2:
            first, second = data[at], data[at + 1]
            size, head = second & 0x7F, at + 6  # masked, the length in the second byte
            if size == 126:
                if end - at < 4:
                    break
                size, head = int.from_bytes(data[at + 2:at + 4], "big"), at + 8
            elif size == 127:  # never a message this host takes
                first = 0
            control = first in (_PING_FIN, _PONG_FIN)
            if not second & 0x80 or size > (125 if control else limit) or not (control or first == _TEXT_FIN):
                self._fast = False  # the protocol reads it (and closes if it must), and everything after
                return data[at:], frames
            if end < head + size:
                break
            if not control:
                frames.append(unmask(data[head:head + size], data[head - 4:head]))
            else:  # a whole ping or pong: the protocol reads it, and answers a ping
                self._protocol.receive_data(data[at:head + size])
                frames += [e for e in self._protocol.events_received() if isinstance(e, Frame)]
                self._flush()
            at = head + size
            if control and self._protocol.state is not OPEN:  # it failed the connection: the rest is its own
                self._fast = False
                return data[at:], frames
        if at < end:
            self._unread += data[at:]
        return b"", frames

    def _received(self, frames: list[Frame | bytes]) -> None:
        """Pay for the frames just read and handle them (a few a turn), or close a socket past its budget."""
        if self.open and not self._pay(frames):
            log.warning("a player at %s sent too many messages; closing the socket", self.remote)
            self._wire.limit_hit("messages_per_second")
            self.close(CLOSE_POLICY, "too many messages")
        elif self.open:
            waiting = self._waiting
            for f in frames:
                if isinstance(f, bytes) or f.opcode in _DATA:
                    waiting.append(f)
            self._work()
        if self._protocol.close_expected():
            sent = self._protocol.close_sent
            if self._close_timer is None and sent is not None and sent.code == 1009:  # the protocol refused a frame
                self._wire.limit_hit("frame_size")
            self._expect_close()

    def resume(self) -> None:
        """The connection can write again: go on with the frames waiting."""
        if self._waiting and self._work_handle is None:
            self._work()

    def receive_eof(self) -> None:
        self._protocol.receive_eof()
        self._flush()
        self._wire.close()

    def lost(self) -> None:
        """The TCP connection is gone: stop the timers and tell the site, once."""
        if self._gone:
            return
        self._gone = True
        self._waiting.clear()
        for timer in (self._ping_timer, self._close_timer, self._work_handle):
            if timer is not None:
                timer.cancel()
        self._site.socket_closed(self)
        # No cycle left for the garbage collector (the host's runs rarely: net/host/serve.py): the
        # site's record of the socket goes, and the protocol's parser (which holds the protocol) ends.
        # A connection lost without a closing handshake ends the parser with an EOFError that the
        # protocol keeps, and its traceback holds the parser's frame, which holds the protocol: let go of it.
        self.owner = None
        self._protocol.receive_eof()
        self._protocol.parser_exc = None

    # Internals ------------------------------------------------------------------------------

    def _pay(self, frames: list[Frame | bytes]) -> bool:
        """Take every frame from the budget; False once it runs out."""
        now = self._loop.time()
        if len(frames) == 1:  # nearly always: one message read at a time
            f = frames[0]
            return self._budget.take(now) if isinstance(f, bytes) or f.opcode in _PAID else True
        return all(self._budget.take(now) for f in frames if isinstance(f, bytes) or f.opcode in _PAID)

    def _work(self) -> None:
        """Handle up to ``frames_per_turn`` waiting frames, then give the loop back to everyone else."""
        self._work_handle = None
        handled = 0
        while self._waiting and self.open and not self._wire.writing_paused:
            if handled >= self._limits.frames_per_turn:
                self._wire.limit_hit("frames_per_turn")
                self._work_handle = self._loop.call_soon(self._work)
                break
            self._frame(self._waiting.popleft())
            handled += 1
        self._flush()
        self._wire.backlog(bool(self._waiting) and self.open)

    def _frame(self, frame: Frame | bytes) -> None:
        if isinstance(frame, bytes):  # a whole text message, from the fast path
            self._text(frame)
            return
        if frame.opcode is Opcode.BINARY:
            self.close(CLOSE_UNSUPPORTED, "binary frames are not supported: send JSON text frames")
            return
        if frame.opcode is Opcode.TEXT:
            self._parts = [bytes(frame.data)]
        elif self._parts is not None:
            self._parts.append(bytes(frame.data))
        if not frame.fin or self._parts is None:
            return
        data, self._parts = b"".join(self._parts), None
        self._text(data)

    def _text(self, data: bytes) -> None:
        """A whole text message: decoded (1007 if it is not UTF-8) and handed to the site."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            log.info("a player at %s sent a text message that is not UTF-8; closing the socket", self.remote)
            self.close(CLOSE_INVALID_DATA, "a text message must be UTF-8")
            return
        try:
            self._site.socket_text(self, text)
        except Exception:  # a bug must not take the connection down silently
            log.exception("error handling a message from %s; closing that socket", self.remote)
            self.close(CLOSE_INTERNAL, "internal error")

    def _flush(self) -> None:
        for data in self._protocol.data_to_send():
            if data:
                self._wire.write(data)
            else:  # the protocol's end of stream: close once written
                self._wire.close()
        self._check_buffer()

    def _check_buffer(self) -> None:
        waiting = self._wire.write_buffer_size()
        if waiting > self._limits.send_buffer and not self._gone:
            log.warning("a player at %s is not reading (%d bytes waiting); dropping the socket", self.remote, waiting)
            self._wire.limit_hit("send_buffer")
            self.abort()

    def _expect_close(self) -> None:
        if self._close_timer is None and not self._gone:
            self._close_timer = self._loop.call_later(self._limits.close_timeout, self._wire.abort)

    def _schedule_ping(self) -> None:
        if self._limits.ping_interval is not None:
            self._ping_timer = self._loop.call_later(self._limits.ping_interval, self._ping)

    def _ping(self) -> None:
        """Ping; a peer that sent nothing for ``ping_interval + ping_timeout`` is dropped."""
        self._ping_timer = None
        if self._gone or self._protocol.state is not OPEN:
            return
        limits = self._limits
        silent_for = time.monotonic() - self._last_heard
        if limits.ping_timeout is not None and silent_for > (limits.ping_interval or 0) + limits.ping_timeout:
            log.info("a player at %s stopped answering pings; dropping the socket", self.remote)
            self._wire.limit_hit("ping_timeout")
            self.abort()
            return
        self._protocol.send_ping(b"")
        self._flush()
        self._schedule_ping()


def close_reason(text: str) -> str:
    """``text`` cut to the 123 bytes a close frame allows."""
    raw = text.encode("utf-8")
    if len(raw) <= 123:
        return text
    return raw[:120].decode("utf-8", "ignore") + "..."

"""A WebSocket client over a plain blocking socket, for the tests of what the host does with abuse.

It frames with ``websockets``' sans-I/O ``ClientProtocol`` but reads only when asked, so
a test can send what the library's own connection never would (a text frame that is not
UTF-8, a message in fragments, a flood of pings) and stop reading, as an attacker would.
Every read has a deadline.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import quote

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

WAIT = 5.0


def tcp(port: int, source: str = "127.0.0.1", rcvbuf: int | None = None) -> socket.socket:
    """A TCP connection to the host on loopback, from ``source`` (any 127.x.y.z address)."""
    sock = socket.socket()
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(WAIT)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def http_exchange(sock: socket.socket, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` and read one response to the end of the connection: status, headers, body."""
    sock.sendall(request)
    data = read_to_end(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split(" ")[1]), headers, body


def read_to_end(sock: socket.socket, deadline: float = WAIT) -> bytes:
    """Everything the host sends until it closes (a reset counts as the end)."""
    chunks = []
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


class RawSocket:
    """One ``/ws`` connection (see the module's docstring)."""

    def __init__(self, port: int, token: str, *, source: str = "127.0.0.1", rcvbuf: int | None = None):
        self.sock = tcp(port, source, rcvbuf)
        self.protocol = ClientProtocol(parse_uri(f"ws://127.0.0.1:{port}/ws?token={quote(token)}&format=json"))
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        self.response: Response | None = None
        self.frames: list[Frame] = []
        end = time.monotonic() + WAIT
        while self.response is None and time.monotonic() < end:
            self._read_some()
        assert self.response is not None and self.response.status_code == 101, self.response

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.sock.sendall(data)

    def _read_some(self) -> bool:
        """Read once; False at the end of the connection."""
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                self.response = event
            else:
                self.frames.append(event)
        try:
            self._flush()  # answers to pings and to a close, as any client sends them
        except OSError:
            pass  # the host has gone already
        return bool(data)

    def send(self, opcode: Opcode, data: bytes, *, fin: bool = True) -> None:
        """One frame, whatever it holds."""
        self.protocol.send_frame(Frame(opcode, data, fin=fin))
        self._flush()

    def text(self, data: bytes | str) -> None:
        self.send(Opcode.TEXT, data.encode() if isinstance(data, str) else data)

    def wait_for(self, opcode: Opcode, deadline: float = WAIT) -> Frame | None:
        """The first frame of ``opcode`` the host sends (None if it closes first or nothing comes in time)."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            for i, frame in enumerate(self.frames):
                if frame.opcode is opcode:
                    return self.frames.pop(i)
            try:
                if not self._read_some():
                    break
            except TimeoutError:
                break
        return None

    def closed_with(self, deadline: float = WAIT) -> tuple[int | None, str]:
        """Read until the host closes; the code and reason of its close frame (None if it dropped the connection)."""
        frame = self.wait_for(Opcode.CLOSE, deadline)
        if frame is None:
            return None, ""
        return int.from_bytes(frame.data[:2], "big"), bytes(frame.data[2:]).decode("utf-8", "replace")

    def close(self) -> None:
        self.sock.close()

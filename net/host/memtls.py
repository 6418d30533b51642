"""TLS over memory buffers, for the host's front: ciphertext in and out, plaintext to and from the connection.

An ``ssl.SSLObject`` rather than asyncio's own TLS transport, so plain and TLS
connections on one port go through the same code once the first byte has told them apart.
"""

from __future__ import annotations

import ssl


class MemoryTls:
    """The server side of one TLS connection."""

    def __init__(self, context: ssl.SSLContext):
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._obj = context.wrap_bio(self._in, self._out, server_side=True)
        self.ready = False

    def receive(self, data: bytes) -> tuple[bytes, bool]:
        """Feed ciphertext; the plaintext that came out of it, and whether the peer closed TLS."""
        self._in.write(data)
        if not self.ready:
            try:
                self._obj.do_handshake()
            except ssl.SSLWantReadError:
                return b"", False
            self.ready = True
        chunks: list[bytes] = []
        while True:
            try:
                chunk = self._obj.read(65536)
            except ssl.SSLWantReadError:
                return b"".join(chunks), False
            except ssl.SSLZeroReturnError:
                return b"".join(chunks), True
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)

    def send(self, data: bytes) -> None:
        self._obj.write(data)

    def outgoing(self) -> bytes:
        return self._out.read()

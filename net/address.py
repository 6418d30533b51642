"""Where a game server is, and the defaults every part of the game agrees on.

Pure values: no sockets, so screens and the command line can import them. A server
address is written the way players and the XOXO client write it:

* ``HOST`` or ``HOST:PORT`` (port 7350 by default), with TLS when the port is 443;
* ``http://HOST[:PORT]`` (7350 by default) and ``https://HOST[:PORT]`` (443 by default);
* ``ws://`` and ``wss://`` as synonyms of ``http://`` and ``https://``;
* an IPv6 address in brackets: ``[::1]:7350``.

A path after the host is ignored. ``ServerAddress.parse`` refuses anything else with
a ValueError whose message a player can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

from game.phrase import Phrase

DEFAULT_PORT = 7350  # Nakama's, and our host's: sign-in and the socket share it
DEFAULT_TLS_PORT = 443
DEFAULT_SERVER_KEY = "defaultkey"  # Nakama's default, and every LAN host's
DEFAULT_DISCOVERY_PORT = 7351  # UDP, LAN announcements
DEFAULT_SERVER = f"127.0.0.1:{DEFAULT_PORT}"

_SCHEMES = {"http": False, "ws": False, "https": True, "wss": True}


@dataclass(frozen=True)
class ServerAddress:
    """A host name or IP, a TCP port, and whether the server speaks TLS there."""

    host: str
    port: int = DEFAULT_PORT
    tls: bool = False

    @classmethod
    def parse(cls, text: str, default_port: int = DEFAULT_PORT) -> ServerAddress:
        """The address ``text`` describes (see the module's docstring); ValueError if none."""
        if not isinstance(text, str):
            raise ValueError(Phrase("a server address must be text"))
        shown = text.strip()
        tls, s = _split_scheme(shown)
        s = s.split("/", 1)[0].split("?", 1)[0]
        if not s:
            raise ValueError(Phrase("the server address is empty"))
        host, port_text = _split_host_port(s, shown)
        if port_text:
            if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
                raise ValueError(Phrase("the port in {address!r} must be a number from 1 to 65535", address=shown))
            port = int(port_text)
        else:
            port = DEFAULT_TLS_PORT if tls else default_port
        if tls is None:
            tls = port == DEFAULT_TLS_PORT
        return cls(host, port, tls)

    @property
    def netloc(self) -> str:
        """``host:port`` as a URL writes it (IPv6 in brackets)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """The base of the socket's URL: ``ws://host:port`` or ``wss://host:port``."""
        return f"{'wss' if self.tls else 'ws'}://{self.netloc}"

    def __str__(self) -> str:
        """How messages name the server: ``host:port``, or ``https://host[:port]`` over TLS."""
        if not self.tls:
            return self.netloc
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}" if self.port == DEFAULT_TLS_PORT else f"https://{self.netloc}"


def _split_scheme(text: str) -> tuple[bool | None, str]:
    """Whether the scheme asks for TLS (None: no scheme) and the rest of ``text``; ValueError for another scheme."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return None, text
    tls = _SCHEMES.get(scheme.lower())
    if tls is None:
        raise ValueError(Phrase("{scheme}:// is not a way to reach a game server: use http:// or https://", scheme=scheme))
    return tls, rest


def _split_host_port(s: str, shown: str) -> tuple[str, str]:
    """The host and the port's text ("" when none) of ``host[:port]`` or ``[v6][:port]``."""
    port_text = ""
    if s.startswith("["):
        host, bracket, after = s[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise ValueError(Phrase("{address!r} is not a server address", address=shown))
        port_text = after[1:]
    elif s.count(":") == 1:
        host, _, port_text = s.partition(":")
    else:
        host = s  # a name, an IPv4 address, or a bare IPv6 address
    if not host or any(c.isspace() or ord(c) < 32 or c in "@#[]" for c in host):
        raise ValueError(Phrase("{address!r} is not a server address", address=shown))
    return host, port_text

"""Server addresses as players type them: plain and TLS forms, and what is refused."""

from __future__ import annotations

import pytest

from net.address import DEFAULT_SERVER, ServerAddress


@pytest.mark.parametrize(
    "text, host, port, tls",
    [
        ("127.0.0.1", "127.0.0.1", 7350, False),
        ("127.0.0.1:7000", "127.0.0.1", 7000, False),
        (" game.example:80 ", "game.example", 80, False),
        ("game.example:443", "game.example", 443, True),  # TLS on 443, as the XOXO client does
        ("[::1]:7351", "::1", 7351, False),
        ("::1", "::1", 7350, False),
        ("http://10.0.0.5:7350/", "10.0.0.5", 7350, False),
        ("http://game.example", "game.example", 7350, False),
        ("https://game.example", "game.example", 443, True),
        ("https://game.example:8443/ws", "game.example", 8443, True),
        ("HTTPS://Game.Example", "Game.Example", 443, True),
        ("ws://game.example:7350", "game.example", 7350, False),
        ("wss://game.example", "game.example", 443, True),
        ("wss://[::1]:9000", "::1", 9000, True),
    ],
)
def test_server_address_parses_what_players_type(text, host, port, tls):
    address = ServerAddress.parse(text)
    assert (address.host, address.port, address.tls) == (host, port, tls)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "host:0", "host:70000", "host:port", "[::1", "a b:7350", "user@host", "ftp://host", "https://", "host:٣٣"],
)
def test_server_address_refuses_nonsense(text):
    with pytest.raises(ValueError):
        ServerAddress.parse(text)


def test_how_addresses_are_written():
    assert str(ServerAddress("::1", 7350)) == "[::1]:7350"
    assert str(ServerAddress.parse("https://game.example")) == "https://game.example"
    assert str(ServerAddress.parse("wss://game.example:8443")) == "https://game.example:8443"
    assert ServerAddress.parse("game.example:443").ws_url == "wss://game.example:443"
    assert ServerAddress.parse(DEFAULT_SERVER) == ServerAddress("127.0.0.1", 7350, False)

"""Networking: the protocol codec, the client, the authoritative host, LAN discovery, the thread bridge."""

"""TLS end to end: our host serving HTTPS and WSS from a private authority, and every way it fails, in one sentence.

The authority and the certificates are made here with ``trustme`` (a test-only
dependency) and written to tmp files, as an operator would give them to
``--tls-cert``/``--tls-key`` and a player to ``--ca-file``. Clients are real Sessions
(or the AuthClient alone) on one ``asyncio.run`` loop; hosts run on their own loop
thread (``host_factory``). Everything stays on loopback.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization

from net import tls
from net.address import ServerAddress
from net.errors import TlsError
from net.host import Host, HostConfig, HostError
from net.messages import (
    Failure,
    FailureKind,
    FindOpponent,
    MatchJoined,
    MatchUpdate,
    SendMove,
    SignedIn,
    SignIn,
)
from net.signin import AuthClient
from tests.net.standins import LOOPBACK
from tests.net.test_session import Player, play

REPO = Path(__file__).resolve().parents[2]
DEVICE = "device-tls-0123456789"


@dataclass(frozen=True)
class Pki:
    """PEM files of a private authority and of the server certificates the tests serve."""

    ca: Path  # the authority a player gives with --ca-file
    other_ca: Path  # an authority that signed none of them
    cert: Path  # for localhost and 127.0.0.1
    key: Path
    other_name_cert: Path  # for game.example only
    other_name_key: Path
    expired_cert: Path  # for localhost and 127.0.0.1, expired yesterday
    expired_key: Path
    stranger_key: Path  # a key that belongs to no certificate here
    locked_key: Path  # the right key, under a pass phrase
    junk: Path  # a file that is not PEM


def _write_leaf(leaf: trustme.LeafCert, folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    for i, blob in enumerate(leaf.cert_chain_pems):
        blob.write_to_path(cert, append=i > 0)
    leaf.private_key_pem.write_to_path(key)
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    authority = trustme.CA()
    authority.cert_pem.write_to_path(folder / "ca.pem")
    trustme.CA().cert_pem.write_to_path(folder / "other-ca.pem")
    cert, key = _write_leaf(authority.issue_cert("localhost", "127.0.0.1"), folder, "server")
    other_cert, other_key = _write_leaf(authority.issue_cert("game.example"), folder, "other-name")
    yesterday = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    expired = authority.issue_cert(
        "localhost", "127.0.0.1", not_before=yesterday - datetime.timedelta(days=90), not_after=yesterday
    )
    expired_cert, expired_key = _write_leaf(expired, folder, "expired")
    _, stranger_key = _write_leaf(authority.issue_cert("localhost"), folder, "stranger")
    private = serialization.load_pem_private_key(key.read_bytes(), None)
    locked = folder / "locked.key"
    locked.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pass phrase"),
        )
    )
    junk = folder / "junk.pem"
    junk.write_text("this is not a certificate\n")
    return Pki(
        folder / "ca.pem", folder / "other-ca.pem", cert, key, other_cert, other_key, expired_cert, expired_key,
        stranger_key, locked, junk,
    )


def one_sentence(message: str) -> bool:
    """One line, one sentence: no line break, no full stop followed by another sentence."""
    return "\n" not in message and ". " not in message.rstrip(".") and bool(message)


async def sign_in(player: Player, server: str, ca_file: Path | None) -> SignedIn | Failure:
    player.send(SignIn(server, "defaultkey", player.name, player.device_id, str(ca_file) if ca_file else None))
    return await player.next(SignedIn, Failure)


# Playing over TLS --------------------------------------------------------------------------


def test_two_players_sign_in_over_tls_and_play_a_game_to_a_result(host_factory, pki):
    host = host_factory(tls_cert=pki.cert, tls_key=pki.key, turn_seconds=0)
    assert host.host.tls

    async def main():
        a, b = Player("ann"), Player("bob")
        # https:// and wss:// are the same address; the certificate names both localhost and the IP.
        signed = [await sign_in(a, f"https://{LOOPBACK}:{host.port}", pki.ca),
                  await sign_in(b, f"wss://localhost:{host.port}", pki.ca)]
        a.send(FindOpponent())
        b.send(FindOpponent())
        for p in (a, b):
            await p.next(MatchJoined)
        ua, _ = await a.next(MatchUpdate), await b.next(MatchUpdate)
        x, o = (a, b) if ua.view.your_turn else (b, a)
        for player, cell in [(x, (1, 1)), (o, (2, 1)), (x, (1, 2)), (o, (2, 2)), (x, (1, 3))]:
            player.send(SendMove(*cell))
            for p in (x, o):
                await p.next(MatchUpdate)
        ends = [p.events.of(MatchUpdate)[-1].view for p in (x, o)]
        failures = a.events.of(Failure) + b.events.of(Failure)
        for p in (a, b):
            await p.shutdown()
        return signed, ends, failures

    signed, (x_view, o_view), failures = play(main())
    assert [type(s) for s in signed] == [SignedIn, SignedIn], signed
    assert [s.server for s in signed] == [f"https://{LOOPBACK}:{host.port}", f"https://localhost:{host.port}"]
    assert (x_view.result, o_view.result) == ("win", "loss")
    assert {x_view.name_of(1), x_view.name_of(2)} == {"ann", "bob"}
    assert failures == []


# Failures, each one sentence ------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, words",
    [
        ("untrusted", "is self-signed or from an authority this computer does not trust"),
        ("another authority", "is self-signed or from an authority this computer does not trust"),
        ("another name", "is for another name: this may not be the server you meant"),
        ("expired", "has expired (or is not valid yet): its operator must renew it"),
        ("plain client, TLS port", "expects a secure connection on that port: use https://"),
        ("TLS client, plain port", "does not speak TLS on this port: try http:// or another port"),
    ],
)
def test_tls_failures_are_one_sentence_from_the_session_and_the_auth_client(host_factory, pki, case, words):
    plain = case == "TLS client, plain port"
    cert, key = {"another name": (pki.other_name_cert, pki.other_name_key),
                 "expired": (pki.expired_cert, pki.expired_key)}.get(case, (pki.cert, pki.key))
    host = host_factory() if plain else host_factory(tls_cert=cert, tls_key=key)
    scheme = "" if case == "plain client, TLS port" else "https://"
    server = f"{scheme}{LOOPBACK}:{host.port}"
    ca_file = {"untrusted": None, "another authority": pki.other_ca}.get(case, pki.ca)

    async def main():
        player = Player("ann")
        failure = await sign_in(player, server, ca_file)
        await player.shutdown()
        address = ServerAddress.parse(server)
        context = tls.client_context(ca_file) if address.tls else None
        with pytest.raises(TlsError) as caught:
            await AuthClient(address, "defaultkey", tls_context=context, timeout=5).authenticate_device(DEVICE, "ann")
        return failure, str(caught.value)

    failure, auth_message = play(main())
    assert isinstance(failure, Failure) and failure.kind is FailureKind.TLS, failure
    assert words in failure.message and one_sentence(failure.message), failure.message
    assert auth_message == failure.message
    assert str(ServerAddress.parse(server)) in failure.message  # names the server as the player wrote it
    if case == "plain client, TLS port":
        assert failure.message.endswith(f"use https://{LOOPBACK}:{host.port}")
    assert host.stats().connected == 0  # nobody got as far as a socket


def test_a_certificate_authority_file_that_is_not_pem_is_refused_before_anything_is_sent(pki, tmp_path):
    async def main():
        accepted: list[object] = []

        async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted.append(writer)
            writer.close()

        server = await asyncio.start_server(count, LOOPBACK, 0)
        address = f"https://{LOOPBACK}:{server.sockets[0].getsockname()[1]}"
        async with server:
            player = Player("ann")
            failures = [await sign_in(player, address, pki.junk),
                        await sign_in(player, address, tmp_path / "nowhere.pem"),
                        await sign_in(player, address, tmp_path)]
            await player.shutdown()  # at once, before the session's task first ran: it still ends
        return failures, accepted

    failures, accepted = play(main())
    assert accepted == []
    assert all(f.kind is FailureKind.TLS and one_sentence(f.message) for f in failures), failures
    assert [f.message for f in failures] == [
        (f"Can't make a secure connection: the certificate authority file {pki.junk} is not in PEM format "
         "(no '-----BEGIN ...CERTIFICATE-----' block)"),
        f"Can't make a secure connection: the certificate authority file {tmp_path / 'nowhere.pem'} does not exist",
        f"Can't make a secure connection: the certificate authority file {tmp_path} is a folder, not a file",
    ]
    with pytest.raises(tls.TlsConfigError):
        tls.client_context(pki.key)  # PEM, but a key, not a certificate


# The host refusing to start ---------------------------------------------------------------------


def _bad_files(pki: Pki, tmp_path: Path) -> dict[str, tuple[Path, Path, str]]:
    """(certificate, key, what the one line says) for every way the files can be wrong."""
    unreadable = tmp_path / "unreadable.crt"
    unreadable.write_bytes(pki.cert.read_bytes())
    unreadable.chmod(0)
    damaged_cert, damaged_key = tmp_path / "damaged.crt", tmp_path / "damaged.key"
    damaged_cert.write_bytes(b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
    damaged_key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    return {
        "missing certificate": (tmp_path / "none.crt", pki.key, f"the certificate file {tmp_path / 'none.crt'} does not exist"),
        "missing key": (pki.cert, tmp_path / "none.key", f"the key file {tmp_path / 'none.key'} does not exist"),
        "unreadable certificate": (unreadable, pki.key, f"the certificate file {unreadable} cannot be read: Permission denied"),
        "certificate is a folder": (tmp_path, pki.key, f"the certificate file {tmp_path} is a folder, not a file"),
        "certificate under a file": (pki.junk / "server.crt", pki.key,
                                     f"the certificate file {pki.junk / 'server.crt'} cannot be read: Not a directory"),
        "certificate not PEM": (pki.junk, pki.key, f"the certificate file {pki.junk} is not in PEM format"),
        "key not PEM": (pki.cert, pki.junk, f"the key file {pki.junk} is not in PEM format"),
        "files swapped": (pki.key, pki.cert, f"the certificate file {pki.key} is not in PEM format"),
        "mismatched": (pki.cert, pki.stranger_key,
                       f"the key in {pki.stranger_key} does not belong to the certificate in {pki.cert}"),
        "key under a pass phrase": (pki.cert, pki.locked_key, f"the key in {pki.locked_key} is protected by a pass phrase"),
        "damaged certificate": (damaged_cert, pki.key, f"the certificate file {damaged_cert} is damaged"),
        "damaged key": (pki.cert, damaged_key, f"the key file {damaged_key} is damaged"),
    }


BAD_FILES = ["missing certificate", "missing key", "unreadable certificate", "certificate is a folder",
             "certificate under a file", "certificate not PEM", "key not PEM", "files swapped", "mismatched",
             "key under a pass phrase", "damaged certificate", "damaged key"]


@pytest.mark.parametrize("case", BAD_FILES)
def test_the_host_refuses_to_start_with_unusable_tls_files_in_one_clear_line(pki, tmp_path, case):
    cert, key, words = _bad_files(pki, tmp_path)[case]
    if case == "unreadable certificate" and os.access(cert, os.R_OK):
        pytest.skip("this user reads any file (root): an unreadable file cannot be made")

    async def main():
        host = Host(HostConfig(port=0, data_dir=tmp_path / "data", tls_cert=cert, tls_key=key))
        with pytest.raises(HostError) as caught:
            await host.start()
        assert not host.running
        return str(caught.value)

    message = asyncio.run(main())
    assert message.startswith("cannot serve TLS: ") and words in message, message
    assert "\n" not in message


@pytest.mark.parametrize("case", ["mismatched", "certificate not PEM", "key under a pass phrase"])
def test_serve_with_unusable_tls_files_exits_1_with_one_line_and_no_traceback(pki, tmp_path, case):
    cert, key, words = _bad_files(pki, tmp_path)[case]
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", TICTACTOE_DATA_DIR=str(tmp_path / "user"))
    done = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--serve", "--port", "0", "--data", str(tmp_path / "data"),
         "--tls-cert", str(cert), "--tls-key", str(key)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("error: cannot serve TLS: ") and words in done.stderr
    assert done.stdout == ""

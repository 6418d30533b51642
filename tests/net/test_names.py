"""Names that stick, through a Session, on a Nakama stand-in and on our host alike.

The stand-in answers sign-in and ``PUT /v2/account`` exactly as PROTOCOL.md section 6
says a real Nakama does (an existing device keeps its name whatever it asks, a new
device asking a taken name gets 409, a rename to a taken name gets 400). Each scenario
runs against both; what the socket carries is read where each server shows it: the
token the stand-in's socket was opened with, the presence our host gave the socket,
and on our host what the opponent sees.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import pytest

from net.messages import FindOpponent, MatchUpdate, SignedIn, SignIn
from net.signin import is_variant_of, name_variants
from tests.net.conftest import RunningHost
from tests.net.standins import LOOPBACK, NakamaStandIn
from tests.net.test_session import Player, play

SERVERS = ["nakama stand-in", "our host"]


class Server(Protocol):
    """What a scenario needs of the server it runs on."""

    address: str

    async def socket_name(self, user_id: str) -> str:
        """The name the open socket of ``user_id`` carries."""

    def account_calls(self) -> int:
        """How many renames were asked of the server so far."""


class StandInServer:
    def __init__(self, nakama: NakamaStandIn):
        self.nakama = nakama
        self.address = nakama.address

    async def socket_name(self, user_id: str) -> str:
        return [s.claims["usn"] for s in self.nakama.sockets if s.user_id == user_id][-1]

    def account_calls(self) -> int:
        return sum(1 for r in self.nakama.http_requests if (r.method, r.path) == ("PUT", "/v2/account"))


class HostServer:
    def __init__(self, host: RunningHost, caplog: pytest.LogCaptureFixture):
        self.host = host
        self.address = f"{LOOPBACK}:{host.port}"
        self._caplog = caplog
        caplog.set_level(logging.INFO, logger="net.host")

    async def socket_name(self, user_id: str) -> str:
        runtime = self.host.host.runtime
        assert runtime is not None
        return (await asyncio.to_thread(self.host.call, runtime.connected_users))[user_id]

    def account_calls(self) -> int:
        # The host logs each rename it makes and each one it refuses.
        return sum(1 for r in self._caplog.records if r.getMessage().startswith(("renamed:", "refused account")))


def run_on(kind: str, host_factory: Callable[..., RunningHost], caplog: pytest.LogCaptureFixture,
           scenario: Callable[[Server], Awaitable[Any]]) -> Any:
    """``scenario(server)`` against the stand-in (on the test's loop) or our host (on its own thread)."""
    if kind == "our host":
        server = HostServer(host_factory(turn_seconds=0), caplog)
        return play(scenario(server))

    async def main() -> Any:
        async with NakamaStandIn() as nakama:
            return await scenario(StandInServer(nakama))

    return play(main())


async def signed_in(server: Server, name: str, device_id: str | None = None) -> tuple[SignedIn, str]:
    """Sign a fresh Session in as ``name`` (on ``device_id``, if a returning device), shut it down again.

    The SignedIn event and the name the socket carried while it was open.
    """
    player = Player(name)
    if device_id is not None:
        player.device_id = device_id
    player.send(SignIn(server.address, "defaultkey", name, player.device_id))
    event = await player.next(SignedIn)
    carried = await server.socket_name(event.user_id)
    await player.shutdown()
    return event, carried


@pytest.mark.parametrize("kind", SERVERS)
def test_a_new_player_asking_a_taken_name_plays_under_the_nearest_free_variant(kind, host_factory, caplog):
    async def scenario(server: Server):
        return [await signed_in(server, "Ann") for _ in range(3)]

    (first, first_socket), (second, second_socket), (third, third_socket) = run_on(kind, host_factory, caplog, scenario)
    assert (first.username, first.asked, first.renamed) == ("Ann", "Ann", False)
    assert (second.username, second.asked, second.renamed) == ("Ann2", "Ann", True)
    assert (third.username, third.asked, third.renamed) == ("Ann3", "Ann", True)
    assert (first_socket, second_socket, third_socket) == ("Ann", "Ann2", "Ann3")
    assert len({first.user_id, second.user_id, third.user_id}) == 3


@pytest.mark.parametrize("kind", SERVERS)
def test_a_returning_player_who_types_another_name_is_renamed_and_the_socket_carries_it(kind, host_factory, caplog):
    device = "device-returning-0001"

    async def scenario(server: Server):
        before = await signed_in(server, "Ann", device)
        after = await signed_in(server, "Annie", device)
        again = await signed_in(server, "Annie", device)  # the new name sticks: nothing more to change
        return before, after, again, server.account_calls()

    (before, _), (after, after_socket), (again, again_socket), calls = run_on(kind, host_factory, caplog, scenario)
    assert before.username == "Ann"
    assert (after.username, after.asked, after.renamed) == ("Annie", "Annie", False)
    assert after.user_id == before.user_id and after_socket == "Annie"
    assert (again.username, again_socket) == ("Annie", "Annie")
    assert calls == 1


@pytest.mark.parametrize("kind", SERVERS)
def test_renaming_to_a_taken_name_falls_back_to_a_variant(kind, host_factory, caplog):
    device = "device-bob-000000001"

    async def scenario(server: Server):
        await signed_in(server, "Ann")
        bob = await signed_in(server, "Bob", device)
        renamed = await signed_in(server, "Ann", device)
        return bob, renamed

    (bob, _), (renamed, socket) = run_on(kind, host_factory, caplog, scenario)
    assert (renamed.username, renamed.asked, renamed.renamed) == ("Ann2", "Ann", True)
    assert renamed.user_id == bob.user_id and socket == "Ann2"


@pytest.mark.parametrize("kind", SERVERS)
def test_a_player_under_a_variant_of_the_name_asked_is_not_renamed_again_at_each_sign_in(kind, host_factory, caplog):
    device = "device-ann2-00000001"

    async def scenario(server: Server):
        await signed_in(server, "Ann")
        first = await signed_in(server, "Ann", device)  # created as Ann2
        calls = server.account_calls()
        later = [await signed_in(server, "Ann", device) for _ in range(2)]
        return first, later, server.account_calls() - calls

    (first, _), later, calls = run_on(kind, host_factory, caplog, scenario)
    assert first.username == "Ann2"
    assert [(e.username, e.asked, socket) for e, socket in later] == [("Ann2", "Ann", "Ann2")] * 2
    assert all(e.renamed for e, _ in later)  # the screen still says why the name is not the one typed
    assert calls == 0


@pytest.mark.parametrize("kind", SERVERS)
def test_a_player_under_a_variant_who_picks_another_name_gets_it(kind, host_factory, caplog):
    device = "device-ann2-00000002"

    async def scenario(server: Server):
        await signed_in(server, "Ann")
        first = await signed_in(server, "Ann", device)  # created as Ann2
        chosen = await signed_in(server, "Anna", device)  # "Choose another name"
        return first, chosen

    (first, _), (chosen, socket) = run_on(kind, host_factory, caplog, scenario)
    assert first.username == "Ann2"
    assert (chosen.username, chosen.renamed, socket) == ("Anna", False, "Anna")
    assert chosen.user_id == first.user_id


def test_a_variant_is_the_name_cut_only_to_make_room_for_its_number():
    assert is_variant_of("Ann2", "Ann") and is_variant_of("Ann27", "Ann") and is_variant_of("Ann512", "Ann")
    assert not is_variant_of("Ann2", "Anna") and not is_variant_of("Ann2", "An") and not is_variant_of("Ann", "Ann")
    assert not is_variant_of("Ann02", "Ann") and not is_variant_of("Annie", "Ann") and not is_variant_of("Bob2", "Ann")
    assert is_variant_of("R2D22", "R2D2") and not is_variant_of("R2D3", "R2D2")  # names that end in digits
    for name in ("Ann", "R2D2", "x" * 20, "ann smith", "a" * 19 + " ", "2024"):
        for variant in name_variants(name, random.Random(7), 16):
            assert is_variant_of(variant, name), (variant, name)


def test_on_our_host_the_opponent_sees_the_name_a_returning_player_changed_to(host_factory):
    host = host_factory(turn_seconds=0)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        ann = Player("Ann")
        ann.send(SignIn(server, "defaultkey", "Ann", ann.device_id))
        await ann.next(SignedIn)
        await ann.shutdown()
        annie, bob = Player("Annie"), Player("Bob")
        annie.device_id = ann.device_id
        for p in (annie, bob):
            p.send(SignIn(server, "defaultkey", p.name, p.device_id))
            await p.next(SignedIn)
            p.send(FindOpponent())
        views = [(await p.next(MatchUpdate)).view for p in (annie, bob)]
        for p in (annie, bob):
            await p.shutdown()
        return views

    annie_view, bob_view = play(main())
    assert bob_view.name_of(bob_view.opponent) == "Annie"
    assert annie_view.name_of(annie_view.you) == "Annie"

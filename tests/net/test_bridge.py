"""The thread bridge, driven as the UI drives it: send commands, poll events, never wait on the network.

Servers run on their own loops (``host_factory``'s thread, or a ``LoopThread`` for the
stand-ins), so the test body is synchronous like the render loop. Waits poll with a
deadline that only fails a broken test; no test asserts how long anything took.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid

from net.bridge import NetworkThread
from net.messages import (
    CancelFind,
    Connecting,
    Disconnect,
    Disconnected,
    Failure,
    FindOpponent,
    Hosting,
    HostLan,
    MatchJoined,
    MatchUpdate,
    Searching,
    SendMove,
    ServerClosing,
    SignedIn,
    SignIn,
)
from net.session import SessionConfig
from tests.net.standins import LOOPBACK, LoopThread, NakamaStandIn

PATIENT = SessionConfig(http_timeout=60, open_timeout=60, request_timeout=60)  # only a cancel can end a wait


class Ui:
    """The UI's side of a bridge: a wake flag (standing in for the posted pygame event) and the events seen."""

    def __init__(self, config: SessionConfig | None = None):
        self.woken = threading.Event()
        self.wakes = 0
        self.seen: list = []  # every event polled, in order
        self.cursor = 0  # how far expect() has read
        self.net = NetworkThread(self._wake, config=config)
        self.device_id = f"device-{uuid.uuid4()}"

    def _wake(self) -> None:
        self.wakes += 1
        self.woken.set()

    def expect(self, *types, timeout: float = 5.0):
        """Poll (sleeping on the wake flag, as an idle screen would) until an event of ``types`` arrives."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.woken.clear()
            self.seen += self.net.poll()
            while self.cursor < len(self.seen):
                event = self.seen[self.cursor]
                self.cursor += 1
                if isinstance(event, types):
                    return event
            self.woken.wait(0.05)
        raise AssertionError(f"no {[t.__name__ for t in types]} in {self.seen!r}")


def test_starts_and_stops_within_its_timeout():
    net = NetworkThread()
    net.start()
    assert net.running
    assert net.stop(timeout=1.0) is True
    assert not net.running
    assert net.poll() == []
    net.send(Disconnect())  # after stop: ignored, no error


def test_is_a_context_manager_and_takes_commands_sent_before_start():
    net = NetworkThread()
    net.send(SignIn("not an address!", "k", "ann", "device-0123456789"))
    with net:
        ui_seen = []
        deadline = time.monotonic() + 5
        while not ui_seen and time.monotonic() < deadline:
            ui_seen = net.poll()
            time.sleep(0.01)
    assert not net.running
    assert isinstance(ui_seen[0], Failure) and "server address" in ui_seen[0].message


def test_a_server_that_accepts_and_never_answers_does_not_hold_the_ui():
    # A listening socket nobody accepts from: the kernel completes the TCP handshake, and then silence.
    with socket.socket() as silent:
        silent.bind((LOOPBACK, 0))
        silent.listen()
        server = f"{LOOPBACK}:{silent.getsockname()[1]}"
        ui = Ui(PATIENT)
        ui.net.start()
        ui.net.send(SignIn(server, "defaultkey", "ann", ui.device_id))
        assert ui.expect(Connecting) == Connecting(server)
        for _ in range(100):
            assert ui.net.poll() == []  # returns at once, every time, while the sign-in hangs
        ui.net.send(Disconnect())
        assert ui.expect(Disconnected, Failure) == Disconnected("")
        assert ui.net.stop(timeout=1.0) is True
    assert not any(isinstance(e, Failure) for e in ui.seen)
    assert ui.wakes >= 2


def test_cancelling_a_search_on_a_server_that_went_quiet_is_honoured_and_stop_still_returns():
    async def script(ws):
        add = await ws.recv("matchmaker_add")
        await ws.send({"cid": add["cid"], "matchmaker_ticket": {"ticket": "T1"}})
        await ws.recv("matchmaker_remove", timeout=30)  # not answered

    with LoopThread() as loop:
        async def start():
            return await NakamaStandIn(script).start()

        nakama = loop.run(start())
        ui = Ui(PATIENT)
        ui.net.start()
        ui.net.send(SignIn(nakama.address, "defaultkey", "ann", ui.device_id))
        ui.expect(SignedIn)
        ui.net.send(FindOpponent())
        assert ui.expect(Searching) == Searching("T1")
        ui.net.send(CancelFind())
        deadline = time.monotonic() + 5
        while not any("matchmaker_remove" in e for e in nakama.sockets[0].received):
            assert time.monotonic() < deadline, nakama.sockets[0].received
            assert ui.net.poll() == []
            time.sleep(0.01)
        loop.loop.call_soon_threadsafe(nakama.freeze)  # now it answers nothing, not even the close handshake
        ui.net.send(FindOpponent())  # a new matchmaker_add that will never be answered
        assert ui.net.poll() == []
        assert ui.net.stop(timeout=1.0) is True
        loop.run(nakama.stop())
    removal = next(e for e in nakama.sockets[0].received if "matchmaker_remove" in e)
    assert removal["matchmaker_remove"] == {"ticket": "T1"}


def test_two_players_on_two_bridges_play_through_commands_and_events(host_factory):
    host = host_factory(turn_seconds=0)
    server = f"{LOOPBACK}:{host.port}"
    ann, bob = Ui(), Ui()
    with ann.net, bob.net:
        for ui, name in ((ann, "ann"), (bob, "bob")):
            ui.net.send(SignIn(server, "defaultkey", name, ui.device_id))
            ui.expect(SignedIn)
        ann.net.send(FindOpponent())
        ann.expect(Searching)
        bob.net.send(FindOpponent())
        views = {}
        for ui in (ann, bob):
            ui.expect(MatchJoined)
            views[ui] = ui.expect(MatchUpdate).view
        x, o = (ann, bob) if views[ann].your_turn else (bob, ann)
        for ui, move in ((x, (1, 1)), (o, (2, 1)), (x, (2, 2)), (o, (3, 1)), (x, (3, 3))):
            ui.net.send(SendMove(*move))
            for each in (x, o):
                views[each] = each.expect(MatchUpdate).view
    assert (views[x].result, views[o].result) == ("win", "loss")
    assert views[x].line == ((1, 1), (2, 2), (3, 3))


def test_stopping_while_hosting_tells_the_guest_and_frees_the_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOOPBACK, 0))
        discovery = probe.getsockname()[1]
    hoster, guest = Ui(), Ui()
    with guest.net:
        hoster.net.start()
        hoster.net.send(HostLan("hana", hoster.device_id, port=0, bind=LOOPBACK, discovery_port=discovery,
                                broadcast="127.255.255.255"))
        hosting = hoster.expect(Hosting, Failure)
        assert isinstance(hosting, Hosting), hosting
        hoster.expect(Searching)
        guest.net.send(SignIn(f"{LOOPBACK}:{hosting.port}", "defaultkey", "gus", guest.device_id))
        guest.expect(SignedIn)
        guest.net.send(FindOpponent())
        guest.expect(MatchUpdate)
        assert hoster.net.stop(timeout=10.0) is True  # time enough to say goodbye on a busy machine
        assert guest.expect(ServerClosing) == ServerClosing("The host closed the game")
        guest.expect(Disconnected)  # the host went away: nothing to reconnect to
    with socket.socket() as again:  # nothing listens there any more
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind((LOOPBACK, hosting.port))

"""Helpers for driving real Apps through networked games: pilots with fast network settings, waits, forms.

Each pilot is a real App (dummy video driver, fake clock) with its own network thread,
talking to a real host over loopback. The network runs in real time, so ``run_until``
steps every pilot a frame at a time and sleeps a little between rounds until the
condition holds; its deadline only fails a broken test, it asserts nothing about speed.
LAN settings announce to 127.255.255.255 on a port picked free for the test, so
nothing leaves this machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from net.host import HostConfig
from net.session import SessionConfig
from tests.net.conftest import RunningHost
from tests.net.standins import LOOPBACK
from ui.app import App
from ui.pilot import FakeClock, Pilot
from ui.settings import NetSettings, PlaySettings
from ui.textfield import TextField
from ui.userdata import UserData

LOOPBACK_BROADCAST = "127.255.255.255"
WAIT = 15.0  # seconds of real time before a wait gives up (a failing test, never a slow one)

FAST = SessionConfig(
    http_timeout=5,
    open_timeout=5,
    request_timeout=5,
    backoff_first=0.05,
    backoff_max=0.2,
    backoff_jitter=0.1,
    reconnect_attempts=3,
    close_timeout=0.3,
    lan_host=HostConfig(close_timeout=0.5, rematch_seconds=None),
    lan_announce_interval=0.1,
    lan_expiry=2.0,
)


def lan_settings(discovery_port: int, *, lan_port: int = 0) -> NetSettings:
    """LAN play kept on loopback: the host binds 127.0.0.1, announcements go to 127.255.255.255."""
    return NetSettings(
        lan_port=lan_port, lan_bind=LOOPBACK, discovery_port=discovery_port, broadcast=LOOPBACK_BROADCAST, session=FAST
    )


def launch(
    data_dir: Path, net: NetSettings | None = None, *, settings: PlaySettings = PlaySettings(seed=1), name: str | None = None
) -> Pilot:
    """A real App on the menu with its own data folder (so its own device id) and fast network settings.

    With ``name`` the player has chosen that name before (a returning player: no name is asked).
    """
    clock = FakeClock()
    userdata = UserData(data_dir)
    if name is not None:
        userdata.update_profile(name=name, name_chosen=True)
    app = App(clock=clock, userdata=userdata, settings=settings, net=net or NetSettings(session=FAST))
    app.push(app.home())
    pilot = Pilot(app, clock)
    pilot.step()
    return pilot


def run_until(
    condition: Callable[[], bool], *pilots: Pilot, what: str = "the condition", timeout: float = WAIT
) -> None:
    """Run every pilot frame by frame (1/30 s of fake time each) until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            screens = ", ".join(repr(p.app.screen) for p in pilots)
            raise AssertionError(f"{what} did not happen within {timeout} s (screens: {screens})")
        for pilot in pilots:
            pilot.advance(pilot.frame_seconds)
        time.sleep(0.002)


def fill(pilot: Pilot, field: TextField, text: str) -> None:
    """Click ``field``, erase what it holds and type ``text``, as a player would."""
    pilot.click(field.rect.center)
    pilot.press("end")
    for _ in range(len(field.text)):
        pilot.press("backspace")
    if text:
        pilot.type(text)


def sign_in(pilot: Pilot, name: str, server: str, key: str = "defaultkey") -> None:
    """From the menu: Play online, fill in the form (the key under Advanced), press Enter."""
    pilot.click("Play online")
    screen = pilot.screen
    fill(pilot, screen.name_field, name)
    fill(pilot, screen.server_field, server)
    if screen.key_field.text != key:
        if not screen.advanced:
            pilot.click("Advanced: key, certificate")
        fill(pilot, screen.key_field, key)
    pilot.press("return")


def on(pilot: Pilot, name: str) -> bool:
    """True if the pilot's top screen is the one called ``name`` ('board', 'matchmaking', ...)."""
    screen = pilot.app.screen
    return screen is not None and screen.name == name


def board_ready(pilot: Pilot) -> bool:
    """On a board that has its first state."""
    return on(pilot, "board") and pilot.screen.view is not None


def marks(pilot: Pilot) -> int:
    """How many marks the board on the pilot's screen shows."""
    view = pilot.screen.view
    return 0 if view is None else sum(1 for cell in view.board.cells if cell != -1)


def play_line(x: Pilot, o: Pilot, *others: Pilot) -> None:
    """X (``x`` moves first) takes the top row while O plays the middle row: X wins in five moves."""
    for done, (pilot, cell) in enumerate(((x, (1, 1)), (o, (2, 1)), (x, (1, 2)), (o, (2, 2)), (x, (1, 3)))):
        def ready(pilot: Pilot = pilot, done: int = done) -> bool:
            return marks(pilot) == done and pilot.screen.view.your_turn

        run_until(ready, x, o, *others, what=f"move {done + 1}")
        pilot.click_cell(*cell)
    run_until(lambda: x.screen.model.game_over and o.screen.model.game_over, x, o, *others, what="the end of the game")


def first_mover(a: Pilot, b: Pilot) -> tuple[Pilot, Pilot]:
    """(the pilot whose turn it is, the other)."""
    return (a, b) if a.screen.view.your_turn else (b, a)


class HostOnThread(RunningHost):
    """Our host on its own loop thread (the net tests' ``RunningHost``), closed by ``close()``."""

    @classmethod
    def start(cls, data_dir: Path, **overrides: Any) -> HostOnThread:
        config = HostConfig(port=0, data_dir=data_dir, **overrides)
        return cls(config)

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

"""The App itself: the screen stack, waking from other threads, idle sleeping, errors, screenshots."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pygame
import pytest

from game.bot import Level
from ui.app import App
from ui.controller import EventSource, LocalController
from ui.observers import Screenshots
from ui.pilot import Pilot
from ui.screens.base import Screen
from ui.screens.confirm import ConfirmScreen
from ui.screens.menu import MenuScreen
from ui.screens.notice import ErrorScreen
from ui.settings import PlaySettings
from ui.userdata import UserData


class Exploding(Screen):
    """A screen with a bug in its drawing code."""

    name = "exploding"

    def draw(self, surface: pygame.Surface) -> None:
        raise ZeroDivisionError("division by zero")


class Picker(Screen):
    """A screen that returns what was picked when it closes."""

    def handle(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.KEYDOWN and event.key == pygame.K_y:
            self.close("yes")
            return True
        return False


def test_a_screen_returns_its_result_to_whoever_pushed_it(pilot: Pilot) -> None:
    results = []
    menu = pilot.screen
    pilot.app.push(Picker(), on_result=results.append)
    pilot.press("y")
    assert results == ["yes"] and pilot.screen is menu


def test_an_unexpected_error_shows_the_error_screen_and_exits_1_when_headless(pilot: Pilot) -> None:
    pilot.app.push(Exploding())
    pilot.step()
    screen = pilot.screen
    assert isinstance(screen, ErrorScreen)
    assert "ZeroDivisionError: division by zero" in screen.message
    assert screen.button_labels == ["Back to menu", "Quit"]
    assert pilot.app.failed and not pilot.app.running and pilot.app.exit_code == 1


def test_the_error_screen_can_go_back_to_the_menu(data_dir: Path) -> None:
    with Pilot.launch(data_dir=data_dir) as pilot:
        pilot.app.headless = False  # as with a real window: the player decides
        pilot.app.push(Exploding())
        pilot.step()
        assert pilot.app.running and isinstance(pilot.screen, ErrorScreen)
        pilot.click("Back to menu")
        assert isinstance(pilot.screen, MenuScreen) and pilot.app.screens == (pilot.screen,)


def test_a_wake_from_other_threads_leaves_sdl_alone(pilot: Pilot) -> None:
    """Other threads only set the App's flag: SDL's queue belongs to the render loop's thread."""
    pygame.event.clear()
    threads = [threading.Thread(target=pilot.app.wake) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert pygame.event.get() == []


@pytest.mark.timeout(20)
@pytest.mark.parametrize("how", ["quit", "close"])
def test_an_idle_run_wakes_for_a_quit_or_a_closed_window(data_dir: Path, how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``App.quit`` from another thread (the wake flag), or the window closed (SDL's queue alone).

    Idle frames are an hour apart here, so a sleep that missed either would hang (the
    test's timeout fails it) instead of catching up at the next idle frame.
    """
    monkeypatch.setattr("ui.app.MAX_IDLE_SECONDS", 3600.0)
    with App(userdata=UserData(data_dir)) as app:
        app.push(MenuScreen())
        pause = threading.Event()

        def quit_when_idle() -> None:
            while app.frames < 1:
                pause.wait(0.01)
            pause.wait(0.05)  # the loop is asleep by now
            app.quit(0)

        if how == "quit":
            threading.Thread(target=quit_when_idle, daemon=True).start()
        else:  # SDL's own timer thread puts the event in the queue, as the window system would
            pygame.time.set_timer(pygame.QUIT, 500, loops=1)
        assert app.run() == 0
        assert not app.running
        assert app.next_timeout() == 3600.0, "an idle menu has nothing due"


def test_the_idle_timeout_is_the_time_until_the_bot_moves(pilot: Pilot) -> None:
    pilot.click("Normal")
    board = pilot.screen
    controller = board.controller
    assert isinstance(controller, LocalController) and isinstance(controller, EventSource)
    assert controller in pilot.app.sources
    pilot.click_cell(2, 2)
    due = controller.next_wakeup()
    assert due is not None
    assert pilot.app.next_timeout() == pytest.approx(due - pilot.now)


def test_animations_run_at_frame_rate_then_stop(pilot: Pilot) -> None:
    pilot.click("Easy")
    pilot.click_cell(1, 1)
    assert pilot.app.animating, "the mark pops in"
    pilot.advance(0.3)
    assert not pilot.app.animating


def test_screenshots_of_every_screen_and_of_each_finished_game(data_dir: Path, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    settings = PlaySettings(auto_level=Level.PERFECT, seed=2)
    with Pilot.launch(data_dir=data_dir, observers=[Screenshots(shots)], settings=settings) as pilot:
        pilot.click("Perfect")
        pilot.wait_until(lambda: len(pilot.app.summaries) == 2, timeout=30, what="two games")
        pilot.press("escape")
        if isinstance(pilot.screen, ConfirmScreen):  # game 3 was under way
            pilot.click("Leave")
        pilot.click("Play online")
    names = [name for name in sorted(p.name for p in shots.iterdir()) if "confirm" not in name]
    assert [name.split("-", 1)[1] for name in names] == [
        "menu.png", "board.png", "board-game1-draw.png", "board-game2-draw.png", "menu.png", "login.png",
    ]
    image = pygame.image.load(str(shots / names[2]))
    assert image.get_size() == (640, 720)




def test_closing_while_another_thread_keeps_waking_the_app_leaves_sdl_to_the_app_thread(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The network thread may wake the App at any moment, during and after its shutdown too.

    Any SDL call from that thread could race pygame's own (and, after ``display.quit``, touch
    freed state): the wakes must reach the App without one.
    """
    foreign: list[str] = []
    main = threading.current_thread()

    def spy(name: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is not main:
                foreign.append(name)
            return real(*args, **kwargs)

        return call

    for module, name in ((pygame.event, "post"), (pygame.event, "peek"), (pygame.event, "get"),
                         (pygame.display, "flip"), (pygame.display, "quit")):
        monkeypatch.setattr(module, name, spy(f"{module.__name__}.{name}", getattr(module, name)))
    app = App(userdata=UserData(data_dir))
    app.push(MenuScreen())
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            app.wake()

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(50):
            app.step()
        app.close()
        app.close()  # twice is harmless
    finally:
        stop.set()
        for thread in threads:
            thread.join(5)
    app.wake()  # after the close: still nothing happens to SDL
    assert foreign == []

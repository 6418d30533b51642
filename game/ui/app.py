"""The App: the window, the render loop, the screen stack, and the doors into the UI.

One loop (``run``) does everything on the main thread. Each frame (``step``) it takes
the pygame events, polls every event source (a local game, the network bridge)
without blocking, routes game events to the top screen, updates it and draws it. While
something animates it paces itself at 60 frames per second; otherwise it sleeps until
the next thing is due (a bot move, a countdown tick, at most a second), an input event
arrives, or another thread calls ``wake()``. An idle menu therefore costs almost no CPU.

The App owns at most one network thread (``network``): made on the first networked
screen that needs it, polled like any other event source, woken into the loop by
``wake``, and stopped (within a second) when the App closes.

Time comes from an injectable clock, so the test pilot can drive a real App (under
SDL's dummy video driver) through minutes of play without sleeping.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pygame

from game.local import THINK_SECONDS
from game.ui import audio, theme
from game.ui.controller import EventSource, GameSummary, next_wakeup_of
from game.ui.render import blit_center, translucent
from game.ui.screens.base import Screen
from game.ui.userdata import UserData

if TYPE_CHECKING:
    from net.bridge import NetworkThread
    from net.session import SessionConfig

log = logging.getLogger(__name__)

NET_WAKE = pygame.event.custom_type()
"""The event ``App.wake`` posts: 'an event source has something for you'."""

MAX_IDLE_SECONDS = 1.0  # an idle App still draws once a second at least
IDLE_POLL = 1 / theme.FPS  # an idle App peeks for input once a frame period; see App.__init__
FLASH_SECONDS = 1.4
NETWORK_STOP_SECONDS = 1.0  # closing the App waits at most this long for the network thread


@dataclass(frozen=True)
class PlaySettings:
    """How games are paced and who plays the player's side.

    ``think_seconds`` is the bot's pause before it moves; ``auto_level`` (a bot level)
    lets a bot play the player's side after ``auto_delay`` seconds (a (low, high) range);
    ``animations`` False draws every animation at its end; ``seed`` makes the bots and
    their pauses repeatable.
    """

    think_seconds: tuple[float, float] = THINK_SECONDS
    auto_level: str | None = None
    auto_delay: tuple[float, float] = THINK_SECONDS
    animations: bool = True
    seed: int | None = None

    @classmethod
    def instant(cls, **changes: object) -> "PlaySettings":
        """No pauses and no animations: for scripts and benches."""
        values: dict[str, object] = {"think_seconds": (0.0, 0.0), "auto_delay": (0.0, 0.0), "animations": False}
        values.update(changes)
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class NetSettings:
    """Where networked play goes: the LAN host's port and address, LAN discovery, the network thread's knobs.

    ``lan_port`` is the port a LAN host asks for first (the next free one is used if it
    is taken; 0 picks any free port); ``broadcast`` replaces every LAN announcement
    target with one address (tests use 127.255.255.255); ``session`` tunes the network
    thread's timeouts and backoff (None: its defaults).
    """

    lan_port: int = 7350
    lan_bind: str = "0.0.0.0"
    discovery_port: int = 7351
    broadcast: str | None = None
    session: "SessionConfig | None" = None


class App:
    """The game window and its screen stack.

    Other threads may call only ``wake()`` and ``quit()``; everything else belongs to
    the thread that runs the loop.
    """

    def __init__(
        self,
        *,
        size: tuple[int, int] = theme.DEFAULT_SIZE,
        clock: Callable[[], float] = time.monotonic,
        userdata: UserData | None = None,
        settings: PlaySettings = PlaySettings(),
        sounds: audio.Sounds | None = None,
        screenshot_dir: Path | str | None = None,
        home: Callable[[], Screen] | None = None,
        idle_poll: float = IDLE_POLL,
        net: NetSettings = NetSettings(),
    ):
        """Open the window. ``home`` builds the screen to fall back to (default: the main menu).

        ``idle_poll``: how an idle App sleeps. A positive value (the default,
        ``IDLE_POLL``, 16 ms) sleeps on a wake flag that ``wake`` and ``quit`` set, so
        the network side wakes it at once, and peeks for input between slices of that
        many seconds: input waits at most one frame period. 0 sleeps in
        ``pygame.event.wait(timeout)`` instead, which pygame implements by polling the
        queue every millisecond: about twice the CPU (see ``bench/idle_cpu.py``).
        ``net`` says where networked play goes (see ``NetSettings``).
        """
        self.clock = clock
        self.settings = settings
        self.userdata = userdata if userdata is not None else UserData(background=True)
        self.screenshot_dir = Path(screenshot_dir) if screenshot_dir is not None else None
        self.idle_poll = idle_poll
        self._home = home
        self.now = clock()
        self.frames = 0
        self.exit_code = 0
        self.failed = False
        self.summaries: list[GameSummary] = []
        self.game_listeners: list[Callable[[GameSummary], None]] = []
        self._stack: list[tuple[Screen, Callable[[object], None] | None]] = []
        self._sources: list[EventSource] = []
        self._held: list[pygame.event.Event] = []
        self._running = True
        self._wake_flag = threading.Event()
        self._wake_posted = False
        self._failing = False
        self._shot_count = 0
        self._shot_screen: Screen | None = None
        self._pending_shots: list[str] = []
        self._flash: tuple[str, float] | None = None
        self._games_started = 0
        self.net_settings = net
        self._network: NetworkThread | None = None
        # Scripts (--games) set on_stuck: called with a one-line reason when a networked
        # screen needs a person's decision (an error, the opponent left), instead of waiting.
        self.on_stuck: Callable[[str], None] | None = None
        self.fonts = theme.Fonts()

        audio.pre_init()
        pygame.display.init()
        pygame.font.init()
        pygame.display.set_caption(theme.TITLE)
        try:
            pygame.display.set_icon(pygame.image.load(str(audio.icon_path())))
        except (pygame.error, OSError) as exc:
            log.warning("no window icon: %s", exc)
        self._set_mode(size)
        pygame.key.set_repeat(400, 45)
        self._fps = pygame.time.Clock()
        self.sounds = sounds if sounds is not None else audio.Sounds(muted=self.userdata.profile.muted)
        self.headless = pygame.display.get_driver() == "dummy"

    # Window --------------------------------------------------------------------------

    def _set_mode(self, size: tuple[int, int]) -> None:
        pygame.display.set_mode(theme.clamp_size(size), pygame.RESIZABLE)

    @property
    def surface(self) -> pygame.Surface:
        return pygame.display.get_surface()

    @property
    def size(self) -> tuple[int, int]:
        return self.surface.get_size()

    def resize(self, width: int, height: int) -> None:
        """Make the window ``width`` x ``height`` (at least the minimum size)."""
        self._set_mode((width, height))

    def close(self) -> None:
        """Close every screen, stop the network thread, the sound and the window; safe to call twice."""
        while self._stack:
            screen, _ = self._stack.pop()
            self._safely(screen.on_unmount)  # screens hand their last commands (leave, stop hosting) to the network
        if self._network is not None:
            self.remove_source(self._network)
            self._network.stop(timeout=NETWORK_STOP_SECONDS)
        self.sounds.close()
        self.userdata.close()
        pygame.display.quit()

    def __enter__(self) -> "App":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # The screen stack --------------------------------------------------------------------

    @property
    def screen(self) -> Screen | None:
        """The screen on top (the one shown and given input), or None."""
        return self._stack[-1][0] if self._stack else None

    @property
    def screens(self) -> tuple[Screen, ...]:
        return tuple(s for s, _ in self._stack)

    def home(self) -> Screen:
        """A fresh home screen (the main menu unless the App was given another)."""
        if self._home is not None:
            return self._home()
        from game.ui.screens.menu import MenuScreen

        return MenuScreen()

    def push(self, screen: Screen, on_result: Callable[[object], None] | None = None) -> Screen:
        """Show ``screen`` on top; ``on_result`` gets what it returns when it closes."""
        screen.app = self
        self._stack.append((screen, on_result))
        screen.on_mount()
        return screen

    def pop(self, result: object = None) -> Screen | None:
        """Close the top screen with ``result``; closing the last one quits."""
        if not self._stack:
            return None
        screen, on_result = self._stack.pop()
        screen.on_unmount()
        if on_result is not None:
            on_result(result)
        top = self.screen
        if top is not None:
            top.on_resume()
        else:
            self.quit(self.exit_code)
        return screen

    def replace(self, screen: Screen, on_result: Callable[[object], None] | None = None) -> Screen:
        """Swap the top screen for ``screen`` (the old one's result is dropped)."""
        if self._stack:
            old, _ = self._stack.pop()
            old.on_unmount()
        return self.push(screen, on_result)

    def reset(self, screen: Screen) -> Screen:
        """Close every screen and show ``screen`` alone."""
        while self._stack:
            old, _ = self._stack.pop()
            self._safely(old.on_unmount)
        return self.push(screen)

    # Event sources and waking --------------------------------------------------------------------

    def add_source(self, source: EventSource) -> None:
        """Poll ``source`` every frame from now on (once, however often it is added)."""
        if source not in self._sources:
            self._sources.append(source)

    def remove_source(self, source: EventSource) -> None:
        if source in self._sources:
            self._sources.remove(source)

    @property
    def sources(self) -> tuple[EventSource, ...]:
        return tuple(self._sources)

    @property
    def network(self) -> "NetworkThread":
        """The App's one network thread, started (and added as an event source) on first use."""
        if self._network is None:
            from net.bridge import NetworkThread

            network = NetworkThread(self.wake, config=self.net_settings.session)
            network.start()
            self._network = network
            self.add_source(network)
        return self._network

    @property
    def has_network(self) -> bool:
        """True once a networked screen has started the network thread."""
        return self._network is not None

    def stuck(self, reason: str) -> None:
        """A networked screen needs a person's decision; a script (``on_stuck``) stops here instead."""
        log.info("waiting for the player: %s", reason)
        if self.on_stuck is not None and self._running:
            self.on_stuck(reason)

    def wake(self) -> None:
        """Make the loop run a frame soon; safe from any thread (the network bridge calls it)."""
        self._wake_flag.set()
        if not self._wake_posted:
            self._wake_posted = True
            try:
                pygame.event.post(pygame.event.Event(NET_WAKE))
            except pygame.error:
                pass  # the window is already closed

    def quit(self, code: int = 0) -> None:
        """Stop the loop after the current frame with exit code ``code``; safe from any thread."""
        self.exit_code = code if not self.failed else max(code, 1)
        self._running = False
        self.wake()

    @property
    def running(self) -> bool:
        return self._running

    # Services for screens -------------------------------------------------------------------------

    def play_sound(self, name: audio.SoundName) -> None:
        self.sounds.play(name)

    def toggle_mute(self) -> bool:
        """Sound on/off, remembered in the profile; returns the new muted state."""
        muted = self.sounds.toggle_mute()
        self.userdata.update_profile(muted=muted)
        self.flash("Sound off" if muted else "Sound on")
        return muted

    def flash(self, text: str) -> None:
        """Show ``text`` briefly at the top of the window, over any screen."""
        self._flash = (text, self.clock())

    def derive_seed(self, tag: str) -> int | None:
        """A seed for ``tag`` derived from the settings' seed (None if unseeded): repeatable runs."""
        if self.settings.seed is None:
            return None
        return random.Random(f"{self.settings.seed}/{tag}").getrandbits(63)

    def next_game_tag(self, kind: str) -> str:
        self._games_started += 1
        return f"{kind}/{self._games_started}"

    def report_game(self, summary: GameSummary) -> None:
        """A board screen saw a game end: tell the listeners, and queue a screenshot of the result."""
        self.summaries.append(summary)
        if self.screenshot_dir is not None and self.screen is not None:
            self._pending_shots.append(f"{self.screen.name}-game{len(self.summaries)}-{summary.result}")
        for listener in list(self.game_listeners):
            listener(summary)

    # The loop ------------------------------------------------------------------------------------------

    def run(self, first: Screen | None = None) -> int:
        """Run until quit; the exit code (0, or 1 after an unexpected error)."""
        if first is not None:
            self.push(first)
        if not self._stack:
            self.push(self.home())
        try:
            while self._running:
                self.step()
                if self._running:
                    self._pace()
        except KeyboardInterrupt:
            log.info("interrupted")
            self.exit_code = 130
        except Exception:  # noqa: BLE001 - outside a frame (pacing, waiting): log it, never a traceback
            log.exception("the render loop stopped")
            self.failed = True
            self.exit_code = 1
        return self.exit_code

    def step(self, events: list[pygame.event.Event] | None = None) -> None:
        """One frame: input, event sources, update, draw. ``events`` replaces the pygame queue (tests)."""
        self.now = self.clock()
        self.frames += 1
        try:
            if events is None:
                events = self._held + pygame.event.get()
                self._held = []
            for event in events:
                self._dispatch(event)
            self._poll_sources()
            top = self.screen
            if top is not None:
                top.update(self.now)
            self._draw()
        except Exception as exc:  # noqa: BLE001 - the player must never see a traceback
            self.fail(exc)

    def next_timeout(self) -> float:
        """Seconds until something is due: the top screen's next deadline or a source's wakeup (at most 1 s)."""
        now = self.clock()
        due: list[float] = []
        top = self.screen
        if top is not None:
            d = top.next_deadline()
            if d is not None:
                due.append(d)
        for source in self._sources:
            d = next_wakeup_of(source)
            if d is not None:
                due.append(d)
        if self._flash is not None:
            due.append(self._flash[1] + FLASH_SECONDS)
        if not due:
            return MAX_IDLE_SECONDS
        return max(0.0, min(MAX_IDLE_SECONDS, min(due) - now))

    @property
    def animating(self) -> bool:
        """True while the top screen or the App's own overlay moves."""
        top = self.screen
        return bool(top is not None and top.animating) or self._flash is not None

    def _pace(self) -> None:
        """Wait before the next frame: a 60 FPS tick while animating or due, else sleep until due or woken."""
        timeout = self.next_timeout()
        if self.animating or timeout <= 0:
            self._fps.tick(theme.FPS)
            return
        self._fps.tick()  # keep the pacing clock current without waiting
        self._idle_wait(timeout)

    def _idle_wait(self, timeout: float) -> None:
        if self.idle_poll <= 0:
            event = pygame.event.wait(max(1, int(timeout * 1000)))
            if event.type != pygame.NOEVENT:
                self._held.append(event)
            return
        end = time.monotonic() + timeout
        while True:
            if pygame.event.peek():
                break
            left = end - time.monotonic()
            if left <= 0:
                break
            if self._wake_flag.wait(min(self.idle_poll, left)):
                break
        self._wake_flag.clear()

    def _dispatch(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.quit(self.exit_code)
            return
        if event.type == NET_WAKE:
            self._wake_posted = False  # before the sources are polled, so no wake is lost
            return
        if event.type == pygame.VIDEORESIZE:
            self._on_resize(event.size)
            return
        top = self.screen
        if top is None:
            return
        top.ensure_layout(self.size)
        if top.handle(event):
            return
        if event.type == pygame.KEYDOWN and event.key == pygame.K_m and not event.mod & (pygame.KMOD_CTRL | pygame.KMOD_ALT):
            self.toggle_mute()

    def _on_resize(self, size: tuple[int, int]) -> None:
        wanted = theme.clamp_size(size)
        if self.size != wanted:
            self._set_mode(wanted)  # below the minimum, or a driver (dummy) that does not resize by itself

    def _poll_sources(self) -> None:
        for source in list(self._sources):
            for event in source.poll():
                top = self.screen
                if top is not None:
                    top.on_event(event)

    def _draw(self) -> None:
        surface = self.surface
        top = self.screen
        surface.fill(theme.BACKGROUND)
        if top is not None:
            top.ensure_layout(surface.get_size())
            top.draw(surface)
        self._draw_flash(surface)
        pygame.display.flip()
        if self.screenshot_dir is not None and top is not None:
            if top is not self._shot_screen:
                self._shot_screen = top
                self.screenshot(top.name)
            while self._pending_shots:
                label = self._pending_shots.pop(0)
                settled = pygame.Surface(surface.get_size())
                settled.fill(theme.BACKGROUND)
                with top.settled():
                    top.draw(settled)
                self.screenshot(label, settled)

    def _draw_flash(self, surface: pygame.Surface) -> None:
        if self._flash is None:
            return
        text, start = self._flash
        age = self.clock() - start
        if age >= FLASH_SECONDS:
            self._flash = None
            return
        alpha = 255 if age < FLASH_SECONDS - 0.3 else int(255 * (FLASH_SECONDS - age) / 0.3)
        scale = theme.scale_for(surface.get_size())
        image = self.fonts.render(text, 18 * scale, theme.TEXT)
        box = image.get_rect().inflate(int(28 * scale), int(14 * scale))
        box.midtop = (surface.get_width() // 2, int(10 * scale))
        translucent(surface, theme.PANEL_HIGH, box, box.height // 2, alpha)
        image = image.copy()
        image.set_alpha(alpha)
        blit_center(surface, image, box.center)

    def screenshot(self, label: str, image: pygame.Surface | None = None) -> Path | None:
        """Save ``image`` (default: the window) as ``NNN-label.png`` in the screenshot folder, if there is one."""
        if self.screenshot_dir is None:
            return None
        self._shot_count += 1
        path = self.screenshot_dir / f"{self._shot_count:03d}-{label}.png"
        try:
            self.screenshot_dir.mkdir(parents=True, exist_ok=True)
            pygame.image.save(image if image is not None else self.surface, str(path))
        except (pygame.error, OSError) as exc:
            log.warning("could not save screenshot %s: %s", path, exc)
            return None
        return path

    # Failures ---------------------------------------------------------------------------------

    def _safely(self, fn: Callable[[], object]) -> None:
        try:
            fn()
        except Exception:  # noqa: BLE001 - closing down must go on
            log.exception("error while closing a screen")

    def fail(self, exc: BaseException) -> None:
        """An unexpected error: log it, show the error screen; headless, stop with exit code 1."""
        log.error("unexpected error: %s", exc, exc_info=exc)
        self.failed = True
        self.exit_code = 1
        from game.ui.screens.notice import ErrorScreen

        if self._failing or isinstance(self.screen, ErrorScreen):
            self.quit(1)
            return
        self._failing = True
        try:
            self.reset(ErrorScreen(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__))
            self._draw()
        except Exception:  # noqa: BLE001
            log.exception("the error screen failed too")
            self.quit(1)
        finally:
            self._failing = False
        if self.headless:
            self.quit(1)

"""The App: the window, the render loop, the screen stack, and the doors into the UI.

One loop (``run``) does everything on the main thread. Each frame (``step``) it takes
the pygame events, polls every event source (a local game, the network bridge) without
blocking, routes game events to the top screen, updates it and draws it. While
something animates it paces itself at 60 frames per second; otherwise it sleeps on a
wake flag until the next thing is due (a bot move, a countdown tick, at most a second),
peeking for input once a frame period, or until another thread calls ``wake()``. An
idle window therefore costs almost no CPU.

The App owns at most one network thread (``network``): made on the first networked
screen that needs it, polled like any other event source, woken into the loop by
``wake``, and stopped when the App closes; no SDL call from another thread can happen
after, or during, pygame's shutdown. A speaker button in the bottom-right corner of
every screen shows and toggles the sound (M does the same); Tab reaches it after the
screen's last button or field. Scripts, tests and benches
attach ``AppObserver``s (``ui.observers``) rather than reaching into the App.

Time comes from an injectable clock, so the test pilot can drive a real App (under
SDL's dummy video driver) through minutes of play without sleeping. The App is made
with ``ui.settings`` values and opens its window through ``ui.window``.

One job, and so more than the usual 450 lines: the render loop and the screen stack it drives
(events in, frames out, pacing, the doors other threads and screens use); the window itself
is opened in ``ui.window``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pygame

from ui import audio, i18n, theme, window
from ui.controller import EventSource, TimedSource
from ui.cues import AttentionCues, WindowCues
from ui.observers import AppObserver
from ui.results import GameSummary, SoundName
from ui.screens.base import Screen
from ui.settings import NetSettings, PlaySettings
from ui.userdata import UserData
from ui.widgets import SpeakerButton

if TYPE_CHECKING:
    from net.bridge import NetworkThread

__all__ = ["App", "NetSettings", "PlaySettings"]  # the App, and the settings it is made with

log = logging.getLogger(__name__)

MAX_IDLE_SECONDS = 1.0  # an idle App still draws once a second at least
IDLE_POLL = 1 / theme.FPS  # an idle App peeks for input once a frame period
NETWORK_STOP_SECONDS = 1.0  # closing the App waits at most this long for the network thread


class App:
    """The game window and its screen stack.

    Other threads (and signal handlers) may call only ``wake()``, ``quit()`` and
    ``request_leave()``; everything else belongs to the thread that runs the loop.
    """

    def __init__(
        self,
        *,
        size: tuple[int, int] = theme.DEFAULT_SIZE,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        userdata: UserData | None = None,
        settings: PlaySettings = PlaySettings(),
        sounds: audio.Sounds | None = None,
        observers: Sequence[AppObserver] = (),
        home: Callable[[], Screen] | None = None,
        net: NetSettings = NetSettings(),
    ):
        """Open the window. ``home`` builds the screen to fall back to (default: the main menu)."""
        self.clock = clock
        self.wall_clock = wall_clock
        self.settings = settings
        self.userdata = userdata if userdata is not None else UserData(background=True)
        i18n.restore_language(self.userdata.profile.language)  # the player's choice, else the system's language
        theme.use(self.userdata.profile.theme)
        theme.set_text_size(self.userdata.profile.text_size)
        self.observers = list(observers)
        self._home = home
        self.now = clock()
        self.frames = 0
        self.exit_code = 0
        self.failed = False
        self.summaries: list[GameSummary] = []
        self._stack: list[tuple[Screen, Callable[[object], None] | None]] = []
        self._sources: list[EventSource] = []
        self._held: list[pygame.event.Event] = []
        self._running = True
        self._wake_flag = threading.Event()  # the only thing other threads touch (see wake)
        self._leave_asked = False  # request_leave (a signal handler) asked to leave any game and quit
        self._closed = False
        self._failing = False
        self._shown: Screen | None = None
        self._games_started = 0
        self._pointer: tuple[int, int] | None = None  # where the mouse is, while it is over the window
        self.net_settings = net
        self._network: NetworkThread | None = None
        self.fonts = theme.Fonts()

        audio.pre_init()
        window.open_window(size)
        self._fps = pygame.time.Clock()
        self.sounds = sounds if sounds is not None else audio.Sounds(muted=self.userdata.profile.muted)
        self.speaker = SpeakerButton(self.toggle_mute)
        self.headless = pygame.display.get_driver() == "dummy"
        # Attention cues while the window is in the background (ui/cues.py): fed focus, network events and time.
        self.cues = AttentionCues(WindowCues(lambda name: self.sounds.play(name, cue=True)),
                                  sounds_on=self.userdata.profile.cue_sounds)

    # Window --------------------------------------------------------------------------

    @property
    def surface(self) -> pygame.Surface:
        return pygame.display.get_surface()

    @property
    def size(self) -> tuple[int, int]:
        return self.surface.get_size()

    def close(self) -> None:
        """Close every screen, stop the network thread, the sound and the window; safe to call twice."""
        while self._stack:
            screen, _ = self._stack.pop()
            self._safely(screen.on_unmount)  # screens hand their last commands (leave, stop hosting) to the network
        if self._network is not None:
            self.remove_source(self._network)
            self._network.stop(timeout=NETWORK_STOP_SECONDS)  # it wakes the App no more once this returns
        if self._closed:
            return
        self._closed = True
        self.sounds.close()
        self.userdata.close()
        theme.use(theme.DEFAULT_THEME)  # the look is the process's: the next App starts from its own profile's
        theme.set_text_size(theme.TEXT_SIZES[0])
        pygame.display.quit()

    def __enter__(self) -> App:
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
        from ui.screens.menu import MenuScreen

        return MenuScreen()

    def push(self, screen: Screen, on_result: Callable[[object], None] | None = None) -> Screen:
        """Show ``screen`` on top; ``on_result`` gets what it returns when it closes."""
        screen.app = self
        self._stack.append((screen, on_result))
        screen.on_mount()
        self._point_at(screen)
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
            self._point_at(top)
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

    def _point_at(self, screen: Screen) -> None:
        """A screen shown again learns where the mouse is now (so no hover outlives the pointer leaving)."""
        if self._pointer is None:
            screen.handle(pygame.event.Event(pygame.WINDOWLEAVE))
        else:
            screen.handle(pygame.event.Event(pygame.MOUSEMOTION, pos=self._pointer, rel=(0, 0), buttons=(0, 0, 0)))

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
    def network(self) -> NetworkThread:
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
        """A screen needs a person's decision; observers (a script with nobody to click) may act on it."""
        log.info("waiting for the player: %s", reason)
        for observer in list(self.observers):
            observer.stuck(self, reason)

    def wake(self) -> None:
        """Make the loop run a frame soon; safe from any thread (the network bridge calls it).

        It only sets a flag, which the idle loop sleeps on (``_idle_wait``): no thread but
        this App's own ever calls into SDL. (Posting a pygame event from the network thread
        instead corrupted memory in about one headless online run in twenty with pygame 2.6:
        a segfault, or an object of the wrong type far from any pygame call.)
        """
        self._wake_flag.set()

    def close_window(self, *, ask: bool = True) -> None:
        """The window's close button (``ask``), or a request to stop (not ``ask``): a screen with a game on leaves it
        first (asking, where it counts as a loss), else the App quits at once."""
        for screen in reversed(self.screens):
            if screen.quit_requested(ask):
                return
        self.quit(self.exit_code)

    def request_leave(self) -> None:
        """Leave any game cleanly and quit, without asking (SIGTERM); safe from a signal handler or another thread."""
        self._leave_asked = True
        self.wake()

    def quit(self, code: int = 0) -> None:
        """Stop the loop after the current frame with exit code ``code``; safe from any thread."""
        self.exit_code = code if not self.failed else max(code, 1)
        self._running = False
        self.wake()

    @property
    def running(self) -> bool:
        return self._running

    # Services for screens -------------------------------------------------------------------------

    def play_sound(self, name: SoundName) -> None:
        self.sounds.play(name)

    def toggle_mute(self) -> bool:
        """Sound on/off, remembered in the profile (the speaker button shows it); the new muted state."""
        muted = self.sounds.toggle_mute()
        self.userdata.update_profile(muted=muted)
        return muted

    def set_muted(self, muted: bool) -> None:
        """The game's sounds off (True) or on, remembered in the profile."""
        self.sounds.muted = muted
        self.userdata.update_profile(muted=muted)

    def use_theme(self, name: str) -> None:
        """Draw in the theme ``name`` from the next frame, remembered in the profile."""
        self.userdata.update_profile(theme=theme.use(name))

    def use_text_size(self, percent: int) -> None:
        """Draw text at ``percent`` of its size, remembered in the profile; every screen is laid out again."""
        self.userdata.update_profile(text_size=theme.set_text_size(percent))
        for screen in self.screens:
            screen.relayout()

    def use_language(self, code: str) -> None:
        """Speak ``code`` ("" for the system's language), remembered in the profile (screens follow at their next frame)."""
        i18n.set_language(code or None)
        self.userdata.update_profile(language=code)

    def next_game_tag(self, kind: str) -> str:
        """A tag naming the next game of ``kind`` uniquely in this run (seeds derive from it)."""
        self._games_started += 1
        return f"{kind}/{self._games_started}"

    def report_game(self, summary: GameSummary) -> None:
        """A board screen saw a game end: count it, keep it in the history, tell the observers."""
        self.summaries.append(summary)
        self.userdata.record_game(summary)
        for observer in list(self.observers):
            observer.game_finished(self, summary)

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
        except Exception:
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
            if self._leave_asked:
                self._leave_asked = False
                self.close_window(ask=False)
            self._poll_sources()
            self.cues.sounds_on = self.userdata.profile.cue_sounds
            self.cues.update(self.now)
            top = self.screen
            if top is not None:
                top.update(self.now)
            self._draw()
        except Exception as exc:  # the player must never see a traceback: the log has it
            log.exception("unexpected error: %s", exc)
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
            d = source.next_wakeup() if isinstance(source, TimedSource) else None
            if d is not None:
                due.append(d)
        cue = self.cues.next_deadline()
        if cue is not None:
            due.append(cue)
        if not due:
            return MAX_IDLE_SECONDS
        return max(0.0, min(MAX_IDLE_SECONDS, min(due) - now))

    @property
    def animating(self) -> bool:
        """True while the top screen moves."""
        top = self.screen
        return bool(top is not None and top.animating)

    def _pace(self) -> None:
        """Wait before the next frame: a 60 FPS tick while animating or due, else sleep until due or woken.

        A screen that animates at a lower ``frame_rate`` (a spinner) sleeps between its frames as an idle one does.
        """
        timeout = self.next_timeout()
        top = self.screen
        rate = top.frame_rate if top is not None else theme.FPS
        if timeout <= 0 or (self.animating and rate >= theme.FPS):
            self._fps.tick(theme.FPS)
            return
        self._fps.tick()  # keep the pacing clock current without waiting
        self._idle_wait(min(timeout, 1.0 / rate) if self.animating else timeout)

    def _idle_wait(self, timeout: float) -> None:
        """Sleep on the wake flag, peeking for input between slices of a frame period, for at most ``timeout``.

        ``pygame.event.wait(timeout)`` would poll the queue every millisecond: about twice the
        CPU (``bench/idle_cpu.py`` measures both).
        """
        end = time.monotonic() + timeout
        while True:
            if pygame.event.peek():
                break
            left = end - time.monotonic()
            if left <= 0:
                break
            if self._wake_flag.wait(min(IDLE_POLL, left)):
                break
        self._wake_flag.clear()

    def _dispatch(self, event: pygame.event.Event) -> None:
        self.cues.window_event(event)
        if event.type == pygame.QUIT:
            self.close_window()
            return
        if event.type == pygame.VIDEORESIZE:
            self._on_resize(event.size)
            return
        if event.type == pygame.MOUSEMOTION:
            self._pointer = event.pos
        elif event.type == pygame.WINDOWLEAVE:
            self._pointer = None
        if self.speaker.handle(event, self.size):
            return
        top = self.screen
        if top is None:
            return
        top.ensure_layout(self.size)
        if self._speaker_focus(event, top) or top.handle(event):
            return
        if event.type == pygame.KEYDOWN and event.key == pygame.K_m and not event.mod & (pygame.KMOD_CTRL | pygame.KMOD_ALT):
            self.toggle_mute()

    def _speaker_focus(self, event: pygame.event.Event, top: Screen) -> bool:
        """The speaker button as the last stop of the screen's Tab order; True if ``event`` was for it."""
        speaker = self.speaker
        if event.type == pygame.MOUSEBUTTONDOWN:
            speaker.focused = False  # a click elsewhere takes the focus where it lands
            return False
        if event.type != pygame.KEYDOWN:
            return False
        delta = -1 if event.mod & pygame.KMOD_SHIFT else 1
        if not speaker.focused:
            if event.key == pygame.K_TAB and top.tab_leaves(delta):
                top.blur()
                speaker.focused = True
                return True
            return False
        if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE):
            self.toggle_mute()
            return True
        speaker.focused = False
        if event.key == pygame.K_TAB:
            top.focus_edge(delta)
            return True
        return False  # Esc, an arrow...: the screen has them again

    def _on_resize(self, size: tuple[int, int]) -> None:
        wanted = theme.clamp_size(size)
        if self.size != wanted:
            window.set_size(wanted)  # below the minimum, or a driver (dummy) that does not resize by itself

    def _poll_sources(self) -> None:
        for source in list(self._sources):
            for event in source.poll():
                if source is self._network:
                    self.cues.on_event(event, self.now)  # a game against the bot cues nothing
                top = self.screen
                if top is not None:
                    top.on_event(event)

    def _draw(self) -> None:
        surface = self.surface
        top = self.screen
        surface.fill(theme.BACKGROUND)
        if top is not None:
            self._draw_screen(len(self._stack) - 1, surface)
        self.speaker.draw(surface, self.fonts, muted=self.sounds.muted)
        pygame.display.flip()
        if top is not None and top is not self._shown:
            self._shown = top
            self.speaker.focused = False  # a new screen starts with its own focus
            for observer in list(self.observers):
                observer.screen_shown(self, top)

    def _draw_screen(self, index: int, surface: pygame.Surface) -> None:
        """Draw the screen at ``index`` of the stack; an overlay first has the one under it drawn."""
        screen = self._stack[index][0]
        if screen.overlay and index > 0:
            self._draw_screen(index - 1, surface)
        screen.ensure_layout(surface.get_size())
        screen.draw(surface)

    # Failures ---------------------------------------------------------------------------------

    def _safely(self, fn: Callable[[], object]) -> None:
        try:
            fn()
        except Exception:
            log.exception("error while closing a screen")

    def fail(self, exc: BaseException) -> None:
        """An unexpected error (the caller has logged it): show the error screen; headless, stop with exit code 1."""
        self.failed = True
        self.exit_code = 1
        from ui.screens.notice import ErrorScreen

        if self._failing or isinstance(self.screen, ErrorScreen):
            self.quit(1)
            return
        self._failing = True
        try:
            self.reset(ErrorScreen(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__))
            self._draw()
        except Exception:
            log.exception("the error screen failed too")
            self.quit(1)
        finally:
            self._failing = False
        if self.headless:
            self.quit(1)


"""The door between the render loop and the network: one daemon thread, one asyncio loop.

The UI calls ``send(command)`` and ``poll()``; neither ever waits. Commands cross to
the loop with ``call_soon_threadsafe``; events come back through a
``queue.SimpleQueue``, and each one calls ``wake()`` so the UI (which passes a function
that posts a pygame event; nothing here imports pygame) can sleep while nothing
happens. Only the immutable values of ``net.messages`` cross.

``stop()`` returns within its timeout even if a server stalls: it asks the session to
shut down cleanly, and if that takes too long it cancels everything on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable

from net.messages import Command, Event, Shutdown
from net.session import Session, SessionConfig

log = logging.getLogger(__name__)


class NetworkThread:
    """Runs a ``Session`` on its own thread; ``send`` commands in, ``poll`` events out."""

    def __init__(
        self,
        wake: Callable[[], None] | None = None,
        *,
        config: SessionConfig | None = None,
        name: str = "network",
    ):
        self._wake = wake
        self._config = config or SessionConfig()
        self._name = name
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._session: Session | None = None
        self._lock = threading.Lock()

    # The UI's side ------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread and its loop; returns at once (the render loop never waits on it).

        Commands sent before the loop runs wait in the queue; it drains them when it starts.
        """
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def send(self, command: Command) -> None:
        """Hand ``command`` to the network thread; never blocks. Ignored once stopped."""
        self._commands.put(command)
        self._kick()

    def poll(self) -> list[Event]:
        """Every event that arrived since the last call, oldest first; never blocks."""
        out: list[Event] = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out

    def stop(self, timeout: float = 1.0) -> bool:
        """Shut the session down and join the thread within ``timeout`` s; True if it ended."""
        thread = self._thread
        if thread is None:
            return True
        if thread is threading.current_thread():  # from a callback on the network thread itself
            self.send(Shutdown())
            return False
        deadline = time.monotonic() + timeout
        self.send(Shutdown())
        thread.join(max(0.0, timeout * 0.6))
        if thread.is_alive():
            loop, main = self._loop, self._main
            if loop is not None and main is not None:
                try:
                    loop.call_soon_threadsafe(main.cancel)
                except RuntimeError:
                    pass  # the loop already closed
            thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            log.warning("the network thread did not stop within %g s", timeout)
            return False
        return True

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> NetworkThread:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # The loop's side ------------------------------------------------------------------

    def _kick(self) -> None:
        loop = self._loop
        if loop is None:
            return  # the loop drains the queue when it starts
        try:
            loop.call_soon_threadsafe(self._drain)
        except RuntimeError:
            pass  # the loop is closed: the thread has stopped

    def _drain(self) -> None:
        session = self._session
        while session is not None:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            session.handle(command)

    def _emit(self, event: Event) -> None:
        self._events.put(event)
        if self._wake is not None:
            try:
                self._wake()
            except Exception:
                log.exception("the wake callback failed")

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            asyncio.set_event_loop(loop)
            self._session = Session(self._emit, self._config)
            self._main = loop.create_task(self._session.run(), name="network session")
            self._loop = loop
            loop.call_soon(self._drain)
            try:
                loop.run_until_complete(self._main)
            except asyncio.CancelledError:
                self._session.abort()
            except Exception:
                log.exception("the network session failed")
                self._session.abort()
            self._finish(loop)
        finally:
            self._loop = None
            asyncio.set_event_loop(None)
            loop.close()

    @staticmethod
    def _finish(loop: asyncio.AbstractEventLoop) -> None:
        """Cancel whatever is still running and give it one short chance to unwind."""
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.wait(tasks, timeout=0.2))
        loop.run_until_complete(loop.shutdown_asyncgens())

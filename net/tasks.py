"""Background tasks that live and die together: one registry, one cancellation rule.

Everything the network thread waits on (a sign-in, a reconnection, a match join, a
LAN host starting) runs as a task in a ``TaskScope``. The rule: a scope's tasks are
cancelled when the scope is cancelled, and a scope is cancelled with the thing it
belongs to (a server connection, the session), never from inside one of its own tasks
(the calling task is spared and finishes by itself). A task that dies of an exception
is a bug: it is logged and reported through ``on_error``, so nothing fails unseen and no
exception is left unretrieved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

ErrorReport = Callable[[str, BaseException], None]


class TaskScope:
    """A set of running tasks, cancelled together; optionally a child of another scope."""

    def __init__(self, name: str, on_error: ErrorReport, parent: TaskScope | None = None):
        self.name = name
        self._on_error = on_error
        self._tasks: set[asyncio.Task[Any]] = set()
        self._children: set[TaskScope] = set()
        self._parent = parent
        self.cancelled = False
        if parent is not None:
            parent._children.add(self)

    def __repr__(self) -> str:
        return f"<TaskScope {self.name} tasks={len(self._tasks)}{' cancelled' if self.cancelled else ''}>"

    def child(self, name: str) -> TaskScope:
        """A scope whose tasks are cancelled with this one's (and may be cancelled alone)."""
        return TaskScope(f"{self.name}/{name}", self._on_error, self)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` as a task of this scope (at once cancelled if the scope already is)."""
        task = asyncio.get_running_loop().create_task(coro, name=f"{self.name}: {name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)
        if self.cancelled:
            task.cancel()
        return task

    @property
    def tasks(self) -> list[asyncio.Task[Any]]:
        """Every running task of this scope and its children."""
        out = [t for t in self._tasks if not t.done()]
        for child in self._children:
            out += child.tasks
        return out

    def cancel(self) -> None:
        """Cancel every task of this scope and its children, except the one calling (it ends by itself)."""
        self.cancelled = True
        current = _current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        for child in list(self._children):
            child.cancel()
        if self._parent is not None:
            self._parent._children.discard(self)

    async def wait(self, timeout: float, *, spare: set[asyncio.Task[Any]] | None = None) -> None:
        """Wait up to ``timeout`` seconds for every task (but the caller and ``spare``) to finish."""
        current = _current_task()
        pending = [t for t in self.tasks if t is not current and t not in (spare or set())]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()  # retrieved here, always
        if exc is not None:
            log.error("network task %r failed", task.get_name(), exc_info=exc)
            try:
                self._on_error(task.get_name(), exc)
            except Exception:  # the report must not fail the loop either
                log.exception("reporting a failed task failed")


def _current_task() -> asyncio.Task[Any] | None:
    """The task running now, or None (also when no loop runs: the last-resort abort is called from outside)."""
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None

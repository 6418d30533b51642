"""How screens reach a game: controllers take commands, event sources hand back events.

A board screen talks to a *controller* (``send(command)`` with the command values of
``net.messages``) and hears back through the App, which polls every *event source*
once per frame without blocking and routes the events to the top screen. A game
against the bot is both in one object, ``LocalController``; the network bridge is
another (its events arrive from the network thread and it wakes the App).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from game.bot import Level
from game.local import THINK_SECONDS, LocalMatch
from net.messages import Command, Event, LeaveMatch, RequestRematch, SendMove, match_events

log = logging.getLogger(__name__)


@runtime_checkable
class EventSource(Protocol):
    """Something the App polls once per frame for UI events; it must never block.

    A source whose events come from another thread calls ``App.wake()`` when they arrive;
    one that knows when it will next have something to do is a ``TimedSource``.
    """

    def poll(self) -> list[Event]:
        """Events that arrived since the last call, oldest first (empty if none)."""


@runtime_checkable
class TimedSource(EventSource, Protocol):
    """An event source that says when ``poll`` will next have something to do (a local game knows when the bot moves)."""

    def next_wakeup(self) -> float | None:
        """The App clock time of the next event, now if events are waiting, or None if none is planned."""


@runtime_checkable
class Controller(Protocol):
    """What a board screen drives: one match, through the commands of ``net.messages``."""

    def send(self, command: Command) -> None:
        """Hand ``command`` over; never blocks. Results come back as events."""


class LocalController:
    """A game against the bot on this machine, as both controller and event source.

    Wraps ``game.local.LocalMatch`` (the host's own match handler, no sockets): commands
    become its calls, its op-code messages become the same UI events the network
    delivers (``net.messages.match_events``).
    """

    def __init__(
        self,
        level: Level,
        *,
        player_name: str = "You",
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        think_seconds: tuple[float, float] = THINK_SECONDS,
    ):
        self.level = level
        self.match = LocalMatch(self.level, player_name, seed=seed, clock=clock, think_seconds=think_seconds)
        self._user_id = self.match.human.user_id
        self.left = False

    def send(self, command: Command) -> None:
        """Play, ask for the next game, or leave; other commands mean nothing in a local game."""
        if self.left:
            return
        if isinstance(command, SendMove):
            self.match.send_move(command.row, command.col)
        elif isinstance(command, RequestRematch):
            self.match.request_rematch()
        elif isinstance(command, LeaveMatch):
            self.left = True
            self.match.leave()
        else:
            log.warning("a game against the bot ignores %r", command)

    def poll(self) -> list[Event]:
        """Let the bot move if its pause is over; the UI events for everything that happened."""
        if self.left:
            return []
        events: list[Event] = []
        for op_code, data in self.match.poll():
            events.extend(match_events(op_code, data, self._user_id))
        return events

    def next_wakeup(self) -> float | None:
        """Now if answers are waiting, else when the bot moves."""
        return None if self.left else self.match.next_wakeup()

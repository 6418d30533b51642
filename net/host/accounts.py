"""The host's accounts, held in memory: every user's name, one account per name, refresh tokens used.

Sign-in, refresh and the account API read and change accounts here, on the event loop,
and never wait for the database: each change is handed to the writer thread
(``net.host.writer``) as a ``Write`` and lands in the database soon after. A locked
database therefore delays the row, never the answer. The cost is memory: every account
(a user id and a name, a few hundred bytes) is kept for as long as the host runs.

Names are compared by ``net.limits.name_key`` (NFKC, case-folded), so ``Ann``, ``ANN``
and ANN in fullwidth letters are one name and belong to one account. A rename is announced
to ``on_rename`` listeners (the realtime side closes that user's open sockets, which
carry the old name). A refresh token is good for one refresh, as Nakama's rotate: the
id of a used one is kept (here and in the database) until the token expires.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Protocol

from net.host.store import NameInUse, Write, account_write, refresh_write, settle_names
from net.limits import name_key


class WriteSink(Protocol):
    """Where changes go: the writer thread (``net.host.writer.Writer``)."""

    def submit(self, write: Write, done: Callable[[], None] | None = None) -> None: ...

    def seen(self, user_id: str, when: float) -> None: ...


class Accounts:
    """User id -> name for every account, and the refresh tokens already used; loop thread only."""

    def __init__(
        self,
        names: Mapping[str, str],
        used_refresh: Mapping[str, float],
        sink: WriteSink,
        clock: Callable[[], float],
    ):
        self._sink = sink
        self._clock = clock
        self._names = dict(names)
        self._owners = {name_key(n): uid for uid, n in self._names.items()}
        if len(self._owners) != len(self._names):  # only if the database was changed behind the host's back
            self._settle()
        self._used = {tid: exp for tid, exp in used_refresh.items() if exp > clock()}
        self._prune_at = max(1024, 2 * len(self._used))
        self._listeners: list[Callable[[str, str], None]] = []

    def _settle(self) -> None:
        settled = settle_names(self._names.items())
        now = self._clock()
        for uid, name in settled.items():
            if self._names[uid] != name:
                self._sink.submit(account_write(uid, name, now))
        self._names = settled
        self._owners = {name_key(n): uid for uid, n in settled.items()}

    def __len__(self) -> int:
        return len(self._names)

    def name_of(self, user_id: str) -> str | None:
        """The account's name as it is now, or None if there is no such account."""
        return self._names.get(user_id)

    def names(self) -> Mapping[str, str]:
        """Every account, user id -> name (a read-only view, for the admin console's search)."""
        return MappingProxyType(self._names)

    def taken(self, name: str, user_id: str = "") -> bool:
        """True if an account other than ``user_id``'s has ``name`` (whatever its case or form)."""
        owner = self._owners.get(name_key(name))
        return owner is not None and owner != user_id

    def create(self, user_id: str, name: str) -> None:
        """A new account named ``name`` (already normalised); NameInUse if that name is taken."""
        if self.taken(name, user_id):
            raise NameInUse(name)
        old = self._names.get(user_id)
        if old is not None:
            self._owners.pop(name_key(old), None)
        self._names[user_id] = name
        self._owners[name_key(name)] = user_id
        self._sink.submit(account_write(user_id, name, self._clock()))

    def rename(self, user_id: str, name: str) -> None:
        """Give account ``user_id`` a new name; NameInUse if another has it, KeyError if there is no such account."""
        old = self._names[user_id]
        if old == name:
            return
        self.create(user_id, name)
        for listener in list(self._listeners):
            listener(user_id, name)

    def on_rename(self, listener: Callable[[str, str], None]) -> None:
        """Call ``listener(user_id, new_name)`` after every rename."""
        self._listeners.append(listener)

    def seen(self, user_id: str) -> None:
        """Note that the user signed in now (a best effort: never a reason to refuse the sign-in)."""
        self._sink.seen(user_id, self._clock())

    def use_refresh(self, token_id: str, expires_at: float) -> bool:
        """Spend a refresh token: True the first time, False if it was used before."""
        if token_id in self._used:
            return False
        self._used[token_id] = float(expires_at)
        self._sink.submit(refresh_write(token_id, float(expires_at)))
        if len(self._used) >= self._prune_at:
            now = self._clock()
            self._used = {tid: exp for tid, exp in self._used.items() if exp > now}
            self._prune_at = max(1024, 2 * len(self._used))
        return True

    def writes(self) -> list[Write]:
        """Every account as a write, for a database that starts again empty (safe from the writer's thread)."""
        now = self._clock()
        return [account_write(uid, name, now) for uid, name in dict(self._names).items()]

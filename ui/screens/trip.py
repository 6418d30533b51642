"""What a networked screen may ask of the trip it is part of (the flow of ``netflow``), and nothing more.

The screens of a trip (sign-in, matchmaking, hosting, the networked board, the screens
at the end of a match) know the trip only through this protocol: the flow module makes
them and moves between them, never the other way round.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Protocol

from game.xoxo import GoneReason, MatchLabel
from net.messages import Failure, Hosting
from ui.i18n import Text

if TYPE_CHECKING:
    from ui.screens.netkit import Choice


class TripKind(enum.StrEnum):
    """Where a networked match is played."""

    ONLINE = "online"  # through a game server: ``main.py --serve``, or Nakama
    LAN_HOST = "lan-host"  # on the host this player runs, announced on the LAN
    LAN_JOIN = "lan-join"  # on another player's LAN host


class Trip(Protocol):
    """One trip through the networked screens, from the menu back to it."""

    kind: TripKind
    name: str  # the name asked for
    server: str  # as typed ("" for a LAN host until it is up)
    key: str
    ca_file: str | None  # a private certificate authority to trust (online), or None
    code: str  # a friend code, or ""
    hosting: Hosting | None  # a LAN host's port and addresses, once it is up

    @property
    def joined_lan(self) -> bool: ...

    def matched(self, label: MatchLabel, match_id: str = "") -> None: ...

    def play_on_choices(self, online_label: Text | None = None) -> list[Choice]: ...

    def failed(self, failure: Failure) -> None: ...

    def opponent_left(self, name: str, reason: GoneReason, note: Text, me: bool) -> None: ...

    def match_ended(self, title: Text, message: Text, *, stuck: str) -> None: ...

    def server_closed(self, text: str, note: Text) -> None: ...

    def find_again(self) -> None: ...

    def search(self) -> None: ...

    def retry(self) -> None: ...

    def back(self) -> None: ...

    def browse(self) -> None: ...

    def home(self) -> None: ...

    def end(self) -> None: ...

    def cancel_search(self) -> None: ...

    def choose_another_name(self, taken: str) -> None: ...

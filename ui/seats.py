"""What the game remembers of each server between runs: the game in progress (a seat), and the player's last rating.

Pure values with their JSON forms (no files, no pygame): ``ui.userdata`` keeps them in
``seats.json``. While an online game is in progress the board keeps a ``Seat`` up to date
(the server, the account it signed in with, the match, the game and the moves seen); a
client killed mid-game finds it at its next launch, asks the server about it
(``net.resume``), and either comes back to the game or lists it in History as abandoned,
with the server's verdict (``abandoned``). A seat and a rating are per server and account:
the account is the device id this run signs in with (``UserData.session_device_id``).
Reading is forgiving: an entry that cannot be read is dropped, never the file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from game.rules import MARKS, Result, Termination
from net.address import DEFAULT_SERVER_KEY, ServerAddress
from net.resume import SeatAnswer, SeatResult, SeatStatus
from ui.results import GameMode, GameSummary, Move

SEATS_VERSION = 1
VERDICTS = {SeatResult.WIN: Result.WIN, SeatResult.LOSS: Result.LOSS, SeatResult.DRAW: Result.DRAW}


def server_id(server: str) -> str:
    """One spelling of a server address (``127.0.0.1:7350`` however it was typed), to file things under."""
    try:
        return str(ServerAddress.parse(server))
    except ValueError:
        return server.strip()


@dataclass(frozen=True)
class Seat:
    """The online game in progress when the game last wrote it: where, as whom, which match and game, the moves."""

    server: str  # as ``server_id`` spells it
    device_id: str  # the account: the device id the run signed in with
    match_id: str
    game: int
    key: str = DEFAULT_SERVER_KEY
    ca_file: str = ""
    name: str = ""  # the name played under
    user_id: str = ""
    opponent: str = ""
    you: int = 0  # our seat, 1 or 2 (0: unknown)
    first: int = 1  # the player who opened the game
    moves: tuple[Move, ...] = ()
    saved_at: float = 0.0  # unix time of the last write

    def same_place(self, server: str, device_id: str) -> bool:
        return self.server == server_id(server) and self.device_id == device_id

    def to_json(self) -> dict[str, Any]:
        return {
            "server": self.server, "device_id": self.device_id, "match_id": self.match_id, "game": self.game,
            "key": self.key, "ca_file": self.ca_file, "name": self.name, "user_id": self.user_id,
            "opponent": self.opponent, "you": self.you, "first": self.first, "moves": [list(m) for m in self.moves],
            "saved_at": self.saved_at,
        }

    @classmethod
    def from_json(cls, obj: Any) -> Seat:
        """A seat from ``seats.json``; ValueError if the entry is not one."""
        if not isinstance(obj, Mapping):
            raise ValueError("a seat must be an object")
        texts = {k: obj.get(k) for k in ("server", "device_id", "match_id", "key", "ca_file", "name", "user_id", "opponent")}
        if not all(isinstance(v, str) for v in texts.values()) or not (texts["server"] and texts["device_id"]
                                                                        and texts["match_id"]):
            raise ValueError("a seat needs its server, device id and match id as text")
        numbers = {k: obj.get(k) for k in ("game", "you", "first")}
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in numbers.values()):
            raise ValueError("a seat's game, seat and first player are whole numbers")
        moves = obj.get("moves")
        if not isinstance(moves, list) or not all(_is_move(m) for m in moves):
            raise ValueError("a seat's moves are [row, col, player] lists")
        saved = obj.get("saved_at", 0.0)
        if not isinstance(saved, (int, float)) or isinstance(saved, bool) or not math.isfinite(saved):
            raise ValueError("saved_at must be a time")
        return cls(
            server=str(texts["server"]), device_id=str(texts["device_id"]), match_id=str(texts["match_id"]),
            game=int(numbers["game"] or 0), key=str(texts["key"]) or DEFAULT_SERVER_KEY, ca_file=str(texts["ca_file"]),
            name=str(texts["name"])[:64], user_id=str(texts["user_id"]), opponent=str(texts["opponent"])[:64],
            you=int(numbers["you"] or 0), first=int(numbers["first"] or 1), moves=tuple((m[0], m[1], m[2]) for m in moves),
            saved_at=float(saved),
        )

    def abandoned(self, answer: SeatAnswer | None, ended_at: float) -> GameSummary:
        """This game as History lists it once it is known to be over: abandoned, with the server's verdict if it gave one.

        A loss without a reason was the seat given up (the player did not come back in time);
        no verdict at all (the server no longer knows the game) is listed without a result.
        """
        over = answer is not None and answer.status is SeatStatus.OVER
        result = VERDICTS.get(answer.result) if over and answer is not None and answer.result is not None else None
        aborted = over and answer is not None and answer.result is SeatResult.ABORTED
        reason = answer.reason if over and answer is not None and answer.reason is not None else None
        termination = Termination.ABORTED if aborted else reason or Termination.OPPONENT_LEFT
        return GameSummary(
            mode=GameMode.ONLINE,
            level=None,
            mark=MARKS.get(self.you),
            result=result,
            moves=self.moves,
            first=MARKS.get(self.first, MARKS[1]),
            you=self.name,
            opponent=answer.opponent if answer is not None and answer.opponent else self.opponent,
            game=self.game,
            termination=termination,
            ended_at=ended_at,
            abandoned=True,
        )


def _is_move(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 3
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value))


@dataclass
class SeatFile:
    """What ``seats.json`` holds: the seats remembered, and each account's last shown rating on each server."""

    seats: list[Seat] = field(default_factory=list)
    ratings: dict[str, int] = field(default_factory=dict)  # "SERVER DEVICE_ID" -> the last shown rating

    def to_json(self) -> dict[str, Any]:
        return {"version": SEATS_VERSION, "seats": [s.to_json() for s in self.seats], "ratings": dict(self.ratings)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> SeatFile:
        data = cls()
        seats = obj.get("seats")
        for entry in seats if isinstance(seats, list) else []:
            try:
                data.seats.append(Seat.from_json(entry))
            except ValueError:
                continue  # an entry this game cannot read: forgotten
        ratings = obj.get("ratings")
        if isinstance(ratings, Mapping):
            data.ratings = {k: v for k, v in ratings.items()
                            if isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)}
        return data

    def find(self, server: str, device_id: str) -> Seat | None:
        return next((s for s in self.seats if s.same_place(server, device_id)), None)

    def put(self, seat: Seat) -> None:
        self.seats = [s for s in self.seats if not s.same_place(seat.server, seat.device_id)] + [seat]

    def drop(self, server: str, device_id: str) -> bool:
        kept = [s for s in self.seats if not s.same_place(server, device_id)]
        dropped = len(kept) != len(self.seats)
        self.seats = kept
        return dropped


def rating_key(server: str, device_id: str) -> str:
    return f"{server_id(server)} {device_id}"

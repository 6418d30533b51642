"""The XOXO match payloads (PROTOCOL.md section 4) and our compatible extensions.

Pure: values and JSON, no sockets. The host's match handler encodes with these
functions, local games use them in-process, and the client decodes with them, so a
state means the same thing everywhere.

Op codes (``op_code`` of ``match_data``):

* ``OP_MOVE`` (1), client to host: ``{"row": 1..3, "col": 1..3}``.
* ``OP_STATE`` (2), host to each player: the XOXO state; ours adds fields a stock
  client ignores (see ``encode_state``). A stock XOXO server may instead send a plain
  text message here (for example when it shuts down).
* ``OP_REJECTED`` (3), host to one player: ``{"reason": word, "message": text}``, why
  that player's message was refused. Nothing else changes.
* ``OP_REMATCH`` (4), client to host: ``{}``; the sender is ready for the next game.
  When every connected player is ready the next game starts without waiting for the
  countdown.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Mapping

from game.rules import Board, Line, StateError, Termination, from_state, to_state

OP_MOVE = 1
OP_STATE = 2
OP_REJECTED = 3
OP_REMATCH = 4


@dataclass(frozen=True)
class Presence:
    """One player's session in a match, as Nakama describes it."""

    user_id: str
    session_id: str
    username: str
    node: str = ""

    def to_json(self, full: bool = False) -> dict[str, Any]:
        """The PRESENCE object; ``full`` adds ``node`` and ``reason`` (PRESENCE_FULL)."""
        out: dict[str, Any] = {"user_id": self.user_id, "session_id": self.session_id, "username": self.username}
        if full:
            out["node"] = self.node
            out["reason"] = 0
        return out

    @classmethod
    def from_json(cls, obj: Any) -> "Presence":
        """A presence from JSON; missing fields read as "", wrong types raise ValueError."""
        if not isinstance(obj, Mapping):
            raise ValueError("a presence must be an object")
        values = []
        for key in ("user_id", "session_id", "username", "node"):
            v = obj.get(key, "")
            if not isinstance(v, str):
                raise ValueError(f"presence {key} must be a string")
            values.append(v)
        return cls(*values)


class PayloadError(ValueError):
    """A match payload that is not what its op code promises."""


class PlainTextPayload(PayloadError):
    """An op 2 payload that is plain text, not JSON: a message from the server to show as is."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


def encode_move(row: int, col: int) -> bytes:
    return json.dumps({"row": row, "col": col}, separators=(",", ":")).encode()


def decode_move(data: bytes) -> tuple[Any, Any]:
    """(row, col) as sent; the rules check their range and type. Raises PayloadError on non-JSON."""
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: "[[[[..." nested deep
        raise PayloadError("a move must be JSON like {\"row\": 1, \"col\": 3}") from exc
    if not isinstance(obj, dict) or "row" not in obj or "col" not in obj:
        raise PayloadError("a move must be JSON like {\"row\": 1, \"col\": 3}")
    return obj["row"], obj["col"]


def encode_rejected(reason: str, message: str) -> bytes:
    return json.dumps({"reason": reason, "message": message}, separators=(",", ":")).encode()


def decode_rejected(data: bytes) -> tuple[str, str]:
    try:
        obj = json.loads(data)
        return str(obj.get("reason", "refused")), str(obj.get("message", ""))
    except (ValueError, UnicodeDecodeError, AttributeError, RecursionError):
        return "refused", data.decode("utf-8", "replace")[:200]


def encode_state(
    board: Board,
    players: tuple[Presence | None, Presence | None],
    you: int,
    *,
    game: int = 1,
    rematch_countdown: int | None = None,
    turn_seconds_left: float | None = None,
    turn_seconds: float | None = None,
    opponent_connected: bool = True,
) -> bytes:
    """The op 2 payload for player ``you`` (1 or 2).

    XOXO fields: ``state`` (cells, players, player_turn, winner, draw, rematch_countdown),
    ``active_player``, ``other_player``, ``your_turn``. Ours, ignored by stock clients:
    ``state.line`` (the winning cells), ``state.reason`` (a Termination value),
    ``state.game`` (1, 2, ... within the match), ``state.turn_seconds_left`` and
    ``state.turn_seconds`` (the turn timer), ``state.opponent_connected``, and ``you``
    (the receiver's player index).
    """
    full = [p.to_json(full=True) if p is not None else None for p in players]
    extra: dict[str, Any] = {"game": game, "opponent_connected": opponent_connected}
    out = board.outcome
    if out is not None:
        extra["reason"] = out.termination.value
        if out.line is not None:
            extra["line"] = [list(c) for c in out.line]
        if rematch_countdown is not None:
            extra["rematch_countdown"] = rematch_countdown
    elif turn_seconds_left is not None:
        extra["turn_seconds_left"] = round(max(0.0, turn_seconds_left), 2)
        extra["turn_seconds"] = turn_seconds
    state = to_state(board, full, **extra)
    active = full[board.to_move - 1]
    other = full[2 - board.to_move]
    payload = {
        "state": state,
        "active_player": active,
        "other_player": other,
        "your_turn": out is None and board.to_move == you,
        "you": you,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


@dataclass(frozen=True)
class MatchView:
    """What a client knows of a match after one op 2 message, from its own point of view."""

    board: Board
    you: int  # 1 or 2; 0 if the state did not name us
    players: tuple[Presence | None, Presence | None]
    your_turn: bool
    game: int = 1
    line: Line | None = None
    rematch_countdown: int | None = None
    turn_seconds_left: float | None = None
    turn_seconds: float | None = None
    opponent_connected: bool = True

    @property
    def result(self) -> str | None:
        """'win', 'loss' or 'draw' for us once the game is over, else None."""
        out = self.board.outcome
        if out is None:
            return None
        if out.winner is None:
            return "draw"
        if self.you == 0:
            return None
        return "win" if out.winner == self.you else "loss"

    @property
    def termination(self) -> Termination | None:
        return self.board.outcome.termination if self.board.outcome else None

    def name_of(self, index: int) -> str:
        p = self.players[index - 1] if index in (1, 2) else None
        return p.username if p is not None else "?"


def decode_state(data: bytes, my_user_id: str = "", my_session_id: str = "") -> MatchView:
    """Decode an op 2 payload. Raises PayloadError if it is not a XOXO state.

    Our index comes from ``you`` when our host sent it, else from finding our user id
    (or session id) among ``state.players``; the stock server sends no ``you``.
    """
    try:
        obj = json.loads(data)
    except RecursionError:
        raise PayloadError("the server sent a match message nested too deep to read") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise PlainTextPayload(data.decode("utf-8", "replace").strip()[:300] or "(an empty message)") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("state"), dict):
        raise PayloadError("the server sent a match message without a state")
    state = obj["state"]
    try:
        board = from_state(state)
        raw_players = state.get("players") or []
        if not isinstance(raw_players, list):
            raise PayloadError("state.players must be a list")
        plist: list[Presence | None] = [Presence.from_json(p) if p else None for p in raw_players[:2]]
    except (StateError, ValueError) as exc:
        raise PayloadError(str(exc)) from exc
    while len(plist) < 2:
        plist.append(None)
    players = (plist[0], plist[1])
    you = obj.get("you")
    if you not in (1, 2) or isinstance(you, bool):
        you = 0
        for i, p in enumerate(players, start=1):
            if p is not None and ((my_session_id and p.session_id == my_session_id) or (my_user_id and p.user_id == my_user_id)):
                you = i
                break
    line = None
    raw_line = state.get("line")
    if board.outcome is not None and board.outcome.line is not None:
        line = board.outcome.line
    elif isinstance(raw_line, list) and len(raw_line) == 3:
        try:
            line = tuple((int(r), int(c)) for r, c in raw_line)  # type: ignore[assignment]
        except (TypeError, ValueError):
            line = None

    def _num(key: str) -> float | None:
        v = state.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            return float(v)
        return None

    countdown = _num("rematch_countdown")
    return MatchView(
        board=board,
        you=you,
        players=players,
        your_turn=bool(obj.get("your_turn", False)),
        game=int(_num("game") or 1),
        line=line,
        rematch_countdown=int(countdown) if countdown is not None and board.is_over else None,
        turn_seconds_left=_num("turn_seconds_left"),
        turn_seconds=_num("turn_seconds"),
        opponent_connected=state.get("opponent_connected", True) is not False,
    )

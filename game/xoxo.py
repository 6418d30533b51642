"""The XOXO match payloads (PROTOCOL.md section 4), our extensions, and how each side declares them.

Pure: values and JSON, no sockets. The match handler encodes with these functions,
local games use them in-process, and the client decodes with them, so a payload
means the same thing everywhere. There is one encoder and one decoder per payload.

Op codes (``op_code`` of ``match_data``):

* ``OP_MOVE`` (1), client to server: ``{"row": 1..3, "col": 1..3}``.
* ``OP_STATE`` (2), server to each player: the XOXO state, plus fields of ours that a
  stock client ignores (``encode_state``). A stock XOXO server may instead send plain
  text here (when it shuts down).
* ``OP_REJECTED`` (3), server to one player: ``{"reason": word, "message": text}``.
* ``OP_REMATCH`` (4), client to server: ``{}``, "I want the next game".
* ``OP_OPPONENT_GONE`` (5), server to the players left: the match is over, and who is
  gone and why (``encode_gone``).
* ``OP_CLAIM`` (6), client to server: ``{"claim": "win"}`` or ``{"claim": "draw"}``, against
  an opponent away for more than half their seat hold (revision 3).
* ``OP_RATING`` (7), server to each declared player of a rated match: both players'
  rating before and after the game just finished (``encode_rating_news``, revision 3).
* ``OP_REACTION`` (8), both ways (revision 4): a player's quick reaction, one of six fixed
  phrases by id (``Reaction``); the server relays it to the opponent alone
  (``encode_reaction`` / ``decode_reaction``, ``encode_relayed_reaction`` / ``decode_relayed_reaction``).

Declarations, so that neither side guesses (docs/PROTOCOL.md, "Declarations"):

* The server's match ``label`` (Nakama's field on the ``match`` answer) is JSON with a
  ``protocol`` revision (``MatchLabel``); a label without it (stock XOXO sends "")
  means plain XOXO, revision 0.
* Our client declares the revision it speaks in ``match_join``'s ``metadata``
  (``join_metadata``); the handler reads it in its join attempt (``declared_protocol``).
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from json.encoder import encode_basestring  # json.dumps(text, ensure_ascii=False) of a str
from typing import Any

from game import fastjson
from game.rating import Rating, RatingChange
from game.refusal import Refusal
from game.rules import (
    EMPTY,
    LINES,
    PLAYERS,
    Board,
    Line,
    Outcome,
    Result,
    StateError,
    Termination,
    from_state,
    index_of,
    other,
)
from game.standing import SAFE_INTEGER, Standing, json_number

OP_MOVE = 1
OP_STATE = 2
OP_REJECTED = 3
OP_REMATCH = 4
OP_OPPONENT_GONE = 5
OP_CLAIM = 6
OP_RATING = 7
OP_REACTION = 8

PROTOCOL = 4
"""The revision of our extensions this code speaks.

1: ops 3, 4 and 5, the extra state fields, a dropped player's seat held for a grace period.
2: the client's declaration in ``match_join`` metadata; between two declared clients the
   next game starts only when both asked (op 4), the countdown being the time to decide;
   ``rematch_asked`` and ``rematch_mode`` in the state; op 5 reasons ``timed_out``,
   ``no_rematch`` and ``no_show``.
3: ``rated`` in the label; op 6 (claim the win or call a draw against an absent opponent)
   and op 7 (the rating change); the seat hold, the claim countdown and the ratings in the
   state; between two declared clients a first move never made aborts the game, and after a
   game the offer of the next one stays open until a player leaves (``rematch_mode`` "open");
   op 5 reasons ``aborted``, ``declined`` and ``idle``.
4: op 8, quick reactions (six fixed phrases by id) relayed to the opponent alone, at most
   ``REACTION_LIMIT`` in ``REACTION_WINDOW_SECONDS`` a player (op 3 ``too_many_reactions``
   beyond); ``reactions`` in the state (the opponent declared 4 too, so sees them).
"""

METADATA_PROTOCOL = "protocol"  # the key of the client's declaration in match_join metadata

_COMPACT = (",", ":")


def _dumps(obj: Any) -> bytes:
    return fastjson.dumps(obj)  # json.dumps(obj, separators=_COMPACT, ensure_ascii=False), the same bytes


# Declarations -----------------------------------------------------------------


@dataclass(frozen=True)
class MatchLabel:
    """What a match's label says: our protocol revision (0: plain XOXO), whether a seat is free, the game number,
    and whether its games are rated (revision 3: two players the matchmaker paired without a friend code)."""

    protocol: int = 0
    open: bool = False
    game: int = 0
    rated: bool = False

    @property
    def extended(self) -> bool:
        """The server speaks our extensions: refusals (op 3), rematch requests (op 4), op 5, seats held."""
        return self.protocol >= 1

    @property
    def claims(self) -> bool:
        """The server takes claims against an absent opponent (op 6) and may send rating changes (op 7)."""
        return self.protocol >= 3

    @property
    def reactions(self) -> bool:
        """The server relays quick reactions (op 8) between players who declared revision 4."""
        return self.protocol >= 4

    def encode(self) -> str:
        obj = {"protocol": self.protocol, "open": int(self.open), "game": self.game, "rated": int(self.rated)}
        return json.dumps(obj, separators=_COMPACT)

    @classmethod
    def decode(cls, text: str) -> MatchLabel:
        """The label ``text`` as sent; anything without a whole ``protocol`` >= 1 is plain XOXO (revision 0)."""
        try:
            obj = json.loads(text) if text else None
        except (ValueError, RecursionError):
            obj = None
        if not isinstance(obj, dict):
            return cls()
        protocol = _whole(obj.get("protocol"))
        if protocol is None or protocol < 1:
            return cls()
        return cls(
            protocol=protocol,
            open=bool(_whole(obj.get("open"))),
            game=max(0, _whole(obj.get("game")) or 0),
            rated=bool(_whole(obj.get("rated"))),
        )


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def join_metadata() -> dict[str, str]:
    """The ``match_join`` metadata our client sends: the protocol revision it speaks."""
    return {METADATA_PROTOCOL: str(PROTOCOL)}


def declared_protocol(metadata: Mapping[str, Any] | None) -> int:
    """The revision a joining client declared in its metadata; 0 for none (a stock XOXO client)."""
    if not metadata:
        return 0
    value = metadata.get(METADATA_PROTOCOL)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 6:
        return int(value)
    return 0


# Presences --------------------------------------------------------------------


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

    @cached_property
    def full_json(self) -> str:
        """``to_json(full=True)`` as JSON text, written once per presence (every op 2 carries both players')."""
        return _dumps(self.to_json(full=True)).decode()

    @classmethod
    def from_json(cls, obj: Any) -> Presence:
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


# Errors -------------------------------------------------------------------------


class PayloadError(ValueError):
    """A match payload that is not what its op code promises."""


class PlainTextPayload(PayloadError):
    """An op 2 payload that is plain text, not JSON: a message from the server to show as is."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


def _loads(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except RecursionError:  # "[[[[..." nested deep
        raise PayloadError(f"{what} is nested too deep to read") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"{what} is not JSON") from exc


# Op 1: moves -----------------------------------------------------------------------

_MOVE_SHAPE = 'a move must be JSON like {"row": 1, "col": 3}'
MAX_MOVE_BYTES = 128  # a move is a tiny object; anything longer is not one


def encode_move(row: int, col: int) -> bytes:
    return _dumps({"row": row, "col": col})


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


NOT_A_COORDINATE = 0
"""What ``decode_move`` reads a row or column as when it is not a whole number (``true``, ``"1"``, 1.5, a list):
no board has it, so the rules refuse the move as out of bounds, as they refuse a 4 (the reader of
``nakama/`` says ``false``)."""


def decode_move(data: bytes) -> tuple[int, int]:
    """(row, col) as sent: whole numbers, a whole-number float read as the whole number (JSON does not tell
    1.0 from 1), anything else as ``NOT_A_COORDINATE``.

    The rules check the range. Raises PayloadError unless ``data`` is UTF-8 JSON as
    Python's ``json`` reads it (a repeated key: the last one counts), without NaN or
    Infinity, of at most ``MAX_MOVE_BYTES``, holding an object with ``row`` and ``col``.
    The handler of ``nakama/`` reads moves exactly the same way.
    """
    known = _WRITTEN_MOVES.get(data) if type(data) is bytes else None
    if known is not None:
        return known
    obj = _strict_json(data, _MOVE_SHAPE)
    if not isinstance(obj, dict) or "row" not in obj or "col" not in obj:
        raise PayloadError(_MOVE_SHAPE)
    return _coordinate(obj["row"]), _coordinate(obj["col"])


_STRICT = json.JSONDecoder(parse_constant=_no_constant)  # json.loads(text, parse_constant=...) without a decoder a call


def _strict_json(data: bytes, shape: str) -> object:
    """What a client payload of at most ``MAX_MOVE_BYTES`` holds, read as strict JSON (``decode_move``'s rules);
    PayloadError(shape) for anything else."""
    if len(data) > MAX_MOVE_BYTES:
        raise PayloadError(shape)
    try:
        return _STRICT.decode(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise PayloadError(shape) from None


# The moves our client (and nakama-js's examples) write, read once: a move from a player is almost always one of these.
_WRITTEN_MOVES: dict[bytes, tuple[int, int]] = {
    encode_move(r, c): (r, c) for r in range(1, 4) for c in range(1, 4)
}


def _coordinate(value: object) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    whole = _whole(value)
    return NOT_A_COORDINATE if whole is None else whole


# Op 3: refusals ---------------------------------------------------------------------


def encode_rejected(reason: Refusal, message: str) -> bytes:
    return _dumps({"reason": reason.value, "message": message})


def decode_rejected(data: bytes) -> tuple[Refusal, str]:
    """(reason, message); a payload that cannot be read is an unknown refusal with its text as the message."""
    try:
        obj = _loads(data, "a refusal")
    except PayloadError:
        obj = None
    if not isinstance(obj, dict):
        return Refusal.OTHER, data.decode("utf-8", "replace")[:200]
    message = obj.get("message")
    return Refusal.parse(obj.get("reason")), message[:300] if isinstance(message, str) else ""


# Op 6: claims ---------------------------------------------------------------------------


class Claim(enum.StrEnum):
    """What a player claims against an opponent away for more than half their seat hold."""

    WIN = "win"
    DRAW = "draw"


_CLAIM_SHAPE = 'a claim must be JSON like {"claim": "win"} or {"claim": "draw"}'


def encode_claim(claim: Claim) -> bytes:
    return _dumps({"claim": claim.value})


def decode_claim(data: bytes) -> Claim:
    """The claim as sent; PayloadError unless ``data`` is strict JSON as for a move (``decode_move``), at most
    ``MAX_MOVE_BYTES``, holding an object whose ``claim`` is the string ``"win"`` or ``"draw"``."""
    obj = _strict_json(data, _CLAIM_SHAPE)
    word = obj.get("claim") if isinstance(obj, dict) else None
    if word == Claim.WIN.value:
        return Claim.WIN
    if word == Claim.DRAW.value:
        return Claim.DRAW
    raise PayloadError(_CLAIM_SHAPE)


# Op 8: quick reactions (revision 4) ------------------------------------------------------


class Reaction(enum.StrEnum):
    """One of the six fixed phrases a player may send the opponent (ids on the wire; each client words them)."""

    HELLO = "hello"
    GOOD_GAME = "good_game"
    WELL_PLAYED = "well_played"
    OOPS = "oops"
    THINKING = "thinking"
    REMATCH = "rematch"


REACTION_LIMIT = 3  # reactions a player may send ...
REACTION_WINDOW_SECONDS = 10.0  # ... within any this many seconds; more are refused (op 3 too_many_reactions)

_REACTION_SHAPE = 'a reaction must be JSON like {"reaction": "good_game"}, with one of the six reaction ids'


@dataclass(frozen=True)
class RelayedReaction:
    """A reaction as the server relays it: which, and who sent it."""

    reaction: Reaction
    user_id: str = ""
    username: str = ""


def encode_reaction(reaction: Reaction) -> bytes:
    """Op 8 from a client: ``{"reaction": ID}``."""
    return _dumps({"reaction": reaction.value})


def decode_reaction(data: bytes) -> Reaction:
    """The reaction a client sent; PayloadError unless ``data`` is strict JSON as for a move (``decode_move``),
    at most ``MAX_MOVE_BYTES``, holding an object whose ``reaction`` is one of the ids of ``Reaction``."""
    obj = _strict_json(data, _REACTION_SHAPE)
    word = obj.get("reaction") if isinstance(obj, dict) else None
    if not isinstance(word, str):
        raise PayloadError(_REACTION_SHAPE)
    try:
        return Reaction(word)
    except ValueError:
        raise PayloadError(_REACTION_SHAPE) from None


def encode_relayed_reaction(reaction: Reaction, sender: Presence) -> bytes:
    """Op 8 from the server to the opponent: ``{"reaction": ID, "user_id", "username"}`` of the sender."""
    return _dumps({"reaction": reaction.value, "user_id": sender.user_id, "username": sender.username})


def decode_relayed_reaction(data: bytes) -> RelayedReaction:
    """A relayed reaction; PayloadError if it is not JSON or its id is not one this game knows."""
    obj = _loads(data, "a reaction")
    word = obj.get("reaction") if isinstance(obj, dict) else None
    try:
        reaction = Reaction(word) if isinstance(word, str) else None
    except ValueError:
        reaction = None
    if reaction is None or not isinstance(obj, dict):
        raise PayloadError("a reaction this game does not know")
    user_id, username = obj.get("user_id"), obj.get("username")
    return RelayedReaction(reaction, user_id if isinstance(user_id, str) else "",
                           username[:64] if isinstance(username, str) else "")


# Op 5: the opponent is gone -----------------------------------------------------------


class GoneReason(enum.StrEnum):
    """Why a match is over for the players left (op 5's ``reason``)."""

    LEFT = "left"  # the player left on purpose
    DISCONNECTED = "disconnected"  # dropped and did not come back within the grace period
    TIMED_OUT = "timed_out"  # let two turns in a row run out, so was taken out of the match
    NO_REMATCH = "no_rematch"  # the time to ask for the next game ran out without both asking
    NO_SHOW = "no_show"  # a matched player never joined
    ABORTED = "aborted"  # aborted a second game in a row by never moving: treated as having left (revision 3)
    DECLINED = "declined"  # left after a game instead of playing the next one (revision 3, rematch_mode "open")
    IDLE = "idle"  # nobody started the next game for the server's idle limit (revision 3; names nobody)


@dataclass(frozen=True)
class Gone:
    """Op 5: who the match is over because of (their user id and name), and why."""

    reason: GoneReason
    user_id: str = ""
    username: str = ""


def _gone_json(gone: Gone) -> dict[str, str]:
    return {"user_id": gone.user_id, "username": gone.username, "reason": gone.reason.value}


def encode_gone(gone: Gone) -> bytes:
    return _dumps(_gone_json(gone))


def decode_gone(data: bytes) -> Gone:
    """Op 5 as sent; unreadable parts read as "the opponent left" without a name."""
    try:
        obj = _loads(data, "op 5")
    except PayloadError:
        obj = None
    return _gone_from(obj)


def _gone_from(obj: Any) -> Gone:
    if not isinstance(obj, dict):
        return Gone(GoneReason.LEFT)
    word = obj.get("reason")
    try:
        reason = GoneReason(word) if isinstance(word, str) else GoneReason.LEFT
    except ValueError:
        reason = GoneReason.LEFT
    user_id, username = obj.get("user_id"), obj.get("username")
    return Gone(
        reason,
        user_id if isinstance(user_id, str) else "",
        username[:64] if isinstance(username, str) else "",
    )


# Op 7: the rating change --------------------------------------------------------------


@dataclass(frozen=True)
class PlayerRating:
    """One player's line of op 7: who, and their standing before and after the game (``after`` holds the record)."""

    user_id: str
    username: str
    before: Standing
    after: Standing

    @property
    def change(self) -> RatingChange:
        return RatingChange(self.before.rating, self.after.rating)

    @property
    def delta(self) -> int:
        """The change as shown: ``after.shown - before.shown``."""
        return self.change.delta

    @property
    def text(self) -> str:
        """``+8``, ``\u22127`` or ``\u00b10``."""
        return self.change.text

    @property
    def provisional(self) -> bool:
        """Still provisional after the game (deviation above 110)."""
        return self.after.rating.provisional

    def to_json(self) -> dict[str, Any]:
        def rating(r: Rating) -> dict[str, float]:
            return {"rating": r.rating, "deviation": r.deviation, "volatility": r.volatility}

        return {
            "user_id": self.user_id,
            "username": self.username,
            "before": rating(self.before.rating),
            "after": rating(self.after.rating),
            "shown_before": self.before.rating.shown,
            "shown_after": self.after.rating.shown,
            "delta": self.delta,
            "provisional": self.provisional,
            "wins": self.after.wins,
            "losses": self.after.losses,
            "draws": self.after.draws,
        }


@dataclass(frozen=True)
class RatingNews:
    """Op 7: both players' rating change after game ``game`` (``players[0]`` is player 1)."""

    game: int
    players: tuple[PlayerRating, PlayerRating]

    def of(self, user_id: str) -> PlayerRating | None:
        return next((p for p in self.players if p.user_id == user_id), None)

    def opponent_of(self, user_id: str) -> PlayerRating | None:
        return next((p for p in self.players if p.user_id != user_id), None)


def encode_rating_news(news: RatingNews) -> bytes:
    """Op 7 as the host and the module both write it: sorted keys, whole numbers as integers (same bytes on both).

    That is ``canonical_json({"game": news.game, "players": [p.to_json() for p in news.players]})``, written
    here key by key in sorted order (once a game on the host, where the generic walk cost as much as the rating).
    """
    players = ",".join(_player_rating_text(p) for p in news.players)
    return f'{{"game":{_canonical(news.game)},"players":[{players}]}}'.encode()


def _player_rating_text(p: PlayerRating) -> str:
    """``p.to_json()`` as ``canonical_json`` writes it: its keys in sorted order."""
    before, after = p.before.rating, p.after.rating
    shown_before, shown_after = before.shown, after.shown
    record = p.after
    return (
        f'{{"after":{_rating_text(after)},"before":{_rating_text(before)},"delta":{_canonical(shown_after - shown_before)},'
        f'"draws":{_canonical(record.draws)},"losses":{_canonical(record.losses)},'
        f'"provisional":{"true" if after.provisional else "false"},"shown_after":{_canonical(shown_after)},'
        f'"shown_before":{_canonical(shown_before)},"user_id":{encode_basestring(p.user_id)},'
        f'"username":{encode_basestring(p.username)},"wins":{_canonical(record.wins)}}}'
    )


def _rating_text(r: Rating) -> str:
    return f'{{"deviation":{_canonical(r.deviation)},"rating":{_canonical(r.rating)},"volatility":{_canonical(r.volatility)}}}'


def _canonical(value: Any) -> str:
    """A number or bool as ``canonical_json`` writes it (a whole float as an integer, json's text otherwise)."""
    kind = type(value)
    if kind is float:  # json_number's rule, inline: a whole float below 2**53 is written as an integer
        if value.is_integer() and abs(value) < SAFE_INTEGER:
            return int.__repr__(int(value))
        if math.isfinite(value):
            return float.__repr__(value)
    elif kind is int:
        return int.__repr__(value)
    elif kind is bool:
        return "true" if value else "false"
    return json.dumps(json_number(value))


def decode_rating_news(data: bytes) -> RatingNews:
    """Op 7 as sent; PayloadError if it is not two players' ratings before and after a game."""
    obj = _loads(data, "op 7")
    players = obj.get("players") if isinstance(obj, dict) else None
    if not isinstance(players, list) or len(players) != 2:
        raise PayloadError("op 7 must name two players")
    read = [_player_rating(p) for p in players]
    game = _whole(obj.get("game"))
    return RatingNews(game if game is not None and game > 0 else 0, (read[0], read[1]))


def _player_rating(obj: Any) -> PlayerRating:
    if not isinstance(obj, dict):
        raise PayloadError("op 7: a player must be an object")
    user_id, username = obj.get("user_id"), obj.get("username")
    before, after = obj.get("before"), obj.get("after")
    if not (isinstance(user_id, str) and isinstance(username, str) and isinstance(before, dict) and isinstance(after, dict)):
        raise PayloadError("op 7: a player needs user_id, username, before and after")
    try:
        old = Rating(float(before["rating"]), float(before["deviation"]), float(before["volatility"]))
        new = Rating(float(after["rating"]), float(after["deviation"]), float(after["volatility"]))
    except (KeyError, TypeError, ValueError):  # RatingError is a ValueError
        raise PayloadError("op 7: a rating needs a finite rating, a positive deviation and volatility") from None
    record = Standing.from_metadata({"wins": obj.get("wins"), "losses": obj.get("losses"), "draws": obj.get("draws")})
    return PlayerRating(user_id, username[:64], Standing(old), replace(record, rating=new))


# Op 2: the state ---------------------------------------------------------------------


class RematchMode(enum.StrEnum):
    """What happens when the countdown after a game runs out."""

    AUTO = "auto"  # the next game starts (XOXO's behaviour; any player may also ask earlier, op 4)
    CONSENT = "consent"  # the match ends unless both players asked (two declared clients, revision 2)
    OPEN = "open"  # no countdown: the offer stays until a player leaves, or the match is idle too long (revision 3)


@dataclass(frozen=True)
class ShownRating:
    """A rating as op 2 shows it beside a player's name: the rounded rating, and whether it is still provisional."""

    shown: int
    provisional: bool = True

    @property
    def label(self) -> str:
        """``1508?`` while provisional, ``1623`` after (``game.rating.Rating.label``)."""
        return f"{self.shown}?" if self.provisional else str(self.shown)

    @cached_property
    def json_text(self) -> str:
        """This rating as an item of op 2's ``state.ratings``, as JSON text (written once: a game's states all show it)."""
        return f'{{"shown":{_scalar(self.shown)},"provisional":{_scalar(self.provisional)}}}'


@dataclass(frozen=True)
class AwayClock:
    """An absent opponent's seat hold as op 2 shows it: seconds left, the whole hold, seconds until a claim."""

    seconds_left: float
    seconds: float
    claim_seconds_left: float

    @property
    def claimable(self) -> bool:
        return self.claim_seconds_left <= 0


def encode_state(
    board: Board,
    players: tuple[Presence | None, Presence | None],
    you: int,
    *,
    game: int = 1,
    rematch_countdown: int | None = None,
    rematch_asked: tuple[bool, bool] = (False, False),
    rematch_mode: RematchMode = RematchMode.AUTO,
    turn_seconds_left: float | None = None,
    turn_seconds: float | None = None,
    opponent_connected: bool = True,
    ratings: tuple[ShownRating, ShownRating] | None = None,
    away: AwayClock | None = None,
    aborted_by: int = 0,
    match_over: Gone | None = None,
    reactions: bool = False,
) -> bytes:
    """The op 2 payload for player ``you`` (1 or 2).

    XOXO fields: ``state`` (cells, players, player_turn, winner, draw, rematch_countdown),
    ``active_player``, ``other_player``, ``your_turn``. Ours, ignored by stock clients:
    ``state.game`` (1, 2, ... within the match), ``state.opponent_connected``; once a game
    is over ``state.reason`` (a Termination value), ``state.line`` (the winning cells),
    ``state.rematch_asked`` (who asked for the next game, by player index - 1) and
    ``state.rematch_mode``; while it runs ``state.turn_seconds_left`` and
    ``state.turn_seconds``; and ``you`` (the receiver's player index). Revision 3, for
    declared clients: ``state.ratings`` (both players' ratings at the start of a rated
    game), while the opponent is away in a game ``state.opponent_away_seconds_left``,
    ``state.opponent_away_seconds`` and ``state.claim_seconds_left``; after an aborted game
    ``state.aborted_by``; and in the last state of a match that ended after a game,
    ``state.match_over`` (who ended it and why, as op 5 says). Revision 4: ``state.reactions``
    (true: both players declared 4, so the opponent sees quick reactions, op 8).
    """
    text = StateText(board, players, game=game, rematch_countdown=rematch_countdown, rematch_asked=rematch_asked,
                     rematch_mode=rematch_mode, turn_seconds_left=turn_seconds_left, turn_seconds=turn_seconds,
                     aborted_by=aborted_by)
    return text.payload(you, opponent_connected=opponent_connected, ratings=ratings, away=away, match_over=match_over,
                        reactions=reactions)


class StateText:
    """Op 2 for one position, written once and finished for each recipient (``encode_state`` in two steps).

    The match handler sends the same position to both players after every move; all
    but a few fields are the same for both, so they are written once here and each
    ``payload`` only adds the recipient's own (``you``, ``your_turn``, whether the
    opponent is connected, and what only a declared client is shown). The text is
    written piece by piece rather than by dumping a dict: the bytes are exactly
    ``fastjson.dumps`` of the payload ``encode_state`` documents, in the same key order
    (the golden transcript in tests/game and a test against that dict pin it), at a
    fraction of the cost (BENCHMARKS.md, issue 24).
    """

    __slots__ = ("_gone", "_gone_text", "_head", "_over", "_ratings", "_ratings_text", "_shared", "_tail", "_to_move")

    def __init__(
        self,
        board: Board,
        players: tuple[Presence | None, Presence | None],
        *,
        game: int = 1,
        rematch_countdown: int | None = None,
        rematch_asked: tuple[bool, bool] = (False, False),
        rematch_mode: RematchMode = RematchMode.AUTO,
        turn_seconds_left: float | None = None,
        turn_seconds: float | None = None,
        aborted_by: int = 0,
    ):
        one, two = players
        first = one.full_json if one is not None else "null"
        second = two.full_json if two is not None else "null"
        to_move = board.to_move
        out = board.outcome
        if out is None:
            result = '"winner":false,"draw":false'
            self._shared = "" if turn_seconds_left is None else (
                f',"turn_seconds_left":{_scalar(round(max(0.0, turn_seconds_left), 2))},"turn_seconds":{_scalar(turn_seconds)}')
        else:
            draw = "true" if out.winner is None and out.termination.counts else "false"
            result = f'"winner":{"false" if out.winner is None else _scalar(out.winner)},"draw":{draw}'
            self._shared = _over_text(out, rematch_countdown, rematch_asked, rematch_mode, aborted_by)
        self._head = (f'{{"state":{{"cells":{_cells_text(board.cells)},"players":[{first},{second}],'
                      f'"player_turn":{_scalar(to_move)},{result},"game":{_scalar(game)},"opponent_connected":')
        full = (first, second)
        self._tail = f'}},"active_player":{full[to_move - 1]},"other_player":{full[2 - to_move]},"your_turn":'
        self._over = out is not None
        self._to_move = to_move
        self._ratings: tuple[ShownRating, ShownRating] | None = None  # the last ratings written, and their text
        self._ratings_text = ""
        self._gone: Gone | None = None  # the last match_over written, and its text
        self._gone_text = ""

    def payload(
        self,
        you: int,
        *,
        opponent_connected: bool = True,
        ratings: tuple[ShownRating, ShownRating] | None = None,
        away: AwayClock | None = None,
        match_over: Gone | None = None,
        reactions: bool = False,
    ) -> bytes:
        """The whole op 2 payload for player ``you``, with what this recipient alone is shown."""
        own = ""  # the fields of a declared client: who ended the match, or the absent opponent's hold
        if self._over:
            if match_over is not None:
                own = self._match_over(match_over)
        elif away is not None:
            own = (
                f',"opponent_away_seconds_left":{_scalar(round(max(0.0, away.seconds_left), 2))},'
                f'"opponent_away_seconds":{_scalar(away.seconds)},'
                f'"claim_seconds_left":{_scalar(round(max(0.0, away.claim_seconds_left), 2))}'
            )
        connected = "true" if opponent_connected is True else _scalar(opponent_connected)
        seen = _REACTIONS_SEEN if reactions else ""
        shown = self._ratings_of(ratings) if ratings is not None else ""
        your_turn = "true" if not self._over and self._to_move == you else "false"
        return (f"{self._head}{connected}{self._shared}{own}{seen}{shown}"
                f'{self._tail}{your_turn},"you":{_scalar(you)}}}').encode()

    def _match_over(self, gone: Gone) -> str:
        if gone is not self._gone:
            self._gone, self._gone_text = gone, f',"match_over":{_dumps(_gone_json(gone)).decode()}'
        return self._gone_text

    def _ratings_of(self, ratings: tuple[ShownRating, ShownRating]) -> str:
        if ratings is not self._ratings:
            self._ratings, self._ratings_text = ratings, f',"ratings":[{ratings[0].json_text},{ratings[1].json_text}]'
        return self._ratings_text


def _over_text(out: Outcome, countdown: int | None, asked: tuple[bool, bool], mode: RematchMode, aborted_by: int) -> str:
    """The fields of a finished game's state that every recipient gets (match_over comes after them)."""
    parts = [f',"reason":{_TERMINATIONS[out.termination]}']
    if out.line is not None:
        parts.append(f',"line":[{",".join(f"[{_scalar(r)},{_scalar(c)}]" for r, c in out.line)}]')
    if countdown is not None:
        parts.append(f',"rematch_countdown":{_scalar(countdown)}')
    parts.append(f',"rematch_asked":[{",".join(_scalar(a) for a in asked)}],"rematch_mode":{_REMATCH_MODES[mode]}')
    if aborted_by:
        parts.append(f',"aborted_by":{_scalar(aborted_by)}')
    return "".join(parts)


_REACTIONS_SEEN = ',"reactions":true'
_TERMINATIONS = {t: json.dumps(t.value) for t in Termination}
_REMATCH_MODES = {m: json.dumps(m.value) for m in RematchMode}
_CELLS: dict[tuple[int, ...], str] = {}  # cells -> their rows as JSON; at most 3**9 positions of -1, 1 and 2


def _cells_text(cells: tuple[int, ...]) -> str:
    text = _CELLS.get(cells)
    if text is None:
        text = _dumps([list(cells[r * 3 : r * 3 + 3]) for r in range(3)]).decode()
        if len(_CELLS) < 3**9 and all(type(c) is int and c in (EMPTY, 1, 2) for c in cells):
            _CELLS[cells] = text
    return text


def _scalar(value: Any) -> str:
    """A bool or a number as ``fastjson.dumps`` writes it inside a payload (``json.dumps``'s text)."""
    kind = type(value)
    if kind is int:
        return int.__repr__(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is float and math.isfinite(value):
        return float.__repr__(value)  # json's text for a float; fastjson writes json's text, whatever orjson would
    return _dumps([value])[1:-1].decode()  # anything else (a float that is not finite, a subclass) as fastjson writes it


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
    rematch_asked: tuple[bool, bool] = (False, False)
    rematch_mode: RematchMode = RematchMode.AUTO
    turn_seconds_left: float | None = None
    turn_seconds: float | None = None
    opponent_connected: bool = True
    ratings: tuple[ShownRating | None, ShownRating | None] = (None, None)
    away: AwayClock | None = None  # the opponent's seat hold while they are away in a game (revision 3)
    aborted_by: int = 0  # the player whose first move never came, after an aborted game
    match_over: Gone | None = None  # in the last state of a match that ended after a game: who ended it, why
    reactions: bool = False  # revision 4: the opponent sees quick reactions (op 8)

    @property
    def result(self) -> Result | None:
        """Our result once the game is over (a draw even if the state did not name us), else None.

        An aborted game has no result: None as well (``termination`` says ``ABORTED``).
        """
        out = self.board.outcome
        if out is None or not out.termination.counts or (self.you == 0 and out.winner is not None):
            return None
        return out.result_for(self.you)

    def rating_of(self, index: int) -> ShownRating | None:
        """Player ``index``'s rating as the state shows it (None: not a rated match, or not said)."""
        return self.ratings[index - 1] if index in (1, 2) else None

    @property
    def termination(self) -> Termination | None:
        return self.board.outcome.termination if self.board.outcome else None

    @property
    def opponent(self) -> int:
        """The opponent's player index (0 if the state did not name us)."""
        return 3 - self.you if self.you in (1, 2) else 0

    def name_of(self, index: int) -> str:
        p = self.players[index - 1] if index in (1, 2) else None
        return p.username if p is not None else "?"

    def asked_rematch(self, index: int) -> bool:
        """True if player ``index`` asked for the next game (always False before a game ends)."""
        return index in (1, 2) and self.rematch_asked[index - 1]


def decode_state(data: bytes, my_user_id: str = "", my_session_id: str = "") -> MatchView:
    """Decode an op 2 payload. Raises PlainTextPayload for plain text, PayloadError for anything else.

    Our index comes from ``you`` when the state carries it, else from finding our user id
    (or session id) among ``state.players`` (the stock server sends no ``you``).
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
    unreachable = _unreachable(board)
    if unreachable:
        raise PayloadError(f"no game reaches that board: {unreachable}")
    while len(plist) < 2:
        plist.append(None)
    players = (plist[0], plist[1])
    you = _whole(obj.get("you"))
    if you not in (1, 2):
        you = 0
        for i, p in enumerate(players, start=1):
            if p is not None and ((my_session_id and p.session_id == my_session_id) or (my_user_id and p.user_id == my_user_id)):
                you = i
                break
    over = board.is_over
    countdown = _number(state, "rematch_countdown")
    return MatchView(
        board=board,
        you=you,
        players=players,
        your_turn=obj.get("your_turn") is True,
        game=int(_number(state, "game") or 1),
        line=board.outcome.line if board.outcome is not None else None,
        rematch_countdown=int(countdown) if countdown is not None and over else None,
        rematch_asked=_flags(state.get("rematch_asked")) if over else (False, False),
        rematch_mode=_rematch_mode(state.get("rematch_mode")),
        turn_seconds_left=_number(state, "turn_seconds_left"),
        turn_seconds=_number(state, "turn_seconds"),
        opponent_connected=state.get("opponent_connected", True) is not False,
        ratings=_ratings(state.get("ratings")),
        away=_away(state) if not over else None,
        aborted_by=_player(state.get("aborted_by")) if over else 0,
        match_over=_gone_from(state["match_over"]) if over and isinstance(state.get("match_over"), dict) else None,
        reactions=state.get("reactions") is True,
    )


def _player(value: Any) -> int:
    whole = _whole(value)
    return whole if whole in PLAYERS else 0


def _ratings(value: Any) -> tuple[ShownRating | None, ShownRating | None]:
    if not isinstance(value, list) or len(value) != 2:
        return (None, None)
    out: list[ShownRating | None] = []
    for item in value:
        if not isinstance(item, dict):
            out.append(None)
            continue
        shown = item.get("shown")
        if isinstance(shown, float) and shown.is_integer():
            shown = int(shown)
        whole = _whole(shown)
        out.append(ShownRating(whole, item.get("provisional") is not False) if whole is not None else None)
    return (out[0], out[1])


def _away(state: Mapping[str, Any]) -> AwayClock | None:
    keys = ("opponent_away_seconds_left", "opponent_away_seconds", "claim_seconds_left")
    left, whole, claim = (_number(state, k) for k in keys)
    if left is None or whole is None or claim is None:
        return None
    return AwayClock(left, whole, claim)


def _unreachable(board: Board) -> str:
    """Why the rules cannot reach ``board`` ("" if they can): marks taken in turn, one winner who moved last.

    ``from_state`` has already refused a shape that is not three rows of three cells holding -1, 1 or 2.
    """
    cells = board.cells
    marks = {p: cells.count(p) for p in PLAYERS}
    if abs(marks[1] - marks[2]) > 1:
        return f"player 1 has {marks[1]} marks and player 2 has {marks[2]}, but players take turns"
    winners = {p for p in PLAYERS if any(all(cells[index_of(r, c)] == p for r, c in line) for line in LINES)}
    if len(winners) > 1:
        return "both players have a line"
    for p in winners:
        if marks[p] < marks[other(p)]:
            return f"player {p} has a line but the other player marked a cell after it"
    if not board.is_over and marks[1] != marks[2]:
        behind = 1 if marks[1] < marks[2] else 2
        if board.to_move != behind:
            return f"player {board.to_move} is to move with more marks than player {behind}"
    return ""


def _number(state: Mapping[str, Any], key: str) -> float | None:
    v = state.get(key)
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return None


def _flags(value: Any) -> tuple[bool, bool]:
    if isinstance(value, list) and len(value) == 2:
        return (value[0] is True, value[1] is True)
    return (False, False)


def _rematch_mode(value: Any) -> RematchMode:
    try:
        return RematchMode(value)
    except ValueError:
        return RematchMode.AUTO

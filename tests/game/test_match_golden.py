"""A golden transcript of the match handler: a fixed corpus of sessions, every output byte for byte.

Seeded random sessions drive ``XoxoMatch`` on a fake clock: joins declaring each
protocol revision (or nothing, or junk), rejoins on new sessions, strangers, legal and
illegal moves, malformed payloads, rematch requests, claims, reactions, unknown op
codes, leaves on purpose and dropped sockets, time passing (ticks when the handler said
it has something due, as the host does, and at odd moments), shutdowns; rated matches
(from standings already held, or new players) and unrated ones, every rematch mode.
Everything the handler does is written down: each ``send`` (op code, exact bytes,
recipients), each stored game (every field, the standings to the last bit), the end,
and after each step the label, the next deadline, the board, the game number, the
players and both seats' status. The transcript's SHA-256 was taken from the handler as
it was before it was made faster (issue 24): any change of behaviour changes it.
``python -m tests.game.test_match_golden`` prints the digest and the first lines.
"""

from __future__ import annotations

import hashlib
import random
import sys
from collections.abc import Sequence

from game.match import GameRecord, LeaveReason, MatchMessage, MatchSettings, XoxoMatch
from game.rating import Rating
from game.rules import EMPTY, cell_of
from game.standing import Standing
from game.xoxo import Presence

SESSIONS = 600
GOLDEN_SHA256 = "258781fad37bc498e6039e4fb45bb7a0254ae24aaf5e9f0d988cd7639bf0a1a0"
# A few lines of it, readable: the first state, rated game, op 7 and refusal of the corpus.
GOLDEN_SAMPLE = (
    (
        'send 2 [\'s-ann-1\'] b\'{"state":{"cells":[[-1,-1,-1],[-1,-1,-1],[-1,-1,-1]],"players":[{"user_id":"u-a'
        'nn","session_id":"s-ann-1","username":"ann","node":"","reason":0},{"user_id":"u-bob","session_id":"s'
        '-bob-1","username":"bob","node":"","reason":0}],"player_turn":1,"winner":false,"draw":false,"game":1'
        ',"opponent_connected":true,"turn_seconds_left":30.0,"turn_seconds":30.0,"ratings":[{"shown":1500,"pr'
        'ovisional":true},{"shown":1500,"provisional":true}]},"active_player":{"user_id":"u-ann","session_id"'
        ':"s-ann-1","username":"ann","node":"","reason":0},"other_player":{"user_id":"u-bob","session_id":"s-'
        'bob-1","username":"bob","node":"","reason":0},"your_turn":true,"you":1}\''
    ),
    (
        "record m0 | 1 | [('u-ann', 's-ann-1', 'ann', ''), ('u-bob', 's-bob-1', 'bob', '')] | 1 | ((1, 3, 1),"
        ') | 2 | opponent_left | None | 1000000500.0 | 1000000502.5 | rated=True | {"aborts_in_a_row":0,"devi'
        'ation":350,"draws":0,"last_game":"","losses":0,"rating":1500,"volatility":0.06,"wins":0} 1500.0/350.'
        '0/0.06 | {"aborts_in_a_row":0,"deviation":350,"draws":0,"last_game":"","losses":0,"rating":1500,"vol'
        'atility":0.06,"wins":0} 1500.0/350.0/0.06 | {"aborts_in_a_row":0,"deviation":290.31896371798047,"dra'
        'ws":0,"last_game":"m0/1","losses":1,"rating":1337.6891060937023,"volatility":0.05999967537233814,"wi'
        'ns":0} 1337.6891060937023/290.31896371798047/0.05999967537233814 | {"aborts_in_a_row":0,"deviation":'
        '290.31896371798047,"draws":0,"last_game":"m0/1","losses":0,"rating":1662.3108939062977,"volatility":'
        '0.05999967537233814,"wins":1} 1662.3108939062977/290.31896371798047/0.05999967537233814'
    ),
    (
        'send 7 [\'s-ann-1\'] b\'{"game":1,"players":[{"after":{"deviation":79.78413925562033,"rating":1633.9549'
        '371157514,"volatility":0.059798966239276864},"before":{"deviation":80.5,"rating":1623.4,"volatility"'
        ':0.0598},"delta":11,"draws":5,"losses":3,"provisional":false,"shown_after":1634,"shown_before":1623,'
        '"user_id":"u-ann","username":"ann","wins":13},{"after":{"deviation":177.62414523646748,"rating":1431'
        '.7442707661532,"volatility":0.060998564001276824},"before":{"deviation":200,"rating":1488,"volatilit'
        'y":0.061},"delta":-56,"draws":0,"losses":3,"provisional":true,"shown_after":1432,"shown_before":1488'
        ',"user_id":"u-bob","username":"bob","wins":1}]}\''
    ),
    (
        'send 3 [\'s-bob-1\'] b\'{"reason":"unknown_op","message":"that op code means nothing here"}\''
    ),
)

NAMES = ("ann", "bob", "eve")
DECLARATIONS: list[dict[str, str] | None] = [
    None, {}, {"protocol": "1"}, {"protocol": "2"}, {"protocol": "3"}, {"protocol": "4"}, {"protocol": "4"},
    {"protocol": "4"}, {"protocol": "3"}, {"protocol": "x"}, {"protocol": "003"}, {"protocol": "9999999"},
]
SEEDS = {"u-ann": Standing(Rating(1623.4, 80.5, 0.0598), 12, 3, 5, 1, "old/7"),
         "u-bob": Standing(Rating(1488.0, 200.0, 0.061), 1, 2, 0, 0, "old/3")}
BAD_MOVES = [
    b"", b"{", b"[]", b"null", b'{"row":1}', b'{"row":true,"col":1}', b'{"row":"1","col":2}', b'{"row":4,"col":1}',
    b'{"row":0,"col":3}', b'{"row":NaN,"col":1}', b"\xff\xfe", b'{"row":1.5,"col":2}', b" " * 140,
    b'{"row":[2],"col":2}', b'{"row":2,"col":2,"row":9}', b'{"row":-1,"col":2}', b'{"row":1e400,"col":1}',
]
CLAIMS = [b'{"claim":"win"}', b'{"claim":"draw"}', b'{"claim":"lose"}', b"{}", b"x", b'{"claim": "win"}']
REACTIONS = [b'{"reaction":"good_game"}', b'{"reaction":"hello"}', b'{"reaction":"boo"}', b"[]", b'{"reaction":1}']
REMATCHES = [b"{}", b"", b"junk"]


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


class Transcript:
    """The Dispatcher and the Ledger: every call written down as a line; standings recorded are read next."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.standings: dict[str, Standing] = dict(SEEDS)
        self.ended = False

    def standing(self, user_id: str) -> Standing:
        self.lines.append(f"ledger {user_id}")
        return self.standings.get(user_id, Standing())

    def send(self, op_code: int, data: bytes, to: Sequence[Presence] | None = None) -> None:
        whom = None if to is None else [p.session_id for p in to]
        self.lines.append(f"send {op_code} {whom} {data!r}")

    def record(self, record: GameRecord) -> None:
        self.lines.append(describe_record(record))
        if record.standings is not None:
            for p, after in zip(record.players, record.standings.after, strict=True):
                self.standings[p.user_id] = after

    def end(self) -> None:
        self.ended = True
        self.lines.append("end")


def standing_text(s: Standing) -> str:
    r = s.rating
    return f"{s.metadata_json()} {r.rating!r}/{r.deviation!r}/{r.volatility!r}"


def describe_record(rec: GameRecord) -> str:
    fields = [
        rec.match_id, str(rec.game), repr([(p.user_id, p.session_id, p.username, p.node) for p in rec.players]),
        str(rec.first), repr(rec.moves), repr(rec.winner), rec.termination.value, repr(rec.line),
        repr(rec.started_at), repr(rec.ended_at),
    ]
    change = rec.standings
    if change is not None:
        fields.append(f"rated={change.rated}")
        fields += [standing_text(s) for s in (*change.before, *change.after)]
    return "record " + " | ".join(fields)


def random_settings(rng: random.Random) -> tuple[MatchSettings, bool]:
    expected = (Presence("u-ann", "s-ann-1", "ann"), Presence("u-bob", "s-bob-1", "bob")) if rng.random() < 0.5 else None
    settings = MatchSettings(
        turn_seconds=rng.choice([0.0, 0.5, 2.0, 30.0, 30.0]),
        grace_seconds=rng.choice([0.0, 1.0, 20.0]),
        rematch_seconds=rng.choice([None, 0, 1, 10]),
        expected=expected,
        join_timeout_seconds=rng.choice([0.3, 4.0, 30.0]),
        rated=rng.random() < 0.6,
        idle_seconds=rng.choice([None, 0.5, 3.0]),
    )
    return settings, rng.random() < 0.5


class Session:
    """One seeded session: its match, its clock, and each user's current session id."""

    def __init__(self, number: int, rng: random.Random):
        self.rng = rng
        self.clock = Clock()
        self.out = Transcript()
        settings, seeded = random_settings(rng)
        if not seeded:
            self.out.standings = {}
        self.out.lines.append(f"session {number} {settings!r} seeded={seeded}")
        self.match = XoxoMatch(f"m{number}", self.out, settings, clock=self.clock, wall_clock=lambda: self.clock.now + 1e9,
                               ledger=self.out)
        self.sessions = {name: 1 for name in NAMES}

    def presence(self, name: str) -> Presence:
        return Presence(f"u-{name}", f"s-{name}-{self.sessions[name]}", name)

    def message(self, name: str, op_code: int, data: bytes) -> None:
        self.match.handle(MatchMessage(self.presence(name), op_code, data))

    def to_move(self) -> str:
        board = self.match.board
        seat = self.match.players[board.to_move - 1] if board is not None and not board.is_over else None
        return seat.username if seat is not None else self.rng.choice(NAMES[:2])

    # Steps ---------------------------------------------------------------------------

    def join(self) -> None:
        rng = self.rng
        name = rng.choice(NAMES)
        if rng.random() < 0.4:
            self.sessions[name] += 1
        p = self.presence(name)
        reason = self.match.join_attempt(p, rng.choice(DECLARATIONS))
        self.out.lines.append(f"join_attempt {p.session_id} -> {reason!r}")
        if reason is None:
            self.match.join(p)

    def leave(self) -> None:
        name = self.rng.choice(NAMES)
        reason = LeaveReason.LEFT if self.rng.random() < 0.3 else LeaveReason.DISCONNECTED
        self.match.leave(self.presence(name), reason)

    def play(self) -> None:
        board = self.match.board
        if board is None:
            self.message(self.rng.choice(NAMES), 1, b'{"row":1,"col":1}')
            return
        empties = [i for i, c in enumerate(board.cells) if c == EMPTY] or [0]
        row, col = cell_of(self.rng.choice(empties))
        data = f'{{"row":{row},"col":{col}}}' if self.rng.random() < 0.8 else f'{{ "col": {col}.0, "row": {row} }}'
        self.message(self.to_move(), 1, data.encode())

    def wrong_move(self) -> None:
        rng = self.rng
        board = self.match.board
        kind = rng.randrange(3)
        if kind == 0 and board is not None:  # a taken cell, or the player not to move
            taken = [i for i, c in enumerate(board.cells) if c != EMPTY] or [4]
            row, col = cell_of(rng.choice(taken))
            self.message(rng.choice(NAMES), 1, f'{{"row":{row},"col":{col}}}'.encode())
        else:
            self.message(self.to_move() if kind == 1 else rng.choice(NAMES), 1, rng.choice(BAD_MOVES))

    def other_op(self) -> None:
        rng = self.rng
        op = rng.choice([4, 4, 4, 6, 6, 8, 8, 8, 0, 2, 9, 99])
        data = {4: REMATCHES, 6: CLAIMS, 8: REACTIONS}.get(op, [b"{}"])
        self.message(rng.choice(NAMES[:2]) if rng.random() < 0.9 else "eve", op, rng.choice(data))

    def reactions(self) -> None:
        """A burst of reactions from one player (the limit is three in ten seconds)."""
        name = self.rng.choice(NAMES[:2])
        for _ in range(self.rng.randrange(2, 6)):
            self.message(name, 8, self.rng.choice(REACTIONS[:2]))
            self.clock.now += self.rng.choice([0.0, 0.5, 3.0])

    def reconnect(self) -> None:
        """A player drops and comes back on a new session (declaring a revision again) a while later."""
        name = self.rng.choice(NAMES[:2])
        self.match.leave(self.presence(name), LeaveReason.DISCONNECTED)
        self.wait(self.rng.choice([0.3, 2.0, 8.0]))
        self.sessions[name] += 1
        p = self.presence(name)
        if self.match.join_attempt(p, self.rng.choice(DECLARATIONS)) is None:
            self.match.join(p)

    def away(self) -> None:
        """A player drops; a while later the other claims the win or calls a draw."""
        name = self.rng.choice(NAMES[:2])
        self.match.leave(self.presence(name), LeaveReason.DISCONNECTED)
        self.wait(self.rng.choice([0.2, 0.6, 5.0, 11.0]))
        self.message("bob" if name == "ann" else "ann", 6, self.rng.choice(CLAIMS))

    def wait(self, seconds: float | None = None) -> None:
        """Time passes: the handler is ticked at each deadline it names (as the host's timer does)."""
        until = self.clock.now + (seconds or self.rng.choice([0.1, 0.26, 0.5, 1.0, 2.5, 3.333, 12.0, 27.0, 40.0]))
        for _ in range(60):
            due = self.match.next_deadline()
            if due is None or due > until:
                break
            self.clock.now = max(self.clock.now, due)
            self.match.tick()
            self.out.lines.append(f"tick at {self.clock.now!r}")
        self.clock.now = until

    def stray_tick(self) -> None:
        self.clock.now += self.rng.choice([0.0, 0.05, 0.7])
        self.match.tick()

    def step(self) -> None:
        actions = [self.join, self.leave, self.play, self.play, self.play, self.play, self.wrong_move, self.other_op,
                   self.other_op, self.wait, self.wait, self.stray_tick, self.reactions, self.away,
                   self.reconnect]
        action = self.rng.choice(actions)
        self.out.lines.append(f"- {action.__name__} at {self.clock.now!r}")
        action()
        self.observe()

    def observe(self) -> None:
        m = self.match
        board = m.board
        shown = "none"
        if board is not None:
            out = board.outcome
            result = "on" if out is None else f"{out.termination.value} {out.winner} {out.line}"
            shown = f"{board.cells} {board.to_move} {board.first} {board.moves} {result}"
        seats = [m.seat_status(f"u-{name}") for name in NAMES[:2]]
        self.out.lines.append(
            f"= {m.label} due={m.next_deadline()!r} game={m.game} ended={m.ended} board={shown} "
            f"players={[p.session_id if p else None for p in m.players]} seats={seats} "
            f"connected={[p.session_id for p in m.connected_presences()]}"
        )

    def run(self) -> list[str]:
        # Most sessions start with both players joined, so that games get played.
        for _ in range(2 if self.rng.random() < 0.8 else 0):
            p = self.presence(NAMES[len([s for s in self.match.players if s is not None])])
            declared = self.rng.choice(DECLARATIONS[3:])
            self.out.lines.append(f"join_attempt {p.session_id} -> {self.match.join_attempt(p, declared)!r}")
            self.match.join(p)
        self.observe()
        for _ in range(self.rng.randrange(10, 90)):
            self.step()
            if self.out.ended and self.rng.random() < 0.7:
                break
        if self.rng.random() < 0.2:
            self.match.terminate("Server shutting down in 5 seconds")
            self.observe()
        return self.out.lines


def transcript(sessions: int = SESSIONS) -> list[str]:
    lines: list[str] = []
    for number in range(sessions):
        lines += Session(number, random.Random(number)).run()
    return lines


def digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_the_handler_says_exactly_what_it_said_before() -> None:
    lines = transcript()
    firsts = [
        next(line for line in lines if line.startswith("send 2 ")),
        next(line for line in lines if line.startswith("record ") and "rated=True" in line),
        next(line for line in lines if line.startswith("send 7 ")),
        next(line for line in lines if line.startswith("send 3 ")),
    ]
    assert firsts == list(GOLDEN_SAMPLE)
    assert digest(lines) == GOLDEN_SHA256


def test_the_corpus_covers_what_it_claims() -> None:
    """The digest means something only if the sessions reach every kind of output."""
    text = "\n".join(transcript())
    for needle in ("send 2 ", "send 3 ", "send 5 ", "send 7 ", "send 8 ", "send 2 None", "rated=True", "rated=False",
                   "| line |", "| draw |", "| timeout |", "| opponent_left |", "| claimed |", "| draw_called |",
                   "| aborted |", "too_many_reactions", "claim_too_early", "not_your_turn", "occupied", "bad_payload",
                   "unknown_op", "game_in_progress", "nothing_to_claim", '"rematch_mode":"open"', '"rematch_mode":"consent"',
                   '"rematch_mode":"auto"', '"reason":"no_rematch"', '"reason":"idle"', '"reason":"declined"',
                   '"reason":"timed_out"', '"reason":"no_show"', '"reason":"disconnected"', '"reason":"aborted"',
                   "opponent_away_seconds_left", '"match_over"', "this game is full", "you were not matched"):
        assert needle in text, needle


if __name__ == "__main__":
    found = transcript()
    sys.stdout.write(f"{digest(found)} ({len(found)} lines)\n" + "\n".join(found[:12]) + "\n")

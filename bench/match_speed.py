"""The match handler's own CPU per finished game: XoxoMatch alone, flat out, in one process.

Run from the repository root: ``python bench/match_speed.py [--games N] [--unrated] [--repeat N] [--profile [ROWS]]``.
Two players who declared our protocol (revision 4, as our client does) play ``--games``
games in one match, back to back: each move as soon as the last state is out, each game
a seeded random sequence of legal moves, and both ask for the next game (op 4) as soon
as one ends. Rated by default, so every game reads and updates both standings (Glicko-2)
and sends op 7. The handler answers a dispatcher that keeps what it is given (as the
host's does, without sockets) and a ledger that holds the standings each game records;
after every call the bench asks ``next_deadline`` as the host's runtime does. The cycle
collector is set as the host sets it (start-up objects frozen, ``GC_THRESHOLDS`` of
``net.host.serve``), so the collections the handler's allocations cause are counted as
they would be there. No I/O, no sockets: the figure is the pure game layer's part of the
host's CPU per game (issue 24).
Prints plain lines (the best of ``--repeat`` runs), then one JSON line. ``--profile``
runs once under cProfile and prints the ``ROWS`` (default 25) costliest functions by
their own time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game.match import GameRecord, MatchMessage, MatchSettings, XoxoMatch
from game.rules import EMPTY, cell_of
from game.standing import Standing
from game.xoxo import OP_MOVE, OP_REJECTED, OP_REMATCH, Presence, encode_move, join_metadata
from net.host.serve import GC_THRESHOLDS

ANN = Presence("2f0c1e4a-6b8d-4c1e-9a57-3d2b8e1f0a11", "7d1e9b3c-0a4f-4e2b-8c6d-5f3a2b1c0d22", "ann", "host")
BOB = Presence("9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c33", "3c2b1a0f-9e8d-4c7b-8a6f-5e4d3c2b1a44", "bob", "host")
REMATCH = b"{}"


class Clock:
    """Match time: a thousandth of a second passes at every message (so deadlines and clocks move)."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


class Capture:
    """The Dispatcher and the Ledger: keeps what is sent and recorded, and the standings each game leaves."""

    def __init__(self) -> None:
        self.match: XoxoMatch | None = None
        self.sent = 0
        self.bytes = 0
        self.refused = 0
        self.records = 0  # counted, not kept: the host hands them to its database and forgets them
        self.standings: dict[str, Standing] = {}

    def send(self, op_code: int, data: bytes, to: Sequence[Presence] | None = None) -> None:
        if to is None and self.match is not None:
            to = self.match.connected_presences()
        self.sent += 1
        self.bytes += len(data)
        self.refused += op_code == OP_REJECTED

    def record(self, record: GameRecord) -> None:
        self.records += 1
        if record.standings is not None:
            for p, after in zip(record.players, record.standings.after, strict=True):
                self.standings[p.user_id] = after

    def end(self) -> None:
        """The match never ends here: both players always ask for the next game."""

    def standing(self, user_id: str) -> Standing:
        return self.standings.get(user_id, Standing())


@dataclass(frozen=True)
class Run:
    games: int
    moves: int
    messages: int  # messages handed to the handler (moves and rematch requests)
    sent: int
    sent_bytes: int
    seconds: float  # CPU time of this process


def scripts(games: int, seed: int) -> list[list[bytes]]:
    """Each game's moves as payloads: a seeded random legal game (with either player starting, as the match alternates)."""
    rng = random.Random(seed)
    out = []
    for game in range(games):
        cells = [EMPTY] * 9
        mover, payloads = 1 if game % 2 == 0 else 2, []
        while True:
            k = rng.choice([i for i, c in enumerate(cells) if c == EMPTY])
            cells[k] = mover
            payloads.append(encode_move(*cell_of(k)))
            if _over(cells):
                break
            mover = 3 - mover
        out.append(payloads)
    return out


def _over(cells: list[int]) -> bool:
    lines = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))
    return EMPTY not in cells or any(cells[a] != EMPTY and cells[a] == cells[b] == cells[c] for a, b, c in lines)


def play(games: list[list[bytes]], rated: bool) -> Run:
    """One match through every game of ``games``; the CPU time of the handler's calls and the dispatcher's."""
    clock = Clock()
    out = Capture()
    match = XoxoMatch("bench-match.host", out, MatchSettings(rated=rated), clock=clock, wall_clock=clock, ledger=out)
    out.match = match
    seats = {1: ANN, 2: BOB}
    messages = moves = 0
    start = time.process_time()
    for p in (ANN, BOB):
        match.join_attempt(p, join_metadata())
        match.join(p)
        match.next_deadline()
    for payloads in games:
        for data in payloads:
            board = match.board
            assert board is not None
            match.handle(MatchMessage(seats[board.to_move], OP_MOVE, data))
            match.next_deadline()
            clock.now += 0.001
        for p in (ANN, BOB):
            match.handle(MatchMessage(p, OP_REMATCH, REMATCH))
            match.next_deadline()
            clock.now += 0.001
        moves += len(payloads)
        messages += len(payloads) + 2
    seconds = time.process_time() - start
    if out.refused or out.records != len(games) or match.ended:
        raise SystemExit(f"the bench's games did not go as scripted: {out.refused} refusals, {out.records} records")
    return Run(len(games), moves, messages, out.sent, out.bytes, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/match_speed.py", description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=2000, help="games in the match (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the games' moves (default 1)")
    parser.add_argument("--repeat", type=int, default=5, help="runs, the best reported (default 5)")
    parser.add_argument("--unrated", action="store_true", help="an unrated match (no ratings, no op 7)")
    parser.add_argument("--profile", type=int, nargs="?", const=25, default=None, metavar="ROWS",
                        help="run once under cProfile and print the ROWS costliest functions (default 25)")
    args = parser.parse_args(argv)
    if args.games < 1 or args.repeat < 1:
        parser.error("--games and --repeat must be at least 1")
    games = scripts(args.games, args.seed)
    rated = not args.unrated
    if args.profile is not None:
        profiler = cProfile.Profile()
        profiler.runcall(play, games, rated)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(args.profile)
        return 0
    play(games[: min(50, len(games))], rated)  # warm up (imports, first allocations)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    best = min((play(games, rated) for _ in range(args.repeat)), key=lambda r: r.seconds)
    result = {
        "bench": "match_speed",
        "rated": rated,
        "games": best.games,
        "moves": best.moves,
        "messages_in": best.messages,
        "messages_out": best.sent,
        "us_per_game": round(best.seconds * 1e6 / best.games, 1),
        "us_per_move": round(best.seconds * 1e6 / best.moves, 2),
        "us_per_message_in": round(best.seconds * 1e6 / best.messages, 2),
        "bytes_out_per_game": round(best.sent_bytes / best.games),
    }
    print(f"{result['games']} {'rated' if rated else 'unrated'} games, {result['moves']} moves, "
          f"{result['messages_in']} messages in, {result['messages_out']} out (best of {args.repeat} runs, CPU time)")
    print(f"per finished game: {result['us_per_game']} us")
    print(f"per move: {result['us_per_move']} us")
    print(f"per message in (moves and rematch requests): {result['us_per_message_in']} us")
    print(f"bytes out per game: {result['bytes_out_per_game']}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

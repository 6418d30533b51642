"""What a match costs Nakama, held to budgets: functions compiled per match, database calls per game.

Nakama compiles the match module, and every module it requires, from source into each
match's own Lua VM, and gopher-lua keeps about 17 KB per compiled function for the
match's life (docs/NAKAMA.md, "How it scales, and what it costs"): the count of function
definitions a match compiles is its memory. Each database call of a game is a round trip
(and a transaction) that the match loop waits for.
"""

from __future__ import annotations

import json
import re

from tests.nakama.standin import MODULES, NakamaRuntime, Presence, new_id

# Function prototypes a match compiles on the usual path (the match module and its chunk;
# xoxo_plus_json only for a payload our client never sends). The stock XOXO module: 25.
MATCH_BUDGET = 4
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LONG_BRACKET = re.compile(r"\[(=*)\[")


def prototypes(source: str) -> int:
    """Function prototypes compiled from a Lua chunk: the chunk itself and each ``function``
    keyword (outside comments and strings)."""
    count, i = 1, 0
    while i < len(source):
        if source.startswith("--", i):
            opened = LONG_BRACKET.match(source, i + 2)
            if opened:
                i = source.index("]" + opened.group(1) + "]", i) + len(opened.group(1)) + 2
            else:
                end = source.find("\n", i)
                i = len(source) if end < 0 else end
        elif (opened := LONG_BRACKET.match(source, i)) is not None:
            i = source.index("]" + opened.group(1) + "]", i) + len(opened.group(1)) + 2
        elif source[i] in "\"'":
            j = i + 1
            while source[j] != source[i]:
                j += 2 if source[j] == "\\" else 1
            i = j + 1
        elif (word := NAME.match(source, i)) is not None:
            count += word.group() == "function"
            i = word.end()
        else:
            i += 1
    return count


def test_the_counter_counts_definitions_only():
    source = """
local f = function() end -- a function in a comment
--[==[ function ]] function ]==]
local s, t = "function \\" function", [[function]]
local function g(x) return function() return x end end
local functions = { 'function' }
"""
    assert prototypes(source) == 4  # the chunk, f, g and the closure in g


def test_a_match_compiles_few_functions():
    match = (MODULES / "xoxo_plus_match.lua").read_text()
    required = set(re.findall(r'require\("([a-z_]+)"\)', match))
    assert required == {"nakama", "xoxo_plus_json"}  # the runtime's module, and the reader for other spellings
    assert prototypes(match) <= MATCH_BUDGET
    assert prototypes((MODULES / "xoxo_plus_json.lua").read_text()) <= 19


def person(name: str) -> Presence:
    return Presence(new_id(), new_id(), name)


def test_a_rated_match_reads_the_standings_once_a_game_and_writes_three_times():
    rt = NakamaRuntime(env={"xoxo_plus_tick_rate": "10"})
    ann, bob = person("ann"), person("bob")
    match = rt.matches[rt.matchmaker_matched([ann, bob])]
    for p in (ann, bob):
        assert match.join_attempt(p, {"protocol": "4"}) == (True, "")
    games = 3
    for game in range(1, games + 1):
        first, second = (ann, bob) if game % 2 else (bob, ann)
        for who, (r, c) in zip([first, second] * 3, [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)], strict=False):
            match.send(who, 1, json.dumps({"row": r, "col": c}).encode())
            match.loop()
        if game < games:
            for who in (ann, bob):
                match.send(who, 4, b"")
            match.loop()
    assert match.lua_state()[b"game"] == games and match.errors == [] and rt.errors() == []
    assert rt.calls["leaderboard_records_list"] == 1 + games  # the first game's shown ratings, then each result
    assert rt.calls["storage_write"] == games
    assert rt.calls["leaderboard_record_write"] == 2 * games
    # and each game rated from what the one before wrote: each was won by its first player
    standings = {r["owner_id"]: json.loads(r["metadata"]) for r in rt.records.values()}
    assert (standings[ann.user_id]["wins"], standings[bob.user_id]["wins"]) == (2, 1)


def test_a_tick_with_no_message_and_no_clock_due_returns_at_once():
    rt = NakamaRuntime(env={"xoxo_plus_tick_rate": "10"})
    ann, bob = person("ann"), person("bob")
    match = rt.matches[rt.matchmaker_matched([ann, bob])]
    for p in (ann, bob):
        assert match.join_attempt(p, {"protocol": "4"}) == (True, "")
    state = match.lua_state()
    assert state[b"wake"] == state[b"turn_deadline"] - 0.001  # the turn's deadline is the next clock due
    state[b"turn_deadline"] = 0  # the turn ran out behind the kept wake-up time's back
    match.loop()
    assert match.lua_state()[b"board"][b"outcome"] is None  # that tick ran none of the game's steps
    match.send(ann, 4, b"")  # a message (here refused: the game is on) makes the tick run them all
    match.loop()
    assert match.lua_state()[b"board"][b"outcome"][b"termination"] == b"aborted"  # no first move in time
    assert rt.errors() == [] and match.errors == []


def test_a_user_in_two_rated_matches_at_once_keeps_the_results_of_both():
    """Two devices, two matches: each game is rated from the leaderboard as it is then, not as one match last
    wrote it, so neither match's results are written over by the other's (our host reads its ledger per game)."""
    rt = NakamaRuntime(env={"xoxo_plus_tick_rate": "10"})
    ann, bob, eve = person("ann"), person("bob"), person("eve")
    ann2 = Presence(ann.user_id, new_id(), "ann")  # ann's second device: the same user, another session
    one = rt.matches[rt.matchmaker_matched([ann, bob])]
    two = rt.matches[rt.matchmaker_matched([ann2, eve])]
    for match, players in ((one, (ann, bob)), (two, (ann2, eve))):
        for p in players:
            assert match.join_attempt(p, {"protocol": "4"}) == (True, "")
    for game in range(1, 3):
        for match, (a, other) in ((one, (ann, bob)), (two, (ann2, eve))):
            first, second = (a, other) if game % 2 else (other, a)
            for who, (r, c) in zip([first, second] * 3, [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)], strict=False):
                match.send(who, 1, json.dumps({"row": r, "col": c}).encode())
                match.loop()
            for who in (a, other):
                match.send(who, 4, b"")
            match.loop()
    assert one.errors == [] and two.errors == [] and rt.errors() == []
    mine = json.loads(next(r["metadata"] for r in rt.records.values() if r["owner_id"] == ann.user_id))
    assert (mine["wins"], mine["losses"]) == (2, 2)  # ann won the first game of each match, lost the second

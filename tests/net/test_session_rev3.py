"""Revision 3 through the session's commands and events, against our host on loopback and a stock Nakama stand-in:
the rating change, the leaderboard, claiming the win, and coming back to a game after the client was killed."""

from __future__ import annotations

import asyncio

from game.rules import Termination
from net.leaderboard import NO_RATINGS
from net.messages import (
    CheckSeat,
    ClaimAvailable,
    ClaimWin,
    Disconnect,
    Disconnected,
    FindOpponent,
    LeaderboardLoaded,
    LeaderboardUnavailable,
    MatchGone,
    MatchJoined,
    MatchUpdate,
    OpponentAway,
    RatingChanged,
    ResumeMatch,
    SeatChecked,
    SendMove,
    ShowLeaderboard,
    SignedIn,
)
from net.resume import SeatStatus
from tests.net.standins import LOOPBACK, NakamaStandIn
from tests.net.test_session import Player, first_mover, pair, play

WIN = [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)]  # the first mover completes the top row


async def finish(x: Player, o: Player, moves=WIN) -> None:
    """Play ``moves`` with ``x`` first, waiting for each state on both sides."""
    for i, (row, col) in enumerate(moves):
        (x if i % 2 == 0 else o).send(SendMove(row, col))
        for p in (x, o):
            await p.next(MatchUpdate)


def test_a_rated_game_brings_the_rating_change_and_the_leaderboard_lists_both(host_factory):
    host = host_factory(turn_seconds=0)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        a, b, ua, _ = await pair(server, server)
        joined = a.events.of(MatchJoined)[0]
        x, o = first_mover(a, b, ua)
        await finish(x, o)
        changes = [p.events.of(RatingChanged)[0] for p in (x, o)]  # op 7 came just before the final state
        o.send(ShowLeaderboard())
        loaded = await o.next(LeaderboardLoaded, LeaderboardUnavailable)
        for p in (a, b):
            await p.shutdown()
        return joined, changes, loaded, x.name

    joined, (won, lost), loaded, winner = play(main())
    assert joined.label.rated and joined.label.claims
    assert won.delta > 0 > lost.delta and won.provisional and won.theirs.username == lost.mine.username
    assert won.text.startswith("+") and lost.text.startswith("\u2212")
    board = loaded.board
    assert [e.username for e in board.top] == [winner, "bob" if winner == "ann" else "ann"]
    assert [e.rank for e in board.top] == [1, 2] and board.ranked == 2
    assert board.me is not None and board.me.rank == 2 and board.in_top and board.me.record == "0-1-0"


def test_a_player_without_a_rated_game_is_not_on_the_board(host_factory):
    host = host_factory()

    async def main():
        a = Player("ann")
        assert isinstance(await a.sign_in(f"{LOOPBACK}:{host.port}"), SignedIn)
        a.send(ShowLeaderboard(limit=10))
        loaded = await a.next(LeaderboardLoaded, LeaderboardUnavailable)
        await a.shutdown()
        return loaded

    loaded = play(main())
    assert isinstance(loaded, LeaderboardLoaded) and loaded.board.top == () and loaded.board.me is None


def test_on_a_stock_nakama_the_leaderboard_says_there_are_no_ratings_and_the_seat_rpc_is_unsupported():
    async def main():
        async with NakamaStandIn() as server:
            a = Player("ann")
            assert isinstance(await a.sign_in(server.address), SignedIn)
            a.send(ShowLeaderboard())
            unavailable = await a.next(LeaderboardUnavailable, LeaderboardLoaded)
            a.send(CheckSeat("M1.nakama", 2))
            checked = await a.next(SeatChecked)
            await a.shutdown()
        return unavailable, checked

    unavailable, checked = play(main())
    assert unavailable == LeaderboardUnavailable(NO_RATINGS, no_ratings=True)
    assert checked.match_id == "M1.nakama" and checked.answer.status is SeatStatus.UNSUPPORTED


def test_claiming_the_win_against_an_opponent_who_stays_away(host_factory):
    host = host_factory(turn_seconds=0, grace_seconds=1.0)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        a, b, ua, _ = await pair(server, server)
        x, o = first_mover(a, b, ua)
        x.send(SendMove(2, 2))
        await o.next(MatchUpdate)
        o.send(Disconnect())  # o's socket goes without a goodbye: the seat is held
        await o.next(Disconnected)
        away = await x.next(OpponentAway)
        available = await x.next(ClaimAvailable)
        x.send(ClaimWin())
        final = await x.next(MatchUpdate)
        while not final.view.board.is_over:
            final = await x.next(MatchUpdate)
        (change,) = x.events.of(RatingChanged)
        for p in (a, b):
            await p.shutdown()
        return away, available, change, final.view

    away, available, change, final = play(main())
    assert away.seconds == 1.0 and away.claim_in is not None and 0 < away.claim_in <= 0.5
    assert 0 < available.seconds_left <= 0.5
    assert change.delta > 0
    assert final.termination is Termination.CLAIMED and final.result == "win"


def test_a_killed_client_comes_back_to_its_held_seat_and_finishes_the_game(host_factory):
    host = host_factory(turn_seconds=0, grace_seconds=20)
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        a, b, ua, _ = await pair(server, server)
        match_id = a.events.of(MatchJoined)[0].match_id
        x, o = first_mover(a, b, ua)
        await finish(x, o, WIN[:2])
        before = a.events.of(MatchUpdate)[-1].view
        # ann's process is killed: its sockets go without a word, nothing is left running.
        a.session.abort()
        a.task.cancel()
        await asyncio.gather(a.task, return_exceptions=True)
        await b.next(OpponentAway)
        again = Player("ann")
        again.device_id = a.device_id  # the same device: the same account
        assert isinstance(await again.sign_in(server), SignedIn)
        again.send(CheckSeat(match_id, before.game))
        checked = await again.next(SeatChecked)
        again.send(ResumeMatch(match_id, checked.answer.opponent))
        await again.next(MatchJoined)
        back = (await again.next(MatchUpdate)).view
        # The game goes on where it was and ends.
        ann_first = x is a
        rest = WIN[2:]
        players = (again, b) if ann_first else (b, again)
        await finish(*players, rest)
        last = again.events.of(MatchUpdate)[-1].view
        for p in (again, b):
            await p.shutdown()
        return before, checked, back, last, ann_first

    before, checked, back, last, ann_first = play(main())
    assert checked.answer.status is SeatStatus.HELD and checked.answer.opponent == "bob"
    assert 0 < checked.answer.seconds_left <= 20 and checked.answer.game == before.game
    assert back.board.cells == before.board.cells and back.your_turn == before.your_turn
    assert last.board.is_over and last.result == ("win" if ann_first else "loss")


def test_resuming_a_match_that_is_over_says_it_is_gone(host_factory):
    host = host_factory()

    async def main():
        a = Player("ann")
        assert isinstance(await a.sign_in(f"{LOOPBACK}:{host.port}"), SignedIn)
        a.send(CheckSeat("00000000-0000-4000-8000-000000000000.host", 1))
        checked = await a.next(SeatChecked)
        a.send(ResumeMatch("00000000-0000-4000-8000-000000000000.host"))
        gone = await a.next(MatchGone)
        a.send(FindOpponent())  # and the player can go on as usual
        await a.shutdown()
        return checked, gone

    checked, gone = play(main())
    assert checked.answer.status is SeatStatus.UNKNOWN and "Match not found" in gone.message


def test_players_queueing_with_their_ratings_are_matched_on_our_host(host_factory):
    host = host_factory()
    server = f"{LOOPBACK}:{host.port}"

    async def main():
        a, b = Player("ann"), Player("bob")
        for p in (a, b):
            assert isinstance(await p.sign_in(server), SignedIn)
        a.send(FindOpponent(rating=1500))
        b.send(FindOpponent(rating=1900))  # far apart: matched all the same, at once
        joined = [await p.next(MatchJoined) for p in (a, b)]
        for p in (a, b):
            await p.shutdown()
        return joined

    a_joined, b_joined = play(main())
    assert a_joined.match_id == b_joined.match_id and a_joined.label.rated

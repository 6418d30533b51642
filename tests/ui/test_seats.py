"""The note of a game in progress and the last rating, per server and account, as ``seats.json`` keeps them; the
abandoned game History lists with the server's verdict; the sentences that say what the server recorded."""

from __future__ import annotations

import json

from game.rules import Mark, Result, Termination
from net.resume import SeatAnswer, SeatResult, SeatStatus
from ui.resume import verdict_text, verdict_title
from ui.seats import Seat
from ui.userdata import UserData

SEAT = Seat("127.0.0.1:7350", "dev-1", "M1.host", 3, name="ann", user_id="u-ann", opponent="bob", you=2, first=1,
            moves=((2, 2, 1), (1, 1, 2)), saved_at=1.0e9)


def test_a_seat_is_kept_per_server_and_account_and_read_back_by_another_run(data_dir) -> None:
    store = UserData(data_dir)
    store.remember_seat(SEAT)
    other = Seat("https://play.example.org", "dev-1", "M9.nakama", 1)
    store.remember_seat(other)
    again = UserData(data_dir)  # the next launch
    assert again.seat(" 127.0.0.1:7350 ", "dev-1") == SEAT, "however the address is typed"
    assert again.seat("127.0.0.1:7350", "dev-2") is None, "another account on the same server has its own"
    assert again.seat("play.example.org:7350", "dev-1") is None and again.seat("https://play.example.org:443", "dev-1") == other
    again.forget_seat("127.0.0.1:7350", "dev-1")
    assert UserData(data_dir).seats == [other]


def test_two_windows_keep_their_own_seats_in_one_file(data_dir) -> None:
    first, second = UserData(data_dir), UserData(data_dir)
    first.remember_seat(SEAT)
    second.remember_seat(Seat("127.0.0.1:7350", "dev-1-1", "M2.host", 1))  # the second window's own account
    assert {s.device_id for s in UserData(data_dir).seats} == {"dev-1", "dev-1-1"}


def test_a_seat_that_cannot_be_read_is_dropped_not_the_file(data_dir) -> None:
    data_dir.mkdir(parents=True)
    good = SEAT.to_json()
    (data_dir / "seats.json").write_text(json.dumps({"version": 1, "seats": [good, {"server": 3}, "x"],
                                                     "ratings": {"127.0.0.1:7350 dev-1": 1508, "bad": "1500"}}))
    store = UserData(data_dir)
    assert store.seats == [SEAT] and store.rating_on("127.0.0.1:7350", "dev-1") == 1508


def test_the_last_rating_is_remembered_per_server_and_account(data_dir) -> None:
    store = UserData(data_dir)
    assert store.rating_on("127.0.0.1:7350", "dev-1") is None
    store.note_rating("127.0.0.1:7350", "dev-1", 1516)
    assert UserData(data_dir).rating_on("127.0.0.1:7350", "dev-1") == 1516


def test_an_abandoned_game_is_listed_with_the_servers_verdict() -> None:
    over = SeatAnswer(SeatStatus.OVER, 3, opponent="bob", result=SeatResult.LOSS, reason=Termination.OPPONENT_LEFT,
                      rating_before=1500, rating_after=1493)
    game = SEAT.abandoned(over, ended_at=2.0e9)
    assert (game.abandoned, game.result, game.termination, game.mark, game.first) == (
        True, Result.LOSS, Termination.OPPONENT_LEFT, Mark.NOUGHT, Mark.CROSS)
    assert game.moves == SEAT.moves and game.positions()[-1].cells.count(-1) == 7, "its moves replay"
    assert verdict_title("bob", over) == "Your game against bob is over"
    assert verdict_text("bob", over) == "You lost: you did not come back in time. Your rating: 1493 (\u22127)."
    unknown = SEAT.abandoned(SeatAnswer(SeatStatus.UNKNOWN), ended_at=2.0e9)
    assert unknown.result is None and unknown.abandoned
    assert verdict_title("bob", SeatAnswer(SeatStatus.UNKNOWN)) == "Your game against bob was abandoned"
    aborted = SeatAnswer(SeatStatus.OVER, 3, result=SeatResult.ABORTED, reason=Termination.ABORTED)
    assert SEAT.abandoned(aborted, 0.0).termination is Termination.ABORTED
    claimed = SeatAnswer(SeatStatus.OVER, 3, result=SeatResult.LOSS, reason=Termination.CLAIMED)
    assert verdict_text("bob", claimed) == "You lost: bob claimed the win while you were away."

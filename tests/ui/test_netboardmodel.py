"""What only a networked match adds to the board's model: an opponent away or gone, a lost connection, the end."""

from __future__ import annotations

from game.rules import Board
from game.xoxo import OP_STATE, GoneReason, RematchMode
from net.messages import (
    ConnectionLost,
    Disconnected,
    GuestTurnedAway,
    MatchGone,
    OpponentAway,
    OpponentLeft,
    Reconnected,
    match_events,
)
from tests.ui.matchstates import ME, WIN, notice_text, online, played, state
from ui.boardmodel import NoticeKind


def test_an_opponent_who_drops_pauses_play_until_they_are_back():
    model = online()
    state(model, Board.new(1), turn_seconds_left=20, turn_seconds=30)
    model.apply(OpponentAway("Alice"))
    assert model.notice is not None and model.notice.kind is NoticeKind.AWAY
    assert notice_text(model) == "Alice disconnected: waiting for them"
    assert model.status_text == "Game paused" and model.place(2, 2) is None
    model.tick(150.0)
    assert model.turn_seconds_left == 20, "the server holds the clock while someone is away"
    state(model, Board.new(1), turn_seconds_left=20, turn_seconds=30, opponent_connected=True)
    assert model.notice is None
    state(model, Board.new(1), turn_seconds_left=20, turn_seconds=30, opponent_connected=False)
    assert notice_text(model) == "Alice disconnected: waiting for them", "the state can say so too"


def test_a_lost_connection_counts_down_to_the_retry_and_clears_on_reconnect():
    model = online()
    state(model, Board.new(1))
    model.apply(ConnectionLost("the socket closed", attempt=2, retry_in=4.0))
    assert model.paused and model.reconnect_text == "Reconnecting: attempt 2  ·  next try in 4 s"
    model.tick(101.5)
    assert model.reconnect_text == "Reconnecting: attempt 2  ·  next try in 3 s"
    model.apply(Reconnected(rejoined=True))
    assert model.notice is None and model.connection is None and model.toast_text == "Reconnected"


def test_the_end_of_a_match_says_why_and_stops_play():
    for event, text in [
        (OpponentLeft("Alice", GoneReason.LEFT), "Alice left the match"),
        (OpponentLeft("Alice", GoneReason.TIMED_OUT), "Alice let two turns run out and was taken out of the match"),
        (OpponentLeft("Me", GoneReason.TIMED_OUT, me=True), "You let two turns run out, so you were taken out of the match"),
        (OpponentLeft("Alice", GoneReason.NO_REMATCH), "No rematch: the time to ask for one ran out"),
        (MatchGone("The match is over: the server no longer holds it (Match not found)"),
         "This match is no longer on the server"),  # the server's own words ("Match not found") are not a sentence
    ]:
        model = online()
        state(model, played(WIN), rematch_countdown=5)
        model.apply(event)
        assert notice_text(model) == text and model.match_over and not model.can_rematch
        assert "to decide" not in model.detail_text
        # After a finished game, who ended the match shows over the board; the game's result stays under it.
        assert model.status_text == (text if isinstance(event, OpponentLeft) else "Game 1")


def test_a_server_going_away_says_its_own_words_and_a_closed_connection_its_reason():
    for payload, text in [
        ("Server restarting…".encode(), "Server restarting…"),  # plain text op 2, as XOXO and our host send it
        (b"", "(an empty message)"),
    ]:
        model = online()
        state(model, Board.new(1))
        for event in match_events(OP_STATE, payload, ME.user_id):
            model.apply(event)
        assert notice_text(model) == text and model.match_over and model.paused
    for event, text in [
        (Disconnected("The host closed the connection"), "The host closed the connection"),
        (Disconnected(), "The server closed the match"),
    ]:
        model = online()
        state(model, Board.new(1))
        model.apply(event)
        assert notice_text(model) == text and model.match_over


def test_the_lan_host_playing_a_game_hears_who_was_turned_away():
    model = online()
    state(model, Board.new(1))
    model.apply(GuestTurnedAway("Kai"))
    assert model.server_message == "Kai tried to join and was told you are in a game."
    assert model.place(1, 1) is not None, "play goes on"


def test_both_players_count_the_rematch_down_from_the_servers_deadline_whatever_states_each_got():
    """The server's countdown is a ceiling of what is left: a state sent mid-second says 7 when 6.6 s are left. A
    player who got such a state (an answer to their own request) must not count a whole 7 s from it, or the two
    players' countdowns differ by one second."""
    ann, bob = online(), online()
    for model in (ann, bob):
        model.tick(100.0)
        state(model, played(WIN), rematch_countdown=10, rematch_mode=RematchMode.CONSENT)  # the game ends: 10 s exactly
        model.tick(103.0)
        state(model, played(WIN), rematch_countdown=7, rematch_mode=RematchMode.CONSENT)  # the tick to 7, to both
    ann.tick(103.4)
    state(ann, played(WIN), rematch_countdown=7, rematch_asked=(True, False), rematch_mode=RematchMode.CONSENT)  # ann's
    for now in (103.5, 103.99, 104.1, 105.7, 109.95):
        ann.tick(now)
        bob.tick(now)
        assert ann.rematch_seconds_left == bob.rematch_seconds_left, now
    assert ann.rematch_seconds_left == 1
    ann.tick(111.0)
    state(ann, played(WIN), game=1, rematch_countdown=20, rematch_mode=RematchMode.CONSENT)
    assert ann.rematch_seconds_left == 20, "a countdown started again later replaces the one before"

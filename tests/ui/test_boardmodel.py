"""The board's model alone, without pygame: events and clock times in, what a player would read out."""

from __future__ import annotations

from typing import Any

from game.bot import Level
from game.refusal import Refusal
from game.rules import Board, Result, Termination
from game.xoxo import OP_STATE, PROTOCOL, GoneReason, MatchLabel, Presence, RematchMode, encode_state
from net.messages import (
    ConnectionLost,
    Disconnected,
    LeaveMatch,
    MatchGone,
    MoveRejected,
    OpponentAway,
    OpponentLeft,
    Reconnected,
    RequestRematch,
    SendMove,
    ServerMessage,
    match_events,
)
from ui.boardmodel import BoardModel, NoticeKind
from ui.netboardmodel import NetBoardModel
from ui.results import GameMode

ME = Presence("u-me", "s-me", "Me")
ALICE = Presence("u-alice", "s-alice", "Alice")
WIN = [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)]
OURS = MatchLabel(PROTOCOL)


def state(model: BoardModel, board: Board, *, you: int = 1, game: int = 1, **extra: Any) -> None:
    """An op 2 state for us exactly as the host sends it, through the same decoding as the network's."""
    payload = encode_state(board, (ME, ALICE), you=you, game=game, **extra)
    for event in match_events(OP_STATE, payload, ME.user_id):
        model.apply(event)


def played(moves: list[tuple[int, int]], first: int = 1) -> Board:
    board = Board.new(first)
    for move in moves:
        board = board.play(*move)
    return board


def notice_text(model: BoardModel) -> str | None:
    return model.notice.text if model.notice is not None else None


def online(label: MatchLabel = OURS) -> NetBoardModel:
    model = NetBoardModel(mode=GameMode.ONLINE, label=label, wall_clock=lambda: 1.0)
    model.tick(100.0)
    return model


def test_whose_turn_and_the_turn_timer_run_on_from_the_state():
    model = online()
    state(model, Board.new(1), turn_seconds_left=12.5, turn_seconds=30)
    assert model.status_text == "Your turn  ·  13 s" and model.can_move
    model.tick(102.0)
    assert model.status_text == "Your turn  ·  11 s"
    assert model.place(1, 1) == SendMove(1, 1)
    assert model.place(1, 2) is None, "one move at a time: the first one's answer has not come"
    state(model, played([(1, 1)]), turn_seconds_left=30, turn_seconds=30)
    assert model.status_text == "Waiting for Alice…  ·  30 s" and model.last_move == (1, 1)
    assert model.moves == [(1, 1, 1)]


def test_a_move_that_cannot_be_is_explained_once_and_the_notice_goes_when_it_stops_being_true():
    model = online()
    state(model, played([(2, 2)]))  # Alice's turn
    assert model.place(1, 1) is None and model.toast_text == Refusal.NOT_YOUR_TURN.text
    state(model, played([(2, 2), (1, 1)]))  # now it is ours
    assert model.toast_text is None, "'Wait for your turn' went when the turn came"
    assert model.place(2, 2) is None and model.toast_text == "That square is taken"
    assert model.place(4, 1) is None and model.toast_text == Refusal.OUT_OF_BOUNDS.text  # the rules' own check
    model.apply(MoveRejected(Refusal.OTHER, "the server's own words"))
    assert model.toast_text == "the server's own words"
    model.tick(200.0)
    assert model.toast_text is None


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


def test_rematch_by_consent_shows_who_asked_and_the_time_to_decide():
    model = online()
    state(model, played(WIN), rematch_countdown=7, rematch_mode=RematchMode.CONSENT)
    assert model.banner_text == "You won" and model.view.result is Result.WIN
    assert model.detail_text == "Three in a row!  ·  7 s to decide"
    state(model, played(WIN), rematch_countdown=6, rematch_asked=(False, True), rematch_mode=RematchMode.CONSENT)
    assert model.detail_text == "Three in a row!  ·  Alice wants a rematch  ·  6 s to decide"
    assert model.rematch_label == "Accept rematch"
    assert model.request_rematch() == RequestRematch()
    assert model.request_rematch() is None, "asked once"
    assert model.rematch_label == "Waiting for Alice" and model.waiting_for_rematch
    assert model.summaries[-1].to_json() == {
        "mode": "online", "level": None, "mark": "X", "result": "win", "moves": 5, "first": "X", "you": "Me",
        "opponent": "Alice",
    }


def test_a_stock_xoxo_server_counts_down_by_itself_and_takes_no_requests():
    model = online(MatchLabel())  # label "": plain XOXO
    state(model, played(WIN), rematch_countdown=9)
    assert not model.can_rematch and model.request_rematch() is None
    assert model.detail_text == "Three in a row!  ·  Next game starts in 9 s"


def test_leaving_a_game_in_progress_forfeits_it_against_a_person_and_against_the_bot_once_we_moved():
    bot = BoardModel(mode=GameMode.BOT, level=Level.EASY)
    state(bot, Board.new(1))
    assert not bot.leaving_forfeits and bot.forfeit() is None, "no move made yet: not worth counting"
    bot.place(2, 2)
    state(bot, played([(2, 2)]))
    assert bot.leaving_forfeits
    model = online()
    state(model, Board.new(1))
    assert model.leaving_forfeits, "the server counts it as a loss at once"
    lost = model.forfeit()
    assert lost is not None and lost.result is Result.LOSS and lost.termination is Termination.OPPONENT_LEFT
    assert model.leave() == LeaveMatch() and model.leave() is None


def test_the_end_of_a_match_says_why_and_stops_play():
    for event, text in [
        (OpponentLeft("Alice", GoneReason.LEFT), "Alice left the match"),
        (OpponentLeft("Alice", GoneReason.TIMED_OUT), "Alice let two turns run out and was taken out of the match"),
        (OpponentLeft("Me", GoneReason.TIMED_OUT, me=True), "You let two turns run out, so you were taken out of the match"),
        (OpponentLeft("Alice", GoneReason.NO_REMATCH), "No rematch: the time to ask for one ran out"),
        (MatchGone("The match ended while you were away"), "The match ended while you were away"),
    ]:
        model = online()
        state(model, played(WIN), rematch_countdown=5)
        model.apply(event)
        assert notice_text(model) == text and model.match_over and not model.can_rematch
        assert "to decide" not in model.detail_text and model.status_text == "Game 1"


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


def test_a_server_message_shows_for_a_while_without_pausing_play():
    model = online()
    state(model, Board.new(1))
    model.apply(ServerMessage("The server sent\\na state this game does not understand"))
    assert model.server_message_text == "Server: The server sent\\na state this game does not understand"
    assert not model.paused and model.place(2, 2) == SendMove(2, 2)
    model.tick(107.0)
    assert model.server_message_text is None


def test_score_counts_wins_and_draws_and_moves_seen_together_get_a_possible_order():
    model = BoardModel(mode=GameMode.BOT, level=Level.EASY)
    state(model, played(WIN))
    assert model.score == {1: 1, 2: 0, 0: 0} and model.summaries[0].moves == tuple((r, c, p) for (r, c), p in
                                                                                   zip(WIN, [1, 2, 1, 2, 1], strict=True))
    draw = [(1, 1), (1, 2), (1, 3), (2, 2), (3, 2), (2, 1), (2, 3), (3, 3), (3, 1)]
    state(model, played(draw, first=1), game=2)
    assert model.score == {1: 1, 2: 0, 0: 1}
    assert model.score_text == "You 1  ·  Alice 0  ·  Draws 1"
    model.summaries[-1].positions()  # whatever order the marks came in, the game replays

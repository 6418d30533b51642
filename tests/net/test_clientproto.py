"""The client's protocol object, fed messages by hand: no sockets, no loop, no clock.

Each test plays the server's side with decoded ``net.codec`` messages (the payloads made
by ``game.xoxo``'s encoders, or written the way a stock XOXO module writes them) and
checks what the protocol asks to send and which events it gives the UI.
"""

from __future__ import annotations

import json

import pytest

from game.rating import Rating, rate_game
from game.rating import Result as RatingResult
from game.refusal import Refusal
from game.rules import Board, Termination, reachable_positions
from game.standing import Standing
from game.xoxo import (
    OP_CLAIM,
    OP_MOVE,
    OP_OPPONENT_GONE,
    OP_RATING,
    OP_REJECTED,
    OP_REMATCH,
    OP_STATE,
    PROTOCOL,
    AwayClock,
    Claim,
    Gone,
    GoneReason,
    MatchLabel,
    PlayerRating,
    Presence,
    RatingNews,
    RematchMode,
    encode_claim,
    encode_gone,
    encode_rating_news,
    encode_rejected,
    encode_state,
    join_metadata,
)
from net.clientproto import ClientProtocol, Output, Request, Send, matchmaker_request
from net.codec import (
    Ack,
    Match,
    MatchData,
    MatchDataSend,
    MatchJoin,
    MatchLeave,
    MatchmakerAdd,
    MatchmakerMatched,
    MatchmakerRemove,
    MatchmakerTicket,
    MatchmakerUser,
    MatchPresenceEvent,
    Message,
)
from net.errors import ConnectionLostError, ServerError, ServerTimeoutError
from net.messages import (
    ClaimAvailable,
    Failure,
    FailureKind,
    GameAborted,
    MatchGone,
    MatchJoined,
    MatchUpdate,
    MoveRejected,
    OpponentAway,
    OpponentLeft,
    RatingChanged,
    Reconnected,
    Searching,
    ServerClosing,
    ServerMessage,
)

ME = Presence("u-ann", "s-ann", "ann")
OLGA = Presence("u-olga", "s-olga", "olga")
EXTENDED = MatchLabel(PROTOCOL, open=False, game=1).encode()
CODE = "K7QXM"


def sent(out: Output) -> list[Message]:
    return [item.message for item in out.outgoing]


def only_request(out: Output) -> Request:
    (item,) = out.outgoing
    assert isinstance(item, Request)
    return item


def matched(ticket: str = "T1", match_id: str = "M1", token: str = "", code: str = "", other: Presence = OLGA):
    props = {"code": code} if code else {}
    users = (MatchmakerUser(ME, props), MatchmakerUser(other, props))
    return MatchmakerMatched(ticket, match_id, token, users, MatchmakerUser(ME, props))


def stock_state(turn: int = 1, cells: list[list[int]] | None = None) -> bytes:
    """An op 2 payload as the stock XOXO module writes it: no ``you``, no extensions."""
    players = [{"user_id": p.user_id, "session_id": p.session_id, "username": p.username} for p in (ME, OLGA)]
    state = {"cells": cells or [[-1] * 3 for _ in range(3)], "players": players, "player_turn": turn,
             "winner": False, "draw": False}
    return json.dumps({"state": state, "your_turn": turn == 1}).encode()


def searching(proto: ClientProtocol, code: str = "") -> Request:
    """Online, a ticket asked for and granted: the ticket request."""
    proto.connected(ME.user_id, reconnected=False)
    ticket = only_request(proto.find(code))
    assert proto.answered(ticket, MatchmakerTicket("T1")).events == (Searching("T1"),)
    return ticket


def in_match(label: str = "", *, state: bytes | None = None) -> tuple[ClientProtocol, Output]:
    """Matched and joined (the join answered with ``label``); the join answer's output."""
    proto = ClientProtocol()
    searching(proto)
    join = only_request(proto.received(matched()))
    if state is not None:
        assert proto.received(MatchData("M1", OP_STATE, state)) == Output()  # before the join's answer: held
    return proto, proto.answered(join, Match("M1", True, label, 2, (ME, OLGA), ME))


# Matchmaking -----------------------------------------------------------------------------------------------


def test_a_search_asks_for_a_ticket_once_online_and_says_it_is_searching():
    proto = ClientProtocol()
    assert proto.find() == Output()  # not connected yet: nothing to send on
    out = proto.connected(ME.user_id, reconnected=False)
    ticket = only_request(out)
    assert ticket.message == MatchmakerAdd(2, 2, "*") and not ticket.goodbye
    assert proto.answered(ticket, MatchmakerTicket("T1")).events == (Searching("T1",),)
    assert proto.find().events == (Searching("T1"),)  # asked again: the same search, said again, nothing sent
    assert proto.busy


def test_a_match_is_joined_with_our_declaration_and_announced_before_its_first_state():
    proto = ClientProtocol()
    searching(proto)
    join = only_request(proto.received(matched()))
    assert join.message == MatchJoin("M1", "", join_metadata())
    assert proto.received(MatchData("M1", OP_STATE, stock_state())) == Output()  # held until the join is answered
    out = proto.answered(join, Match("M1", True, "", 2, (ME, OLGA), ME))
    joined, update = out.events
    assert joined == MatchJoined("M1", MatchLabel())
    assert isinstance(update, MatchUpdate) and update.view.you == 1 and update.view.your_turn


def test_a_match_known_only_by_its_token_is_joined_by_token():
    proto = ClientProtocol()
    searching(proto)
    join = only_request(proto.received(matched(match_id="", token="tok")))
    assert join.message == MatchJoin("", "tok", join_metadata())


def test_cancelling_withdraws_the_ticket_and_a_late_ticket_is_withdrawn_when_it_comes():
    proto = ClientProtocol()
    searching(proto)
    assert sent(proto.cancel_find()) == [MatchmakerRemove("T1")]
    assert not proto.busy
    ticket = only_request(proto.find())
    assert proto.cancel_find() == Output()  # no ticket yet: nothing to withdraw
    out = proto.answered(ticket, MatchmakerTicket("T2"))
    assert sent(out) == [MatchmakerRemove("T2")] and out.events == ()
    assert proto.received(matched(ticket="T2")) == Output()  # nobody searches: ignored


def test_a_match_for_a_ticket_we_no_longer_hold_is_ignored():
    proto = ClientProtocol()
    searching(proto)
    assert proto.received(matched(ticket="T0")) == Output()
    assert proto.search is not None and proto.match is None


# Friend codes -------------------------------------------------------------------------------------------------


def test_a_friend_code_travels_as_a_property_and_its_query():
    assert matchmaker_request(CODE) == MatchmakerAdd(2, 2, f"+properties.code:{CODE}", {"code": CODE})
    proto = ClientProtocol()
    ticket = searching(proto, CODE)
    assert ticket.message == matchmaker_request(CODE)
    assert isinstance(only_request(proto.received(matched(code=CODE))).message, MatchJoin)


@pytest.mark.parametrize("mine, theirs", [(CODE, ""), ("", CODE), (CODE, "ABCDE")])
def test_a_match_with_a_player_of_another_code_is_passed_over_and_queued_again(mine, theirs):
    proto = ClientProtocol()
    searching(proto, mine)
    users = (MatchmakerUser(ME, {"code": mine} if mine else {}), MatchmakerUser(OLGA, {"code": theirs} if theirs else {}))
    out = proto.received(MatchmakerMatched("T1", "M-stranger", "", users, users[0]))
    assert sent(out) == [matchmaker_request(mine)] and out.events == ()
    assert proto.match is None


def test_a_new_code_withdraws_the_search_of_the_old_one():
    proto = ClientProtocol()
    searching(proto)
    assert sent(proto.find(CODE)) == [MatchmakerRemove("T1"), matchmaker_request(CODE)]


# Refusals ----------------------------------------------------------------------------------------------------------


def test_refusals_and_silences_of_the_matchmaker_are_said_once():
    proto = ClientProtocol()
    proto.connected(ME.user_id, reconnected=False)
    ticket = only_request(proto.find())
    out = proto.failed(ticket, ServerError(0, "Hana is not waiting for an opponent right now"))
    assert out.events == (Failure(FailureKind.REFUSED, "The matchmaker refused: Hana is not waiting for an opponent right now"),)
    assert not proto.busy
    ticket = only_request(proto.find())
    (failure,) = proto.failed(ticket, ServerTimeoutError("The server did not answer matchmaker add within 5 s")).events
    assert failure.kind is FailureKind.TIMEOUT and failure.message.startswith("The matchmaker did not answer")
    ticket = only_request(proto.find())
    assert proto.failed(ticket, ConnectionLostError("gone")) == Output()  # the reconnection queues again
    assert proto.search is not None
    assert proto.answered(ticket, Ack()).events == (
        Failure(FailureKind.PROTOCOL, "The server answered the matchmaker without a ticket"),
    )


def test_a_match_without_id_or_token_and_a_join_refused_are_failures():
    proto = ClientProtocol()
    searching(proto)
    (failure,) = proto.received(matched(match_id="")).events
    assert failure.kind is FailureKind.PROTOCOL and not proto.busy
    searching(proto)
    join = only_request(proto.received(matched()))
    out = proto.failed(join, ServerError(5, "match full"))
    assert out.events == (Failure(FailureKind.REFUSED, "Couldn't join the match: match full"),)
    assert proto.match is None


def test_payloads_this_game_cannot_read_are_said_not_raised():
    proto, _ = in_match(EXTENDED)
    assert proto.received(MatchData("M1", 99, b"whatever")) == Output()  # an op code we do not know: ignored
    (odd,) = proto.received(MatchData("M1", OP_STATE, b'{"state": "nope"}')).events
    assert isinstance(odd, ServerMessage) and "does not understand" in odd.text
    (rows,) = proto.received(MatchData("M1", OP_STATE, b'{"state": {"cells": [[7]]}}')).events
    assert isinstance(rows, ServerMessage) and "three rows" in rows.text and proto.match is not None
    # An op 5 without a readable body still ends the match, with the name we know.
    assert proto.received(MatchData("M1", OP_OPPONENT_GONE, b"[1, 2]")).events == (OpponentLeft("olga"),)


# A stock XOXO server -----------------------------------------------------------------------------------------------


def test_on_a_stock_server_no_rematch_request_is_sent_and_a_presence_leaving_ends_the_match():
    proto, out = in_match("", state=stock_state())
    assert [type(e) for e in out.events] == [MatchJoined, MatchUpdate]
    assert not out.events[0].label.extended
    assert proto.rematch() == Output()  # XOXO counts down by itself
    assert proto.received(MatchPresenceEvent("M1", leaves=(Presence("u-ann", "s-old", "ann"),))) == Output()
    out = proto.received(MatchPresenceEvent("M1", leaves=(OLGA,)))
    assert out.events == (OpponentLeft("olga"),) and proto.match is None


def test_on_a_stock_server_plain_text_ends_the_match_with_its_words():
    proto, _ = in_match("")
    out = proto.received(MatchData("M1", OP_STATE, b"Server shutting down in 10 seconds"))
    assert out.events == (ServerClosing("Server shutting down in 10 seconds"),) and proto.match is None


def test_on_a_stock_server_our_index_comes_from_the_players_list():
    proto, _ = in_match("")
    cells = [[1, -1, -1], [-1, -1, -1], [-1, -1, -1]]
    (update,) = proto.received(MatchData("M1", OP_STATE, stock_state(2, cells))).events
    assert update.view.you == 1 and not update.view.your_turn and update.view.board.cells[0] == 1


# A server that declares our extensions -----------------------------------------------------------------------------


def extended_state(board: Board, you: int = 1, **extra) -> bytes:
    return encode_state(board, (ME, OLGA), you, **extra)


def test_on_a_declaring_server_rematch_is_asked_and_a_presence_leaving_is_not_the_end():
    proto, out = in_match(EXTENDED)
    assert out.events == (MatchJoined("M1", MatchLabel.decode(EXTENDED)),) and out.events[0].label.extended
    assert sent(proto.rematch()) == [MatchDataSend("M1", OP_REMATCH, b"{}")]
    assert proto.received(MatchPresenceEvent("M1", leaves=(OLGA,))) == Output()  # the seat is held
    assert proto.match is not None
    gone = encode_gone(Gone(GoneReason.DISCONNECTED, OLGA.user_id, ""))
    out = proto.received(MatchData("M1", OP_OPPONENT_GONE, gone))
    assert out.events == (OpponentLeft("olga", GoneReason.DISCONNECTED),) and proto.match is None


def test_an_opponent_away_is_said_once_and_again_after_they_came_back():
    proto, _ = in_match(EXTENDED)
    board = Board.new(1)
    away = MatchData("M1", OP_STATE, extended_state(board, opponent_connected=False))
    first = proto.received(away).events
    assert [type(e) for e in first] == [OpponentAway, MatchUpdate] and first[0] == OpponentAway("olga")
    assert [type(e) for e in proto.received(away).events] == [MatchUpdate]
    proto.received(MatchData("M1", OP_STATE, extended_state(board)))
    assert [type(e) for e in proto.received(away).events] == [OpponentAway, MatchUpdate]


def test_being_taken_out_for_running_out_of_time_is_about_us():
    proto, _ = in_match(EXTENDED)
    gone = encode_gone(Gone(GoneReason.TIMED_OUT, ME.user_id, "ann"))
    assert proto.received(MatchData("M1", OP_OPPONENT_GONE, gone)).events == (
        OpponentLeft("ann", GoneReason.TIMED_OUT, me=True),
    )


def test_a_refused_move_comes_back_with_the_servers_reason():
    proto, _ = in_match(EXTENDED)
    out = proto.received(MatchData("M1", OP_REJECTED, encode_rejected(Refusal.OCCUPIED, "That cell is taken")))
    assert out.events == (MoveRejected(Refusal.OCCUPIED, "That cell is taken"),)


def test_messages_of_another_match_are_ignored():
    proto, _ = in_match(EXTENDED)
    assert proto.received(MatchData("M0", OP_STATE, extended_state(Board.new(1)))) == Output()
    assert proto.received(MatchPresenceEvent("M0", leaves=(OLGA,))) == Output()


# Moves, leaving -------------------------------------------------------------------------------------------------------


def test_a_move_is_sent_only_in_a_joined_match_while_online():
    proto = ClientProtocol()
    assert proto.move(1, 1).events == (MoveRejected(Refusal.NOT_IN_MATCH, "You are not in a game right now."),)
    proto, _ = in_match(EXTENDED)
    out = proto.move(2, 3)
    (send,) = out.outgoing
    assert isinstance(send, Send) and send.message == MatchDataSend("M1", OP_MOVE, b'{"row":2,"col":3}')
    (rejected,) = proto.send_failed(send, ConnectionLostError("gone")).events
    assert rejected.reason is Refusal.OFFLINE
    proto.disconnected()
    (offline,) = proto.move(1, 1).events
    assert offline.reason is Refusal.OFFLINE and proto.busy  # worth reconnecting for


def test_leaving_is_a_goodbye_and_a_join_answered_after_it_is_left_too():
    proto, _ = in_match(EXTENDED)
    leave = only_request(proto.leave())
    assert leave.message == MatchLeave("M1") and leave.goodbye and not proto.busy
    assert proto.answered(leave, Ack()) == Output()
    proto = ClientProtocol()
    searching(proto)
    join = only_request(proto.received(matched(match_id="", token="tok")))
    assert proto.leave() == Output()  # the join by token is on its way: no match id to leave yet
    late = only_request(proto.answered(join, Match("M1", True, EXTENDED, 2, (ME, OLGA), ME)))
    assert late.message == MatchLeave("M1") and not late.goodbye
    assert proto.answered(late, Ack()) == Output()


def test_a_new_search_is_refused_while_in_a_match():
    proto, _ = in_match(EXTENDED)
    assert proto.find() == Output() and proto.search is None


# Reconnecting ----------------------------------------------------------------------------------------------------------


def test_after_a_drop_the_match_is_joined_again_and_said_to_be_back():
    proto, _ = in_match(EXTENDED)
    proto.disconnected()
    rejoin = only_request(proto.connected(ME.user_id, reconnected=True))
    assert rejoin.message == MatchJoin("M1", "", join_metadata())
    assert proto.move(1, 1).events[0].reason is Refusal.NOT_IN_MATCH  # until the join is answered
    state = MatchData("M1", OP_STATE, extended_state(Board.new(1)))
    assert proto.received(state) == Output()
    out = proto.answered(rejoin, Match("M1", True, EXTENDED, 2, (ME, OLGA), ME))
    assert [type(e) for e in out.events] == [Reconnected, MatchUpdate] and out.events[0] == Reconnected(rejoined=True)


def test_after_a_drop_a_match_the_server_forgot_is_gone():
    proto, _ = in_match("")
    proto.disconnected()
    rejoin = only_request(proto.connected(ME.user_id, reconnected=True))
    out = proto.failed(rejoin, ServerError(4, "Match not found"))
    assert out.events == (MatchGone("The match is over: the server no longer holds it (Match not found)"),)
    assert not proto.busy


def test_after_a_drop_a_search_is_queued_again_with_its_code():
    proto = ClientProtocol()
    searching(proto, CODE)
    proto.disconnected()
    out = proto.connected(ME.user_id, reconnected=True)
    assert out.events == (Reconnected(rejoined=False),) and sent(out) == [matchmaker_request(CODE)]
    assert proto.search is not None and proto.search.ticket == ""


def test_reset_forgets_the_search_and_the_match():
    proto, _ = in_match(EXTENDED)
    proto.reset()
    assert not proto.busy and not proto.online
    assert proto.received(MatchData("M1", OP_STATE, extended_state(Board.new(1)))) == Output()


# Searches with a time limit (--match-timeout) ------------------------------------------------------------------------


def test_a_search_given_up_is_withdrawn_and_said_once():
    proto = ClientProtocol()
    searching(proto)
    assert proto.searches == 1
    out = proto.give_up_search(2.5)
    assert sent(out) == [MatchmakerRemove("T1")]
    assert out.events == (Failure(FailureKind.NO_MATCH, "No opponent was found within 2.5 s"),) and not proto.busy
    assert proto.give_up_search(2.5) == Output()  # nothing searches any more


def test_queueing_again_after_a_drop_or_a_pass_is_the_same_search():
    proto = ClientProtocol()
    searching(proto, CODE)
    proto.disconnected()
    proto.connected(ME.user_id, reconnected=True)
    proto.received(matched(code="ABCDE"))  # passed over: queued again
    proto.find(CODE)  # the same wish again
    assert proto.searches == 1
    proto.find("")
    assert proto.searches == 2


# Boards the rules cannot reach ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cells, turn, why",
    [
        ([[1, 1, 1], [-1, -1, -1], [-1, -1, -1]], 2, "player 1 has 3 marks and player 2 has 0"),
        ([[1, 1, 1], [2, 2, 2], [-1, -1, -1]], 1, "both players have a line"),
        ([[1, 1, 1], [2, 2, -1], [2, 2, -1]], 1, "player 1 has a line but the other player marked a cell after it"),
        ([[1, -1, -1], [-1, -1, -1], [-1, -1, -1]], 1, "player 1 is to move with more marks than player 2"),
    ],
)
def test_a_board_no_game_reaches_is_refused_not_shown(cells, turn, why):
    proto, _ = in_match("")
    (refused,) = proto.received(MatchData("M1", OP_STATE, stock_state(turn, cells))).events
    assert isinstance(refused, ServerMessage) and why in refused.text and "no game reaches that board" in refused.text


@pytest.mark.parametrize(
    "cells, why",
    [
        ([[-1] * 3, [-1] * 3, [-1] * 3, [-1]], "cells must be three rows"),  # ten cells
        ([[-1] * 4, [-1] * 3, [-1] * 3], "each row must have three cells"),
        ([[3, -1, -1], [-1] * 3, [-1] * 3], "a cell must be -1, 1 or 2, not 3"),
        ([[True, -1, -1], [-1] * 3, [-1] * 3], "a cell must be -1, 1 or 2, not True"),
    ],
)
def test_a_board_outside_the_protocol_is_refused_not_shown(cells, why):
    proto, _ = in_match("")
    (refused,) = proto.received(MatchData("M1", OP_STATE, stock_state(1, cells))).events
    assert isinstance(refused, ServerMessage) and why in refused.text


def test_every_board_the_rules_reach_is_shown():
    proto, _ = in_match(EXTENDED)
    boards = [*reachable_positions(1, finished=True), *reachable_positions(2, finished=True)]
    for board in boards:
        (update,) = proto.received(MatchData("M1", OP_STATE, extended_state(board))).events
        assert isinstance(update, MatchUpdate) and update.view.board.cells == board.cells


# Revision 3: claims, aborts, the rating change, coming back after a relaunch -------------------------------------


def test_a_claim_is_sent_as_op_6_to_a_server_that_takes_claims():
    proto, _ = in_match(EXTENDED)
    assert sent(proto.claim(Claim.WIN)) == [MatchDataSend("M1", OP_CLAIM, encode_claim(Claim.WIN))]
    assert sent(proto.claim(Claim.DRAW)) == [MatchDataSend("M1", OP_CLAIM, b'{"claim":"draw"}')]


def test_a_claim_is_refused_on_the_spot_by_an_older_server_or_outside_a_match():
    older, _ = in_match(MatchLabel(2, open=False, game=1).encode())
    out = older.claim(Claim.WIN)
    assert out.outgoing == () and [e.reason for e in out.events] == [Refusal.UNKNOWN_OP]
    out = ClientProtocol().claim(Claim.WIN)
    assert out.outgoing == () and [e.reason for e in out.events] == [Refusal.NOT_IN_MATCH]


def test_the_hold_comes_with_the_opponent_away_and_the_claim_is_announced_once():
    proto, _ = in_match(EXTENDED)
    board = Board.new(1)
    waiting = MatchData("M1", OP_STATE, extended_state(board, opponent_connected=False, away=AwayClock(20.0, 20.0, 10.0)))
    first = proto.received(waiting).events
    assert first[0] == OpponentAway("olga", 20.0, 20.0, 10.0) and isinstance(first[1], MatchUpdate)
    open_ = MatchData("M1", OP_STATE, extended_state(board, opponent_connected=False, away=AwayClock(10.0, 20.0, 0.0)))
    events = proto.received(open_).events
    assert events[0] == ClaimAvailable("olga", 10.0) and [type(e) for e in events] == [ClaimAvailable, MatchUpdate]
    assert [type(e) for e in proto.received(open_).events] == [MatchUpdate]  # said once per absence
    proto.received(MatchData("M1", OP_STATE, extended_state(board)))  # back
    assert [type(e) for e in proto.received(waiting).events] == [OpponentAway, MatchUpdate]
    assert [type(e) for e in proto.received(open_).events] == [ClaimAvailable, MatchUpdate]


def test_an_aborted_game_is_said_once_naming_who_never_moved():
    proto, _ = in_match(EXTENDED)
    aborted = Board.new(1).finish(Termination.ABORTED, None)
    data = MatchData("M1", OP_STATE, extended_state(aborted, you=1, aborted_by=1, rematch_mode=RematchMode.OPEN))
    events = proto.received(data).events
    assert events[0] == GameAborted(1, "ann", me=True) and events[1].view.result is None
    assert [type(e) for e in proto.received(data).events] == [MatchUpdate]
    theirs = MatchData("M1", OP_STATE, extended_state(aborted, you=1, aborted_by=2, game=2))
    assert proto.received(theirs).events[0] == GameAborted(2, "olga", me=False)


def test_the_rating_change_is_ours_with_the_opponents_beside_it():
    proto, _ = in_match(MatchLabel(PROTOCOL, open=False, game=1, rated=True).encode())
    change = rate_game(Rating(), Rating(1700.0, 80.0), RatingResult.WIN)
    news = RatingNews(1, (PlayerRating(ME.user_id, "ann", Standing(), Standing(change.first.after, wins=1)),
                          PlayerRating(OLGA.user_id, "olga", Standing(Rating(1700.0, 80.0)),
                                       Standing(change.second.after, losses=1))))
    (event,) = proto.received(MatchData("M1", OP_RATING, encode_rating_news(news))).events
    assert isinstance(event, RatingChanged) and event.theirs.username == "olga"
    assert (event.old, event.new, event.delta) == (Rating(), change.first.after, change.first.delta)
    assert event.text == f"+{change.first.delta}" and event.provisional
    assert proto.received(MatchData("M1", OP_RATING, b"{not json")).events == ()


def test_the_match_ending_after_a_game_says_who_declined():
    proto, _ = in_match(EXTENDED)
    over = Board.new(1).finish(Termination.LINE, 1)
    last = extended_state(over, match_over=Gone(GoneReason.DECLINED, OLGA.user_id, "olga"), rematch_mode=RematchMode.OPEN)
    (update,) = proto.received(MatchData("M1", OP_STATE, last)).events
    assert update.view.match_over == Gone(GoneReason.DECLINED, OLGA.user_id, "olga") and update.view.result == "win"
    gone = encode_gone(Gone(GoneReason.DECLINED, OLGA.user_id, "olga"))
    assert proto.received(MatchData("M1", OP_OPPONENT_GONE, gone)).events == (OpponentLeft("olga", GoneReason.DECLINED),)
    assert proto.match is None


def test_resuming_joins_the_match_by_its_id_with_our_declaration():
    proto = ClientProtocol()
    assert proto.resume("M9.host", "olga") == Output()  # not online yet: joined once connected
    join = only_request(proto.connected(ME.user_id, reconnected=False))
    assert join.message == MatchJoin(match_id="M9.host", metadata=join_metadata())
    out = proto.answered(join, Match("M9.host", True, EXTENDED, 2, (ME, OLGA), ME))
    assert out.events == (MatchJoined("M9.host", MatchLabel.decode(EXTENDED)),)
    assert proto.resume("M9.host") == Output()  # in it already


def test_resuming_a_match_the_server_no_longer_holds_says_it_is_gone():
    proto = ClientProtocol()
    proto.connected(ME.user_id, reconnected=False)
    join = only_request(proto.resume("M9.host"))
    (gone,) = proto.failed(join, ServerError(4, "Match not found")).events
    assert isinstance(gone, MatchGone) and "Match not found" in gone.message and proto.match is None


def test_a_rating_in_the_search_prefers_near_opponents_and_a_friend_code_ignores_it():
    ticket = matchmaker_request("", 1500)
    assert ticket.query == ("+min_count:2 properties.rating:>=1450^3 properties.rating:<=1550^3 "
                            "properties.rating:>=1300 properties.rating:<=1700")
    assert ticket.numeric_properties == {"rating": 1500.0} and ticket.string_properties == {}
    assert matchmaker_request(CODE, 1500) == matchmaker_request(CODE)
    proto = ClientProtocol()
    proto.connected(ME.user_id, reconnected=False)
    assert sent(proto.find("", 1620)) == [matchmaker_request("", 1620)]
    proto.disconnected()
    assert sent(proto.connected(ME.user_id, reconnected=True)) == [matchmaker_request("", 1620)]  # queued again, rating kept

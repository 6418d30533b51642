"""The protocol codec: every client envelope, every malformed input, and Nakama's encoding rules."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.xoxo import Presence
from net.codec import (
    Ack,
    Envelope,
    Error,
    ErrorCode,
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
    Ping,
    Pong,
    ProtocolError,
    Unknown,
    decode_client,
    decode_server,
    encode,
    error_envelope,
)

ANN = Presence("u1", "s1", "ann")
BOB = Presence("u2", "s2", "bob")


# Client envelopes the host accepts ------------------------------------------------------------


def test_matchmaker_add():
    env = decode_client('{"cid":"1","matchmaker_add":{"min_count":2,"max_count":2,"query":"*"}}')
    assert env == Envelope(MatchmakerAdd(2, 2, "*"), "1")
    env = decode_client(
        '{"matchmaker_add":{"min_count":"2","max_count":2,"string_properties":{"a":"b"},"numeric_properties":{"n":1}}}'
    )
    assert env.cid is None and env.message.min_count == 2
    assert env.message.string_properties == {"a": "b"} and env.message.numeric_properties == {"n": 1.0}


def test_missing_fields_read_as_zero_values():
    assert decode_client('{"matchmaker_add":{}}').message == MatchmakerAdd(0, 0, "")
    assert decode_client('{"match_join":null}').message == MatchJoin()
    assert decode_client('{"match_data_send":{}}').message == MatchDataSend()


def test_match_requests():
    assert decode_client('{"cid":"2","matchmaker_remove":{"ticket":"t"}}') == Envelope(MatchmakerRemove("t"), "2")
    assert decode_client('{"cid":"3","match_join":{"match_id":"m"}}').message == MatchJoin(match_id="m")
    joined = decode_client('{"match_join":{"token":"tok","metadata":{"k":"v"}}}').message
    assert joined == MatchJoin(token="tok", metadata={"k": "v"})
    assert decode_client('{"cid":"4","match_leave":{"match_id":"m"}}').message == MatchLeave("m")
    assert decode_client('{"cid":"5","ping":{}}') == Envelope(Ping(), "5")
    assert decode_client('{"pong":{}}') == Envelope(Pong(), None)


@pytest.mark.parametrize("op", [1, "1", " 1 ", 1.0, "+1"])
def test_op_code_as_number_or_numeric_string(op):
    data = base64.b64encode(b'{"row":1,"col":3}').decode()
    env = decode_client(json.dumps({"match_data_send": {"match_id": "m", "op_code": op, "data": data, "presences": []}}))
    assert env.message == MatchDataSend("m", 1, b'{"row":1,"col":3}', (), True)


def test_numeric_cid_is_read_as_text():
    assert decode_client('{"cid":7,"ping":{}}').cid == "7"
    assert decode_client('{"cid":true,"ping":{}}').cid is None


def test_presences_in_match_data_send():
    env = decode_client(
        '{"match_data_send":{"match_id":"m","op_code":1,'
        '"presences":[{"user_id":"u1","session_id":"s1","username":"ann"}],"reliable":false}}'
    )
    assert env.message.presences == (ANN,) and env.message.reliable is False


# Malformed input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "", "not json", "{", "[]", "[1]", '"text"', "1", "null", "true",
        "{}", '{"cid":"1"}',
        '{"cid":"1","rpc":{}}', '{"match_create":{}}', '{"status_follow":{}}', '{"matchmaker_matched":{}}',
        '{"ping":{},"pong":{}}', '{"cid":"1","ping":{},"match_join":{}}',
        '{"cid":"' + "c" * 129 + '","ping":{}}',
        "[" * 100_000, '{"a":' * 50_000,
        b"\xff\xfe{}",
    ],
)
def test_fatal_input_is_refused_as_fatal(text):
    with pytest.raises(ProtocolError) as info:
        decode_client(text)
    assert info.value.fatal
    assert info.value.code in (ErrorCode.UNRECOGNIZED_PAYLOAD, ErrorCode.MISSING_PAYLOAD, ErrorCode.BAD_INPUT)


def test_fatal_errors_name_what_went_wrong():
    with pytest.raises(ProtocolError, match="malformed") as info:
        decode_client("nope")
    assert info.value.code == ErrorCode.UNRECOGNIZED_PAYLOAD
    with pytest.raises(ProtocolError, match="missing payload") as info:
        decode_client('{"cid":"9"}')
    assert info.value.code == ErrorCode.MISSING_PAYLOAD and info.value.cid == "9"
    with pytest.raises(ProtocolError, match="rpc") as info:
        decode_client('{"cid":"9","rpc":{}}')
    assert info.value.cid == "9"


@pytest.mark.parametrize(
    "key, body",
    [
        ("matchmaker_add", []),
        ("matchmaker_add", "x"),
        ("matchmaker_add", {"min_count": "two"}),
        ("matchmaker_add", {"min_count": 2.5}),
        ("matchmaker_add", {"min_count": True}),
        ("matchmaker_add", {"min_count": -1}),
        ("matchmaker_add", {"min_count": 10**7}),
        ("matchmaker_add", {"query": 1}),
        ("matchmaker_add", {"query": "q" * 1025}),
        ("matchmaker_add", {"string_properties": {"a": 1}}),
        ("matchmaker_add", {"string_properties": ["a"]}),
        ("matchmaker_add", {"numeric_properties": {"a": "1"}}),
        ("matchmaker_add", {"numeric_properties": {"a": True}}),
        ("matchmaker_remove", {"ticket": 5}),
        ("match_join", {"match_id": ["m"]}),
        ("match_join", {"match_id": "m" * 513}),
        ("match_join", {"token": "t" * 4097}),
        ("match_join", {"metadata": {"k": 1}}),
        ("match_leave", {"match_id": {}}),
        ("match_data_send", {"op_code": "one"}),
        ("match_data_send", {"op_code": "1_0"}),
        ("match_data_send", {"op_code": "١"}),
        ("match_data_send", {"op_code": "１"}),
        ("match_data_send", {"op_code": "0x1"}),
        ("match_data_send", {"op_code": ""}),
        ("match_data_send", {"op_code": "9" * 30}),
        ("match_data_send", {"op_code": 2**63}),
        ("match_data_send", {"op_code": -(2**63) - 1}),
        ("match_data_send", {"op_code": 1.5}),
        ("match_data_send", {"op_code": float("inf")}),
        ("match_data_send", {"op_code": float("nan")}),
        ("match_data_send", {"op_code": [1]}),
        ("match_data_send", {"op_code": False}),
        ("match_data_send", {"data": "not base64!"}),
        ("match_data_send", {"data": "YQ"}),  # missing padding
        ("match_data_send", {"data": "a-_b"}),  # url-safe alphabet
        ("match_data_send", {"data": 12}),
        ("match_data_send", {"data": {"row": 1}}),
        ("match_data_send", {"presences": {"a": 1}}),
        ("match_data_send", {"presences": [1]}),
        ("match_data_send", {"presences": [{"user_id": 1}]}),
        ("match_data_send", {"reliable": "true"}),
        ("ping", 5),
        ("ping", "x"),
        ("pong", [1]),
    ],
)
def test_wrong_types_are_bad_input_with_the_cid(key, body):
    with pytest.raises(ProtocolError) as info:
        decode_client(json.dumps({"cid": "c1", key: body}))
    err = info.value
    assert not err.fatal and err.code == ErrorCode.BAD_INPUT and err.cid == "c1"
    assert key in err.message
    frame = json.loads(error_envelope(err))
    assert frame == {"cid": "c1", "error": {"code": 3, "message": err.message}}


@given(st.text(max_size=200))
def test_any_text_decodes_or_raises_protocol_error(text):
    try:
        decode_client(text)
    except ProtocolError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@given(st.sampled_from(["matchmaker_add", "matchmaker_remove", "match_join", "match_leave", "match_data_send", "ping", "pong"]),
       st.dictionaries(st.sampled_from(["match_id", "op_code", "data", "presences", "reliable", "ticket", "min_count",
                                        "max_count", "query", "token", "metadata", "string_properties"]), json_values),
       json_values)
def test_random_envelopes_decode_or_raise_protocol_error(key, body, cid):
    try:
        decode_client(json.dumps({"cid": cid, key: body}))
    except ProtocolError:
        pass


# Encoding, the way Nakama writes it ---------------------------------------------------------------


def test_zero_values_are_left_out():
    assert encode(Ack(), "2") == '{"cid":"2"}'
    assert json.loads(encode(MatchPresenceEvent("m", joins=(ANN,)))) == {
        "match_presence_event": {"match_id": "m", "joins": [{"user_id": "u1", "session_id": "s1", "username": "ann"}]}
    }
    assert encode(Pong(), "7") == '{"cid":"7","pong":{}}'
    assert encode(Error(0, "boom")) == '{"error":{"message":"boom"}}'


def test_match_data_op_code_is_a_string_and_data_base64():
    frame = json.loads(encode(MatchData("m", 2, b'{"a":1}')))
    assert frame == {"match_data": {"match_id": "m", "op_code": "2", "data": base64.b64encode(b'{"a":1}').decode()}}
    assert json.loads(encode(MatchData("m", 0, b"")))["match_data"] == {"match_id": "m", "op_code": "0"}
    assert json.loads(encode(MatchDataSend("m", 1, b"x", reliable=False)))["match_data_send"]["reliable"] is False


def test_match_and_matched_use_self():
    frame = json.loads(encode(Match("m", True, "", 2, (ANN, BOB), ANN), "3"))
    assert frame["cid"] == "3" and frame["match"]["self"] == ANN.to_json() and frame["match"]["size"] == 2
    assert "label" not in frame["match"]
    users = (MatchmakerUser(ANN), MatchmakerUser(BOB))
    matched = json.loads(encode(MatchmakerMatched("t", "m", "tok", users, MatchmakerUser(BOB))))
    body = matched["matchmaker_matched"]
    assert body["self"] == {"presence": BOB.to_json()} and len(body["users"]) == 2


def test_server_messages_roundtrip_through_the_lenient_decoder():
    for msg in [
        MatchmakerTicket("t"),
        MatchmakerMatched("t", "m", "tok", (MatchmakerUser(ANN), MatchmakerUser(BOB)), MatchmakerUser(ANN)),
        Match("m", True, "label", 2, (ANN, BOB), ANN),
        MatchPresenceEvent("m", (ANN,), (BOB,)),
        MatchData("m", 2, b"state", ANN),
        Error(4, "Match not found"),
        Pong(),
    ]:
        assert decode_server(encode(msg, "9")) == Envelope(msg, "9")


def test_the_lenient_decoder_ignores_what_it_does_not_know():
    assert decode_server('{"status_presence_event":{}}').message == Unknown("status_presence_event")
    assert decode_server('{"cid":"4"}') == Envelope(Ack(), "4")
    assert decode_server('{"notifications":{},"match_data":{"match_id":"m","op_code":"2"}}').message == MatchData("m", 2)
    with pytest.raises(ProtocolError):
        decode_server("not json")

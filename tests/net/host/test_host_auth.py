"""Sign-in's rules: tokens, device ids, names and the secret; the socket's token check on a real host.

The HTTP endpoints themselves are tested in ``test_host_http``.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from net.host.auth import AuthError, TokenIssuer, check_device_id, clean_username, load_or_create_secret

SECRET = b"s" * 32


def claims_of(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def sign_in(http_get, port, name="ann", device="device-0000-ann", key="defaultkey", extra=""):
    path = f"/v2/account/authenticate/device?create=true&username={quote(name)}&id={quote(device)}{extra}"
    return http_get(port, path, key=key)


# Tokens ------------------------------------------------------------------------------------


def test_tokens_are_nakama_shaped_jwts():
    issuer = TokenIssuer(SECRET, token_seconds=7200, clock=lambda: 1000.0)
    tokens = issuer.issue("uid-1", "ann")
    head = json.loads(base64.urlsafe_b64decode(tokens.token.split(".")[0] + "=="))
    assert head == {"alg": "HS256", "typ": "JWT"}
    claims = claims_of(tokens.token)
    assert claims["uid"] == "uid-1" and claims["usn"] == "ann"
    assert claims["iat"] == 1000 and claims["exp"] == 8200 and claims["tid"]
    assert issuer.verify_session(tokens.token).uid == "uid-1"
    assert issuer.verify_refresh(tokens.refresh_token).usn == "ann"


def test_session_and_refresh_tokens_are_not_interchangeable():
    issuer = TokenIssuer(SECRET)
    tokens = issuer.issue("uid-1", "ann")
    with pytest.raises(AuthError):
        issuer.verify_session(tokens.refresh_token)
    with pytest.raises(AuthError):
        issuer.verify_refresh(tokens.token)


def test_expired_token_is_refused():
    now = [1000.0]
    issuer = TokenIssuer(SECRET, token_seconds=60, clock=lambda: now[0])
    token = issuer.issue("uid-1", "ann").token
    now[0] = 1059.0
    assert issuer.verify_session(token).uid == "uid-1"
    now[0] = 1060.0
    with pytest.raises(AuthError, match="expired") as info:
        issuer.verify_session(token)
    assert info.value.status == 401


def _forge(token: str, **changes) -> str:
    head, body, sig = token.split(".")
    claims = claims_of(token) | changes
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{body}.{sig}"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: "",
        lambda t: "abc",
        lambda t: t + "x",
        lambda t: t[:-2],
        lambda t: _forge(t, uid="someone-else"),
        lambda t: _forge(t, exp=2**40),
        lambda t: TokenIssuer(b"o" * 32).issue("uid-1", "ann").token,
        lambda t: "eyJhbGciOiJub25lIn0." + t.split(".")[1] + ".",
        lambda t: "é" + t,
        lambda t: "a.b.c",
        lambda t: t.replace(".", "..", 1),
    ],
    ids=[
        "empty", "junk", "extra", "cut", "other-uid", "longer-life", "other-secret", "alg-none", "non-ascii", "three-parts",
        "four-parts",
    ],
)
def test_forged_tokens_are_refused(mangle):
    issuer = TokenIssuer(SECRET)
    token = issuer.issue("uid-1", "ann").token
    with pytest.raises(AuthError) as info:
        issuer.verify_session(mangle(token))
    assert info.value.status == 401


def test_same_device_same_user_and_secret_matters():
    a, b = TokenIssuer(SECRET), TokenIssuer(SECRET)
    assert a.user_id_for_device("device-123456") == b.user_id_for_device("device-123456")
    assert a.user_id_for_device("device-123456") != a.user_id_for_device("device-123457")
    assert TokenIssuer(b"x" * 32).user_id_for_device("device-123456") != a.user_id_for_device("device-123456")


@pytest.mark.parametrize("device", [None, "", "short", "x" * 129, "has a space", "tab\there0000", "ctrl\x00char000", "é" * 65])
def test_bad_device_ids(device):
    with pytest.raises(AuthError) as info:
        check_device_id(device)
    assert info.value.status == 400


@pytest.mark.parametrize("device", ["0123456789", "x" * 128, "é" * 64, "550e8400-e29b-41d4-a716-446655440000"])
def test_good_device_ids(device):
    assert check_device_id(device) == device


def test_usernames():
    assert clean_username("  ann  ") == "ann"
    assert clean_username(None) is None and clean_username("   ") is None  # the host makes one up
    assert clean_username("x" * 20) == "x" * 20
    for bad in ("x" * 21, "tab\tname", "bell\x07"):
        with pytest.raises(AuthError):
            clean_username(bad)


def test_usernames_are_normalised_and_broken_text_is_refused():
    assert clean_username("\uff21\uff4e\uff4e") == "Ann"  # fullwidth letters are the plain ones
    assert clean_username("ann   lee") == "ann lee"
    for broken in ("a\ufffdb", "\udc80ann"):  # bytes that were not UTF-8, replaced or smuggled through
        with pytest.raises(AuthError, match="valid text") as info:
            clean_username(broken)
        assert info.value.status == 400



def test_secret_is_kept_in_the_data_folder(tmp_path):
    first = load_or_create_secret(tmp_path)
    assert load_or_create_secret(tmp_path) == first
    assert (tmp_path / "host_secret").stat().st_mode & 0o777 == 0o600
    assert load_or_create_secret(None) != load_or_create_secret(None)
    (tmp_path / "host_secret").write_text("not hex")
    with pytest.raises(ValueError):
        load_or_create_secret(tmp_path)


# The HTTP endpoints -------------------------------------------------------------------------


def test_socket_needs_a_valid_token(running_host, http_get, host_client):
    good = sign_in(http_get, running_host.port).json()["token"]
    expired = TokenIssuer(b"z" * 32, token_seconds=1, clock=lambda: 0.0).issue("u", "n").token

    async def refused(query: str) -> tuple[int, str]:
        try:
            ws = await connect(f"{running_host.url}/ws?{query}", open_timeout=5)
        except InvalidStatus as exc:
            return exc.response.status_code, exc.response.body.decode()
        await ws.close()
        return 101, ""

    async def scenario():
        assert (await refused("format=json"))[0] == 401
        assert (await refused(f"token={_forge(good, uid='x')}&format=json"))[0] == 401
        status, body = await refused(f"token={expired}&format=json")
        assert status == 401 and body
        assert (await refused(f"token={good}&format=protobuf"))[0] == 400
        assert (await refused(f"token={good}&format=json"))[0] == 101
        assert (await refused(f"token={good}"))[0] == 101

    host_client.run(scenario())


def test_expired_token_at_the_socket(host_factory, http_get, host_client):
    host = host_factory(manual_clock=True, token_seconds=60)
    token = sign_in(http_get, host.port).json()["token"]

    async def scenario():
        await host.elapse(59)
        async with connect(f"{host.url}/ws?token={token}&format=json", open_timeout=5):
            pass  # still good
        await host.elapse(1)
        with pytest.raises(InvalidStatus) as info:
            await connect(f"{host.url}/ws?token={token}&format=json", open_timeout=5)
        assert info.value.response.status_code == 401
        assert b"expired" in info.value.response.body

    host_client.run(scenario())


def test_tokens_survive_a_restart_on_the_same_data_folder(host_factory, http_get, host_client, tmp_path):
    first = host_factory(data_dir=tmp_path / "kept")
    body = sign_in(http_get, first.port).json()
    first.close()
    second = host_factory(data_dir=tmp_path / "kept")

    async def scenario():
        c = await host_client.connect(second.port, token=body["token"])
        assert c.user_id == claims_of(body["token"])["uid"]

    host_client.run(scenario())
    assert sign_in(http_get, second.port).json()["created"] is False


def test_a_lan_game_is_full_at_two_players(host_factory, http_get, host_client):
    host = host_factory(max_players=2)

    async def scenario():
        a = await host_client.connect(host.port, "ann", device_id="lan-device-ann")
        b = await host_client.connect(host.port, "bob", device_id="lan-device-bob")
        answer = sign_in(http_get, host.port, name="eve", device="lan-device-eve")
        assert answer.status == 403 and answer.json()["message"] == "This game is full"
        again = sign_in(http_get, host.port, name="ann", device="lan-device-ann")
        assert again.status == 200  # a player already in is welcome back
        await b.close()
        await a.sync()
        answer = sign_in(http_get, host.port, name="eve", device="lan-device-eve")
        assert answer.status == 200  # bob left (and held no seat), so there is room
        token = answer.json()["token"]
        c = await host_client.connect(host.port, token=token)
        # now full again: bob cannot come back on his old token
        with pytest.raises(InvalidStatus) as info:
            await connect(f"{host.url}/ws?token={b.token}&format=json", open_timeout=5)
        assert info.value.response.status_code == 403
        assert info.value.response.body.decode() == "This game is full"
        await c.close()

    host_client.run(scenario())


def test_a_lan_player_in_the_grace_period_keeps_the_place(host_factory, http_get, host_client):
    host = host_factory(max_players=2)

    async def scenario():
        p1, p2 = await host_client.pair(host.port)
        await p2.close()
        await p1.expect("match_presence_event")
        answer = sign_in(http_get, host.port, name="eve", device="lan-device-eve")
        assert answer.status == 403  # bob's seat is held for him
        back = await host_client.connect(host.port, token=p2.token)
        assert "match" in await back.join(p1.match_id)

    host_client.run(scenario())

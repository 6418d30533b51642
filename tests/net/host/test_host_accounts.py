"""Names and tokens on a real host: one account per name whatever its form, a name that follows
renames, refresh tokens good for one use.
"""

from __future__ import annotations

import sqlite3
from urllib.parse import quote

import pytest

from net.host.store import DB_FILE
from tests.net.host.test_host_http import REFRESH, claims_of, request
from tests.net.host.test_host_store import WIN, play

SIGN_IN = "/v2/account/authenticate/device"


def sign_in(port: int, name: str, device: str, raw_name: str | None = None):
    """POST sign-in; ``raw_name`` is put in the query as it is (already percent-encoded)."""
    return request(port, "POST", f"{SIGN_IN}?create=true&username={raw_name or quote(name)}", {"id": device})


def rename(port: int, token: str, body: dict | bytes):
    return request(port, "PUT", "/v2/account", body, {"Authorization": f"Bearer {token}"})


# One account per name ----------------------------------------------------------------------------------------


MATH_BOLD_ADMIN = "\U0001d41a\U0001d41d\U0001d426\U0001d422\U0001d427"


@pytest.mark.parametrize(
    "variant",
    ["ADMIN", "Admin", "\uff41\uff44\uff4d\uff49\uff4e", "\uff21DMIN", "  admin  ", MATH_BOLD_ADMIN],
    ids=["upper", "title", "fullwidth", "mixed-width", "spaces", "math-bold"],
)
def test_case_variants_and_look_alikes_of_a_name_are_that_name(running_host, variant):
    port = running_host.port
    assert sign_in(port, "admin", "device-0000-admin").status == 200
    taken = sign_in(port, variant, "device-0000-other")
    assert taken.status == 409 and taken.json()["message"] == "Username is already in use."
    token = sign_in(port, "zed", "device-0000-zed").json()["token"]
    refused = rename(port, token, {"username": variant})
    assert refused.status == 400 and "already in use" in refused.json()["message"]


def test_a_name_is_kept_in_its_normal_form(running_host):
    port = running_host.port
    answer = sign_in(port, "\uff3a\uff4f\uff45  \uff2b", "device-0000-zoe")
    assert answer.status == 200 and claims_of(answer.json()["token"])["usn"] == "Zoe K"
    token = answer.json()["token"]
    assert rename(port, token, {"username": "\uff2a\uff4f"}).status == 200
    assert request(port, "GET", "/v2/account", None, {"Authorization": f"Bearer {token}"}).json()["user"]["username"] == "Jo"


@pytest.mark.parametrize("raw", ["%FF%FE", "ann%C3", "%ED%A0%80x"], ids=["not-utf8", "cut", "surrogate"])
def test_a_name_that_is_not_valid_text_is_refused(running_host, raw):
    answer = sign_in(running_host.port, "", "device-0000-bad", raw_name=raw)
    assert answer.status == 400 and "valid text" in answer.json()["message"]


def test_a_rename_that_is_not_valid_text_is_refused(running_host):
    port = running_host.port
    token = sign_in(port, "ann", "device-0000-ann").json()["token"]
    assert rename(port, token, b'{"username": "\\udc80ann"}').status == 400  # a lone surrogate, escaped in JSON
    assert rename(port, token, b'{"username": "\xff\xfe"}').status == 400  # bytes that are not UTF-8
    assert request(port, "GET", "/v2/account", None, {"Authorization": f"Bearer {token}"}).json()["user"]["username"] == "ann"


# A name follows the account, not the token -------------------------------------------------------------------


def test_after_a_rename_the_old_token_never_shows_the_old_name(running_host, host_client):
    """A renames away from vic, B signs up as vic: A's old token says al in matchmaking, presences and the game's row."""
    port = running_host.port
    a = sign_in(port, "vic", "device-0000-aaa").json()
    a_id = claims_of(a["token"])["uid"]

    async def scenario():
        before = await host_client.connect(port, token=a["token"])
        assert rename(port, a["token"], {"username": "al"}).status == 200
        code, reason = await before.closed()  # that socket carried the old name everywhere it went
        assert code == 1000 and "renamed" in reason
        b = sign_in(port, "vic", "device-0000-bbb")
        assert b.status == 200  # the name is free again
        old = await host_client.connect(port, token=a["token"])  # still valid, still says usn=vic inside
        new = await host_client.connect(port, token=b.json()["token"])
        await old.find_match_start()
        await new.find_match_start()
        matched = await old.find_match_end()
        await new.find_match_end()
        names = {u["presence"]["user_id"]: u["presence"]["username"] for u in matched["users"]}
        assert names[a_id] == "al" and sorted(names.values()) == ["al", "vic"]
        joined = await old.join(old.match_id)
        assert joined["match"]["self"]["username"] == "al"
        seen = await new.join(token=new.matched["token"])
        assert {p["username"] for p in seen["match"]["presences"]} == {"al", "vic"}
        va = await old.state()
        await new.state()
        first, second = (old, new) if va.you == 1 else (new, old)
        await play(first, second, WIN)

    host_client.run(scenario())
    running_host.stop()
    db = sqlite3.connect(running_host.data_dir / DB_FILE)
    try:
        ((p1_id, p1_name, p2_id, p2_name),) = db.execute("SELECT player1_id, player1_name, player2_id, player2_name FROM games")
    finally:
        db.close()
    assert {p1_id: p1_name, p2_id: p2_name}[a_id] == "al" and sorted([p1_name, p2_name]) == ["al", "vic"]


def test_a_refresh_gives_the_name_the_account_has_now(running_host):
    port = running_host.port
    tokens = sign_in(port, "ann", "device-0000-ann").json()
    assert rename(port, tokens["token"], {"username": "anna"}).status == 200
    fresh = request(port, "POST", REFRESH, {"token": tokens["refresh_token"]})
    assert fresh.status == 200 and claims_of(fresh.json()["token"])["usn"] == "anna"


# Refresh tokens rotate ---------------------------------------------------------------------------------------------


def test_a_refresh_token_is_good_for_one_refresh_even_across_a_restart(host_factory, tmp_path):
    folder = tmp_path / "kept"
    host = host_factory(data_dir=folder)
    tokens = sign_in(host.port, "ann", "device-0000-ann").json()
    first = request(host.port, "POST", REFRESH, {"token": tokens["refresh_token"]})
    assert first.status == 200 and first.json()["refresh_token"] != tokens["refresh_token"]
    again = request(host.port, "POST", REFRESH, {"token": tokens["refresh_token"]})
    assert again.status == 401 and again.json()["message"] == "Refresh token invalid or expired."
    second = request(host.port, "POST", REFRESH, {"token": first.json()["refresh_token"]})
    assert second.status == 200
    host.close()
    restarted = host_factory(data_dir=folder)
    assert request(restarted.port, "POST", REFRESH, {"token": first.json()["refresh_token"]}).status == 401
    assert request(restarted.port, "POST", REFRESH, {"token": second.json()["refresh_token"]}).status == 200

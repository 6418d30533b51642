"""The admin listener: its own port, the password, the console's cookies and forms, bans, escaping, the audit log.

Every test runs a real host and a real admin listener on loopback and uses them as an
operator's browser would (``adminclient.Browser``: cookies, forms, the ``Origin`` a
browser sends) while real players' sockets (``HostClient``) play. The metrics have
tests of their own (test_admin_metrics.py), the real browser too (test_console_browser.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import ssl
import subprocess
import sys

import pytest
import trustme
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from game.rules import Termination
from game.xoxo import OP_OPPONENT_GONE, decode_gone
from net.host.admin import AdminConfigError, AdminListener, AdminSettings, read_password
from net.host.admin.access import LOGIN_COOKIE, SESSION_COOKIE
from net.host.admin.audit import AUDIT_FILE
from net.host.bans import BANS_FILE
from net.host.web import ApiRequest
from tests.net.conftest import WAIT, http_get_raw, sign_in_path
from tests.net.host.adminclient import PASSWORD, Browser, csrf_of

BAN_SENTENCE = "This account is banned from this server. Reason: Offensive name"


def signed_in(listener: AdminListener) -> Browser:
    browser = Browser(listener.port)
    answer = browser.sign_in()
    assert answer.status == 303 and answer.header("Location") == "/console", answer
    return browser


async def player(host_client, port: int, name: str, device: str):
    return await host_client.connect(port, name, device_id=device)


async def matched(host_client, port: int, names=("ann", "bob")):
    """Two players with known devices, matched and joined, player 1 (who moves first) first."""
    a = await player(host_client, port, names[0], f"device-{names[0]}-0123456789")
    b = await player(host_client, port, names[1], f"device-{names[1]}-0123456789")
    for c in (a, b):
        await c.find_match_start()
    for c in (a, b):
        await c.find_match_end()
    await a.join(a.match_id)
    await b.join(token=b.matched["token"])
    va, _ = await a.state(), await b.state()
    return (a, b) if va.you == 1 else (b, a)


# Starting it ------------------------------------------------------------------------------------


def test_the_password_must_be_given_and_long_enough(tmp_path):
    with pytest.raises(AdminConfigError, match="needs a password: set TICTACTOE_ADMIN_PASSWORD"):
        read_password({}, None)
    with pytest.raises(AdminConfigError, match="too short: 5 characters, at least 12"):
        read_password({"TICTACTOE_ADMIN_PASSWORD": "short"}, None)
    with pytest.raises(AdminConfigError, match="cannot read the admin password file"):
        read_password({}, tmp_path / "missing")
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    assert read_password({"TICTACTOE_ADMIN_PASSWORD": "ignored-when-a-file-is-given"}, tmp_path / "pw") == PASSWORD


def test_serve_refuses_to_start_the_admin_listener_without_a_password_in_one_line(tmp_path):
    cmd = [sys.executable, "-m", "net.host.serve", "--port", "0", "--data", str(tmp_path), "--admin-port", "0"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: the admin listener needs a password: set TICTACTOE_ADMIN_PASSWORD or give --admin-password-file FILE"
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env={**env, "TICTACTOE_ADMIN_PASSWORD": "abc"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: the admin password in TICTACTOE_ADMIN_PASSWORD is too short: 3 characters, at least 12 are needed"
    ]


def test_console_and_metrics_are_not_on_the_players_port_nor_the_api_on_the_admin_port(admin_factory):
    host, listener = admin_factory()
    assert listener.port != host.port
    for path in ("/metrics", "/console", "/console/login"):
        assert http_get_raw(host.port, path).status == 404, path
    browser = Browser(listener.port)
    assert browser.get(sign_in_path("ann", "device-ann-0123456789")).status == 404
    assert browser.get("/healthcheck").status == 404
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
               "Sec-WebSocket-Version": "13"}
    assert browser.get("/ws", headers=upgrade).status == 404
    assert browser.get("/metrics").status == 200  # from loopback, no password needed


def test_metrics_ask_for_the_password_from_anywhere_but_loopback(admin_factory):
    host, listener = admin_factory()
    site = listener.site
    assert site is not None

    def scrape(remote: str, authorization: str | None = None):
        headers = {"authorization": authorization} if authorization else {}
        return host.call(site.http_request, ApiRequest("GET", "/metrics", {}, headers, b"", remote))

    assert scrape("127.0.0.1").status == 200
    assert scrape("::1").status == 200
    refused = scrape("192.0.2.7")
    assert refused.status == 401 and ("WWW-Authenticate", 'Basic realm="tictactoe metrics"') in refused.headers
    def basic(password: str) -> str:
        return "Basic " + base64.b64encode(f"prometheus:{password}".encode()).decode()

    assert scrape("192.0.2.7", basic(PASSWORD)).status == 200
    assert scrape("192.0.2.7", basic("wrong password!")).status == 401


# Signing in ------------------------------------------------------------------------------------------


def test_nothing_of_the_console_works_without_signing_in(admin_factory):
    _host, listener = admin_factory()
    browser = Browser(listener.port)
    for path in ("/console", "/console/games", "/console/accounts?q=a", "/console/account?id=x", "/console/audit",
                 "/console/leaderboard", "/console/match?id=x", "/console/game?match=x&game=1"):
        answer = browser.get(path)
        assert answer.status == 303 and answer.header("Location") == "/console/login", path
    for path in ("/console/account/ban", "/console/account/rename", "/console/account/unban", "/console/logout"):
        assert browser.post(path, {"csrf": "x", "id": "x", "reason": "r", "name": "n"}).status == 403, path


def test_sign_in_sets_a_strict_httponly_expiring_cookie_and_sign_out_ends_it(admin_factory):
    _host, listener = admin_factory()
    browser = Browser(listener.port)
    form = browser.get("/console/login")
    login_cookie = next(c for c in form.set_cookies() if c.startswith(LOGIN_COOKIE))
    assert "HttpOnly" in login_cookie and "SameSite=Strict" in login_cookie
    wrong = browser.post("/console/login", {"login": csrf_of(form.body, "login"), "password": "not the password"})
    assert wrong.status == 401 and "Wrong password." in wrong.body
    answer = browser.sign_in()
    cookie = next(c for c in answer.set_cookies() if c.startswith(SESSION_COOKIE))
    attributes = {a.strip().split("=")[0]: a.strip() for a in cookie.split(";")[1:]}
    assert attributes.keys() >= {"Path", "Max-Age", "HttpOnly", "SameSite"}
    assert attributes["SameSite"] == "SameSite=Strict" and attributes["Path"] == "Path=/"
    assert 0 < int(attributes["Max-Age"].split("=")[1]) <= 24 * 3600
    assert "Secure" not in attributes  # plain HTTP on loopback: a Secure cookie would never come back
    page = browser.get("/console")
    assert page.status == 200 and "Overview" in page.body
    assert (page.header("Content-Security-Policy") or "").startswith("default-src 'none'")
    assert browser.post("/console/logout", {"csrf": csrf_of(page.body)}).status == 303
    assert browser.get("/console").status == 303


def test_a_sign_in_form_from_elsewhere_is_refused(admin_factory):
    _host, listener = admin_factory()
    browser = Browser(listener.port)
    form = browser.get("/console/login")
    token = csrf_of(form.body, "login")
    stranger = Browser(listener.port)  # no cookie: a form posted from another site
    assert stranger.post("/console/login", {"login": token, "password": PASSWORD}).status == 403
    other_origin = browser.post("/console/login", {"login": token, "password": PASSWORD},
                                headers={"Origin": "http://evil.example"})
    assert other_origin.status == 403
    assert SESSION_COOKIE not in browser.cookies and SESSION_COOKIE not in stranger.cookies


def test_wrong_passwords_are_rate_limited(admin_factory):
    _host, listener = admin_factory()
    browser = Browser(listener.port)
    for _ in range(5):
        assert browser.sign_in(password="guess guess guess").status == 401
    blocked = browser.sign_in()  # even the right one, for a while
    assert blocked.status == 429 and "Too many wrong passwords" in blocked.body
    assert SESSION_COOKIE not in browser.cookies


def test_every_change_needs_the_sessions_csrf_token(admin_factory, host_client):
    host, listener = admin_factory()
    browser = signed_in(listener)
    other = signed_in(listener)

    async def scenario():
        ann = await player(host_client, host.port, "ann", "device-ann-0123456789")
        page = f"/console/account?id={ann.user_id}"
        theirs = csrf_of(other.get(page).body)
        assert browser.post("/console/account/ban", {"id": ann.user_id, "reason": "x"}).status == 403
        assert browser.post("/console/account/ban", {"csrf": theirs, "id": ann.user_id, "reason": "x"}).status == 403
        mine = csrf_of(browser.get(page).body)
        cross = browser.post("/console/account/ban", {"csrf": mine, "id": ann.user_id, "reason": "x"},
                             headers={"Origin": "http://evil.example"})
        assert cross.status == 403
        assert host.call(host.host.bans.refusal, ann.user_id) is None
        assert (await ann.sync()) == []  # still connected, nothing happened

    host_client.run(scenario())


# What players typed is escaped ------------------------------------------------------------------------


def test_names_with_markup_and_quotes_are_escaped_on_every_page(admin_factory, host_client):
    host, listener = admin_factory()
    browser = signed_in(listener)
    evil = "<script>\"x'&"

    async def scenario():
        a, b = await matched(host_client, host.port, (evil, "bob"))
        mark = a if a.username == evil else b
        await a.move(2, 2)
        await a.state()
        pages = ["/console", f"/console/match?id={a.match_id}", "/console/accounts?q=%3Cscript",
                 f"/console/account?id={mark.user_id}"]
        for path in pages:
            body = (await asyncio.to_thread(browser.get, path)).body
            assert "&lt;script&gt;&quot;x&#x27;&amp;" in body, path
            assert "<script>" not in body, path
        ban = await asyncio.to_thread(browser.act, "/console/account/ban",
                                      {"id": mark.user_id, "reason": '<b>"rude"</b>'}, f"/console/account?id={mark.user_id}")
        assert ban.status == 303
        for path in ("/console/audit", f"/console/account?id={mark.user_id}", "/console/games"):
            body = (await asyncio.to_thread(browser.get, path)).body
            assert "<b>" not in body and "<script>" not in body, path
        assert "&lt;b&gt;&quot;rude&quot;&lt;/b&gt;" in (await asyncio.to_thread(browser.get, "/console/audit")).body

    host_client.run(scenario())


# Bans ---------------------------------------------------------------------------------------------


def test_a_banned_player_leaves_their_match_which_the_opponent_wins_and_is_refused_at_every_door(
        admin_factory, host_client):
    host, listener = admin_factory()
    browser = signed_in(listener)

    async def scenario():
        ann, bob = await matched(host_client, host.port)
        await ann.move(1, 1)
        await ann.state()
        await bob.state()
        answer = await asyncio.to_thread(browser.act, "/console/account/ban",
                                         {"id": bob.user_id, "reason": "Offensive   name"},
                                         f"/console/account?id={bob.user_id}")
        assert answer.status == 303
        code, reason = await bob.closed()
        assert (code, reason) == (1008, BAN_SENTENCE)
        final = await ann.state()
        assert final.board.outcome is not None and final.board.outcome.winner == final.you == 1
        assert final.board.outcome.termination is Termination.OPPONENT_LEFT
        gone = decode_gone(await ann.match_data(OP_OPPONENT_GONE))
        assert gone.user_id == bob.user_id
        refused = await asyncio.to_thread(http_get_raw, host.port, sign_in_path("bob", "device-bob-0123456789"))
        assert refused.status == 403 and refused.json()["message"] == BAN_SENTENCE
        with pytest.raises(InvalidStatus) as upgrade:
            await connect(f"ws://127.0.0.1:{host.port}/ws?token={bob.token}&format=json", open_timeout=WAIT)
        assert upgrade.value.response.status_code == 403
        assert BAN_SENTENCE in upgrade.value.response.body.decode()
        page = (await asyncio.to_thread(browser.get, f"/console/account?id={bob.user_id}")).body
        assert "banned" in page and "Offensive name" in page
        lifted = await asyncio.to_thread(browser.act, "/console/account/unban", {"id": bob.user_id},
                                         f"/console/account?id={bob.user_id}")
        assert lifted.status == 303
        back = await asyncio.to_thread(http_get_raw, host.port, sign_in_path("bob", "device-bob-0123456789"))
        assert back.status == 200

    host_client.run(scenario())
    record = host.call(lambda: list(host.host.activity.recent))[-1]
    assert record.termination is Termination.OPPONENT_LEFT and record.players[record.winner - 1].username == "ann"
    host.run(host.host.bans.flush())
    host.run(listener.site.audit.flush())
    entries = [json.loads(line) for line in (host.data_dir / AUDIT_FILE).read_text().splitlines()]
    assert [e["action"] for e in entries] == ["sign_in", "ban", "unban"]
    assert all(e["operator"] == "Olga" and e["address"] == "127.0.0.1" for e in entries)
    assert entries[1]["name"] == "bob" and "Offensive name" in entries[1]["detail"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entries[1]["time"])
    assert json.loads((host.data_dir / BANS_FILE).read_text()) == []


def test_a_ban_with_an_end_date_says_until_when_and_outlives_a_restart(admin_factory, host_factory, tmp_path):
    host, listener = admin_factory()
    browser = signed_in(listener)
    device = "device-carl-0123456789"
    carl = http_get_raw(host.port, sign_in_path("carl", device)).json()
    uid = json.loads(base64.urlsafe_b64decode(carl["token"].split(".")[1] + "=="))["uid"]
    page = f"/console/account?id={uid}"
    assert "must be in the future" in browser.act("/console/account/ban",
                                                  {"id": uid, "reason": "Spam", "until": "2001-01-01"}, page).body
    assert browser.act("/console/account/ban", {"id": uid, "reason": "Spam", "until": "2999-12-31"}, page).status == 303
    refused = http_get_raw(host.port, sign_in_path("carl", device))
    assert refused.status == 403
    assert refused.json()["message"] == "This account is banned from this server until 2999-12-31 00:00 UTC. Reason: Spam"
    host.run(listener.stop())
    host.close()
    again = host_factory(data_dir=host.data_dir)
    assert http_get_raw(again.port, sign_in_path("carl", device)).status == 403


def test_a_rename_from_the_console_takes_effect_and_is_audited(admin_factory, host_client):
    host, listener = admin_factory()
    browser = signed_in(listener)

    async def scenario():
        ann = await player(host_client, host.port, "ann", "device-ann-0123456789")
        await player(host_client, host.port, "bob", "device-bob-0123456789")
        page = f"/console/account?id={ann.user_id}"
        taken = await asyncio.to_thread(browser.act, "/console/account/rename", {"id": ann.user_id, "name": "BOB"}, page)
        assert taken.status == 400 and "Another account is named BOB already." in taken.body
        done = await asyncio.to_thread(browser.act, "/console/account/rename", {"id": ann.user_id, "name": "Annie"}, page)
        assert done.status == 303
        assert (await ann.closed())[1] == "your account was renamed; connect again"
        assert "Annie" in (await asyncio.to_thread(browser.get, page)).body

    host_client.run(scenario())
    audit = browser.get("/console/audit").body
    assert "rename" in audit and "now Annie" in audit


# Live matches and replays -------------------------------------------------------------------------------


def test_the_console_shows_live_matches_as_they_change_replays_finished_games_and_the_leaderboard(admin_factory, host_client):
    host, listener = admin_factory()
    browser = signed_in(listener)

    async def scenario():
        x, o = await matched(host_client, host.port)
        page = f"/console/match?id={x.match_id}"
        before = (await asyncio.to_thread(browser.get, page)).body
        assert '<meta http-equiv="refresh" content="2">' in before
        assert before.count('class="m1"') == 0 and "ann" in before and "bob" in before
        for (row, col), mover in zip([(1, 1), (2, 1), (1, 2), (2, 2), (1, 3)], [x, o] * 3, strict=False):
            await mover.move(row, col)
            await x.state()
            await o.state()
        after = (await asyncio.to_thread(browser.get, page)).body
        assert after.count('class="m1">X<') == 3 and after.count('class="m2">O<') == 2
        assert f"{x.username} won (three in a row)" in after
        listing = (await asyncio.to_thread(browser.get, "/console/games")).body
        assert "replay" in listing
        step = (await asyncio.to_thread(browser.get, f"/console/game?match={x.match_id}&game=1&step=2")).body
        assert step.count('class="m1">X<') == 1 and step.count('class="m2">O<') == 1
        assert "move 2 of 5: O at row 2, column 1" in step
        last = (await asyncio.to_thread(browser.get, f"/console/game?match={x.match_id}&game=1&step=5")).body
        assert "Result:" in last
        board = (await asyncio.to_thread(browser.get, "/console/leaderboard")).body  # a matchmade game is rated
        assert re.search(rf"<td>1</td><td><a [^>]*>{x.username}</a></td><td>\d+\?</td><td>1</td><td>0</td><td>0</td>", board)
        assert re.search(rf"<td>2</td><td><a [^>]*>{o.username}</a></td><td>\d+\?</td><td>0</td><td>1</td><td>0</td>", board)

    host_client.run(scenario())


# TLS ---------------------------------------------------------------------------------------------------------


def test_with_the_hosts_certificate_the_admin_listener_speaks_tls_and_the_cookie_is_secure(admin_factory, tmp_path):
    authority = trustme.CA()
    leaf = authority.issue_cert("127.0.0.1")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    for i, blob in enumerate(leaf.cert_chain_pems):
        blob.write_to_path(cert, append=i > 0)
    leaf.private_key_pem.write_to_path(key)
    _host, listener = admin_factory(tls_cert=cert, tls_key=key)
    assert listener.tls
    plain = Browser(listener.port).get("/metrics")
    assert plain.status == 400 and "expects TLS" in plain.body
    context = ssl.create_default_context()
    authority.configure_trust(context)
    browser = Browser(listener.port, context=context)
    assert browser.get("/metrics").status == 200
    answer = browser.sign_in()
    cookie = next(c for c in answer.set_cookies() if c.startswith(SESSION_COOKIE))
    assert "; Secure" in cookie
    assert browser.get("/console").status == 200


def test_embedding_refuses_a_short_password():
    with pytest.raises(AdminConfigError):
        AdminSettings(0, "too short")
    assert "hunter" not in repr(AdminSettings(0, "hunter2hunter2"))


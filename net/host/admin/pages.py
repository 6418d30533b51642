"""The console's pages: server-rendered HTML from plain values, with no JavaScript at all.

Every value that came from a player (names above all) or from an operator goes through
``html.escape`` on its way into a page, attributes included; URLs are built with
``urllib.parse`` and escaped too. Live pages (the overview and a match) refresh
themselves every ``REFRESH_SECONDS`` with a ``<meta http-equiv="refresh">``, which needs
no script. The style sheet is one small file (``STYLE``) laid out for a phone's width
first; the pages' Content-Security-Policy allows nothing but it and the forms.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from net.host.admin.games import PastGame
from net.host.bans import Ban, utc_text

REFRESH_SECONDS = 2
MARKS = {0: "", 1: "X", 2: "O"}
RESULTS = {
    "line": "three in a row", "draw": "a draw", "timeout": "ran out of time", "opponent_left": "opponent left",
    "claimed": "win claimed", "draw_called": "draw called", "aborted": "aborted",
}


def h(value: object) -> str:
    """Text made safe for HTML, quotes included."""
    return html.escape(str(value), quote=True)


def url(path: str, **query: object) -> str:
    return h(f"{path}?{urlencode({k: str(v) for k, v in query.items()})}" if query else path)


@dataclass(frozen=True)
class Seat:
    user_id: str
    name: str
    connected: bool


@dataclass(frozen=True)
class LiveMatchView:
    match_id: str
    players: tuple[Seat | None, Seat | None]  # player 1 (X), player 2 (O)
    game: int
    cells: tuple[int, ...]  # 0 empty, 1 X, 2 O
    status: str


@dataclass(frozen=True)
class OnlineView:
    user_id: str
    name: str
    address: str
    match_ids: tuple[str, ...]


@dataclass(frozen=True)
class AccountView:
    user_id: str
    name: str
    online: bool
    ban: Ban | None
    ban_active: bool


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    user_id: str
    name: str
    rating: str  # as shown, "1500?" while provisional
    wins: int
    losses: int
    draws: int


# The frame --------------------------------------------------------------------------------------

NAV = (("/console", "Overview"), ("/console/games", "Recent games"), ("/console/leaderboard", "Leaderboard"),
       ("/console/accounts", "Accounts"), ("/console/audit", "Audit log"))


def page(title: str, body: str, *, csrf: str | None, refresh: bool = False, notice: str = "") -> str:
    """A whole page: ``body`` is HTML already escaped; ``csrf`` None for the sign-in page (no menu)."""
    head_refresh = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if refresh else ""
    menu = ""
    if csrf is not None:
        links = "".join(f'<a href="{h(path)}">{h(label)}</a>' for path, label in NAV)
        menu = (f'<nav>{links}<form method="post" action="/console/logout" class="inline">{hidden(csrf)}'
                f'<button type="submit">Sign out</button></form></nav>')
    shown = f'<p class="notice" role="status">{h(notice)}</p>' if notice else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'{head_refresh}<title>{h(title)} - tictactoe console</title>'
        '<link rel="stylesheet" href="/console/style.css"></head>'
        f'<body><header><span class="brand">tictactoe console</span>{menu}</header>'
        f'<main><h1>{h(title)}</h1>{shown}{body}</main></body></html>'
    )


def hidden(csrf: str) -> str:
    return f'<input type="hidden" name="csrf" value="{h(csrf)}">'


def sign_in(login_token: str, problem: str = "") -> str:
    error = f'<p class="error" role="alert">{h(problem)}</p>' if problem else ""
    body = (
        f'{error}<form method="post" action="/console/login" class="card">'
        f'<input type="hidden" name="login" value="{h(login_token)}">'
        '<label>Password <input type="password" name="password" autocomplete="current-password" required autofocus>'
        '</label><label>Your name, for the audit log <input type="text" name="operator" maxlength="40"></label>'
        '<button type="submit">Sign in</button></form>'
    )
    return page("Sign in", body, csrf=None)


# Live ------------------------------------------------------------------------------------------------


def board(cells: Sequence[int], caption: str = "") -> str:
    rows = []
    for r in range(3):
        tds = "".join(f'<td class="m{cells[r * 3 + c]}">{MARKS.get(cells[r * 3 + c], "")}</td>' for c in range(3))
        rows.append(f"<tr>{tds}</tr>")
    cap = f"<caption>{h(caption)}</caption>" if caption else ""
    return f'<table class="board">{cap}{"".join(rows)}</table>'


def seat(s: Seat | None, mark: str) -> str:
    if s is None:
        return f'<span class="seat">{mark}: <em>empty seat</em></span>'
    away = "" if s.connected else ' <span class="away">(away)</span>'
    return (f'<span class="seat">{mark}: <a href="{url("/console/account", id=s.user_id)}" class="player">'
            f'{h(s.name)}</a>{away}</span>')


def match_card(m: LiveMatchView, *, big: bool = False) -> str:
    players = f'{seat(m.players[0], "X")} vs {seat(m.players[1], "O")}'
    link = "" if big else f' <a href="{url("/console/match", id=m.match_id)}">watch</a>'
    return (f'<section class="match" data-match="{h(m.match_id)}"><p>{players}</p>'
            f'<p class="status">Game {m.game}: {h(m.status)}{link}</p>{board(m.cells)}</section>')


def overview(numbers: Sequence[tuple[str, int]], matches: Sequence[LiveMatchView], online: Sequence[OnlineView],
             csrf: str) -> str:
    stats = "".join(f"<div><b>{n}</b> {h(label)}</div>" for label, n in numbers)
    live = "".join(match_card(m) for m in matches) or "<p>No live matches.</p>"
    rows = "".join(
        f'<tr><td><a href="{url("/console/account", id=o.user_id)}" class="player">{h(o.name)}</a></td>'
        f'<td>{h(o.address)}</td><td>{_match_links(o.match_ids)}</td></tr>' for o in online
    )
    people = (f'<div class="scroll"><table><tr><th>Player</th><th>From</th><th>Match</th></tr>{rows}</table></div>'
              if online else "<p>Nobody is online.</p>")
    body = (f'<div class="stats">{stats}</div><h2>Live matches</h2><div class="matches">{live}</div>'
            f'<h2>Players online</h2>{people}<p class="hint">This page refreshes every {REFRESH_SECONDS} s.</p>')
    return page("Overview", body, csrf=csrf, refresh=True)


def _match_links(match_ids: Iterable[str]) -> str:
    return " ".join(f'<a href="{url("/console/match", id=m)}">{h(m[:8])}</a>' for m in match_ids) or "-"


def live_match(m: LiveMatchView | None, match_id: str, csrf: str) -> str:
    if m is None:
        body = f'<p>Match {h(match_id)} is not live (it ended, or never was). <a href="/console">Back</a></p>'
        return page("Match", body, csrf=csrf)
    body = match_card(m, big=True) + f'<p class="hint">Match {h(m.match_id)}; refreshes every {REFRESH_SECONDS} s.</p>'
    return page("Live match", body, csrf=csrf, refresh=True)


# Games ------------------------------------------------------------------------------------------------


def _result(g: PastGame) -> str:
    how = RESULTS.get(g.termination, g.termination)
    if g.winner in (1, 2):
        return f"{g.players[g.winner - 1][1]} won ({how})"
    return how


def games(items: Sequence[PastGame], csrf: str) -> str:
    rows = "".join(
        f'<tr><td>{h(utc_text(g.ended_at))}</td><td class="player">{h(g.players[0][1])}</td>'
        f'<td class="player">{h(g.players[1][1])}</td><td>{h(_result(g))}</td>'
        f'<td><a href="{url("/console/game", match=g.match_id, game=g.game)}">replay</a></td></tr>' for g in items
    )
    body = (f'<div class="scroll"><table><tr><th>Ended</th><th>X</th><th>O</th><th>Result</th><th></th></tr>'
            f'{rows}</table></div>') if items else "<p>No games finished yet.</p>"
    return page("Recent games", body, csrf=csrf)


def replay(g: PastGame | None, step: int, csrf: str) -> str:
    if g is None:
        return page("Replay", '<p>That game is not among the recent ones. <a href="/console/games">Back</a></p>', csrf=csrf)
    step = max(0, min(step, len(g.moves)))
    last = len(g.moves)

    def go(to: int, label: str) -> str:
        if to == step or not 0 <= to <= last:
            return f'<span class="off">{h(label)}</span>'
        return f'<a href="{url("/console/game", match=g.match_id, game=g.game, step=to)}">{h(label)}</a>'

    moved = ""
    if step:
        row, col, player = g.moves[step - 1]
        moved = f"move {step} of {last}: {MARKS.get(player, '?')} at row {row}, column {col}"
    else:
        moved = f"before the first move ({MARKS.get(g.first, '?')} opens)"
    steps = " ".join((go(0, "first"), go(step - 1, "previous"), go(step + 1, "next"), go(last, "last")))
    outcome = f"<p>Result: {h(_result(g))}</p>" if step == last else ""
    body = (f'<p>{seat(Seat(*g.players[0], True), "X")} vs {seat(Seat(*g.players[1], True), "O")}</p>'
            f'<p class="hint">Game {g.game} of match {h(g.match_id)}, ended {h(utc_text(g.ended_at))}</p>'
            f'{board(g.cells(step), moved)}<p class="steps">{steps}</p>{outcome}')
    return page("Replay", body, csrf=csrf)


# Leaderboard and accounts ------------------------------------------------------------------------------


def leaderboard(rows: Sequence[LeaderRow] | None, csrf: str) -> str:
    if not rows:
        why = "no ratings yet" if rows is not None else "no ratings yet (this host keeps no leaderboard)"
        return page("Leaderboard", f"<p>{h(why.capitalize())}.</p>", csrf=csrf)
    body = "".join(
        f'<tr><td>{r.rank}</td><td><a href="{url("/console/account", id=r.user_id)}" class="player">{h(r.name)}</a>'
        f'</td><td>{h(r.rating)}</td><td>{r.wins}</td><td>{r.losses}</td><td>{r.draws}</td></tr>' for r in rows
    )
    table = ('<div class="scroll"><table><tr><th>Rank</th><th>Player</th><th>Rating</th><th>W</th><th>L</th><th>D</th>'
             f'</tr>{body}</table></div>')
    return page("Leaderboard", table, csrf=csrf)


def accounts(query: str, found: Sequence[AccountView], more: bool, csrf: str) -> str:
    form = (f'<form method="get" action="/console/accounts" class="inline"><label>Name or id '
            f'<input type="search" name="q" value="{h(query)}" maxlength="64"></label>'
            '<button type="submit">Search</button></form>')
    rows = "".join(
        f'<tr><td><a href="{url("/console/account", id=a.user_id)}" class="player">{h(a.name)}</a></td>'
        f'<td><code>{h(a.user_id)}</code></td><td>{"online" if a.online else ""}'
        f'{" banned" if a.ban_active else ""}</td></tr>' for a in found
    )
    listing = (f'<div class="scroll"><table><tr><th>Name</th><th>User id</th><th></th></tr>{rows}</table></div>'
               if found else ("<p>No account matches.</p>" if query else ""))
    cut = "<p class=\"hint\">More accounts match: narrow the search.</p>" if more else ""
    return page("Accounts", form + listing + cut, csrf=csrf)


def account(a: AccountView | None, user_id: str, csrf: str, notice: str = "") -> str:
    if a is None:
        return page("Account", f"<p>No account has the id {h(user_id)}.</p>", csrf=csrf, notice=notice)
    ban = a.ban
    state = "online" if a.online else "offline"
    if ban is not None:
        until = f" until {utc_text(ban.until)}" if ban.until is not None else ""
        ended = "" if a.ban_active else " (ended)"
        state += (f'; <strong>banned{h(until)}{ended}</strong>: {h(ban.reason)} '
                  f'<span class="hint">(since {h(utc_text(ban.since))}, by {h(ban.by or "an operator")})</span>')
    uid = h(a.user_id)
    rename = (f'<form method="post" action="/console/account/rename" class="card">{hidden(csrf)}'
              f'<input type="hidden" name="id" value="{uid}"><label>New name '
              f'<input type="text" name="name" value="{h(a.name)}" maxlength="20" required></label>'
              '<button type="submit">Rename</button></form>')
    if ban is not None:
        moderate = (f'<form method="post" action="/console/account/unban" class="card">{hidden(csrf)}'
                    f'<input type="hidden" name="id" value="{uid}"><button type="submit">Lift the ban</button></form>')
    else:
        moderate = (f'<form method="post" action="/console/account/ban" class="card">{hidden(csrf)}'
                    f'<input type="hidden" name="id" value="{uid}"><label>Reason (the player is told it) '
                    '<input type="text" name="reason" maxlength="200" required></label>'
                    '<label>Until (UTC; empty: until lifted) <input type="date" name="until"></label>'
                    '<button type="submit" class="danger">Ban</button></form>')
    body = (f'<p class="player big">{h(a.name)}</p><p><code>{uid}</code></p><p>{state}</p>'
            f'<h2>Rename</h2>{rename}<h2>{"Ban" if ban is None else "Lift the ban"}</h2>{moderate}')
    return page("Account", body, csrf=csrf, notice=notice)


def audit(entries: Sequence[dict[str, object]], csrf: str) -> str:
    rows = "".join(
        f'<tr><td>{h(e.get("time", ""))}</td><td>{h(e.get("operator", "") or "")} '
        f'<span class="hint">{h(e.get("address", ""))}</span></td><td>{h(e.get("action", ""))}</td>'
        f'<td class="player">{h(e.get("name", ""))}</td><td>{h(e.get("detail", ""))}</td></tr>'
        for e in reversed(entries)
    )
    body = (f'<div class="scroll"><table><tr><th>When (UTC)</th><th>Who</th><th>What</th><th>Account</th>'
            f'<th>Detail</th></tr>{rows}</table></div>') if entries else "<p>Nothing yet.</p>"
    return page("Audit log", body, csrf=csrf)


STYLE = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.4 system-ui,sans-serif;color:#111;background:#f6f6f4}
header{background:#20242c;color:#fff;padding:.5rem .75rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
header a{color:#cfe3ff;margin-right:.75rem}
.brand{font-weight:bold;margin-right:1rem}
nav{display:flex;flex-wrap:wrap;align-items:center}
main{padding:.75rem;max-width:60rem;margin:auto}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.5rem}
.stats{display:flex;flex-wrap:wrap;gap:.5rem}
.stats div{background:#fff;border:1px solid #ddd;border-radius:.4rem;padding:.4rem .6rem}
.matches{display:flex;flex-wrap:wrap;gap:.75rem}
.match{background:#fff;border:1px solid #ddd;border-radius:.4rem;padding:.5rem;min-width:15rem}
table{border-collapse:collapse}
td,th{padding:.3rem .5rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.scroll{overflow-x:auto}
table.board td{width:3rem;height:3rem;border:2px solid #333;text-align:center;font-size:1.8rem;font-weight:bold}
table.board caption{caption-side:bottom;font-size:.9rem;padding-top:.3rem}
.m1{color:#b3261e}.m2{color:#1e4fb3}
.away,.hint,.off{color:#666}
.player{overflow-wrap:anywhere}.big{font-size:1.3rem}
form.card{display:flex;flex-direction:column;gap:.5rem;max-width:24rem;background:#fff;border:1px solid #ddd;
border-radius:.4rem;padding:.75rem}
form.inline{display:inline-flex;gap:.4rem;align-items:center;flex-wrap:wrap}
input,button{font:inherit;padding:.35rem .5rem}
label{display:flex;flex-direction:column;gap:.2rem}
form.inline label{flex-direction:row;align-items:center;gap:.4rem}
button.danger{background:#b3261e;color:#fff;border:0;border-radius:.3rem}
.error{color:#b3261e;font-weight:bold}.notice{background:#e8f3e8;padding:.4rem .6rem;border-radius:.3rem}
"""

"""What the admin listener answers: ``/metrics`` for Prometheus and the operators' console under ``/console``.

It is a ``Site`` for the host's own front (``net.host.front``), so the admin port gets
the same HTTP/1.1 parser (h11), limits and timeouts as the players' port, but none of
its paths: the players' port has no ``/metrics`` and no ``/console``, and this one no
API and no socket. Everything here runs on the host's event loop and reads the host's
state directly (matches, sockets, accounts, bans); no request waits for a thread.

``/metrics`` is open to scrapers on loopback and asks for the password (HTTP Basic, any
user name) from anywhere else. Every console page needs a session (``access``); every
POST needs its CSRF token and, when the browser sends one, an ``Origin`` of this
listener. Changes (rename, ban, unban) go to the audit log.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from net.host.admin import pages
from net.host.admin.access import LOGIN_COOKIE, LOGIN_SECONDS, SESSION_COOKIE, SESSION_SECONDS, Access, Session, csrf_ok
from net.host.admin.audit import AuditLog
from net.host.admin.games import PastGame, merged
from net.host.admin.pages import AccountView, LeaderRow, LiveMatchView, OnlineView, Seat
from net.host.auth import AuthError, clean_username
from net.host.bans import MAX_REASON, utc_text
from net.host.metrics import CONTENT_TYPE, HostMetrics
from net.host.playersocket import CLOSE_POLICY, PlayerSocket
from net.host.store import NameInUse
from net.host.web import ApiRequest, ApiResponse, text_response

if TYPE_CHECKING:
    from net.host.server import Host

log = logging.getLogger("net.host")

SECURITY_HEADERS = (
    ("Content-Security-Policy",
     "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),  # not "no-referrer": with it, browsers send "Origin: null" on our forms
)
HTML = "text/html; charset=utf-8"
MAX_RESULTS = 100  # accounts listed by one search
LEADERS = 50  # places of the leaderboard shown
NOTICES = {"renamed": "The account was renamed.", "banned": "The account is banned; it was taken out of its matches.",
           "unbanned": "The ban is lifted."}
LeaderboardSource = Callable[[int], Sequence[LeaderRow] | None]


def html_page(status: int, text: str, *headers: tuple[str, str]) -> ApiResponse:
    return ApiResponse(status, text.encode("utf-8"), HTML, headers=(*SECURITY_HEADERS, *headers))


def redirect(to: str, *headers: tuple[str, str]) -> ApiResponse:
    return ApiResponse(303, b"", "text/plain; charset=utf-8", headers=(("Location", to), *headers))


def cookies(request: ApiRequest) -> dict[str, str]:
    jar: dict[str, str] = {}
    for part in request.headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            jar.setdefault(name, value)
    return jar


def form(request: ApiRequest) -> dict[str, str] | None:
    """A POST's urlencoded fields (the first of each), or None if the body is not that."""
    try:
        fields = parse_qs(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None
    return {k: v[0] for k, v in fields.items()}


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class AdminSite:
    """The admin listener's ``Site`` (see the module's docstring)."""

    def __init__(self, host: Host, access: Access, metrics: HostMetrics, audit: AuditLog, earlier: list[PastGame],
                 *, secure: bool, leaderboard: LeaderboardSource | None = None):
        self.host = host
        self.access = access
        self.metrics = metrics
        self.audit = audit
        self.earlier = earlier
        self.secure = secure
        self.leaderboard = leaderboard

    # The front's Site --------------------------------------------------------------------------

    def http_request(self, request: ApiRequest) -> ApiResponse:
        path, method = request.path, request.method
        if path == "/metrics":
            return self._metrics(request) if method in ("GET", "HEAD") else self._not_allowed("GET")
        if path == "/console/style.css":
            return ApiResponse(200, pages.STYLE.encode(), "text/css; charset=utf-8", headers=SECURITY_HEADERS)
        if path in ("/", "/console/"):
            return redirect("/console")
        if path == "/console/login":
            return self._sign_in(request)
        if not path.startswith("/console"):
            return text_response(404, "Nothing here: see /metrics and /console.\n")
        session = self.access.session(cookies(request).get(SESSION_COOKIE))
        if method == "POST":
            return self._change(request, session)
        if method not in ("GET", "HEAD"):
            return self._not_allowed("GET, POST")
        if session is None:
            return redirect("/console/login")
        return self._view(request, session)

    def socket_request(self, request: ApiRequest) -> ApiResponse:
        return text_response(404, "There is no socket on the admin listener.\n")

    def socket_opened(self, socket: PlayerSocket, owner: Any) -> None:  # never: socket_request refuses all
        socket.abort()

    def socket_text(self, socket: PlayerSocket, text: str) -> None:
        socket.abort()

    def socket_closed(self, socket: PlayerSocket) -> None:
        pass

    @staticmethod
    def _not_allowed(allow: str) -> ApiResponse:
        return ApiResponse(405, b"Method not allowed\n", "text/plain; charset=utf-8", headers=(("Allow", allow),))

    # /metrics --------------------------------------------------------------------------------------

    def _metrics(self, request: ApiRequest) -> ApiResponse:
        if not is_loopback(request.remote):
            refusal = self._basic_auth(request)
            if refusal is not None:
                return refusal
        return ApiResponse(200, self.metrics.exposition(), CONTENT_TYPE)

    def _basic_auth(self, request: ApiRequest) -> ApiResponse | None:
        wait = self.access.wait(request.remote)
        if wait:
            return ApiResponse(429, b"Too many wrong passwords; try again later.\n", "text/plain; charset=utf-8",
                               headers=(("Retry-After", str(round(wait + 0.5))),))
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        password = ""
        if scheme.lower() == "basic":
            try:
                password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                password = ""
        if password and self.access.password_ok(password):
            return None
        if password:
            self.access.failed(request.remote)
            log.warning("wrong admin password for /metrics from %s", request.remote)
        return ApiResponse(401, b"The admin password is needed (HTTP Basic, any user name).\n",
                           "text/plain; charset=utf-8", headers=(("WWW-Authenticate", 'Basic realm="tictactoe metrics"'),))

    # Signing in and out ------------------------------------------------------------------------------

    def _sign_in(self, request: ApiRequest) -> ApiResponse:
        if request.method in ("GET", "HEAD"):
            if self.access.session(cookies(request).get(SESSION_COOKIE)) is not None:
                return redirect("/console")
            return self._sign_in_form()
        if request.method != "POST":
            return self._not_allowed("GET, POST")
        fields = form(request)
        token = cookies(request).get(LOGIN_COOKIE)
        if fields is None or not self._same_origin(request) or not self.access.login_token_ok(token, fields.get("login")):
            return self._sign_in_form(403, "That form is out of date: sign in again.")
        wait = self.access.wait(request.remote)
        if wait:
            log.warning("refused a console sign-in from %s: too many wrong passwords", request.remote)
            return self._sign_in_form(429, f"Too many wrong passwords: try again in {round(wait + 0.5)} s.")
        if not self.access.password_ok(fields.get("password", "")):
            self.access.failed(request.remote)
            log.warning("wrong admin password for the console from %s", request.remote)
            return self._sign_in_form(401, "Wrong password.")
        assert token is not None
        self.access.use_login_token(token)
        operator = " ".join(fields.get("operator", "").split())[:40]
        session = self.access.open_session(operator, request.remote)
        self.audit.record(self._who(session), "sign_in")
        secure = "; Secure" if self.secure else ""
        return redirect(
            "/console",
            ("Set-Cookie", f"{SESSION_COOKIE}={session.token}; Path=/; Max-Age={SESSION_SECONDS}; HttpOnly; "
                           f"SameSite=Strict{secure}"),
            ("Set-Cookie", f"{LOGIN_COOKIE}=; Path=/console/login; Max-Age=0; HttpOnly; SameSite=Strict{secure}"),
        )

    def _sign_in_form(self, status: int = 200, problem: str = "") -> ApiResponse:
        token = self.access.login_token()
        secure = "; Secure" if self.secure else ""
        cookie = f"{LOGIN_COOKIE}={token}; Path=/console/login; Max-Age={LOGIN_SECONDS}; HttpOnly; SameSite=Strict{secure}"
        return html_page(status, pages.sign_in(token, problem), ("Set-Cookie", cookie))

    @staticmethod
    def _same_origin(request: ApiRequest) -> bool:
        """A browser's ``Origin``, when it sends one, names this listener (the ``Host`` it asked)."""
        origin = request.headers.get("origin")
        if origin is None:
            return True
        return urlsplit(origin).netloc == request.headers.get("host", "")

    @staticmethod
    def _who(session: Session) -> tuple[str, str]:
        return (session.operator, session.address)

    # Pages ---------------------------------------------------------------------------------------------

    def _view(self, request: ApiRequest, session: Session) -> ApiResponse:
        csrf, path = session.csrf, request.path
        if path == "/console":
            text = pages.overview(self._numbers(), self._live_matches(), self._online(), csrf)
        elif path == "/console/match":
            match_id = request.param("id") or ""
            text = pages.live_match(next((m for m in self._live_matches() if m.match_id == match_id), None),
                                    match_id, csrf)
        elif path == "/console/games":
            text = pages.games(self._games(), csrf)
        elif path == "/console/game":
            text = self._replay(request, csrf)
        elif path == "/console/leaderboard":
            source = self.leaderboard if self.leaderboard is not None else self._leaders
            text = pages.leaderboard(source(LEADERS), csrf)
        elif path == "/console/accounts":
            query = (request.param("q") or "").strip()[:64]
            found, more = self._search(query)
            text = pages.accounts(query, found, more, csrf)
        elif path == "/console/account":
            user_id = request.param("id") or ""
            notice = NOTICES.get(request.param("done") or "", "")
            text = pages.account(self._account(user_id), user_id, csrf, notice)
        elif path == "/console/audit":
            text = pages.audit(list(self.audit.recent), csrf)
        else:
            return html_page(404, pages.page("Not found", "<p>Nothing here.</p>", csrf=csrf))
        return html_page(200, text)

    def _numbers(self) -> list[tuple[str, int]]:
        host, stats = self.host, self.host.stats()
        db = host.database
        now = host.wall_clock()
        return [("players online", stats.users), ("sockets", stats.connected), ("live matches", stats.matches),
                ("waiting tickets", stats.tickets), ("accounts", len(db.accounts) if db is not None else 0),
                ("games saved since start", stats.games_recorded),
                ("bans", sum(1 for b in host.bans.all() if b.active(now)))]

    def _live_matches(self) -> list[LiveMatchView]:
        runtime = self.host.runtime
        if runtime is None:
            return []
        views = []
        for live in list(runtime.matches.values())[:200]:
            match = live.match
            here = {p.user_id for p in live.members.values()}
            seats = tuple(Seat(p.user_id, p.username, p.user_id in here) if p is not None else None
                          for p in match.players)
            board = match.board
            if board is None:
                cells: tuple[int, ...] = (0,) * 9
                status = "waiting for both players to join"
            else:
                cells = tuple(c if c in (1, 2) else 0 for c in board.cells)
                status = self._status(board.outcome, board.to_move, seats)
            views.append(LiveMatchView(live.match_id, (seats[0], seats[1]), match.game, cells, status))
        return views

    @staticmethod
    def _status(outcome: Any, to_move: int, seats: tuple[Seat | None, ...]) -> str:
        def name(index: int) -> str:
            s = seats[index - 1] if 1 <= index <= len(seats) else None
            return s.name if s is not None else pages.MARKS.get(index, "?")

        if outcome is None:
            return f"{pages.MARKS.get(to_move, '?')} to move ({name(to_move)})"
        how = pages.RESULTS.get(outcome.termination.value, outcome.termination.value)
        return f"{name(outcome.winner)} won ({how})" if outcome.winner in (1, 2) else f"over: {how}"

    def _online(self) -> list[OnlineView]:
        realtime, runtime = self.host.realtime, self.host.runtime
        if realtime is None or runtime is None:
            return []
        in_matches: dict[str, list[str]] = {}
        for live in runtime.matches.values():
            for sid in live.members:
                in_matches.setdefault(sid, []).append(live.match_id)
        views = [OnlineView(c.presence.user_id, c.presence.username, c.socket.remote,
                            tuple(in_matches.get(c.presence.session_id, ())))
                 for c in list(realtime.sockets.values())[:500]]
        return sorted(views, key=lambda v: v.name.casefold())

    def _leaders(self, limit: int) -> list[LeaderRow] | None:
        """The top of the host's leaderboard (``xoxo_rating``), best first; None without a database."""
        db = self.host.database
        if db is None:
            return None
        book, rows = db.ratings, []
        last = len(book.keys) - 1
        for rank, index in enumerate(range(last, max(-1, last - limit), -1), start=1):
            entry = book.entry_at(index)
            s = entry.standing
            name = db.accounts.name_of(entry.user_id) or entry.username
            rows.append(LeaderRow(rank, entry.user_id, name, s.rating.label, s.wins, s.losses, s.draws))
        return rows

    def _games(self) -> list[PastGame]:
        return merged(self.earlier, self.host.activity.recent)

    def _replay(self, request: ApiRequest, csrf: str) -> str:
        match_id = request.param("match") or ""
        try:
            number, step = int(request.param("game") or "0"), int(request.param("step") or "0")
        except ValueError:
            number, step = 0, 0
        game = next((g for g in self._games() if g.match_id == match_id and g.game == number), None)
        return pages.replay(game, step, csrf)

    def _search(self, query: str) -> tuple[list[AccountView], bool]:
        db = self.host.database
        if db is None or not query:
            return [], False
        needle = query.casefold()
        hits = []
        for uid, name in db.accounts.names().items():
            if needle in name.casefold() or uid.startswith(query):
                hits.append(uid)
                if len(hits) > MAX_RESULTS:
                    break
        views = [v for v in (self._account(uid) for uid in hits[:MAX_RESULTS]) if v is not None]
        return sorted(views, key=lambda v: v.name.casefold()), len(hits) > MAX_RESULTS

    def _account(self, user_id: str) -> AccountView | None:
        db, runtime = self.host.database, self.host.runtime
        name = db.accounts.name_of(user_id) if db is not None else None
        if name is None:
            return None
        online = runtime is not None and user_id in runtime.connected_users()
        ban = self.host.bans.get(user_id)
        return AccountView(user_id, name, online, ban, ban is not None and ban.active(self.host.wall_clock()))

    # Changes ---------------------------------------------------------------------------------------------

    def _change(self, request: ApiRequest, session: Session | None) -> ApiResponse:
        fields = form(request)
        if session is None or fields is None or not csrf_ok(session, fields.get("csrf")) or not self._same_origin(request):
            log.warning("refused a console change from %s: no session or a bad form token", request.remote)
            return html_page(403, pages.page("Refused", '<p>That form is out of date or not from this console. '
                                                      '<a href="/console">Start again</a>.</p>', csrf=None))
        if request.path == "/console/logout":
            self.audit.record(self._who(session), "sign_out")
            self.access.close_session(session)
            secure = "; Secure" if self.secure else ""
            return redirect("/console/login",
                            ("Set-Cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}"))
        user_id = fields.get("id", "")
        account = self._account(user_id)
        actions = {"/console/account/rename": self._rename, "/console/account/ban": self._ban,
                   "/console/account/unban": self._unban}
        action = actions.get(request.path)
        if action is None:
            return html_page(404, pages.page("Not found", "<p>Nothing here.</p>", csrf=session.csrf))
        if account is None:
            return html_page(404, pages.account(None, user_id, session.csrf))
        problem = action(session, account, fields)
        if problem is not None:
            return html_page(400, pages.account(self._account(user_id), user_id, session.csrf, problem))
        done = {"/console/account/rename": "renamed", "/console/account/ban": "banned"}.get(request.path, "unbanned")
        return redirect(f"/console/account?{urlencode({'id': user_id, 'done': done})}")

    def _rename(self, session: Session, account: AccountView, fields: dict[str, str]) -> str | None:
        db = self.host.database
        assert db is not None
        try:
            name = clean_username(fields.get("name", ""))
        except AuthError as exc:
            return exc.message
        if name is None:
            return "Give the new name."
        if name == account.name:
            return "That is the account's name already."
        try:
            db.accounts.rename(account.user_id, name)
        except NameInUse:
            return f"Another account is named {name} already."
        self.audit.record(self._who(session), "rename", account.user_id, account.name, f"now {name}")
        return None

    def _ban(self, session: Session, account: AccountView, fields: dict[str, str]) -> str | None:
        reason = " ".join(fields.get("reason", "").split())
        if not reason or len(reason) > MAX_REASON or not reason.isprintable():
            return f"Give a reason the player can read (1 to {MAX_REASON} characters)."
        until: float | None = None
        if fields.get("until", "").strip():
            try:
                day = datetime.strptime(fields["until"].strip(), "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError:
                return "The end date must be a date such as 2030-01-31."
            until = day.timestamp()
            if until <= self.host.wall_clock():
                return "The end date must be in the future (or empty, for a ban until lifted)."
        ban = self.host.bans.ban(account.user_id, reason, until, session.operator or session.address)
        removed = self.host.runtime.remove_user(account.user_id) if self.host.runtime is not None else 0
        closed = self._close_sockets(account.user_id, ban.sentence())
        detail = f"{reason}; until {utc_text(until) if until is not None else 'lifted'}"
        self.audit.record(self._who(session), "ban", account.user_id, account.name, detail)
        log.info("%s banned by the console: taken out of %d matches, %d sockets closed", account.name, removed, closed)
        return None

    def _unban(self, session: Session, account: AccountView, fields: dict[str, str]) -> str | None:
        ban = self.host.bans.unban(account.user_id)
        if ban is None:
            return "That account is not banned."
        self.audit.record(self._who(session), "unban", account.user_id, account.name, f"was: {ban.reason}")
        return None

    def _close_sockets(self, user_id: str, sentence: str) -> int:
        realtime = self.host.realtime
        if realtime is None:
            return 0
        conns = [c for c in realtime.sockets.values() if c.presence.user_id == user_id]
        for conn in conns:
            conn.close(CLOSE_POLICY, sentence)
        return len(conns)


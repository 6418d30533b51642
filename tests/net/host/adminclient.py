"""A small HTTP client for the admin listener's console and metrics, as a browser would use them (for tests).

``Browser(port)`` keeps cookies between requests (as ``Set-Cookie`` said, ``Max-Age=0``
deleting one), sends the ``Origin`` a browser sends with a form, and reads the tokens a
page carries (``csrf_of``). Every call is blocking, with a timeout; from a coroutine,
run it with ``asyncio.to_thread``.
"""

from __future__ import annotations

import http.client
import re
import ssl
from dataclasses import dataclass
from urllib.parse import urlencode

PASSWORD = "correct horse battery staple"
WAIT = 5.0


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def set_cookies(self) -> list[str]:
        return [v for k, v in self.headers if k.lower() == "set-cookie"]


def csrf_of(page: str, field: str = "csrf") -> str:
    found = re.search(rf'name="{field}" value="([^"]+)"', page)
    assert found, f"no {field} token in the page"
    return found.group(1)


class Browser:
    def __init__(self, port: int, *, context: ssl.SSLContext | None = None):
        self.port = port
        self.context = context
        self.cookies: dict[str, str] = {}

    @property
    def origin(self) -> str:
        return f"{'https' if self.context else 'http'}://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, fields: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        if self.context is not None:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=WAIT, context=self.context)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        sent = dict(headers or {})
        if self.cookies:
            sent.setdefault("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = None
        if fields is not None:
            body = urlencode(fields)
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
            sent.setdefault("Origin", self.origin)
        try:
            conn.request(method, path, body=body, headers=sent)
            resp = conn.getresponse()
            answer = Answer(resp.status, resp.getheaders(), resp.read().decode("utf-8", "replace"))
        finally:
            conn.close()
        for cookie in answer.set_cookies():
            name, _, rest = cookie.partition("=")
            value = rest.split(";")[0]
            if "max-age=0" in cookie.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return answer

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Answer:
        return self.request("POST", path, fields, headers)

    def sign_in(self, password: str = PASSWORD, operator: str = "Olga") -> Answer:
        form = self.get("/console/login")
        assert form.status == 200, form.status
        return self.post("/console/login", {"login": csrf_of(form.body, "login"), "password": password,
                                            "operator": operator})

    def act(self, path: str, fields: dict[str, str], page: str) -> Answer:
        """Post a console form as the page ``page`` (a path) carries it, with that page's CSRF token."""
        shown = self.get(page)
        assert shown.status == 200, (shown.status, shown.body[:300])
        return self.post(path, {"csrf": csrf_of(shown.body), **fields})

"""Who may talk to the server: the per-launch secret, the session cookie, the headers every answer carries.

The secret travels once, in the URL printed at start (``/?token=...``); the first request that
carries it gets a session cookie (HttpOnly, SameSite=Strict) and is sent on to the same page
without the token, so it never stays in the address bar or the history. Every other request
without a known session is refused: another local user, or a web page in the same browser (it
cannot read the cookie, and SameSite=Strict keeps the browser from sending it cross-site).
"""

from __future__ import annotations

import html
import secrets
import threading
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "caseflow_session"
TOKEN_PARAMETER = "token"

#: No script but our own files, no inline script or style, no framing, no form posts elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

#: A response that carries this header (any value) keeps the content-security-policy it set itself.
OWN_POLICY_HEADER = "x-caseflow-own-policy"

WRONG_SECRET = "This link's secret is not this server's: open the link that `caseflow serve` printed."
NOT_SIGNED_IN = "Not signed in: open the link that `caseflow serve` printed (it carries a secret)."

SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",  # health records stay out of the browser's disk cache
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


class Sessions:
    """The secret of this launch and the sessions it opened (in memory: a restart signs everyone out)."""

    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret or secrets.token_urlsafe(32)
        self._open: set[str] = set()
        self._messages: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def admits(self, token: str) -> bool:
        return secrets.compare_digest(token.encode(), self.secret.encode())

    def open(self) -> str:
        session = secrets.token_urlsafe(32)
        with self._lock:
            self._open.add(session)
        return session

    def known(self, session: str | None) -> bool:
        if not session:
            return False
        with self._lock:
            return any(secrets.compare_digest(session.encode(), s.encode()) for s in self._open)

    def tell(self, session: str | None, message: str) -> None:
        """A message for the next page this session sees ("Saved ..."): kept here, never in a URL."""
        if session:
            with self._lock:
                self._messages.setdefault(session, []).append(message)

    def take_messages(self, session: str | None) -> list[str]:
        with self._lock:
            return self._messages.pop(session or "", [])


class Gate:
    """ASGI middleware: the secret opens a session; a request without one is refused (403)."""

    def __init__(self, app: ASGIApp, sessions: Sessions, *, secure_cookie: bool = False) -> None:
        self.app = app
        self.sessions = sessions
        self.secure_cookie = secure_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        token = next((value for key, value in query if key == TOKEN_PARAMETER), None)
        if token is not None:
            if not self.sessions.admits(token):
                await _refuse(scope, receive, send, WRONG_SECRET)
                return
            rest = urlencode([(k, v) for k, v in query if k != TOKEN_PARAMETER])
            target = scope["path"] + (f"?{rest}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(
                SESSION_COOKIE,
                self.sessions.open(),
                httponly=True,
                samesite="strict",
                secure=self.secure_cookie,
                path="/",
            )
            await _with_headers(response)(scope, receive, send)
            return
        if not self.sessions.known(_cookie(scope, SESSION_COOKIE)):
            if scope["path"].startswith("/static/"):  # the stylesheet and scripts hold nothing private
                await self.app(scope, receive, send)
                return
            await _refuse(scope, receive, send, NOT_SIGNED_IN)
            return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """ASGI middleware: the headers every answer carries (CSP without inline script, no caching...)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name == "cache-control" and scope["path"].startswith("/static/"):
                        headers.setdefault(name, "max-age=3600")
                        continue
                    if name == "content-security-policy" and OWN_POLICY_HEADER in headers:
                        # a page whose policy is its own (a report: its <style> allowed by hash, nothing else)
                        del headers[OWN_POLICY_HEADER]
                        headers.setdefault(name, CONTENT_SECURITY_POLICY)
                        continue
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is no session
                return None
            if name in jar:
                return jar[name].value
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send, why: str) -> None:
    """403 as a small page of its own (no session: no layout, no names)."""
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not signed in · caseflow</title>'
        '<link rel="stylesheet" href="/static/caseflow.css"></head><body><main id="main"><h1>caseflow</h1>'
        f'<div class="notice bad" role="alert"><p>{html.escape(why)}</p></div></main></body></html>'
    )
    await _with_headers(HTMLResponse(page, status_code=403))(scope, receive, send)


def _with_headers(response: Any) -> Any:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


CSRF_COOKIE = "caseflow_csrf"


def check_upload_token(secret: str, cookie: str | None, posted: object) -> bool:
    """The CSRF check of a file upload, as asgi-csrf makes it for other forms: the posted token is
    the one in this browser's CSRF cookie, and that cookie was signed by this server."""
    import secrets as _secrets

    from itsdangerous import BadSignature, URLSafeSerializer

    if not cookie or not isinstance(posted, str) or not _secrets.compare_digest(cookie.encode(), posted.encode()):
        return False
    try:
        URLSafeSerializer(secret).loads(cookie, "csrftoken")
    except BadSignature:
        return False
    return True

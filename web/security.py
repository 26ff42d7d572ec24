"""Security headers, session cookie settings and safe redirects, for both applications."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from web.signing import KeptSerializer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def content_security_policy(form_action: str, *, scripts: str = "", frames: str = "") -> str:
    """The pages' policy: everything from this origin only, forms posting (and redirecting) to
    it and to the origins of `form_action`; `scripts` and `frames` name origins whose scripts
    and frames a page may load besides."""
    frame_src = f"frame-src {frames}; " if frames else ""
    return (
        f"default-src 'self'; img-src 'self' data:; style-src 'self'; "
        f"script-src 'self'{' ' + scripts if scripts else ''}; {frame_src}"
        f"form-action 'self' {form_action}; frame-ancestors 'none'; base-uri 'self'; "
        "object-src 'none'"
    )


def init_security(app: Flask, *, cookie_name: str, secure: bool, form_action: str = "") -> None:
    """Harden `app`: strict cookies and headers on every response.

    `form_action` lists other origins a form may post to or redirect through (OIDC).
    """
    app.config.update(
        SESSION_COOKIE_NAME=cookie_name,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=60 * 60 * 12,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = CookieSessions()
    headers = {"Content-Security-Policy": content_security_policy(form_action), **HEADERS}
    if secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"

    every = [(name.lower(), name, value) for name, value in headers.items()]
    html = [*every, ("cache-control", "Cache-Control", "no-store")]
    app.wsgi_app = _with_headers(app.wsgi_app, every, html)  # type: ignore[method-assign]


_Wanted = list[tuple[str, str, str]]


def _with_headers(wsgi_app: WSGIApplication, every: _Wanted, html: _Wanted) -> WSGIApplication:
    """`wsgi_app`, its answers with the `every` headers (`html` on pages): added where the
    answer's header list is handed to the server, once all of Flask's hooks are done."""

    def with_headers(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # A header the view set itself stands; the others are added in one go.
            present = set()
            wanted = every
            for name, value in headers:
                key = name.lower()
                present.add(key)
                if key == "content-type" and value.startswith("text/html"):
                    wanted = html
            headers = headers + [(name, value) for key, name, value in wanted if key not in present]
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, start)

    return with_headers


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, whose serializer (and its signer) is made once per
    application and keys instead of twice per request (it opens every session, with a cookie
    or without)."""

    def __init__(self) -> None:
        self._serializer: tuple[object, URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        # Flask's own, but kept: the current key last, after the fallbacks.
        keys = [*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key]
        if self._serializer is None or self._serializer[0] != keys:
            serializer = KeptSerializer(
                keys,
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
            self._serializer = (keys, serializer)
        return self._serializer[1]


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to redirect to; anything pointing elsewhere (or odd) gives `default`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target

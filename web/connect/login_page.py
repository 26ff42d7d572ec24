"""Connect's log-in page: shown at /login, and by /authorize itself to a browser that has
to log in first (one round trip fewer than a redirect to /login)."""

from __future__ import annotations

from flask import render_template

from web.extensions import app_settings


def login_page(next_url: str, email: str = "", error: str | None = None) -> str:
    """The log-in form, which posts to /login and goes on to `next_url` once logged in;
    `email` fills in the address, `error` says why the last attempt was refused."""
    return render_template(
        "login.html", next=next_url, settings=app_settings(), email=email, error=error
    )

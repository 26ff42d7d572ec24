"""Helpers for Connect's tests: accounts built through the real use cases, forms with their
CSRF token, mails read back from the outbox, and Connect served on a loopback port."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from onboarding.db import unit_of_work
from onboarding.identity import accounts
from onboarding.outbox.models import OutboxMessage

PASSWORD = "orbit lantern pebble quiet"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def mails(session: Session, template: str | None = None) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "mail").order_by(OutboxMessage.id)
    )
    return [r.payload for r in rows if template is None or r.payload["template"] == template]


def webhooks(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "webhook").order_by(OutboxMessage.id)
    )
    return [r.payload for r in rows]


def link_token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def last_link(factory: sessionmaker[Session], template: str, key: str) -> str:
    with unit_of_work(factory) as session:
        return mails(session, template)[-1]["context"][key]


def activated_account(
    factory: sessionmaker[Session],
    email: str = "ada@example.com",
    password: str = PASSWORD,
    **details: Any,
) -> str:
    """Register and activate an account through the use cases; returns its subject."""
    with unit_of_work(factory) as session:
        accounts.register(
            session,
            email=email,
            first_name=details.get("first_name", "Ada"),
            last_name=details.get("last_name", "Lovelace"),
            language=details.get("language", "en"),
            country=details.get("country", "GB"),
            journey_ref=details.get("journey_ref"),
        )
    raw = link_token(last_link(factory, "activation", "activate_url"))
    with unit_of_work(factory) as session:
        return accounts.activate(session, raw, password, password).subject


def log_in(
    client: Any,
    email: str = "ada@example.com",
    password: str = PASSWORD,
    next_url: str | None = None,
) -> Any:
    page = client.get("/login")
    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "email": email,
        "password": password,
    }
    if next_url:
        data["next"] = next_url
    return client.post("/login", data=data)


class Deferred:
    """A WSGI app given its real application once served: an app's settings name its own
    address, which is known only when the port is taken."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve `app` on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)

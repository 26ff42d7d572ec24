"""Functions tests share: rows built through the real use cases, a browser session logged in to
the app or to Connect, forms with their CSRF token, mails read back from the outbox, and an app
served on a loopback port. Fixtures live in the conftest files."""

from __future__ import annotations

import html
import itertools
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, sessionmaker
from werkzeug.serving import make_server

from onboarding import journeys, outbox
from onboarding.clock import utcnow
from onboarding.db import session_factory, settings_of, unit_of_work
from onboarding.i18n import catalog_files
from onboarding.identity import accounts
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.outbox import delivery
from onboarding.outbox.models import OutboxMessage
from onboarding.people import directory, sessions
from onboarding.people.models import Organization, Person
from onboarding.settings import get_settings
from web.auth import CONNECT_EMAIL_KEY, INVITATIONS_KEY, SESSION_ID_KEY, SESSION_KEY

_counter = itertools.count(1)

# ---- Rows of the app: organizations, people, journeys ----

# The use-case path that brings a new journey into each state.
PATHS: dict[JourneyState, list[str]] = {
    JourneyState.created: [],
    JourneyState.invited: ["invite"],
    JourneyState.registered: ["invite", "register"],
    JourneyState.activated: ["invite", "register", "activate"],
    JourneyState.logged_in: ["invite", "register", "activate", "log_in"],
    JourneyState.accepted: ["invite", "register", "activate", "log_in", "accept"],
    JourneyState.expired: ["invite", "expire"],
    JourneyState.revoked: ["revoke"],
}


def organization(
    session: Session,
    name: str | None = None,
    roles: tuple[str, ...] = ("admin", "editor", "viewer"),
) -> Organization:
    return directory.create_organization(session, name or f"Org {next(_counter)}", roles)


def journey(
    session: Session,
    org: Organization | None = None,
    *,
    email: str | None = None,
    language: str = "en",
    now: datetime | None = None,
) -> Journey:
    """A person just added to `org` (a new organization if None): a journey in `created`."""
    org = org or organization(session)
    return directory.create_person(
        session,
        org,
        email=email or f"person{next(_counter)}@example.com",
        first_name="Ada",
        last_name="Lovelace",
        roles=["viewer"],
        language=language,
        actor="admin@example.com",
        now=now,
    )


def fire(session: Session, journey_id: int, trigger: str, now: datetime | None = None) -> Journey:
    """Fire `trigger` through its use case, with plausible arguments."""
    now = now or utcnow()
    use_case = getattr(journeys, trigger)
    if trigger == "register":
        return journeys.register(session, journey_id, email="person@example.com", now=now)
    if trigger in ("activate", "expire"):
        return use_case(session, journey_id, now=now)
    return use_case(session, journey_id, actor="tester", now=now)


def journey_in(session: Session, state: JourneyState, now: datetime | None = None) -> Journey:
    """A new journey brought into `state` through the use cases."""
    created = journey(session, now=now)
    for trigger in PATHS[state]:
        fire(session, created.id, trigger, now)
    assert created.state is state
    return created


def invitee(
    session: Session,
    org: Organization,
    *,
    email: str | None = None,
    roles: tuple[str, ...] = ("viewer",),
    invited_by: Person | None = None,
) -> Journey:
    """A person with a fresh invitation to `org`."""
    journey = directory.create_person(
        session,
        org,
        email=email or f"person{next(_counter)}@example.com",
        first_name="Ada",
        last_name="Lovelace",
        roles=list(roles),
        actor="admin@example.com",
        invited_by_id=invited_by.id if invited_by else None,
    )
    journeys.invite(session, journey.id, actor="admin@example.com")
    return journey


def member(
    session: Session, org: Organization, *, email: str | None = None, roles: tuple[str, ...]
) -> Journey:
    """A person who accepted an invitation to `org` with `roles`."""
    journey = invitee(session, org, email=email, roles=roles)
    journeys.log_in(session, journey.id, actor=journey.person.email)
    journeys.accept(session, journey.id, actor=journey.person.email)
    return journey


def admin_of(session: Session, org: Organization, email: str | None = None) -> Person:
    """A person whose accepted journey in `org` has the role "admin"."""
    return member(session, org, email=email, roles=("admin",)).person


def invitation_path(session: Session, journey: Journey) -> str:
    """The path of the most recently mailed invitation link of `journey`."""
    return urlsplit(_last_invitation(session, journey)["accept_url"]).path


def join_code(session: Session, journey: Journey) -> str:
    """The join code of the most recent invitation mail of `journey`, as the mail shows it."""
    code: str = _last_invitation(session, journey)["join_code"]
    return code


def _last_invitation(session: Session, journey: Journey) -> dict[str, Any]:
    message = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.journey_id == journey.id, OutboxMessage.kind == "mail")
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None
    context: dict[str, Any] = message.payload["context"]
    return context


# ---- A browser at the app ----


def log_in_to_app(client: FlaskClient, person: Person, connect_email: str | None = None) -> None:
    """Log `client` in as `person`, as the OIDC callback does (see web.auth.log_in_person)."""
    with client.session_transaction() as session:
        session[SESSION_KEY] = person.id
        session[SESSION_ID_KEY] = app_session(
            person.id, object_session(person), client.application.extensions["session_factory"]
        )
        session[CONNECT_EMAIL_KEY] = connect_email or person.email


def app_session(
    person_id: int,
    within: Session | None = None,
    factory: sessionmaker[Session] | None = None,
) -> str:
    """The cookie's token of a new live app session of the person `person_id`, started in the
    open transaction `within` (committed with it) or in one of its own from `factory` (the
    process's database by default)."""
    if within is not None:
        return sessions.start(within, within.get_one(Person, person_id))
    with unit_of_work(factory or session_factory(get_settings())) as session:
        return sessions.start(session, session.get_one(Person, person_id))


def remembered(client: FlaskClient) -> list[int]:
    """The invitations `client`'s session remembers as opened in this browser."""
    with client.session_transaction() as session:
        return list(session.get(INVITATIONS_KEY, []))


# ---- Connect: accounts, forms, mails and webhooks in the outbox ----

PASSWORD = "orbit lantern pebble quiet"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


# What a browser sends when it follows a link: it prefers a page (Connect's /authorize shows a
# browser its log-in form, and sends a program to /login).
PAGE_ACCEPT = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
_NEXT = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')


def form_next(page: str) -> str:
    """Where `page`'s form goes on to once logged in (its hidden `next`)."""
    match = _NEXT.search(page)
    assert match, "no next in the form"
    return html.unescape(match.group(1))


def answer_requests(session: Session) -> None:
    """Answer the queued Connect requests (register, forgot password) in `session`, as the
    outbox worker does before delivering."""
    session.flush()  # requests of this transaction are due from now on
    while delivery.answer_request(session, utcnow(), settings_of(session)):
        pass


def mails(session: Session, template: str | None = None) -> list[dict[str, Any]]:
    """The payloads of the mails in the outbox (of `template` if given), oldest first, once
    the worker answered the queued Connect requests."""
    answer_requests(session)
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "mail").order_by(OutboxMessage.id)
    )
    return [r.payload for r in rows if template is None or r.payload["template"] == template]


def webhooks(session: Session) -> list[dict[str, Any]]:
    """The payloads of the webhooks in the outbox, oldest first, once the worker answered the
    queued Connect requests."""
    answer_requests(session)
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "webhook").order_by(OutboxMessage.id)
    )
    return [r.payload for r in rows]


def invitation_mails(session: Session, count: int, prefix: str) -> None:
    """Queue `count` invitation mails to <prefix>-<n>@example.com, without journeys (load)."""
    for n in range(count):
        outbox.enqueue_mail(
            session,
            template="invitation",
            to=f"{prefix}-{n}@example.com",
            language="en",
            context={
                "first_name": "Ada",
                "organization": "Acme",
                "roles": ["viewer"],
                "invited_by": None,
                "accept_url": f"http://app.test/invitations/{n}",
                "expires_at": utcnow().isoformat(),
                "trigger": "invite",
            },
            dedupe_key=f"{prefix}-{n}",
        )


def link_token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def last_link(factory: sessionmaker[Session], template: str, key: str) -> str:
    """The link `key` of the newest mail of `template`."""
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


APP_CALLBACK = "http://app.test/auth/callback"  # the app's redirect_uri at Connect, in tests


def authorization_params(**overrides: str | None) -> dict[str, str]:
    """A valid authorization request of the app to Connect; an override of None leaves that
    parameter out."""
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": APP_CALLBACK,
        "scope": "openid email profile",
        "state": "s",
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": create_s256_code_challenge(secrets.token_urlsafe(48)),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def log_in_to_connect(
    client: Any,
    email: str = "ada@example.com",
    password: str = PASSWORD,
    next_url: str | None = None,
) -> Any:
    """Log in at Connect's login form with `email` and `password`; returns the response."""
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


def translated_ids(language: str) -> set[str]:
    """Every message that `language`'s catalogs translate (fuzzy entries do not count: the
    application leaves them out)."""
    ids: set[str] = set()
    for path in catalog_files(language):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id and message.string and not message.fuzzy:
                    ids.update(message.id if isinstance(message.id, tuple) else [message.id])
    return ids

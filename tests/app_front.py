"""Helpers for tests of the app's pages: rows built through the use cases, and log-in."""

from __future__ import annotations

import itertools
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding import journeys
from onboarding.journeys.models import Journey
from onboarding.outbox.models import OutboxMessage
from onboarding.people import directory
from onboarding.people.models import Organization, Person
from web.auth import CONNECT_EMAIL_KEY, INVITATIONS_KEY, SESSION_KEY

_counter = itertools.count(1)


def log_in(client: FlaskClient, person: Person, connect_email: str | None = None) -> None:
    """Log `client` in as `person`, as the OIDC callback does (see web.auth.log_in_person)."""
    with client.session_transaction() as session:
        session[SESSION_KEY] = person.id
        session[CONNECT_EMAIL_KEY] = connect_email or person.email


def remembered(client: FlaskClient) -> list[int]:
    with client.session_transaction() as session:
        return list(session.get(INVITATIONS_KEY, []))


def organization(session: Session, name: str | None = None) -> Organization:
    return directory.create_organization(
        session, name or f"Org {next(_counter)}", ["admin", "editor", "viewer"]
    )


def member(
    session: Session, org: Organization, *, email: str | None = None, roles: tuple[str, ...]
) -> Journey:
    """A person who accepted an invitation to `org` with `roles`."""
    journey = invitee(session, org, email=email, roles=roles)
    journeys.log_in(session, journey.id, actor=journey.person.email)
    journeys.accept(session, journey.id, actor=journey.person.email)
    return journey


def admin_of(session: Session, org: Organization, email: str | None = None) -> Person:
    return member(session, org, email=email, roles=("admin",)).person


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


def invitation_path(session: Session, journey: Journey) -> str:
    """The path of the most recently mailed invitation link of `journey`."""
    message = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.journey_id == journey.id, OutboxMessage.kind == "mail")
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None
    return urlsplit(message.payload["context"]["accept_url"]).path

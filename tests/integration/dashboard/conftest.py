"""Fixtures for the dashboard: the app, a client, and admins logged in through the session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from onboarding.journeys.models import Journey
from onboarding.people import directory
from onboarding.people.models import Organization, Person
from tests import factories
from web import create_app
from web.auth import SESSION_KEY


@pytest.fixture
def app(factory: sessionmaker[Session]) -> Flask:
    return create_app({"TESTING": True, "RATELIMIT_ENABLED": False})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def admin_of(session: Session, organization: Organization, email: str) -> Person:
    """A person whose accepted journey in `organization` has the role "admin"."""
    journey = directory.create_person(
        session,
        organization,
        email=email,
        first_name="Ada",
        last_name="Admin",
        roles=["admin"],
        actor="setup",
    )
    for trigger in factories.PATHS[factories.JourneyState.accepted]:
        factories.fire(session, journey.id, trigger)
    return journey.person


def organization(session: Session, name: str) -> Organization:
    return directory.create_organization(session, name, ["admin", "viewer", "editor"])


def invitee(
    session: Session, org: Organization, email: str, now: datetime | None = None
) -> Journey:
    return directory.create_person(
        session,
        org,
        email=email,
        first_name="Ivy",
        last_name="Invitee",
        roles=["viewer"],
        actor="admin@example.com",
        now=now,
    )


LogIn = Callable[[FlaskClient, Person], None]


@pytest.fixture
def log_in() -> Iterator[LogIn]:
    def log_in(client: FlaskClient, person: Person) -> None:
        with client.session_transaction() as flask_session:
            flask_session[SESSION_KEY] = person.id

    yield log_in

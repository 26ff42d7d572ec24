"""Rows for tests, built through the real use cases."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.orm import Session

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.people import directory
from onboarding.people.models import Organization

_counter = itertools.count(1)

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


def organization(session: Session, roles: tuple[str, ...] = ("viewer", "editor")) -> Organization:
    return directory.create_organization(session, f"Org {next(_counter)}", roles)


def journey(
    session: Session,
    org: Organization | None = None,
    *,
    email: str | None = None,
    language: str = "en",
    now: datetime | None = None,
) -> Journey:
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
    created = journey(session, now=now)
    for trigger in PATHS[state]:
        fire(session, created.id, trigger, now)
    assert created.state is state
    return created

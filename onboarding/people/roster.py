"""Settings > People: the people of one organization.

The organizations an admin may open, and the journeys in them, are checked by
`onboarding.people.access`; the actions on a journey are in `onboarding.dashboard.actions`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from onboarding import audit, journeys
from onboarding.journeys.models import Journey
from onboarding.people.directory import create_person
from onboarding.people.models import Organization, Person


def people_of(session: Session, organization_id: int) -> list[Journey]:
    """The journeys of the organization with their people and roles, by name."""
    query = (
        select(Journey)
        .join(Person, Journey.person_id == Person.id)
        .where(Journey.organization_id == organization_id)
        .options(selectinload(Journey.person), selectinload(Journey.roles))
        .order_by(Journey.last_name, Journey.first_name, Person.email)
    )
    return list(session.scalars(query))


def add_person(
    session: Session,
    organization: Organization,
    *,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    roles: Sequence[str],
    invite: bool,
    actor: str,
    invited_by: Person | None = None,
) -> Journey:
    """An admin (or the command line) adds a person to the organization, and invites them at
    once if `invite`; each step is in the audit log."""
    journey = create_person(
        session,
        organization,
        email=email,
        first_name=first_name,
        last_name=last_name,
        language=language,
        roles=roles,
        actor=actor,
        invited_by_id=invited_by.id if invited_by else None,
    )
    steps = ["person.create", *(["journey.invite"] if invite else [])]
    if invite:
        journeys.invite(session, journey.id, actor=actor)
    for action in steps:
        audit.record(
            session,
            organization_id=organization.id,
            actor=actor,
            action=action,
            subject=journey.person.email,
            detail={"journey_id": journey.id, "roles": sorted(role.name for role in journey.roles)},
        )
    return journey

"""Who may administer which organization."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, journey_roles
from onboarding.people.models import Person, Role

ADMIN_ROLE = "admin"


def administered_organization_ids(session: Session, person: Person) -> set[int] | None:
    """The organizations `person` administers; None means all of them (a superadmin)."""
    if person.is_superadmin:
        return None
    query = (
        select(Journey.organization_id)
        .join(journey_roles, journey_roles.c.journey_id == Journey.id)
        .join(Role, Role.id == journey_roles.c.role_id)
        .where(
            Journey.person_id == person.id,
            Journey.state == JourneyState.accepted,
            Role.name == ADMIN_ROLE,
        )
    )
    return set(session.scalars(query))


def may_administer(session: Session, person: Person, organization_id: int) -> bool:
    allowed = administered_organization_ids(session, person)
    return allowed is None or organization_id in allowed

"""Settings > People: the people of one organization.

The organizations an admin may open, and the journeys in them, are checked by
`onboarding.people.access`; the actions on a journey are in `onboarding.dashboard.actions`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from onboarding.journeys.models import Journey
from onboarding.people.models import Person


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

"""Settings > People: the people of an organization, and the invitation actions on them.

Every lookup is scoped to one organization, so that an administrator of one organization
can never reach a journey of another by its id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from onboarding import journeys
from onboarding.errors import NotFound
from onboarding.journeys.machine import allowed_triggers
from onboarding.journeys.models import Journey
from onboarding.people.access import administered_organization_ids
from onboarding.people.models import Organization, Person

# The invitation actions an administrator takes on a journey, in the order shown.
ACTIONS: dict[str, Callable[..., Journey]] = {
    "invite": journeys.invite,
    "resend": journeys.resend,
    "revoke": journeys.revoke,
    "reinvite": journeys.reinvite,
}


def organizations_of(session: Session, admin: Person) -> list[Organization]:
    """The organizations `admin` administers (every one for a superadmin), by name."""
    allowed = administered_organization_ids(session, admin)
    query = select(Organization).order_by(Organization.name)
    if allowed is not None:
        query = query.where(Organization.id.in_(allowed))
    return list(session.scalars(query))


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


def journey_of(session: Session, organization_id: int, journey_id: int) -> Journey:
    """The journey `journey_id` if it belongs to the organization; NotFound otherwise."""
    journey = session.scalar(
        select(Journey).where(Journey.id == journey_id, Journey.organization_id == organization_id)
    )
    if journey is None:
        raise NotFound("There is no such person in this organization.")
    return journey


def available_actions(journey: Journey) -> list[str]:
    """The invitation actions the machine allows in the journey's current state."""
    allowed = allowed_triggers(journey.state)
    return [name for name in ACTIONS if name in allowed]


def take_action(
    session: Session,
    organization_id: int,
    journey_id: int,
    action: str,
    *,
    actor: str,
    now: datetime | None = None,
) -> Journey:
    """Invite, resend, revoke or re-invite a journey of the organization."""
    if action not in ACTIONS:
        raise NotFound(f"There is no action '{action}'.")
    journey = journey_of(session, organization_id, journey_id)
    return ACTIONS[action](session, journey.id, actor=actor, now=now)

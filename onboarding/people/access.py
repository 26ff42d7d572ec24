"""Who may administer which organization: the one scope check of People, dashboard and API.

A scope is the set of organization ids one may administer, or None for all of them (a
superadmin). A logged-in admin's scope comes from their accepted admin roles; an API token's
scope is its one organization.
"""

from __future__ import annotations

from sqlalchemy import ColumnExpressionArgument, Select, bindparam, select
from sqlalchemy.orm import Session

from onboarding.db import written
from onboarding.errors import NotFound
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, journey_roles
from onboarding.people.models import Organization, Person, Role

ADMIN_ROLE = "admin"
MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database

Scope = frozenset[int] | None


def administered_organization_ids(session: Session, person: Person) -> Scope:
    """The organizations `person` administers; None means all of them (a superadmin)."""
    if person.is_superadmin:
        return None
    return frozenset(session.scalars(_ADMINISTERED, {"person_id": person.id}))


def _administered(person_id: ColumnExpressionArgument[int]) -> Select[int]:
    """The organizations whose admin `person_id` is: an accepted journey with the admin role."""
    return (
        select(Journey.organization_id)
        .join(journey_roles, journey_roles.c.journey_id == Journey.id)
        .join(Role, Role.id == journey_roles.c.role_id)
        .where(
            Journey.person_id == person_id,
            Journey.state == written(JourneyState.accepted),
            Role.name == ADMIN_ROLE,
        )
    )


# Built once: admin pages ask it.
_ADMINISTERED = _administered(bindparam("person_id"))
# Whether the person of a query on people administers an organization (or all): what the
# navigation of every signed-in page asks, read with the person.
ADMINISTERS_ANY = Person.is_superadmin | _administered(Person.id).exists()


def may_administer(session: Session, person: Person, organization_id: int) -> bool:
    """Whether `person` administers the organization `organization_id`."""
    return in_scope(administered_organization_ids(session, person), organization_id)


def in_scope(scope: Scope, organization_id: int) -> bool:
    """Whether `scope` covers the organization `organization_id`."""
    return scope is None or organization_id in scope


def organizations_in(session: Session, scope: Scope) -> list[Organization]:
    """The organizations of `scope`, by name."""
    query = select(Organization).order_by(Organization.name)
    if scope is not None:
        query = query.where(Organization.id.in_(sorted(scope)))
    return list(session.scalars(query))


def journey_in_scope(session: Session, journey_id: int, scope: Scope) -> Journey:
    """The journey, if its organization is in `scope`; NotFound otherwise, so that an admin
    cannot even learn that another organization's journey exists."""
    journey = session.get(Journey, journey_id) if 0 < journey_id <= MAX_ID else None
    if journey is None or not in_scope(scope, journey.organization_id):
        raise NotFound("No journey %(id)d.", {"id": journey_id})
    return journey

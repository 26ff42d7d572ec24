"""Organizations, roles and people: creating the rows a journey starts from."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding.clock import utcnow
from onboarding.email_address import normalise_email
from onboarding.errors import Conflict, NotFound, ValidationError
from onboarding.i18n import DEFAULT_LANGUAGE, LANGUAGES
from onboarding.journeys import history
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.people.models import NAME_LENGTH, Organization, Person, Role
from onboarding.typed_text import has_control_character

_SLUG = re.compile(r"[^a-z0-9]+")


def create_organization(session: Session, name: str, roles: Sequence[str]) -> Organization:
    """A new organization with its role names (at least one)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("An organization needs a name.", "name")
    role_names = sorted({r.strip() for r in roles if r.strip()})
    if not role_names:
        raise ValidationError("An organization needs at least one role.", "roles")
    slug = _SLUG.sub("-", name.lower()).strip("-") or "org"
    if session.scalar(select(Organization.id).where(Organization.slug == slug)):
        raise Conflict("An organization named '%(name)s' already exists.", {"name": name})
    organization = Organization(name=name, slug=slug, roles=[Role(name=r) for r in role_names])
    session.add(organization)
    session.flush()
    return organization


def find_organization(session: Session, ref: str | int) -> Organization:
    """By id or slug."""
    query = select(Organization)
    if isinstance(ref, int) or str(ref).isdigit():
        query = query.where(Organization.id == int(ref))
    else:
        query = query.where(Organization.slug == str(ref))
    organization = session.scalar(query)
    if organization is None:
        raise NotFound("No organization '%(ref)s'.", {"ref": ref})
    return organization


def resolve_roles(organization: Organization, names: Sequence[str]) -> list[Role]:
    """The organization's roles by name; zero roles or an unknown name is refused."""
    wanted = {n.strip() for n in names if n and n.strip()}
    if not wanted:
        raise ValidationError(
            "Choose at least one role: a person without a role cannot use "
            "%(organization)s, so the invitation would lead nowhere.",
            "roles",
            {"organization": organization.name},
        )
    by_name = {role.name: role for role in organization.roles}
    unknown = sorted(wanted - by_name.keys())
    if unknown:
        raise ValidationError(
            "%(organization)s has no role %(unknown)s (roles: %(roles)s).",
            "roles",
            {
                "organization": organization.name,
                "unknown": ", ".join(unknown),
                "roles": ", ".join(sorted(by_name)),
            },
        )
    return [by_name[n] for n in sorted(wanted)]


def checked_names(first_name: str, last_name: str) -> tuple[str, str]:
    """The names stripped; refused when the first is missing, or either is longer than
    NAME_LENGTH or holds a control character. The rules of every form, the API, CSV import
    and SCIM."""
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not first_name:
        raise ValidationError("First name is required.", "first_name")
    for field, too_long, not_allowed, value in (
        (
            "first_name",
            "First name is longer than %(limit)d characters.",
            "First name holds a character that is not allowed.",
            first_name,
        ),
        (
            "last_name",
            "Last name is longer than %(limit)d characters.",
            "Last name holds a character that is not allowed.",
            last_name,
        ),
    ):
        if len(value) > NAME_LENGTH:
            raise ValidationError(too_long, field, {"limit": NAME_LENGTH})
        if has_control_character(value):
            raise ValidationError(not_allowed, field)
    return first_name, last_name


def create_person(
    session: Session,
    organization: Organization,
    *,
    email: str,
    first_name: str,
    last_name: str,
    roles: Sequence[str],
    language: str = DEFAULT_LANGUAGE,
    country: str | None = None,
    actor: str,
    invited_by_id: int | None = None,
    now: datetime | None = None,
) -> Journey:
    """Add a person to `organization` with one or more roles; returns the new journey (created).

    The person row is shared across organizations (one per email); the journey is per
    organization, at most one per person and organization, and keeps the names given here.
    """
    now = now or utcnow()
    role_rows = resolve_roles(organization, roles)
    address = normalise_email(email)
    first_name, last_name = checked_names(first_name, last_name)
    if language not in LANGUAGES:
        raise ValidationError(
            "Language must be one of %(languages)s.",
            "language",
            {"languages": ", ".join(LANGUAGES)},
        )
    person = session.scalar(select(Person).where(Person.email == address))
    if person is None:
        person = Person(
            email=address,
            first_name=first_name,
            last_name=last_name,
            language=language,
            country=country,
            created_at=now,
        )
        session.add(person)
    else:
        existing = session.scalar(
            select(Journey).where(
                Journey.person_id == person.id, Journey.organization_id == organization.id
            )
        )
        if existing is not None:
            raise _already_there(address, organization, existing.state)
    journey = Journey(
        person=person,
        organization=organization,
        first_name=first_name,
        last_name=last_name,
        roles=role_rows,
        state=JourneyState.created,
        invited_by_id=invited_by_id,
        state_entered_at=now,
        created_at=now,
    )
    session.add(journey)
    history.record(
        session,
        journey,
        "create",
        actor=actor,
        now=now,
        from_state=None,
        detail={"roles": [r.name for r in role_rows]},
    )
    session.flush()
    return journey


def _already_there(address: str, organization: Organization, state: JourneyState) -> Conflict:
    params = {"email": address, "organization": organization.name}
    if state is JourneyState.accepted:
        return Conflict("%(email)s is already a member of %(organization)s.", params)
    if state is JourneyState.expired:
        return Conflict(
            "%(email)s already has an invitation to %(organization)s that expired; re-invite "
            "them instead.",
            params,
        )
    if state is JourneyState.revoked:
        return Conflict(
            "%(email)s already has an invitation to %(organization)s that was revoked; "
            "re-invite them instead.",
            params,
        )
    return Conflict("%(email)s already has an open invitation to %(organization)s.", params)

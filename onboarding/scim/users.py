"""SCIM Users: the journeys of one organization, provisioned by its directory.

Creating a user adds the person with the directory token's default role and sends the
invitation; `active: false` (or deleting) revokes it, `active: true` again re-invites; names and
addresses change the person. Every change is written through the journeys' use cases or
recorded as a fact in the journey's history, with the directory as actor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scim2_models import Email, EnterpriseUser, GroupMembership, Meta, Name, ScimFilter, User
from scim2_models.path import CompareOperator, Comparison
from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from onboarding import audit, journeys
from onboarding.dashboard.models import ApiToken
from onboarding.email_address import normalise_email
from onboarding.errors import Conflict, NotFound, ValidationError
from onboarding.journeys import history
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.people.directory import checked_names, create_person
from onboarding.people.models import Person
from onboarding.scim.models import ScimUser

INACTIVE = frozenset({JourneyState.revoked, JourneyState.expired})
# Entra sends the enterprise extension; its attributes are accepted and not kept.
DirectoryUser = User[EnterpriseUser]


def actor_of(token: ApiToken) -> str:
    """How the history names the directory behind `token`."""
    return f"directory:{token.name} (token of {token.created_by})"


def listed(
    session: Session, organization_id: int, wanted: ScimFilter[Any] | None = None
) -> list[tuple[Journey, ScimUser | None]]:
    """The journeys of the organization the directory sees, oldest first.

    What directories ask before each change (`userName eq`, `externalId eq`) is narrowed in
    the query; the caller still matches `wanted` on what is returned.
    """
    query = (
        select(Journey, ScimUser)
        .join(Person, Person.id == Journey.person_id)
        .outerjoin(ScimUser, ScimUser.journey_id == Journey.id)
        .where(Journey.organization_id == organization_id, ScimUser.removed_at.is_(None))
        .options(selectinload(Journey.roles), contains_eager(Journey.person))
        .order_by(Journey.id)
    )
    node = wanted.ast if wanted is not None else None
    if (
        isinstance(node, Comparison)
        and node.op is CompareOperator.eq
        and isinstance(node.value, str)
    ):
        attribute = (node.attr_path.attr.lower(), node.attr_path.sub_attr)
        if attribute == ("username", None):  # caseExact false (RFC 7643 §4.1.1)
            user_name = func.coalesce(ScimUser.user_name, Person.email)
            query = query.where(func.lower(user_name) == node.value.lower())
        elif attribute == ("externalid", None):
            query = query.where(ScimUser.external_id == node.value)
    return [(journey, link) for journey, link in session.execute(query)]


def find(session: Session, organization_id: int, user_id: str) -> tuple[Journey, ScimUser | None]:
    """The journey behind a SCIM user id of the organization; NotFound otherwise."""
    journey = session.get(Journey, int(user_id)) if user_id.isdigit() else None
    link = session.get(ScimUser, journey.id) if journey is not None else None
    if (
        journey is None
        or journey.organization_id != organization_id
        or (link is not None and link.removed_at is not None)
    ):
        raise NotFound("No user %(id)s.", {"id": user_id})
    return journey, link


def resource(journey: Journey, link: ScimUser | None, base_url: str) -> DirectoryUser:
    """The SCIM representation of a journey."""
    person = journey.person
    emails = (link.emails if link else None) or [
        {"value": person.email, "type": "work", "primary": True}
    ]
    return DirectoryUser(
        id=str(journey.id),
        external_id=link.external_id if link else None,
        user_name=link.user_name if link else person.email,
        name=Name(given_name=person.first_name, family_name=person.last_name or None),
        emails=[Email.model_validate(email) for email in emails],
        active=journey.state not in INACTIVE,
        groups=[
            GroupMembership.model_validate(
                {
                    "value": str(role.id),
                    "display": role.name,
                    "$ref": f"{base_url}/Groups/{role.id}",
                }
            )
            for role in journey.roles
        ],
        meta=Meta(
            resource_type="User",
            created=journey.created_at,
            last_modified=max(journey.created_at, journey.state_entered_at),
            location=f"{base_url}/Users/{journey.id}",
        ),
    )


def _address(user: User) -> str:
    """Where the invitation goes: the primary address, else the work one, else the first, else
    the userName if it is an address."""
    emails = [e for e in user.emails or [] if e.value]
    chosen = (
        next((e for e in emails if e.primary), None)
        or next((e for e in emails if e.type == Email.Type.work), None)
        or (emails[0] if emails else None)
    )
    value = chosen.value if chosen else user.user_name
    if not value or "@" not in value:
        raise ValidationError("A user needs an email address (emails or userName).", "emails")
    return normalise_email(value)


def _names(user: User, address: str) -> tuple[str, str]:
    given = user.name.given_name if user.name else None
    family = user.name.family_name if user.name else None
    return checked_names(given or user.display_name or address.split("@")[0], family or "")


def _emails(user: User) -> list[dict[str, object]]:
    return [
        email.model_dump(exclude_none=True, mode="json")
        for email in user.emails or []
        if email.value
    ]


def create(
    session: Session, token: ApiToken, user: User, now: datetime
) -> tuple[Journey, ScimUser]:
    """Add the person with the token's default role and invite them (unless `active` is false).

    A person the directory removed before comes back: re-invited, seen again.
    """
    if not user.user_name:
        raise ValidationError("userName is required.", "userName")
    actor = actor_of(token)
    address = _address(user)
    first_name, last_name = _names(user, address)
    taken = session.scalar(
        select(ScimUser)
        .join(Journey, Journey.id == ScimUser.journey_id)
        .where(
            Journey.organization_id == token.organization_id,
            ScimUser.user_name == user.user_name,
            ScimUser.removed_at.is_(None),
        )
    )
    if taken is not None:
        raise Conflict("A user named '%(name)s' exists already.", {"name": user.user_name})
    returning = session.execute(
        select(Journey, ScimUser)
        .join(Person, Person.id == Journey.person_id)
        .join(ScimUser, ScimUser.journey_id == Journey.id)
        .where(
            Journey.organization_id == token.organization_id,
            Person.email == address,
            ScimUser.removed_at.is_not(None),
        )
    ).first()
    if returning is not None:
        journey, link = returning
        link.removed_at = None
        _keep(link, user)
        if user.active is not False:
            journeys.reinvite(session, journey.id, actor=actor, now=now)
        _audit(session, token, "scim.user.create", journey, now)
        return journey, link
    if token.default_role is None:
        raise ValidationError("The directory's token has no default role; issue a new one.")
    journey = create_person(
        session,
        token.organization,
        email=address,
        first_name=first_name,
        last_name=last_name,
        roles=[token.default_role.name],
        actor=actor,
        now=now,
    )
    link = ScimUser(journey_id=journey.id, user_name=user.user_name)
    _keep(link, user)
    session.add(link)
    session.flush()
    journey_id = journey.id
    if user.active is False:
        journeys.revoke(session, journey_id, actor=actor, now=now)
    else:
        journeys.invite(session, journey_id, actor=actor, now=now)
    _audit(session, token, "scim.user.create", journey, now)
    return journey, link


def _keep(link: ScimUser, user: User) -> None:
    link.user_name = user.user_name or link.user_name
    link.external_id = user.external_id
    link.emails = _emails(user)


def replace(
    session: Session,
    token: ApiToken,
    journey: Journey,
    link: ScimUser | None,
    user: User,
    now: datetime,
) -> ScimUser:
    """Make the journey what `user` says: names, addresses, externalId, active."""
    if not user.user_name:
        raise ValidationError("userName is required.", "userName")
    actor = actor_of(token)
    if link is None:
        link = ScimUser(journey_id=journey.id, user_name=user.user_name)
        session.add(link)
    address = _address(user)
    first_name, last_name = _names(user, address)
    person = journey.person
    changed = {
        field: value
        for field, value in (
            ("email", address),
            ("first_name", first_name),
            ("last_name", last_name),
        )
        if getattr(person, field) != value
    }
    if "email" in changed and session.scalar(select(Person.id).where(Person.email == address)):
        raise Conflict("%(address)s belongs to someone else already.", {"address": address})
    for field, value in changed.items():
        setattr(person, field, value)
    _keep(link, user)
    if changed:
        history.note(
            session,
            journey,
            history.Fact.directory_update,
            actor=actor,
            now=now,
            detail=changed,
        )
    if user.active is False and journey.state not in INACTIVE:
        journeys.revoke(session, journey.id, actor=actor, now=now)
    elif user.active is True and journey.state in INACTIVE:
        journeys.reinvite(session, journey.id, actor=actor, now=now)
    session.flush()
    _audit(session, token, "scim.user.update", journey, now, changed)
    return link


def remove(
    session: Session, token: ApiToken, journey: Journey, link: ScimUser | None, now: datetime
) -> None:
    """The directory deletes the user: the invitation is revoked and the directory stops seeing
    it; the journey and its history stay."""
    if journey.state not in INACTIVE:
        journeys.revoke(session, journey.id, actor=actor_of(token), now=now)
    if link is None:
        link = ScimUser(journey_id=journey.id, user_name=journey.person.email, emails=[])
        session.add(link)
    link.removed_at = now
    session.flush()
    _audit(session, token, "scim.user.delete", journey, now)


def _audit(
    session: Session,
    token: ApiToken,
    action: str,
    journey: Journey,
    now: datetime,
    detail: dict[str, str] | None = None,
) -> None:
    """The directory's change in the organization's audit log."""
    audit.record(
        session,
        organization_id=token.organization_id,
        actor=actor_of(token),
        action=action,
        subject=journey.person.email,
        detail={"journey_id": journey.id, "state": journey.state.value, **(detail or {})},
        now=now,
    )

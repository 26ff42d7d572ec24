"""What an invitation's page shows, read with its link's status as plain rows (a role each):
a handful of columns instead of five entities of some fifty, which cost more to load than the
query costs to run, on a page that anyone holding the link (or a mail scanner) may fetch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Result, Row, Select, bindparam, select
from sqlalchemy.orm import aliased

from onboarding.journeys.link_tokens import STATUS, TokenStatus
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, LinkToken, journey_roles
from onboarding.people.models import Organization, Person, Role, full_name


class Invitee(NamedTuple):
    full_name: str
    email: str
    language: str
    connect_subject: str | None


class Inviter(NamedTuple):
    full_name: str
    email: str


@dataclass(frozen=True)
class ShownInvitation:
    """An invitation as its page shows it, in its invitee's language."""

    id: int  # the journey's
    state: JourneyState
    organization: str
    roles: tuple[str, ...]  # by name
    person: Invitee
    invited_by: Inviter | None
    expires_at: datetime | None

    @classmethod
    def of(cls, journey: Journey) -> ShownInvitation:
        """The same, of a journey already loaded."""
        inviter = journey.invited_by
        person = journey.person
        return cls(
            id=journey.id,
            state=journey.state,
            organization=journey.organization.name,
            roles=tuple(role.name for role in journey.roles),
            person=Invitee(person.full_name, person.email, person.language, person.connect_subject),
            invited_by=Inviter(inviter.full_name, inviter.email) if inviter else None,
            expires_at=journey.expires_at,
        )


@dataclass(frozen=True)
class ShownLink:
    """What a link is worth, and what its page shows when it is known."""

    status: TokenStatus
    token_id: int | None = None
    invitation: ShownInvitation | None = None


# Who invited (a person, like the invitee: the same table twice).
_INVITER = aliased(Person)
# What an invitation's page shows of its journey, in this order (read by `invitation_of`).
_SHOWN = (
    Journey.id,
    Journey.state,
    Journey.expires_at,
    Organization.name,
    Person.first_name,
    Person.last_name,
    Person.email,
    Person.language,
    Person.connect_subject,
    _INVITER.first_name,
    _INVITER.last_name,
    _INVITER.email,
    Role.name,
)


def showing(query: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """`query` (on journeys) with what an invitation shows after its own columns: a row per
    role, in the order of their names after any order `query` has."""
    return (
        query.add_columns(*_SHOWN)
        .join(Organization, Journey.organization)
        .join(Person, Journey.person)
        .outerjoin(_INVITER, Journey.invited_by)
        .outerjoin(journey_roles, journey_roles.c.journey_id == Journey.id)
        .outerjoin(Role, Role.id == journey_roles.c.role_id)
        .order_by(Role.name)
    )


def invitation_of(rows: Sequence[Row[Any]], first: int) -> ShownInvitation:
    """The invitation of a `showing` query's `rows` of one journey, whose shown columns start
    at the index `first`."""
    journey_id, state, expires_at, organization, *names = rows[0][first:]
    (
        first_name,
        last_name,
        email,
        language,
        subject,
        inviter_first,
        inviter_last,
        inviter_email,
        _,
    ) = names
    return ShownInvitation(
        id=journey_id,
        state=state,
        organization=organization,
        roles=tuple(row[-1] for row in rows if row[-1] is not None),
        person=Invitee(full_name(first_name, last_name), email, language, subject),
        invited_by=(
            Inviter(full_name(inviter_first, inviter_last), inviter_email)
            if inviter_email is not None
            else None
        ),
        expires_at=expires_at,
    )


# Built once; its parameters are `link_tokens.link_parameters`.
BY_LINK = showing(
    select(STATUS, LinkToken.id)
    .join_from(LinkToken, Journey, LinkToken.journey)
    .where(
        LinkToken.token_hash == bindparam("token_hash"),
        LinkToken.purpose == bindparam("purpose"),
    )
)


def shown(result: Result[*tuple[Any, ...]]) -> ShownLink:
    """The link found by a `BY_LINK` query (all its rows)."""
    rows = result.all()
    if not rows:
        return ShownLink(TokenStatus.unknown)
    status, token_id = rows[0][:2]
    return ShownLink(TokenStatus(status), token_id, invitation_of(rows, 2))

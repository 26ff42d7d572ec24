"""Erasing a person (GDPR article 17): their address, names and what they typed are replaced
by a stable pseudonym wherever the app keeps them (the person, their journeys, the history,
the outbox and the audit log), their live links and sessions end and their pending mails
are cancelled.

The journeys keep their states and times, so the funnel still counts them. Each journey's
history records that an erasure happened and by whom, and nothing of what was erased.
An account at the identity provider is its owner's: Connect deletes it at their request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from onboarding.audit.models import AuditEntry
from onboarding.clock import utcnow
from onboarding.dashboard.models import ApiToken
from onboarding.email_address import normalise_email
from onboarding.errors import Forbidden, NotFound
from onboarding.journeys import history
from onboarding.journeys.models import Journey, JourneyEvent, LinkToken
from onboarding.outbox.models import OutboxMessage, OutboxStatus
from onboarding.people.access import MAX_ID, Scope, in_scope
from onboarding.people.models import Person
from onboarding.people.sessions import AppSession
from onboarding.scim.models import ScimUser

# Addresses of erased people: the reserved top-level domain, so no mail can ever reach one.
ERASED_DOMAIN = "erased.invalid"
CANCELLED = "cancelled: the person was erased"


def pseudonym(person_id: int) -> str:
    """The name an erased person goes by: stable, and telling nothing about them."""
    return f"erased-{person_id}"


def erased_address(person_id: int) -> str:
    return f"{pseudonym(person_id)}@{ERASED_DOMAIN}"


def is_erased(person: Person) -> bool:
    return person.email == erased_address(person.id)


def erase_person(
    session: Session,
    person_id: int,
    *,
    scope: Scope,
    actor: str,
    now: datetime | None = None,
) -> Person:
    """Erase the person `person_id`, who must belong only to organizations in `scope`
    (a superadmin's scope, None, reaches everyone). Erasing twice changes nothing more."""
    now = now or utcnow()
    person = session.get(Person, person_id) if 0 < person_id <= MAX_ID else None
    journeys = _journeys_of(session, person_id)
    reached = [in_scope(scope, j.organization_id) for j in journeys]
    # An admin cannot even learn that a person of other organizations exists.
    if person is None or (scope is not None and not any(reached)):
        raise NotFound("No person %(id)d.", {"id": person_id})
    if not all(reached):
        raise Forbidden(
            "This person also belongs to organizations you do not administer; "
            "an administrator of each, or a superadmin, can erase them."
        )
    if is_erased(person):
        return person
    address = person.email
    # Their names as every organization typed them, and their account's subject at the provider.
    named = {person.first_name, person.last_name, person.connect_subject or ""} | {
        name for j in journeys for name in (j.first_name, j.last_name)
    }
    alias, replacement = pseudonym(person.id), erased_address(person.id)
    journey_ids = [j.id for j in journeys]

    own = _Scrub({address: replacement, **{value: alias for value in named}})
    theirs = _Scrub({address: replacement})
    _scrub_outbox(session, journey_ids, address, own, theirs)
    _scrub_history(session, journey_ids, address, replacement, own, theirs)
    _scrub_audit(session, journey_ids, address, own, theirs)
    _scrub_elsewhere(session, person, journey_ids, replacement)

    person.email, person.first_name, person.last_name = replacement, alias, ""
    person.country = None
    person.connect_subject = None
    for journey in journeys:
        journey.first_name, journey.last_name = alias, ""
        history.note(session, journey, history.Fact.erased, actor=actor, now=now)
    session.flush()
    return person


def erase_by_address(
    session: Session, email: str, *, scope: Scope, actor: str, now: datetime | None = None
) -> Person:
    """Erase the person of `email` (any case), as `erase_person` does; the same NotFound
    whether nobody has the address or only people out of `scope`."""
    person = session.scalar(select(Person).where(Person.email == normalise_email(email)))
    unknown = NotFound("No person with the address %(email)s.", {"email": email})
    if person is None:
        raise unknown
    try:
        return erase_person(session, person.id, scope=scope, actor=actor, now=now)
    except NotFound:
        raise unknown from None


def _journeys_of(session: Session, person_id: int) -> list[Journey]:
    return list(
        session.scalars(select(Journey).where(Journey.person_id == person_id).order_by(Journey.id))
    )


def _mentions(column: Any, address: str) -> Any:
    """Whether a JSON or text column holds `address` anywhere (both databases, any case)."""
    return func.lower(cast(column, Text)).contains(address.lower(), autoescape=True)


def _scrub_outbox(
    session: Session, journey_ids: list[int], address: str, own: _Scrub, theirs: _Scrub
) -> None:
    """Pending mails about the person are cancelled; every row keeps the pseudonym only."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.pending,
            OutboxMessage.kind == "mail",
            or_(
                OutboxMessage.journey_id.in_(journey_ids),
                _mentions(OutboxMessage.payload, address),
            ),
        )
        .values(status=OutboxStatus.dead, last_error=CANCELLED)
        .execution_options(synchronize_session=False)
    )
    rows = session.scalars(
        select(OutboxMessage).where(
            or_(
                OutboxMessage.journey_id.in_(journey_ids),
                _mentions(OutboxMessage.payload, address),
                _mentions(OutboxMessage.last_error, address),
            )
        )
    )
    for row in rows:
        scrub = own if row.journey_id in journey_ids else theirs
        row.payload = scrub(row.payload)
        row.last_error = scrub(row.last_error) if row.last_error else row.last_error


def _scrub_history(
    session: Session,
    journey_ids: list[int],
    address: str,
    replacement: str,
    own: _Scrub,
    theirs: _Scrub,
) -> None:
    """Details of the person's journeys lose their names and address; other journeys'
    history, where the person acted or is named by address, their address."""
    events = session.scalars(
        select(JourneyEvent).where(
            or_(
                JourneyEvent.journey_id.in_(journey_ids),
                JourneyEvent.actor == address,
                _mentions(JourneyEvent.detail, address),
            )
        )
    )
    for event in events:
        scrub = own if event.journey_id in journey_ids else theirs
        event.detail = scrub(event.detail)
        event.actor = scrub(event.actor)
    session.execute(
        update(ApiToken)
        .where(ApiToken.created_by == address)
        .values(created_by=replacement)
        .execution_options(synchronize_session=False)
    )


def _scrub_audit(
    session: Session, journey_ids: list[int], address: str, own: _Scrub, theirs: _Scrub
) -> None:
    """Entries about the person's journeys lose their names and address; other entries, where
    the person acted or is named (a bulk invitation's list), their address."""
    entries = session.scalars(
        select(AuditEntry).where(
            or_(
                AuditEntry.detail["journey_id"].as_integer().in_(journey_ids),
                _mentions(AuditEntry.actor, address),
                _mentions(AuditEntry.subject, address),
                _mentions(AuditEntry.detail, address),
            )
        )
    )
    for entry in entries:
        scrub = own if entry.detail.get("journey_id") in journey_ids else theirs
        entry.actor, entry.subject = scrub(entry.actor), scrub(entry.subject)
        entry.detail = scrub(entry.detail)


def _scrub_elsewhere(
    session: Session, person: Person, journey_ids: list[int], replacement: str
) -> None:
    """Links and sessions end; what a directory sent of the person goes."""
    session.execute(
        delete(LinkToken)
        .where(LinkToken.journey_id.in_(journey_ids))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(AppSession)
        .where(AppSession.person_id == person.id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(ScimUser)
        .where(ScimUser.journey_id.in_(journey_ids))
        .values(user_name=replacement, external_id=None, emails=[])
        .execution_options(synchronize_session=False)
    )


class _Scrub:
    """Replaces, in a JSON value, every string that holds one of the erased values (any case)
    by that value's replacement, whole: a sentence that named the person is not kept."""

    def __init__(self, replacements: dict[str, str]) -> None:
        # Longest first, so that the address wins over a name it contains; blank names skipped.
        self._pairs = sorted(
            ((value.lower(), new) for value, new in replacements.items() if value.strip()),
            key=lambda pair: -len(pair[0]),
        )

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            lowered = value.lower()
            return next((new for old, new in self._pairs if old in lowered), value)
        if isinstance(value, dict):
            return {key: self(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self(item) for item in value]
        return value

"""What the app keeps about a person, as JSON (GDPR articles 15 and 20): the person, their
journeys in the organizations the reader administers, each journey's history and its mails."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding.clock import utcnow
from onboarding.errors import NotFound
from onboarding.journeys.models import Journey
from onboarding.outbox import MAIL
from onboarding.outbox.models import OutboxMessage
from onboarding.people.access import MAX_ID, Scope, in_scope
from onboarding.people.models import Person


def export_person(
    session: Session, person_id: int, *, scope: Scope, now: datetime | None = None
) -> dict[str, Any]:
    """The person `person_id` and their journeys in `scope` (None: all), as JSON values.
    NotFound when none of their journeys is in `scope`."""
    person = session.get(Person, person_id) if 0 < person_id <= MAX_ID else None
    journeys = [
        journey
        for journey in session.scalars(
            select(Journey).where(Journey.person_id == person_id).order_by(Journey.id)
        )
        if in_scope(scope, journey.organization_id)
    ]
    if person is None or (scope is not None and not journeys):
        raise NotFound("No person %(id)d.", {"id": person_id})
    return {
        "exported_at": _time(now or utcnow()),
        "person": {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "language": person.language,
            "country": person.country,
            "created_at": _time(person.created_at),
            "has_linked_account": person.connect_subject is not None,
        },
        "journeys": [_journey(session, journey) for journey in journeys],
    }


def _journey(session: Session, journey: Journey) -> dict[str, Any]:
    mails = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.journey_id == journey.id, OutboxMessage.kind == MAIL)
        .order_by(OutboxMessage.id)
    )
    return {
        "organization": journey.organization.name,
        "first_name": journey.first_name,
        "last_name": journey.last_name,
        "roles": [role.name for role in journey.roles],
        "state": journey.state.value,
        "state_entered_at": _time(journey.state_entered_at),
        "invited_at": _time(journey.invited_at),
        "expires_at": _time(journey.expires_at),
        "created_at": _time(journey.created_at),
        "history": [
            {
                "at": _time(event.at),
                "what": event.trigger,
                "from": event.from_state.value if event.from_state else None,
                "to": event.to_state.value,
                "by": event.actor,
                "detail": event.detail,
            }
            for event in journey.events
        ],
        "mails": [
            {
                "template": mail.payload.get("template"),
                "status": mail.status,
                "queued_at": _time(mail.created_at),
                "sent_at": _time(mail.sent_at),
            }
            for mail in mails
        ],
    }


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None

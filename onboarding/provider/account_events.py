"""The app's side of Connect's identity events: account.registered and account.activated
advance every open journey of that person, and the journey named by the event's signed
reference (a registration made with another address than the invited one).

Receiving is idempotent: each event id is recorded, and a second delivery changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.email_address import normalise_email
from onboarding.errors import ValidationError
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.journeys.refs import read_ref
from onboarding.people.models import Person
from onboarding.provider.models import ReceivedIdentityEvent

REGISTERED = "account.registered"
ACTIVATED = "account.activated"
ACTOR = "connect"


# Which triggers bring a journey in a given state up to date with an event.
_STEPS: dict[str, dict[JourneyState, list[str]]] = {
    REGISTERED: {JourneyState.invited: ["register"]},
    ACTIVATED: {
        JourneyState.invited: ["register", "activate"],
        JourneyState.registered: ["activate"],
    },
}


def _parse(event: Any) -> tuple[str, str, str, str | None]:
    try:
        event_id, kind, data = str(event["id"]), str(event["type"]), event["data"]
        email, ref = str(data["email"]), data.get("journey_ref")
    except (KeyError, TypeError):
        raise ValidationError("An identity event needs id, type and data.email.") from None
    if kind not in _STEPS:
        raise ValidationError(f"Unknown identity event type {kind!r}.")
    if not event_id or len(event_id) > 64 or not event_id.isprintable():
        raise ValidationError("An identity event id is 1 to 64 printable characters.")
    return event_id, kind, email, ref if isinstance(ref, str) else None


def receive(session: Session, event: Any, now: datetime | None = None) -> list[int] | None:
    """Apply one identity event; returns the ids of the journeys it advanced, or None when
    the event was received before (nothing changes)."""
    now = now or utcnow()
    event_id, kind, email, ref = _parse(event)
    if session.get(ReceivedIdentityEvent, event_id) is not None:
        return None
    address = normalise_email(email)
    candidates = list(
        session.scalars(
            select(Journey)
            .join(Person, Journey.person_id == Person.id)
            .where(Person.email == address, Journey.state.in_(list(_STEPS[kind])))
            .order_by(Journey.id)
        )
    )
    ref_id = read_ref(ref)
    if ref_id is not None and ref_id not in {j.id for j in candidates}:
        referred = session.get(Journey, ref_id)
        if referred is not None and referred.state in _STEPS[kind]:
            candidates.append(referred)
    advanced = []
    for journey in candidates:
        for trigger in _STEPS[kind][journey.state]:
            if trigger == "register":
                journeys.register(session, journey.id, email=address, actor=ACTOR, now=now)
            else:
                journeys.activate(session, journey.id, actor=ACTOR, now=now)
        advanced.append(journey.id)
    session.add(
        ReceivedIdentityEvent(event_id=event_id, type=kind, received_at=now, journey_ids=advanced)
    )
    session.flush()
    return advanced

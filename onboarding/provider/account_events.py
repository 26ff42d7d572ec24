"""The identity provider's account events (Connect sends them; any provider may, signed the
same way): account.registered and account.activated advance every open journey of that
person, and the journey named by the event's signed reference (a registration made with
another address than the invited one).

Receiving is idempotent: each event id is recorded, and a second delivery changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding.clock import utcnow
from onboarding.db import settings_of
from onboarding.email_address import normalise_email
from onboarding.errors import ValidationError
from onboarding.journeys.account_progress import (
    PROVEN_BY_INVITATION,
    VERIFIED_BY_INVITATION,
    Account,
    behind,
    catch_up,
)
from onboarding.journeys.models import Journey
from onboarding.journeys.refs import read_ref
from onboarding.people.models import Person
from onboarding.provider.models import ReceivedIdentityEvent

REGISTERED = "account.registered"
ACTIVATED = "account.activated"
ACTOR = "connect"


# What each event says of the account.
_ACCOUNT = {REGISTERED: Account.registered, ACTIVATED: Account.activated}


def _parse(event: Any) -> tuple[str, str, str, str | None, bool]:
    try:
        event_id, kind, data = str(event["id"]), str(event["type"]), event["data"]
        email, ref = str(data["email"]), data.get("journey_ref")
        proven_by_invitation = data.get("verified_by") == PROVEN_BY_INVITATION
    except (KeyError, TypeError):
        raise ValidationError("An identity event needs id, type and data.email.") from None
    if kind not in _ACCOUNT:
        raise ValidationError(f"Unknown identity event type {kind!r}.")
    if not event_id or len(event_id) > 64 or not event_id.isprintable():
        raise ValidationError("An identity event id is 1 to 64 printable characters.")
    return event_id, kind, email, ref if isinstance(ref, str) else None, proven_by_invitation


def receive(session: Session, event: Any, now: datetime | None = None) -> list[int] | None:
    """Apply one identity event; returns the ids of the journeys it advanced, or None when
    the event was received before (nothing changes)."""
    now = now or utcnow()
    event_id, kind, email, ref, proven_by_invitation = _parse(event)
    if session.get(ReceivedIdentityEvent, event_id) is not None:
        return None
    address, account = normalise_email(email), _ACCOUNT[kind]
    candidates = list(
        session.scalars(
            select(Journey)
            .join(Person, Journey.person_id == Person.id)
            .where(Person.email == address, Journey.state.in_(behind(account)))
            .order_by(Journey.id)
        )
    )
    ref_id = read_ref(ref, settings_of(session))
    if ref_id is not None and ref_id not in {j.id for j in candidates}:
        referred = session.get(Journey, ref_id)
        if referred is not None and referred.state in behind(account):
            candidates.append(referred)
    detail = VERIFIED_BY_INVITATION if proven_by_invitation else None
    for journey in candidates:
        catch_up(session, journey, account, email=address, actor=ACTOR, now=now, detail=detail)
    advanced = [journey.id for journey in candidates]
    session.add(
        ReceivedIdentityEvent(event_id=event_id, type=kind, received_at=now, journey_ids=advanced)
    )
    session.flush()
    return advanced

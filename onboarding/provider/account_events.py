"""The identity provider's account events (Connect sends them; any provider may, signed the
same way): account.registered and account.activated advance every open journey of that
person, and the journey named by the event's signed reference (a registration made with
another address than the invited one); account.deleted unlinks the account's subject from
the person it signed in as, and ends their log-in sessions (their journeys stay as they are).
An account activated with a passkey (`data.credential`), or whose address the invitation link
proved (`data.verified_by`), says so, and the history rows it writes too.

Receiving is idempotent: each event id is recorded, and a second delivery changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
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
from onboarding.people import sessions
from onboarding.people.models import Person
from onboarding.provider import PASSKEY
from onboarding.provider.models import ReceivedIdentityEvent

REGISTERED = "account.registered"
ACTIVATED = "account.activated"
DELETED = "account.deleted"
ACTOR = "connect"


# What each event says of the account.
_ACCOUNT = {REGISTERED: Account.registered, ACTIVATED: Account.activated}


def _parse(event: Any) -> tuple[str, str, dict[str, Any]]:
    try:
        event_id, kind, data = str(event["id"]), str(event["type"]), event["data"]
    except (KeyError, TypeError):
        raise ValidationError("An identity event needs id, type and data.") from None
    if kind not in (*_ACCOUNT, DELETED):
        raise ValidationError("Unknown identity event type '%(type)s'.", params={"type": kind})
    if not event_id or len(event_id) > 64 or not event_id.isprintable():
        raise ValidationError("An identity event id is 1 to 64 printable characters.")
    needed = "subject" if kind == DELETED else "email"
    if not isinstance(data, dict) or not isinstance(data.get(needed), str) or not data[needed]:
        raise ValidationError(
            "An identity event %(type)s needs data.%(field)s.",
            params={"type": kind, "field": needed},
        )
    return event_id, kind, data


def receive(session: Session, event: Any, now: datetime | None = None) -> list[int] | None:
    """Apply one identity event; returns the ids of the journeys it advanced, or None when
    the event was received before (nothing changes)."""
    now = now or utcnow()
    event_id, kind, data = _parse(event)
    if session.get(ReceivedIdentityEvent, event_id) is not None:
        return None
    if kind == DELETED:
        _unlink(session, data["subject"], now)
        advanced = []
    else:
        advanced = _advance(
            session, kind, data["email"], data.get("journey_ref"), _detail(data), now
        )
    session.add(
        ReceivedIdentityEvent(event_id=event_id, type=kind, received_at=now, journey_ids=advanced)
    )
    session.flush()
    return advanced


def _unlink(session: Session, subject: str, now: datetime) -> None:
    """The account is gone: the person it signed in as is no longer linked to it, and their
    sessions started with it end."""
    sessions.end_at_provider(session, subject, None, now)
    session.execute(
        update(Person)
        .where(Person.connect_subject == subject)
        .values(connect_subject=None)
        .execution_options(synchronize_session=False)
    )


def _detail(data: dict[str, Any]) -> dict[str, Any] | None:
    """What the history rows say of how the account was made: with a passkey, and with the
    address proved by the invitation link."""
    detail = {
        **({"with": PASSKEY} if data.get("credential") == PASSKEY else {}),
        **(VERIFIED_BY_INVITATION if data.get("verified_by") == PROVEN_BY_INVITATION else {}),
    }
    return detail or None


def _advance(
    session: Session,
    kind: str,
    email: str,
    ref: Any,
    detail: dict[str, Any] | None,
    now: datetime,
) -> list[int]:
    """Advance the journeys of `email`, and the one `ref` names (when it is a signed one),
    with `detail` in their history rows."""
    address, account = normalise_email(email), _ACCOUNT[kind]
    candidates = list(
        session.scalars(
            select(Journey)
            .join(Person, Journey.person_id == Person.id)
            .where(Person.email == address, Journey.state.in_(behind(account)))
            .order_by(Journey.id)
        )
    )
    ref_id = read_ref(ref if isinstance(ref, str) else None, settings_of(session))
    if ref_id is not None and ref_id not in {j.id for j in candidates}:
        referred = session.get(Journey, ref_id)
        if referred is not None and referred.state in behind(account):
            candidates.append(referred)
    for journey in candidates:
        catch_up(
            session,
            journey,
            account,
            email=address,
            actor=ACTOR,
            now=now,
            detail=detail,
        )
    return [journey.id for journey in candidates]

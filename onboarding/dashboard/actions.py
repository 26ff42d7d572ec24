"""The admin actions on one journey, limited to the organizations the admin may see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from onboarding import journeys
from onboarding.errors import NotFound, ValidationError
from onboarding.journeys.expiry import EXTEND, extend_expiry
from onboarding.journeys.machine import LIVE, allowed_triggers
from onboarding.journeys.models import Journey

UseCase = Callable[..., Journey]
ACTIONS: dict[str, UseCase] = {
    "resend": journeys.resend,
    "revoke": journeys.revoke,
    "reinvite": journeys.reinvite,
}
DEFAULT_EXTENSION_DAYS = 14
MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database


def journey_in_scope(
    session: Session, journey_id: int, organization_ids: frozenset[int] | None
) -> Journey:
    """The journey, if it belongs to one of `organization_ids` (None: any); NotFound otherwise,
    so that an admin cannot even learn that another organization's journey exists."""
    journey = session.get(Journey, journey_id) if 0 < journey_id <= MAX_ID else None
    if journey is None or (
        organization_ids is not None and journey.organization_id not in organization_ids
    ):
        raise NotFound(f"No journey {journey_id}.")
    return journey


def available_actions(journey: Journey) -> list[str]:
    """The actions the machine allows now, plus extend for a live invitation."""
    names = [name for name in ACTIONS if name in allowed_triggers(journey.state)]
    if journey.state in LIVE:
        names.append(EXTEND)
    return names


def perform(
    session: Session,
    journey_id: int,
    action: str,
    *,
    organization_ids: frozenset[int] | None,
    actor: str,
    days: int = DEFAULT_EXTENSION_DAYS,
    now: datetime | None = None,
) -> Journey:
    """Run one admin action on a journey in scope, recorded with `actor` in its history."""
    journey_in_scope(session, journey_id, organization_ids)
    if action == EXTEND:
        return extend_expiry(session, journey_id, days=days, actor=actor, now=now)
    if action not in ACTIONS:
        raise ValidationError(f"Unknown action '{action}'.", "action")
    return ACTIONS[action](session, journey_id, actor=actor, now=now)


def describe(action: str, journey: Journey) -> str:
    """What the action did, to confirm it to the admin."""
    email = journey.person.email
    return {
        "resend": f"The invitation was sent again to {email}.",
        "revoke": f"The invitation of {email} was revoked; its links no longer work.",
        "reinvite": f"{email} was invited again.",
        EXTEND: f"The invitation of {email} now expires on {journey.expires_at:%Y-%m-%d}.",
    }[action]

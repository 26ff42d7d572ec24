"""Extending a live invitation's expiry: not a transition of the machine, but a recorded fact."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from onboarding.clock import utcnow
from onboarding.errors import ConcurrentUpdate, ValidationError
from onboarding.journeys import get_journey, history, link_tokens
from onboarding.journeys.machine import LIVE
from onboarding.journeys.models import Journey, LinkToken

# The admin action, named after the fact it records.
EXTEND = history.Fact.extend
MAX_EXTENSION = timedelta(days=90)


def extend_expiry(
    session: Session, journey_id: int, *, days: int, actor: str, now: datetime | None = None
) -> Journey:
    """Give a live invitation `days` more days from now (or from its expiry, if later).

    The links of the current invitation get the same new expiry, so that they keep working
    as long as the journey does. Recorded in the history as an "extend" event that keeps
    the state.
    """
    now = now or utcnow()
    if not 1 <= days <= MAX_EXTENSION.days:
        raise ValidationError("Extend by 1 to %(most)d days.", "days", {"most": MAX_EXTENSION.days})
    journey = get_journey(session, journey_id)
    if journey.state not in LIVE or journey.expires_at is None:
        raise ValidationError(
            "Only a live invitation can be extended; this one is at the step %(state)s. "
            "Re-invite instead.",
            "state",
            {"state": journey.state},
        )
    before = journey.expires_at
    journey.expires_at = max(before, now) + timedelta(days=days)
    generation = [LinkToken.journey_id == journey.id, LinkToken.purpose == link_tokens.INVITATION]
    if journey.invited_at is not None:
        generation.append(LinkToken.created_at >= journey.invited_at)
    session.execute(
        update(LinkToken).where(*generation).values(expires_at=journey.expires_at),
        execution_options={"synchronize_session": False},
    )
    history.note(
        session,
        journey,
        EXTEND,
        actor=actor,
        now=now,
        detail={"expires_at": journey.expires_at.isoformat(), "was": before.isoformat()},
    )
    try:
        session.flush()
    except StaleDataError:
        raise ConcurrentUpdate(
            "Journey %(id)d was changed by someone else at the same moment; reload.",
            {"id": journey_id},
        ) from None
    return journey

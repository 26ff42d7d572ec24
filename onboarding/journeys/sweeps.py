"""The expiry sweep: set-based, one statement per batch, not a loop over rows (see
``onboarding.journeys.transitions.apply_to_set``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from onboarding.journeys.models import Journey
from onboarding.journeys.transitions import apply_to_set
from onboarding.journeys.use_cases import EXPIRY_DETAIL

SWEEP_ACTOR = "sweep"


def expire_stale(session: Session, now: datetime, batch_size: int = 10_000) -> int:
    """Expire every live journey whose invitation ran out by `now`; returns how many.

    Each batch moves the journeys and writes their history rows together, in the caller's
    transaction. On PostgreSQL rows locked by a concurrent change are skipped (they are either
    being accepted or will be taken by the next sweep).
    """
    expired = apply_to_set(
        session,
        "expire",
        Journey.expires_at <= now,
        actor=SWEEP_ACTOR,
        now=now,
        detail=EXPIRY_DETAIL,
        batch_size=batch_size,
    )
    return len(expired)

"""Fetches of a mailed invitation link (GET or HEAD), recorded so that the dashboard can tell a
mail scanner's prefetch from a person: scanners fetch within seconds of delivery, or with HEAD.

A fetch is a fact in the history that keeps the state (`Fact.link_fetched`); the person's own
click to continue is `Fact.link_opened`. Nothing else changes: the link stays as valid as it was.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onboarding.clock import utcnow
from onboarding.journeys import history, link_tokens
from onboarding.journeys.models import JourneyEvent

MAX_RECORDED = 20  # per journey: enough to diagnose, not a log of every scanner retry


def record_fetch(
    session: Session, raw: str, *, method: str, user_agent: str, now: datetime | None = None
) -> bool:
    """Note that the invitation link `raw` was fetched; False if not recorded (not a valid
    link, or already many fetches on record)."""
    now = now or utcnow()
    check = link_tokens.check(session, raw, link_tokens.INVITATION, now)
    journey = check.journey
    if check.status is not link_tokens.TokenStatus.valid or journey is None:
        return False
    recorded = session.scalar(
        select(func.count()).where(
            JourneyEvent.journey_id == journey.id, JourneyEvent.trigger == history.Fact.link_fetched
        )
    )
    if (recorded or 0) >= MAX_RECORDED:
        return False
    detail = {"method": method.upper()[:8], "user_agent": user_agent[:200]}
    history.note(session, journey, history.Fact.link_fetched, actor="link", now=now, detail=detail)
    return True

"""Fetches of a mailed invitation link (GET or HEAD), recorded so that the dashboard can tell a
mail scanner's prefetch from a person: scanners fetch within seconds of delivery, or with HEAD.

A fetch is a fact in the history that keeps the state (`Fact.link_fetched`); the person's own
click to continue is `Fact.link_opened`. Nothing else changes: the link stays as valid as it was.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from onboarding.journeys import history
from onboarding.journeys.models import Journey

MAX_RECORDED = 20  # per journey: enough to diagnose, not a log of every scanner retry


def record_fetch(
    session: Session, journey: Journey, *, method: str, user_agent: str, now: datetime
) -> bool:
    """Note that `journey`'s invitation link, valid now, was fetched; False if not recorded
    (already many fetches on record)."""
    detail = {"method": method.upper()[:8], "user_agent": user_agent[:200]}
    return history.note_up_to(
        session,
        journey,
        history.Fact.link_fetched,
        MAX_RECORDED,
        actor="link",
        now=now,
        detail=detail,
    )

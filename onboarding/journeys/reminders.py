"""Stopping a journey's reminders: every nudge carries a one-click link (and the RFC 8058
`List-Unsubscribe` headers) that ends the nudges of that journey and nothing else; the
invitation stays as it is. The link is signed, so that it names its journey and cannot be
made for another."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Exists, exists, select
from sqlalchemy.orm import Session

from onboarding.clock import utcnow
from onboarding.db import settings_of
from onboarding.errors import NotFound
from onboarding.journeys import history
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.settings import Settings

_SALT = "stop-reminders"
MAX_TOKEN_LENGTH = 200


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=_SALT)


def stop_url(journey_id: int, settings: Settings) -> str:
    """The one-click address that stops the reminders of journey `journey_id`."""
    token = _serializer(settings).dumps(journey_id)
    return f"{settings.app_base_url}/reminders/stop/{token}"


def journey_of(session: Session, token: str) -> Journey:
    """The journey a stop link names; NotFound for a forged, malformed or stale link."""
    journey_id = None
    if len(token) <= MAX_TOKEN_LENGTH:
        try:
            journey_id = _serializer(settings_of(session)).loads(token)
        except BadSignature:
            journey_id = None
    journey = session.get(Journey, journey_id) if isinstance(journey_id, int) else None
    if journey is None:
        raise NotFound("This link to stop reminders does not work.")
    return journey


# Reminders end when the person stops them, and when the person is erased.
ENDING = (history.Fact.reminders_stopped, history.Fact.erased)


def stopped(journey_id: Any) -> Exists:
    """Whether the reminders of the journey `journey_id` (a value or a column) ended."""
    return exists().where(JourneyEvent.journey_id == journey_id, JourneyEvent.trigger.in_(ENDING))


def are_stopped(session: Session, journey: Journey) -> bool:
    return bool(session.scalar(select(stopped(journey.id))))


def stop_reminders(session: Session, token: str, now: datetime | None = None) -> Journey:
    """Stop the reminders of the journey the link `token` names, recorded in its history
    once (a second click, or a mail provider's repeat of the one-click POST, changes nothing)."""
    journey = journey_of(session, token)
    if not are_stopped(session, journey):
        history.note(
            session,
            journey,
            history.Fact.reminders_stopped,
            actor=journey.person.email,
            now=now or utcnow(),
        )
        session.flush()
    return journey

"""Keeping nothing longer than needed: the purge of what the app no longer needs of a person,
set-based, one statement per kind (see docs/privacy.md for every personal field).

- History details of finished journeys (accepted, expired, revoked) emptied once the journey
  has been finished for HISTORY_DETAIL_RETENTION: their states and times stay for the funnel.
- Delivered outbox bodies (the address and what a webhook carried) dropped once the message
  has been done with for OUTBOX_BODY_RETENTION; the mail's template stays for the timeline.
- Link-fetch facts (method and user agent of each fetch) deleted after LINK_FETCH_RETENTION.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Text, func, literal, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import Session

from onboarding import outbox
from onboarding.db import settings_of
from onboarding.journeys.history import Fact
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.mail.compose import TEMPLATES_DIR
from onboarding.outbox.models import OutboxMessage, OutboxStatus

FINISHED = (JourneyState.accepted, JourneyState.expired, JourneyState.revoked)
EMPTY = "{}"


@dataclass(frozen=True)
class Purged:
    history_details: int
    outbox_bodies: int
    link_fetches: int

    @property
    def total(self) -> int:
        return self.history_details + self.outbox_bodies + self.link_fetches


def purge_kept_too_long(session: Session, now: datetime) -> Purged:
    """Purge what is kept longer than its retention at `now`; returns how many rows of each."""
    settings = settings_of(session)
    return Purged(
        history_details=_history_details(session, now - settings.history_detail_retention),
        outbox_bodies=_outbox_bodies(session, now - settings.outbox_body_retention),
        link_fetches=_count(
            session,
            sql_delete(JourneyEvent).where(
                JourneyEvent.trigger == Fact.link_fetched,
                JourneyEvent.at < now - settings.link_fetch_retention,
            ),
        ),
    )


def _history_details(session: Session, cutoff: datetime) -> int:
    finished_before = select(Journey.id).where(
        Journey.state.in_(FINISHED), Journey.state_entered_at < cutoff
    )
    return _count(
        session,
        update(JourneyEvent)
        .where(
            JourneyEvent.journey_id.in_(finished_before),
            sql_cast(JourneyEvent.detail, Text) != EMPTY,
        )
        .values(detail={}),
    )


def _outbox_bodies(session: Session, cutoff: datetime) -> int:
    done_before = [
        OutboxMessage.status != OutboxStatus.pending,
        func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < cutoff,
    ]
    # A mail keeps its template name (the timeline and the journey table show it): one
    # statement per template, as a JSON value cannot be rebuilt the same way in both databases.
    purged = sum(
        _count(
            session,
            update(OutboxMessage)
            .where(
                *done_before,
                OutboxMessage.kind == outbox.MAIL,
                OutboxMessage.payload["template"].as_string() == template,
                OutboxMessage.payload["to"].as_string().is_not(None),
            )
            .values(payload={"template": template}),
        )
        for template in _templates()
    )
    return purged + _count(
        session,
        update(OutboxMessage)
        .where(
            *done_before,
            OutboxMessage.kind != outbox.MAIL,
            sql_cast(OutboxMessage.payload, Text) != literal(EMPTY),
        )
        .values(payload={}),
    )


def _templates() -> list[str]:
    return sorted(path.name for path in TEMPLATES_DIR.iterdir() if path.is_dir())


def _count(session: Session, statement: Any) -> int:
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return cast(CursorResult[Any], result).rowcount

"""A journey's timeline: every history event and every mail delivery, in time order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding import outbox
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.outbox.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # "event" or "mail"
    what: str  # in English, for the JSON API; pages write `code`, `states`, `status` out
    actor: str
    detail: dict[str, Any]
    code: str  # the event's trigger, or the mail's template
    states: tuple[JourneyState, ...] = ()  # an event's state, or the states it went from and to
    status: str = ""  # a mail's: queued, or an OutboxStatus


def timeline(session: Session, journey: Journey) -> list[Entry]:
    entries = [
        Entry(
            e.at,
            "event",
            e.trigger
            if len(states) == 1
            else f"{e.trigger}: {' → '.join(state.value for state in states)}",
            e.actor,
            dict(e.detail or {}),
            e.trigger,
            states,
        )
        for e in journey.events
        for states in [_states(e.from_state, e.to_state)]
    ]
    mails = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.journey_id == journey.id, OutboxMessage.kind == outbox.MAIL)
        .order_by(OutboxMessage.id)
    )
    for mail in mails:
        template, to = mail.payload.get("template", "mail"), mail.payload.get("to", "")
        entries.append(
            Entry(
                mail.created_at,
                "mail",
                f"{template} mail queued",
                "outbox",
                {"to": to},
                template,
                status="queued",
            )
        )
        if mail.sent_at is not None:
            entries.append(
                Entry(
                    mail.sent_at,
                    "mail",
                    f"{template} mail sent",
                    "mail worker",
                    {"to": to},
                    template,
                    status=OutboxStatus.sent,
                )
            )
        elif mail.status != OutboxStatus.pending or mail.last_error:
            entries.append(
                Entry(
                    mail.next_attempt_at,
                    "mail",
                    f"{template} mail {mail.status}",
                    "mail worker",
                    {"to": to, "attempts": mail.attempts, "error": mail.last_error},
                    template,
                    status=mail.status,
                )
            )
    return sorted(entries, key=lambda entry: entry.at)


def _states(before: JourneyState | None, after: JourneyState) -> tuple[JourneyState, ...]:
    return (after,) if before in (None, after) else (before, after)

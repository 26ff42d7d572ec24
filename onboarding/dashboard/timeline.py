"""A journey's timeline: every history event and every mail delivery, in time order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding import outbox
from onboarding.journeys.models import Journey
from onboarding.outbox.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # "event" or "mail"
    what: str
    actor: str
    detail: dict[str, Any]


def timeline(session: Session, journey: Journey) -> list[Entry]:
    entries = [
        Entry(
            e.at,
            "event",
            e.trigger
            if e.from_state in (None, e.to_state)
            else f"{e.trigger}: {e.from_state.value} → {e.to_state.value}",
            e.actor,
            dict(e.detail or {}),
        )
        for e in journey.events
    ]
    mails = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.journey_id == journey.id, OutboxMessage.kind == outbox.MAIL)
        .order_by(OutboxMessage.id)
    )
    for mail in mails:
        template, to = mail.payload.get("template", "mail"), mail.payload.get("to", "")
        entries.append(
            Entry(mail.created_at, "mail", f"{template} mail queued", "outbox", {"to": to})
        )
        if mail.sent_at is not None:
            entries.append(
                Entry(mail.sent_at, "mail", f"{template} mail sent", "mail worker", {"to": to})
            )
        elif mail.status != OutboxStatus.pending or mail.last_error:
            entries.append(
                Entry(
                    mail.next_attempt_at,
                    "mail",
                    f"{template} mail {mail.status}",
                    "mail worker",
                    {"to": to, "attempts": mail.attempts, "error": mail.last_error},
                )
            )
    return sorted(entries, key=lambda entry: entry.at)

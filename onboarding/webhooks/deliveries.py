"""An endpoint's delivery log (its outbox rows: status, response code, attempts) and sending
a message again."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding import audit, outbox
from onboarding.clock import utcnow
from onboarding.errors import NotFound
from onboarding.outbox.models import OutboxMessage
from onboarding.people.access import MAX_ID, Scope
from onboarding.webhooks.endpoints import endpoint_in_scope

LOG_SIZE = 50


def log(
    session: Session, endpoint_id: int, scope: Scope, limit: int = LOG_SIZE
) -> list[OutboxMessage]:
    """The endpoint's latest messages, newest first."""
    endpoint_in_scope(session, endpoint_id, scope)
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.webhook_endpoint_id == endpoint_id)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def send_again(
    session: Session,
    endpoint_id: int,
    message_id: int,
    scope: Scope,
    *,
    actor: str,
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue the message once more, with the same body and `webhook-id` (a receiver that has
    it already can tell), as a new row of the log with fresh attempts."""
    endpoint = endpoint_in_scope(session, endpoint_id, scope)
    original = session.get(OutboxMessage, message_id) if 0 < message_id <= MAX_ID else None
    if original is None or original.webhook_endpoint_id != endpoint.id:
        raise NotFound("No message %(id)d of this endpoint.", {"id": message_id})
    again = outbox.enqueue(
        session,
        outbox.WEBHOOK,
        {**original.payload, "url": endpoint.url},
        f"webhook-again:{original.id}:{uuid.uuid4().hex}",
        journey_id=original.journey_id,
        webhook_endpoint_id=endpoint.id,
    )
    audit.record(
        session,
        organization_id=endpoint.organization_id,
        actor=actor,
        action="webhook.send_again",
        subject=endpoint.url,
        detail={"endpoint_id": endpoint.id, "message": original.payload.get("message_id")},
        now=now or utcnow(),
    )
    return again

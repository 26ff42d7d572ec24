"""Identity events Connect sends the app: account.registered and account.activated, as
signed webhooks through the outbox (written in the transaction that causes them)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from onboarding import outbox
from onboarding.db import settings_of
from onboarding.identity.models import Account

REGISTERED = "account.registered"
ACTIVATED = "account.activated"


def emit(session: Session, account: Account, event_type: str, now: datetime) -> str:
    """Put one identity event about `account` in the outbox; returns its id."""
    event_id = str(uuid.uuid4())
    event = {
        "id": event_id,
        "type": event_type,
        "occurred_at": now.isoformat(),
        "data": {
            "subject": account.subject,
            "email": account.email,
            "journey_ref": account.journey_ref,
            # What proved the address, when it was not the activation mail ("invitation").
            **({"verified_by": account.verified_by} if account.verified_by else {}),
        },
    }
    outbox.enqueue_webhook(
        session,
        url=settings_of(session).identity_webhook_url,
        event=event,
        dedupe_key=f"identity-event:{event_id}",
    )
    return event_id

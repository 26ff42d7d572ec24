"""Identity events Connect sends the app: account.registered, account.activated and
account.deleted, as signed webhooks through the outbox (written in the transaction that causes
them). A deleted account's event carries only its subject: its address is not sent again. An
activation with a passkey says so (`data.credential`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from onboarding import outbox
from onboarding.db import settings_of
from onboarding.identity.models import Account

REGISTERED = "account.registered"
ACTIVATED = "account.activated"
DELETED = "account.deleted"
PASSKEY = "passkey"


def emit(
    session: Session,
    account: Account,
    event_type: str,
    now: datetime,
    credential: str | None = None,
) -> str:
    """Put one identity event about `account` in the outbox; returns its id. `credential`
    names the kind of credential the account was activated with, when not a password."""
    event_id = str(uuid.uuid4())
    event = {
        "id": event_id,
        "type": event_type,
        "occurred_at": now.isoformat(),
        "data": {"subject": account.subject}
        if event_type == DELETED
        else {
            "subject": account.subject,
            "email": account.email,
            "journey_ref": account.journey_ref,
            **({"credential": credential} if credential else {}),
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

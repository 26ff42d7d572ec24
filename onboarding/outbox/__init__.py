"""The transactional outbox: messages are rows written in the transaction that causes them,
and delivered by the workers after commit. A rolled-back change sends nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from onboarding.logs import current_request_id
from onboarding.outbox.models import OutboxMessage

MAIL = "mail"
WEBHOOK = "webhook"
# A Connect request (register, forgot password) that the worker answers with the right mail,
# so that the request does the same work whether or not the address has an account.
ACCOUNT_REQUEST = "account_request"


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    dedupe_key: str,
    journey_id: int | None = None,
    webhook_endpoint_id: int | None = None,
) -> OutboxMessage:
    """Add a message to the outbox; `dedupe_key` makes a repeated enqueue fail loudly. The
    row carries the request id bound at the time, so that its delivery can be traced back."""
    message = OutboxMessage(
        kind=kind,
        payload=payload,
        dedupe_key=dedupe_key,
        journey_id=journey_id,
        webhook_endpoint_id=webhook_endpoint_id,
        request_id=current_request_id(),
    )
    session.add(message)
    return message


def enqueue_mail(
    session: Session,
    *,
    template: str,
    to: str,
    language: str,
    context: dict[str, Any],
    dedupe_key: str,
    journey_id: int | None = None,
) -> OutboxMessage:
    """A mail rendered at delivery from `template` in `language` with `context` (JSON values)."""
    payload = {"template": template, "to": to, "language": language, "context": context}
    return enqueue(session, MAIL, payload, dedupe_key, journey_id)


def enqueue_webhook(
    session: Session, *, url: str, event: dict[str, Any], dedupe_key: str
) -> OutboxMessage:
    """A JSON `event` POSTed to `url`, signed at delivery (see onboarding.outbox.webhooks)."""
    return enqueue(session, WEBHOOK, {"url": url, "event": event}, dedupe_key)


def enqueue_form_post(
    session: Session, *, url: str, form: dict[str, str], dedupe_key: str
) -> OutboxMessage:
    """Form fields POSTed to `url`, unsigned: what they carry signs itself (a logout token)."""
    return enqueue(session, WEBHOOK, {"url": url, "form": form}, dedupe_key)

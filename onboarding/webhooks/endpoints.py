"""Registering an organization's webhook endpoints, rotating their secrets, removing them.

A secret is shown once, when it is made; after a rotation the previous one keeps signing
beside the new one for WEBHOOK_SECRET_OVERLAP, so that the receiver can switch without missing
a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding import audit
from onboarding.clock import utcnow
from onboarding.db import settings_of
from onboarding.errors import NotFound, ValidationError
from onboarding.outbox.webhooks import new_standard_secret
from onboarding.people.access import MAX_ID, Scope, in_scope
from onboarding.people.models import Organization
from onboarding.typed_text import plain_text
from onboarding.webhooks.addresses import check_destination
from onboarding.webhooks.events import EVENT_TYPES
from onboarding.webhooks.models import WebhookEndpoint


def register(
    session: Session,
    organization: Organization,
    url: str,
    events: Iterable[str],
    *,
    actor: str,
    now: datetime | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint of `organization` taking `events`; returns it and its secret (the only
    time the secret is shown)."""
    url = plain_text(
        url,
        "url",
        2000,
        not_allowed="The webhook URL holds a character that is not allowed.",
        too_long="The webhook URL is longer than %(limit)d characters.",
    )
    check_destination(url, settings_of(session).webhooks_allow_private_addresses)
    chosen = [event for event in EVENT_TYPES if event in set(events)]
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown or not chosen:
        raise ValidationError(
            "Choose one or more of the events: %(events)s.", "events", {"events": EVENT_TYPES}
        )
    secret = new_standard_secret()
    endpoint = WebhookEndpoint(
        organization=organization,
        url=url,
        events=chosen,
        secret=secret,
        created_by=actor,
        created_at=now or utcnow(),
    )
    session.add(endpoint)
    session.flush()
    audit.record(
        session,
        organization_id=organization.id,
        actor=actor,
        action="webhook.register",
        subject=url,
        detail={"endpoint_id": endpoint.id, "events": chosen},
        now=now,
    )
    return endpoint, secret


def rotate_secret(
    session: Session, endpoint_id: int, scope: Scope, *, actor: str, now: datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """Give the endpoint a new secret; the current one keeps signing too until the overlap
    ends. Returns the endpoint and the new secret (shown this once)."""
    now = now or utcnow()
    endpoint = endpoint_in_scope(session, endpoint_id, scope)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + settings_of(session).webhook_secret_overlap
    endpoint.secret = new_standard_secret()
    audit.record(
        session,
        organization_id=endpoint.organization_id,
        actor=actor,
        action="webhook.rotate_secret",
        subject=endpoint.url,
        detail={
            "endpoint_id": endpoint.id,
            "previous_until": endpoint.previous_secret_until.isoformat(),
        },
        now=now,
    )
    return endpoint, endpoint.secret


def remove(
    session: Session, endpoint_id: int, scope: Scope, *, actor: str, now: datetime | None = None
) -> WebhookEndpoint:
    """Delete the endpoint and its delivery log; messages not yet sent are dropped."""
    endpoint = endpoint_in_scope(session, endpoint_id, scope)
    audit.record(
        session,
        organization_id=endpoint.organization_id,
        actor=actor,
        action="webhook.remove",
        subject=endpoint.url,
        detail={"endpoint_id": endpoint.id},
        now=now,
    )
    session.delete(endpoint)
    session.flush()
    return endpoint


def for_organizations(session: Session, scope: Scope) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.id)
    if scope is not None:
        query = query.where(WebhookEndpoint.organization_id.in_(sorted(scope)))
    return list(session.scalars(query))


def endpoint_in_scope(session: Session, endpoint_id: int, scope: Scope) -> WebhookEndpoint:
    """The endpoint, if its organization is in `scope`; NotFound otherwise."""
    endpoint = session.get(WebhookEndpoint, endpoint_id) if 0 < endpoint_id <= MAX_ID else None
    if endpoint is None or not in_scope(scope, endpoint.organization_id):
        raise NotFound("No webhook endpoint %(id)d.", {"id": endpoint_id})
    return endpoint

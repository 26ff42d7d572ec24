"""The events an organization's webhooks receive, written to the outbox in the transaction of
the change they report: one row per subscribed endpoint, each with its own message id (the
``webhook-id`` a receiver deduplicates on, the same on every retry).

A message's body follows the Standard Webhooks shape: ``{"type", "timestamp", "data"}``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from onboarding import outbox
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.outbox.models import OutboxMessage
from onboarding.people.models import Person
from onboarding.webhooks.models import WebhookEndpoint

# Entering each of these states is an event of that name.
JOURNEY_EVENTS = {
    state: f"journey.{state.value}"
    for state in (
        JourneyState.invited,
        JourneyState.registered,
        JourneyState.activated,
        JourneyState.logged_in,
        JourneyState.accepted,
        JourneyState.expired,
        JourneyState.revoked,
    )
}
MAIL_BOUNCED = "mail.bounced"
EVENT_TYPES = [*JOURNEY_EVENTS.values(), MAIL_BOUNCED]


def subscribers(
    session: Session, event_type: str, organization_ids: set[int] | None = None
) -> list[WebhookEndpoint]:
    """The endpoints that take `event_type`, of `organization_ids` (None: of every one)."""
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.id)
    if organization_ids is not None:
        query = query.where(WebhookEndpoint.organization_id.in_(organization_ids))
    return [endpoint for endpoint in session.scalars(query) if event_type in endpoint.events]


def journey_changed(session: Session, journey: Journey, event: JourneyEvent) -> None:
    """The event of one journey entering a new state (history row `event`), for each endpoint
    of its organization that takes it."""
    event_type = JOURNEY_EVENTS.get(journey.state)
    if event_type is None or event.from_state is journey.state:
        return
    endpoints = subscribers(session, event_type, {journey.organization_id})
    if not endpoints:
        return
    data = _journey_data(
        journey_id=journey.id,
        organization_id=journey.organization_id,
        email=journey.person.email,
        first_name=journey.first_name,
        last_name=journey.last_name,
        to_state=event.to_state,
        from_state=event.from_state,
        trigger=event.trigger,
        actor=event.actor,
    )
    for endpoint in endpoints:
        outbox.enqueue(session, **message(endpoint, event_type, data, event.at, event.id))


def journeys_changed(session: Session, target: JourneyState, event_ids: list[int]) -> None:
    """`journey_changed` for the journeys a set-based transition moved into `target` (their
    history rows `event_ids`): one SELECT and one multi-row INSERT, no object per row."""
    event_type = JOURNEY_EVENTS.get(target)
    if event_type is None or not event_ids:
        return
    endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in subscribers(session, event_type):
        endpoints[endpoint.organization_id].append(endpoint)
    if not endpoints:
        return
    moved = session.execute(
        select(
            JourneyEvent.id,
            JourneyEvent.at,
            JourneyEvent.journey_id,
            Journey.organization_id,
            Person.email,
            Journey.first_name,
            Journey.last_name,
            JourneyEvent.to_state,
            JourneyEvent.from_state,
            JourneyEvent.trigger,
            JourneyEvent.actor,
        )
        .join(Journey, Journey.id == JourneyEvent.journey_id)
        .join(Person, Person.id == Journey.person_id)
        .where(JourneyEvent.id.in_(event_ids), Journey.organization_id.in_(list(endpoints)))
    ).all()
    messages = [
        message(endpoint, event_type, _journey_data(**fields), at, history_id)
        for history_id, at, *values in moved
        for fields in [dict(zip(DATA_FIELDS, values, strict=True))]
        for endpoint in endpoints[fields["organization_id"]]
    ]
    if messages:
        session.execute(insert(OutboxMessage), messages)


def mail_bounced(session: Session, journey: Journey, event: JourneyEvent) -> None:
    """The event of a journey's mail reported undeliverable (history row `event`)."""
    data = {
        "journey_id": journey.id,
        "organization_id": journey.organization_id,
        "email": event.detail.get("to") or journey.person.email,
        "template": event.detail.get("template"),
        "error": event.detail.get("error"),
    }
    for endpoint in subscribers(session, MAIL_BOUNCED, {journey.organization_id}):
        outbox.enqueue(session, **message(endpoint, MAIL_BOUNCED, data, event.at, event.id))


def message(
    endpoint: WebhookEndpoint,
    event_type: str,
    data: dict[str, Any],
    at: datetime,
    history_id: int,
    message_id: str | None = None,
) -> dict[str, Any]:
    """The outbox row of one event for one endpoint; one per history row and endpoint."""
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    return {
        "kind": outbox.WEBHOOK,
        "payload": {
            "url": endpoint.url,
            "message_id": message_id,
            "event": {"type": event_type, "timestamp": at.isoformat(), "data": data},
        },
        "dedupe_key": f"journey-event:{history_id}:webhook:{endpoint.id}",
        "journey_id": data["journey_id"],
        "webhook_endpoint_id": endpoint.id,
    }


DATA_FIELDS = (
    "journey_id",
    "organization_id",
    "email",
    "first_name",
    "last_name",
    "to_state",
    "from_state",
    "trigger",
    "actor",
)


def _journey_data(
    *,
    journey_id: int,
    organization_id: int,
    email: str,
    first_name: str,
    last_name: str,
    to_state: JourneyState,
    from_state: JourneyState | None,
    trigger: str,
    actor: str,
) -> dict[str, Any]:
    """What a journey event tells: the journey, the person, the states, the cause."""
    return {
        "journey_id": journey_id,
        "organization_id": organization_id,
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "state": to_state.value,
        "previous_state": from_state.value if from_state else None,
        "trigger": trigger,
        "actor": actor,
    }

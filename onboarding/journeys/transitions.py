"""The one writer of what a transition writes: the journey's new state, its version, when it
entered the state, its furthest step, its history row, the event for the organization's
webhooks, and for an invitation the link token and the mail in the outbox.

Two forms: `apply` fires a trigger on one loaded journey through the machine; `apply_to_set`
moves every journey matching a condition with one statement per batch (UPDATE journeys and
INSERT history … SELECT), along the machine's edge for the trigger, so the SQL can never move a
journey along an edge the machine does not have. `mail_invitation` and `mail_invitations` are
the invitation mail of either form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Integer, String, Table, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from onboarding import link_secrets, outbox
from onboarding.db import UTCDateTime, settings_of
from onboarding.errors import ConcurrentUpdate
from onboarding.journeys import history, join_codes, link_tokens
from onboarding.journeys.machine import JourneyState, destination, fire, sources_of
from onboarding.journeys.models import STATE_TYPE, Journey, JourneyEvent, LinkToken
from onboarding.journeys.steps import furthest_step, furthest_step_sql
from onboarding.logs import current_request_id
from onboarding.outbox.models import OutboxMessage
from onboarding.settings import Settings
from onboarding.webhooks import events as webhook_events

JOURNEYS = cast(Table, Journey.__table__)
EVENTS = cast(Table, JourneyEvent.__table__)
INVITATION_TEMPLATE = "invitation"


def apply(
    session: Session,
    journey: Journey,
    trigger: str,
    *,
    actor: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> JourneyEvent:
    """Fire `trigger` on `journey` and record it; the building block of every use case.

    `changes` are further column values, set only once the machine has allowed the trigger.
    A concurrent change to the same journey makes this raise ConcurrentUpdate.
    """
    before, journey_id = journey.state, journey.id
    fire(trigger, journey)
    for name, value in (changes or {}).items():
        setattr(journey, name, value)
    if journey.state is not before:
        journey.state_entered_at = now
        journey.furthest_state = furthest_step(journey.furthest_state, journey.state)
    # Even a transition that keeps the state (resend) must bump the version, so that it
    # cannot interleave with another change unnoticed.
    flag_modified(journey, "state")
    event = history.record(
        session, journey, trigger, actor=actor, now=now, from_state=before, detail=detail
    )
    try:
        session.flush()
    except StaleDataError:
        # The session is unusable now: build the message from nothing it would have to load.
        raise ConcurrentUpdate(
            "Journey %(id)d was changed by someone else at the same moment; reload to see its "
            "current state.",
            {"id": journey_id},
        ) from None
    webhook_events.journey_changed(session, journey, event)
    return event


def edge(trigger: str) -> tuple[list[JourneyState], JourneyState]:
    """The states `trigger` leaves from and the one state it leads to, for set-based moves."""
    sources = sources_of(trigger)
    targets = {destination(trigger, source) for source in sources}
    if len(targets) != 1:
        raise ValueError(f"{trigger!r} does not lead to a single state; it cannot move a set")
    return sources, targets.pop()


def apply_to_set(
    session: Session,
    trigger: str,
    condition: Any,
    *,
    actor: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    batch_size: int = 10_000,
) -> dict[int, int]:
    """Fire `trigger` on every journey that matches `condition` and may take it; returns the
    history row id of each journey moved, by journey id.

    Writes what `apply` writes, one statement per batch and no row loaded, in the caller's
    transaction; `changes` are further column values, the same for every journey. On PostgreSQL
    rows locked by a concurrent change are skipped (a later run takes those still matching).
    """
    sources, target = edge(trigger)
    where = [Journey.state.in_(sources), condition]
    event_values: list[Any] = [
        literal(now, UTCDateTime()),
        literal(actor, String()),
        literal(trigger, String()),
        literal(target, STATE_TYPE),
        literal(detail or {}, JSON()),
    ]
    event_columns = ["journey_id", "from_state", "at", "actor", "trigger", "to_state", "detail"]
    moved_values = {
        **(changes or {}),
        "state": target,
        "version": Journey.version + literal(1, Integer()),
        "state_entered_at": now,
        "furthest_state": furthest_step_sql(Journey.furthest_state, target),
    }
    postgres = session.get_bind().dialect.name == "postgresql"
    recorded: dict[int, int] = {}
    while True:
        batch = (
            select(Journey.id, Journey.state).where(*where).order_by(Journey.id).limit(batch_size)
        )
        if postgres:
            stale = batch.with_for_update(skip_locked=True).cte("stale")
            moved = (
                update(JOURNEYS)
                .where(Journey.id == stale.c.id)
                .values(moved_values)
                .returning(Journey.id, stale.c.state)
                .cte("moved")
            )
            events = (
                insert(EVENTS)
                .from_select(event_columns, select(moved.c.id, moved.c.state, *event_values))
                .returning(EVENTS.c.journey_id, EVENTS.c.id)
                .cte("recorded")
            )
            rows = session.execute(select(events.c.journey_id, events.c.id)).all()
        else:
            # SQLite has no UPDATE in a CTE; its writers are serialised (BEGIN IMMEDIATE), so the
            # same ordered, limited predicate selects the same rows in both statements.
            batch_ids = batch.with_only_columns(Journey.id).scalar_subquery()
            rows = session.execute(
                insert(EVENTS)
                .from_select(event_columns, batch.add_columns(*event_values))
                .returning(EVENTS.c.journey_id, EVENTS.c.id)
            ).all()
            session.execute(
                update(JOURNEYS).where(Journey.id.in_(batch_ids)).values(moved_values),
                execution_options={"synchronize_session": False},
            )
        recorded.update({journey_id: event_id for journey_id, event_id in rows})
        webhook_events.journeys_changed(session, target, [event_id for _, event_id in rows])
        if len(rows) < batch_size:
            break
    session.expire_all()
    return recorded


def invitation_window(settings: Settings, now: datetime) -> dict[str, Any]:
    """The columns an invitation sets (invite, reinvite): from `now`, for INVITATION_TTL."""
    return {"invited_at": now, "expires_at": now + settings.invitation_ttl}


@dataclass(frozen=True)
class InvitationMail:
    """What the invitation mail of one journey says, and the history row that caused it."""

    journey_id: int
    event_id: int
    trigger: str
    to: str
    language: str
    first_name: str
    organization: str
    roles: list[str]
    invited_by: str | None
    expires_at: datetime


def mail_invitation(session: Session, journey: Journey, event: JourneyEvent, now: datetime) -> None:
    """Issue a fresh invitation link and its join code for `journey` and put its mail in the
    outbox."""
    assert journey.expires_at is not None
    person = journey.person
    mail = InvitationMail(
        journey_id=journey.id,
        event_id=event.id,
        trigger=event.trigger,
        to=person.email,
        language=person.language,
        first_name=journey.first_name,
        organization=journey.organization.name,
        roles=[role.name for role in journey.roles],
        invited_by=journey.invited_by.full_name if journey.invited_by else None,
        expires_at=journey.expires_at,
    )
    [code] = join_codes.fresh(session, 1)
    token, message = _invitation_rows(mail, code, now, settings_of(session))
    session.add(LinkToken(**token))
    # Through the session's new objects, so that the commit kicks the outbox worker at once.
    outbox.enqueue(session, **message)


def mail_invitations(session: Session, mails: list[InvitationMail], now: datetime) -> None:
    """`mail_invitation` for many journeys: multi-row INSERTs, no object per row."""
    if not mails:
        return
    settings = settings_of(session)
    codes = join_codes.fresh(session, len(mails))
    rows = (
        _invitation_rows(mail, code, now, settings) for mail, code in zip(mails, codes, strict=True)
    )
    tokens, messages = zip(*rows, strict=True)
    session.execute(insert(LinkToken), list(tokens))
    request_id = current_request_id()  # as `outbox.enqueue` writes it
    session.execute(insert(OutboxMessage), [{**m, "request_id": request_id} for m in messages])


def _invitation_rows(
    mail: InvitationMail, code: tuple[str, str], now: datetime, settings: Settings
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The link token row and the outbox row of one invitation mail (the only copy of its link
    and of its join `code`, a (code, digest) pair)."""
    raw, token_hash = link_secrets.new_secret()
    join_code, code_hash = code
    token = {
        "token_hash": token_hash,
        "code_hash": code_hash,
        "purpose": link_tokens.INVITATION,
        "journey_id": mail.journey_id,
        "created_at": now,
        "expires_at": mail.expires_at,
    }
    context = {
        "first_name": mail.first_name,
        "organization": mail.organization,
        "roles": mail.roles,
        "invited_by": mail.invited_by,
        "accept_url": f"{settings.app_base_url}/invitations/{raw}",
        "join_url": f"{settings.app_base_url}/join",
        "join_code": join_codes.shown(join_code),
        "expires_at": mail.expires_at.isoformat(),
        "trigger": mail.trigger,
    }
    message = {
        "kind": outbox.MAIL,
        "payload": {
            "template": INVITATION_TEMPLATE,
            "to": mail.to,
            "language": mail.language,
            "context": context,
        },
        # One invitation mail per history row.
        "dedupe_key": f"journey-event:{mail.event_id}:invitation",
        "journey_id": mail.journey_id,
    }
    return token, message

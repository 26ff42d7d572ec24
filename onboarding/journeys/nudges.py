"""Reminders for journeys stuck in a state: each kind after its own delay (NUDGE_SCHEDULE),
at most one per person per NUDGE_GAP, at most NUDGE_CAP per journey, each kind once per
stay in a state, none after the person stopped the journey's reminders (reminders.py), each
recorded in the journey's history. "Expires soon" comes no sooner than half the invitation's
lifetime after it was sent: a short invitation is not a reminder away from its own mail.

Candidates are chosen set-based, one query per kind; a rerun or a duplicate beat sends
nothing twice, because every nudge's outbox row has a dedupe key (a concurrent duplicate run
fails on it and rolls back whole).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from onboarding import link_secrets, outbox
from onboarding.db import settings_of
from onboarding.journeys import history, join_codes, link_tokens, reminders
from onboarding.journeys.machine import LIVE, JourneyState
from onboarding.journeys.models import Journey, JourneyEvent, LinkToken
from onboarding.outbox.models import OutboxMessage
from onboarding.provider.registration import registration_url
from onboarding.settings import Settings

ACTOR = "nudges"
S = JourneyState

# The state each kind waits in; "expiring" reminds a live journey before it expires.
STATE_OF_KIND = {
    "invited": S.invited,
    "registered": S.registered,
    "activation_expired": S.registered,
    "activated": S.activated,
    "logged_in": S.logged_in,
}
# When a journey qualifies for several kinds on one run, the first listed wins.
PRIORITY = ["expiring", "activation_expired", "registered", "invited", "activated", "logged_in"]


@dataclass(frozen=True)
class Candidate:
    kind: str
    journey_id: int
    person_id: int
    dedupe_key: str


def send_nudges(session: Session, now: datetime, limit: int = 1000) -> int:
    """Queue every nudge that is due at `now`, in the caller's transaction; returns how many."""
    settings = settings_of(session)
    candidates = [c for kind in PRIORITY for c in _due(session, kind, now, settings, limit)]
    taken = set(
        session.scalars(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.dedupe_key.in_([c.dedupe_key for c in candidates])
            )
        )
    )
    people: set[int] = set()
    sent = 0
    for candidate in candidates:
        if candidate.dedupe_key in taken or candidate.person_id in people:
            continue
        people.add(candidate.person_id)
        _nudge(session, candidate, now, settings)
        sent += 1
    return sent


def _due(
    session: Session, kind: str, now: datetime, settings: Settings, limit: int
) -> list[Candidate]:
    delay = settings.nudge_schedule.get(kind)
    if delay is None:
        return []
    other = aliased(Journey)
    nudged_recently = exists().where(
        JourneyEvent.journey_id == other.id,
        other.person_id == Journey.person_id,
        JourneyEvent.trigger == history.Fact.nudge,
        JourneyEvent.at > now - settings.nudge_gap,
    )
    nudges_so_far = (
        select(func.count(JourneyEvent.id))
        .where(JourneyEvent.journey_id == Journey.id, JourneyEvent.trigger == history.Fact.nudge)
        .scalar_subquery()
    )
    conditions: list[Any] = [
        ~nudged_recently,
        nudges_so_far < settings.nudge_cap,
        ~reminders.stopped(Journey.id),
    ]
    if kind == "expiring":
        conditions += [
            Journey.state.in_(LIVE),
            Journey.expires_at > now,
            Journey.expires_at <= now + delay,
        ]
    else:
        conditions += [
            Journey.state == STATE_OF_KIND[kind],
            Journey.state_entered_at <= now - delay,
        ]
    if kind == "invited":
        conditions.append(
            ~exists().where(
                JourneyEvent.journey_id == Journey.id,
                JourneyEvent.trigger == history.Fact.link_opened,
                JourneyEvent.at >= Journey.state_entered_at,
            )
        )
    if kind == "registered":
        # Within the activation link's life; after it, "activation_expired" takes over.
        conditions.append(Journey.state_entered_at > now - settings.activation_ttl)
    rows = session.execute(
        select(
            Journey.id,
            Journey.person_id,
            Journey.state_entered_at,
            Journey.expires_at,
            Journey.invited_at,
        )
        .where(and_(*conditions))
        .order_by(Journey.id)
        .limit(limit)
    )
    return [
        Candidate(kind, row.id, row.person_id, _dedupe_key(kind, row.id, row))
        for row in rows
        if kind != "expiring" or _past_half_its_life(row.invited_at, row.expires_at, now)
    ]


def _past_half_its_life(sent: datetime | None, expires: datetime, now: datetime) -> bool:
    """Whether half the invitation's lifetime has passed since it was sent."""
    return sent is None or now - sent >= (expires - sent) / 2


def _dedupe_key(kind: str, journey_id: int, row: Any) -> str:
    # Once per stay in a state (or, expiring, once per invitation's expiry date).
    moment: datetime = row.expires_at if kind == "expiring" else row.state_entered_at
    return f"nudge:{journey_id}:{kind}:{int(moment.timestamp())}"


def _nudge(session: Session, candidate: Candidate, now: datetime, settings: Settings) -> None:
    journey = session.get_one(Journey, candidate.journey_id)
    person = journey.person
    context = {
        "first_name": journey.first_name,
        "organization": journey.organization.name,
        **next_step(session, journey, now, settings),
        "expires_at": journey.expires_at.isoformat() if journey.expires_at else None,
        "unsubscribe_url": reminders.stop_url(journey.id, settings),
    }
    outbox.enqueue_mail(
        session,
        template=f"nudge_{candidate.kind}",
        to=person.email,
        language=person.language,
        context=context,
        dedupe_key=candidate.dedupe_key,
        journey_id=journey.id,
    )
    history.note(
        session, journey, history.Fact.nudge, actor=ACTOR, now=now, detail={"kind": candidate.kind}
    )
    session.flush()


def next_step(
    session: Session, journey: Journey, now: datetime, settings: Settings
) -> dict[str, str]:
    """Where the reader goes from here: the link that moves their journey on (`url`), and
    beside a fresh invitation link its join code (`join_url`, `join_code`)."""
    if journey.state is S.invited:
        # A fresh invitation link and code; those of earlier mails keep working.
        assert journey.expires_at is not None
        [(code, code_hash)] = join_codes.fresh(session, 1)
        raw = link_secrets.issue(
            session,
            LinkToken,
            link_tokens.INVITATION,
            journey.expires_at,
            now,
            journey=journey,
            code_hash=code_hash,
        )
        return {
            "url": f"{settings.app_base_url}/invitations/{raw}",
            "join_url": f"{settings.app_base_url}/join",
            "join_code": join_codes.shown(code),
        }
    if journey.state is S.registered:
        # Registering again with the same address makes the provider mail a fresh activation
        # link (Connect does).
        return {"url": registration_url(settings, journey)}
    if journey.state is S.activated:
        return {"url": f"{settings.app_base_url}/login"}
    return {"url": f"{settings.app_base_url}/measurements"}

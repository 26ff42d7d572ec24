"""Use cases for each trigger of the journey machine.

Every use case loads the journey, fires its trigger through the one machine, and writes the
new state, a history row and any outbox messages in the caller's transaction (see
``onboarding.db.unit_of_work``). The version column makes concurrent changes to one journey
give exactly one winner; the loser gets ``ConcurrentUpdate``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from onboarding import outbox
from onboarding.clock import utcnow
from onboarding.errors import ConcurrentUpdate, InvitationExpired, NotFound
from onboarding.journeys import history, link_tokens
from onboarding.journeys.machine import fire
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.journeys.steps import furthest_step
from onboarding.settings import get_settings


def get_journey(session: Session, journey_id: int) -> Journey:
    journey = session.get(Journey, journey_id)
    if journey is None:
        raise NotFound(f"No journey {journey_id}.")
    return journey


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
            f"Journey {journey_id} was changed by someone else at the same moment; "
            "reload to see its current state."
        ) from None
    return event


def invitation_mail_context(
    *,
    first_name: str,
    organization: str,
    roles: list[str],
    invited_by: str | None,
    raw_token: str,
    expires_at: datetime,
    trigger: str,
) -> dict[str, Any]:
    """The context of the invitation mail (JSON values), for one invitee and link."""
    return {
        "first_name": first_name,
        "organization": organization,
        "roles": roles,
        "invited_by": invited_by,
        "accept_url": f"{get_settings().app_base_url}/invitations/{raw_token}",
        "expires_at": expires_at.isoformat(),
        "trigger": trigger,
    }


def _mail_invitation(session: Session, journey: Journey, event: JourneyEvent, now: datetime) -> str:
    """Issue a fresh invitation link and put the invitation mail in the outbox."""
    assert journey.expires_at is not None
    raw = link_tokens.issue(session, journey, link_tokens.INVITATION, journey.expires_at, now)
    person = journey.person
    outbox.enqueue_mail(
        session,
        template="invitation",
        to=person.email,
        language=person.language,
        context=invitation_mail_context(
            first_name=person.first_name,
            organization=journey.organization.name,
            roles=[role.name for role in journey.roles],
            invited_by=journey.invited_by.full_name if journey.invited_by else None,
            raw_token=raw,
            expires_at=journey.expires_at,
            trigger=event.trigger,
        ),
        dedupe_key=f"journey-event:{event.id}:invitation",
        journey_id=journey.id,
    )
    return raw


def _start_invitation(
    session: Session, journey_id: int, trigger: str, actor: str, now: datetime | None
) -> Journey:
    now = now or utcnow()
    journey = get_journey(session, journey_id)
    changes = {"invited_at": now, "expires_at": now + get_settings().invitation_ttl}
    event = apply(session, journey, trigger, actor=actor, now=now, changes=changes)
    _mail_invitation(session, journey, event, now)
    return journey


def invite(
    session: Session, journey_id: int, *, actor: str, now: datetime | None = None
) -> Journey:
    """Send the first invitation: created → invited, with a link valid INVITATION_TTL."""
    return _start_invitation(session, journey_id, "invite", actor, now)


def reinvite(
    session: Session, journey_id: int, *, actor: str, now: datetime | None = None
) -> Journey:
    """Invite again after expiry or revocation; links mailed before stay dead."""
    return _start_invitation(session, journey_id, "reinvite", actor, now)


def resend(
    session: Session, journey_id: int, *, actor: str, now: datetime | None = None
) -> Journey:
    """Mail the invitation again with a fresh link; earlier links keep working."""
    now = now or utcnow()
    journey = get_journey(session, journey_id)
    event = apply(session, journey, "resend", actor=actor, now=now)
    _mail_invitation(session, journey, event, now)
    return journey


def register(
    session: Session,
    journey_id: int,
    *,
    email: str,
    actor: str = "connect",
    now: datetime | None = None,
    detail: dict[str, Any] | None = None,
) -> Journey:
    """The provider reports an account registered from this invitation (possibly another
    address), by an event or at the first log-in."""
    journey = get_journey(session, journey_id)
    detail = {"email": email, **(detail or {})}
    if email.lower() != journey.person.email:
        detail["invited_as"] = journey.person.email
    apply(session, journey, "register", actor=actor, now=now or utcnow(), detail=detail)
    return journey


def activate(
    session: Session,
    journey_id: int,
    *,
    actor: str = "connect",
    now: datetime | None = None,
    detail: dict[str, Any] | None = None,
) -> Journey:
    """The provider reports the account activated, by an event or at the first log-in."""
    journey = get_journey(session, journey_id)
    apply(session, journey, "activate", actor=actor, now=now or utcnow(), detail=detail)
    return journey


def log_in(
    session: Session,
    journey_id: int,
    *,
    actor: str,
    subject: str | None = None,
    now: datetime | None = None,
    detail: dict[str, Any] | None = None,
) -> Journey:
    """The invitee logged in to the app through the identity provider."""
    journey = get_journey(session, journey_id)
    detail = {**({"subject": subject} if subject else {}), **(detail or {})}
    apply(session, journey, "log_in", actor=actor, now=now or utcnow(), detail=detail)
    return journey


def accept(
    session: Session,
    journey_id: int,
    *,
    actor: str,
    now: datetime | None = None,
    detail: dict[str, Any] | None = None,
) -> Journey:
    """The invitee accepts: the membership becomes active with its roles.

    Checks expiry itself, so a late sweep never lets an expired invitation through.
    """
    now = now or utcnow()
    journey = get_journey(session, journey_id)
    if journey.expires_at is not None and journey.expires_at <= now:
        raise InvitationExpired(
            f"This invitation to {journey.organization.name} expired on "
            f"{journey.expires_at:%Y-%m-%d}; ask an administrator for a new one."
        )
    apply(session, journey, "accept", actor=actor, now=now, detail=detail)
    return journey


def expire(
    session: Session, journey_id: int, *, actor: str = "sweep", now: datetime | None = None
) -> Journey:
    """Expire one journey (the sweep does this set-based, see onboarding.journeys.sweeps)."""
    journey = get_journey(session, journey_id)
    apply(session, journey, "expire", actor=actor, now=now or utcnow())
    return journey


def revoke(
    session: Session, journey_id: int, *, actor: str, now: datetime | None = None
) -> Journey:
    """Withdraw the invitation: every link mailed for it stops working."""
    journey = get_journey(session, journey_id)
    apply(session, journey, "revoke", actor=actor, now=now or utcnow())
    return journey

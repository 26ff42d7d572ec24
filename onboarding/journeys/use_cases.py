"""Use cases for each trigger of the journey machine.

Every use case loads the journey and fires its trigger through ``transitions.apply``, which
writes the new state, a history row and any outbox messages in the caller's transaction (see
``onboarding.db.unit_of_work``). The version column makes concurrent changes to one journey
give exactly one winner; the loser gets ``ConcurrentUpdate``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onboarding.clock import utcnow
from onboarding.db import settings_of
from onboarding.errors import InvitationExpired, NotFound
from onboarding.journeys.models import Journey
from onboarding.journeys.transitions import apply, invitation_window, mail_invitation


def get_journey(session: Session, journey_id: int) -> Journey:
    journey = session.get(Journey, journey_id)
    if journey is None:
        raise NotFound("No journey %(id)d.", {"id": journey_id})
    return journey


def _start_invitation(
    session: Session, journey_id: int, trigger: str, actor: str, now: datetime | None
) -> Journey:
    now = now or utcnow()
    journey = get_journey(session, journey_id)
    window = invitation_window(settings_of(session), now)
    event = apply(session, journey, trigger, actor=actor, now=now, changes=window)
    mail_invitation(session, journey, event, now)
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
    mail_invitation(session, journey, event, now)
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
            "This invitation to %(organization)s expired on %(expired)s; ask an administrator "
            "for a new one.",
            {"organization": journey.organization.name, "expired": journey.expires_at},
        )
    apply(session, journey, "accept", actor=actor, now=now, detail=detail)
    return journey


# What an expiry records, whether of one journey or by the sweep.
EXPIRY_DETAIL = {"reason": "invitation expired"}


def expire(
    session: Session, journey_id: int, *, actor: str = "sweep", now: datetime | None = None
) -> Journey:
    """Expire one journey (the sweep does this set-based, see onboarding.journeys.sweeps)."""
    journey = get_journey(session, journey_id)
    apply(session, journey, "expire", actor=actor, now=now or utcnow(), detail=EXPIRY_DETAIL)
    return journey


def revoke(
    session: Session, journey_id: int, *, actor: str, now: datetime | None = None
) -> Journey:
    """Withdraw the invitation: every link mailed for it stops working."""
    journey = get_journey(session, journey_id)
    apply(session, journey, "revoke", actor=actor, now=now or utcnow())
    return journey

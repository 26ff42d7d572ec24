"""The mailed invitation link: what it is worth, and the record that a person followed it.

Reading a link changes nothing (mail scanners prefetch links); only the person's explicit
click to continue records `link_opened`, as a history row that keeps the journey's state.
The join code the mail carries beside the link (typed at /join on another device) is the same
invitation by another key: every use case here takes either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from onboarding import outbox
from onboarding.clock import utcnow
from onboarding.db import settings_of
from onboarding.errors import DomainError
from onboarding.journeys import history, link_tokens
from onboarding.journeys.link_tokens import TokenCheck, TokenStatus
from onboarding.journeys.models import Journey, JourneyEvent


class LinkNotUsable(DomainError):
    """The link cannot be followed (any status but valid); the message says what to do."""

    code = "link_not_usable"

    def __init__(self, check: TokenCheck) -> None:
        super().__init__(*explanation(check))
        self.status = check.status


@dataclass(frozen=True)
class JoinCode:
    """A join code as the person typed it."""

    typed: str


Key = str | JoinCode
"""What leads to an invitation: its link's raw token, or its join code."""


def look_up(session: Session, raw: Key, now: datetime | None = None) -> TokenCheck:
    """What the invitation link `raw` (or join code) is worth now; changes nothing."""
    now = now or utcnow()
    if isinstance(raw, JoinCode):
        return link_tokens.check_code(session, raw.typed, now)
    return link_tokens.check(session, raw, link_tokens.INVITATION, now)


def record_link_opened(session: Session, raw: Key, now: datetime | None = None) -> Journey:
    """The person clicked to continue from a valid invitation link: note it in the history.

    The actor is the invited address, to which the link was mailed.
    """
    now = now or utcnow()
    check = look_up(session, raw, now)
    if check.status is not TokenStatus.valid or check.journey is None:
        raise LinkNotUsable(check)
    journey = check.journey
    history.note(session, journey, history.Fact.link_opened, actor=journey.person.email, now=now)
    session.flush()
    return journey


def asked_for_a_new_one(journey: Journey) -> JourneyEvent | None:
    """The invitee's request for a new invitation since the journey last changed state."""
    return next(
        (
            event
            for event in reversed(journey.events)
            if event.trigger == history.Fact.new_invitation_asked
            and event.at >= journey.state_entered_at
        ),
        None,
    )


def ask_for_a_new_one(session: Session, raw: Key, now: datetime | None = None) -> Journey:
    """The invitee of an expired invitation asks the administrator who invited them for a new
    one: noted in the history and mailed to that administrator, once per expiry."""
    now = now or utcnow()
    check = look_up(session, raw, now)
    journey = check.journey
    if check.status is not TokenStatus.expired or journey is None or journey.invited_by is None:
        raise LinkNotUsable(check)
    if asked_for_a_new_one(journey) is None:
        person, inviter = journey.person, journey.invited_by
        base_url = settings_of(session).app_base_url
        history.note(
            session, journey, history.Fact.new_invitation_asked, actor=person.email, now=now
        )
        outbox.enqueue_mail(
            session,
            template="new_invitation_asked",
            to=inviter.email,
            language=inviter.language,
            context={
                "first_name": inviter.first_name,
                "email": person.email,
                "organization": journey.organization.name,
                "url": f"{base_url}/admin/onboarding/journeys/{journey.id}",
            },
            dedupe_key=f"new-invitation-asked:{journey.id}:{journey.state_entered_at.isoformat()}",
            journey_id=journey.id,
        )
    session.flush()
    return journey


def explanation(check: TokenCheck) -> tuple[str, dict[str, str]]:
    """What happened to a link that cannot be followed, and what the person can do now: a
    catalog message and the values of its %(name)s fields."""
    journey = check.journey
    params = {"organization": journey.organization.name if journey else ""}
    status = check.status
    if status in (TokenStatus.malformed, TokenStatus.unknown):
        return (
            "This invitation link is not complete or not known. Copy the whole link from the "
            "mail, or ask the administrator who invited you for a new invitation.",
            {},
        )
    if status is TokenStatus.expired:
        return (
            "This invitation to %(organization)s has expired. Ask the administrator who "
            "invited you to send a new invitation.",
            params,
        )
    if status is TokenStatus.revoked:
        return (
            "This invitation to %(organization)s was withdrawn or replaced by a newer one. "
            "Use the link in the most recent invitation mail, or ask the administrator for "
            "a new invitation.",
            params,
        )
    if status is TokenStatus.used:
        return "This invitation link has already been used. Log in to continue.", {}
    if status is TokenStatus.accepted:
        return "This invitation to %(organization)s has already been accepted. Just log in.", params
    return "This invitation link is valid.", {}

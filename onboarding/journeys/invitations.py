"""The mailed invitation link: what it is worth, and the record that a person followed it.

Reading a link changes nothing (mail scanners prefetch links); only the person's explicit
click to continue records `link_opened`, as a history row that keeps the journey's state.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from onboarding.clock import utcnow
from onboarding.errors import DomainError
from onboarding.journeys import history, link_tokens
from onboarding.journeys.link_tokens import TokenCheck, TokenStatus
from onboarding.journeys.models import Journey


class LinkNotUsable(DomainError):
    """The link cannot be followed (any status but valid); the message says what to do."""

    code = "link_not_usable"

    def __init__(self, check: TokenCheck) -> None:
        super().__init__(explain(check))
        self.status = check.status


def look_up(session: Session, raw: str, now: datetime | None = None) -> TokenCheck:
    """What the invitation link `raw` is worth now; changes nothing."""
    return link_tokens.check(session, raw, link_tokens.INVITATION, now or utcnow())


def record_link_opened(session: Session, raw: str, now: datetime | None = None) -> Journey:
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


def explain(check: TokenCheck) -> str:
    """What happened to a link that cannot be followed, and what the person can do now."""
    message, params = explanation(check)
    return message % params


def explanation(check: TokenCheck) -> tuple[str, dict[str, str]]:
    """`explain`'s message with its %(name)s fields apart, for translation."""
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

"""Signing in to the app with an account of its identity provider: find the person, link the
account, bring every open journey of that person up to date with the account, and record
`log_in` on it.

An account becomes the invitee of an invitation opened in the browser only when its owner
confirms it: an invitation can be opened in someone else's browser (a planted link).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.errors import ValidationError
from onboarding.journeys import history
from onboarding.journeys.account_progress import (
    PROVEN_BY_INVITATION,
    VERIFIED_BY_INVITATION,
    Account,
    catch_up,
)
from onboarding.journeys.machine import LIVE, sources_of
from onboarding.journeys.models import Journey
from onboarding.people.directory import normalise_email
from onboarding.people.models import Person

# How the provider's account was matched to a person.
BY_SUBJECT = "subject"
BY_EMAIL = "verified email"
BY_INVITATION = "invitation opened in this browser"
# The history detail of the steps a provider that sends no account events left to the log-in.
RECORDED_AT_LOG_IN = {"recorded_at": "log-in"}


@dataclass(frozen=True)
class SignIn:
    """The outcome: the person (None when no person matches), how, and what advanced.

    Without a person, `to_confirm` is the invitation whose invitee the account may become
    once its owner confirms it.
    """

    person: Person | None
    connect_email: str
    linked_by: str | None = None
    logged_in_journey_ids: list[int] = field(default_factory=list)
    to_confirm: Journey | None = None


def sign_in(
    session: Session,
    *,
    subject: str,
    email: str,
    email_verified: bool,
    email_verified_by: str | None = None,
    invitation_journey_ids: Sequence[int] = (),
    confirmed_invitation: int | None = None,
    provider_reports_accounts: bool = False,
    credential: str | None = None,
    now: datetime | None = None,
) -> SignIn:
    """An account of the identity provider (`subject`, `email`) signs in to the app.

    The person is the one already linked to `subject`; otherwise the one with this verified
    email; otherwise the invitee of an invitation opened in this browser (the link proves
    the mailbox, so a registration with another address still finds its invitation) — but
    only the one `confirmed_invitation` that the account's owner confirmed, on a page naming
    both addresses: until then nothing is written and the outcome names it `to_confirm`.
    The account is linked to the person once, and every journey of the person that may log
    in records `log_in`. A provider that sends no account events
    (`provider_reports_accounts` false) has its `register` (and, with a verified email,
    `activate`) recorded first; one that does (Connect) is trusted to have reported them, so
    an account that existed before the invitation goes from invited to logged_in. The
    `credential` the provider says the person logged in with (a passkey) is in the detail. An
    account whose address the invitation link proved (`email_verified_by`) was registered and
    activated from the invitation in the same moment: its steps are recorded here too, as the
    provider's events may arrive after this log-in.
    """
    now = now or utcnow()
    person, may_log_in = _person_of_subject(session, subject)
    linked_by: str | None = BY_SUBJECT
    if person is None:
        person, linked_by = _person_of_email(session, email, email_verified)
    if person is None:
        opened = invitation_journey_ids if confirmed_invitation is None else [confirmed_invitation]
        invitation = _open_invitation(session, opened)
        if invitation is None:
            return SignIn(person=None, connect_email=email)
        if invitation.id != confirmed_invitation:
            return SignIn(person=None, connect_email=email, to_confirm=invitation)
        person, linked_by = invitation.person, BY_INVITATION
        history.note(
            session,
            invitation,
            history.Fact.account_linked,
            actor=email,
            now=now,
            detail={"invited_as": person.email, "signed_in_as": email},
        )
    if person.connect_subject is None:
        person.connect_subject = subject
    detail = {"connect_email": email} if email != person.email else {}
    if credential:
        detail["with"] = credential
    account = Account.activated if email_verified else Account.registered
    proven_by_invitation = email_verified and email_verified_by == PROVEN_BY_INVITATION
    advanced = []
    if linked_by != BY_SUBJECT:
        may_log_in = _journeys_that_may_log_in(session, person)
    for journey in may_log_in:
        if not provider_reports_accounts or proven_by_invitation:
            catch_up(
                session,
                journey,
                account,
                email=email,
                actor=email,
                now=now,
                detail=(
                    {**VERIFIED_BY_INVITATION, **({"with": credential} if credential else {})}
                    if proven_by_invitation
                    else RECORDED_AT_LOG_IN
                ),
            )
        journeys.log_in(session, journey.id, actor=email, subject=subject, now=now, detail=detail)
        advanced.append(journey.id)
    session.flush()
    return SignIn(
        person=person, connect_email=email, linked_by=linked_by, logged_in_journey_ids=advanced
    )


# The journeys a log-in advances: those in a state the machine lets `log_in` leave.
_MAY_LOG_IN = Journey.state.in_(sources_of("log_in"))
# Built once, as every log-in asks: building it took a quarter of the time of running it.
_OF_SUBJECT = (
    select(Person, Journey)
    .outerjoin(Journey, (Journey.person_id == Person.id) & _MAY_LOG_IN)
    .where(Person.connect_subject == bindparam("subject"))
    .order_by(Journey.id)
)


def _person_of_subject(session: Session, subject: str) -> tuple[Person | None, list[Journey]]:
    """The person linked to `subject`, and their journeys that may log in: one statement for
    the log-in of everyone who logged in before."""
    rows = session.execute(_OF_SUBJECT, {"subject": subject}).all()
    if not rows:
        return None, []
    return rows[0][0], [journey for _, journey in rows if journey is not None]


def _person_of_email(
    session: Session, email: str, email_verified: bool
) -> tuple[Person | None, str | None]:
    """The person of the verified `email`, not linked to an account yet."""
    if not email_verified:
        return None, None
    try:
        address = normalise_email(email)
    except ValidationError:
        return None, None
    person = session.scalar(select(Person).where(Person.email == address))
    # A person already linked to another account is not taken over by this one.
    if person is None or person.connect_subject is not None:
        return None, None
    return person, BY_EMAIL


def _open_invitation(session: Session, journey_ids: Sequence[int]) -> Journey | None:
    """The most recent live invitation opened in this browser whose invitee is not linked yet."""
    for journey_id in reversed(journey_ids):
        journey = session.get(Journey, journey_id)
        if journey is not None and journey.state in LIVE and journey.person.connect_subject is None:
            return journey
    return None


def _journeys_that_may_log_in(session: Session, person: Person) -> list[Journey]:
    query = select(Journey).where(Journey.person_id == person.id, _MAY_LOG_IN).order_by(Journey.id)
    return list(session.scalars(query))

"""Accepting an invitation on the Measurements page, including with another account than the
invited address when the invitation link was opened in the same browser."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.db import written
from onboarding.errors import Conflict, DomainError, NotFound
from onboarding.journeys import history
from onboarding.journeys.machine import LIVE, JourneyState, sources_of
from onboarding.journeys.models import Journey
from onboarding.journeys.shown_invitation import ShownInvitation, invitation_of, showing
from onboarding.people.models import Person

LINK_PROOF = "invitation link opened in this browser"


class NotYourInvitation(DomainError):
    """Signed in with another address and without the link as proof of the mailbox."""

    code = "not_your_invitation"


@dataclass(frozen=True)
class PendingInvitation:
    """An invitation the signed-in person may see on Measurements."""

    journey: ShownInvitation
    # Signed in with another address than the invited one (or as another person).
    mismatch: bool
    # The invitation link was opened in this browser, which proves access to the mailbox.
    opened_here: bool

    @property
    def may_accept(self) -> bool:
        return not self.mismatch or self.opened_here


def pending_invitations(
    session: Session, person: Person, signed_in_as: str, opened_here: Sequence[int]
) -> list[PendingInvitation]:
    """Live invitations of `person`, plus live ones opened in this browser, oldest first.

    Found on the server as well as from the browser session, so the Accept button appears
    in any browser after log-in, without the mail link.
    """
    pending, _memberships = invitations_and_memberships(session, person, signed_in_as, opened_here)
    return pending


def invitations_and_memberships(
    session: Session, person: Person, signed_in_as: str, opened_here: Sequence[int]
) -> tuple[list[PendingInvitation], list[ShownInvitation]]:
    """`pending_invitations`, and the memberships of `person` (accepted journeys), oldest
    first: in one query, as plain rows of what Measurements shows (a row per role)."""
    rows = session.connection().execute(_WITH_MEMBERSHIPS, _whose(person, opened_here))
    pending, memberships = [], []
    for _journey_id, group in groupby(rows, key=itemgetter(1)):
        journey_rows = list(group)
        journey = invitation_of(journey_rows, 1)
        if journey.state is JourneyState.accepted:
            memberships.append(journey)
            continue
        invitee_id = journey_rows[0][0]
        mismatch = _mismatch(invitee_id, journey.person.email, person, signed_in_as)
        pending.append(PendingInvitation(journey, mismatch, journey.id in opened_here))
    return pending, memberships


def _whose(person: Person, opened_here: Sequence[int]) -> dict[str, Any]:
    """The parameters of `_WITH_MEMBERSHIPS`."""
    return {"person_id": person.id, "opened_here": list(opened_here)}


def _with_memberships() -> Select[*tuple[Any, ...]]:
    """Live and the person's or opened in this browser, or the person's and accepted."""
    mine = Journey.person_id == bindparam("person_id")
    opened_here = Journey.id.in_(bindparam("opened_here", expanding=True))
    # Equal to one, rather than IN, whose list would be rendered again at every execution.
    live = or_(*(Journey.state == written(state) for state in LIVE))
    pending = live & (mine | opened_here)
    membership = mine & (Journey.state == written(JourneyState.accepted))
    # The journey's id first in the order: its rows (a role each) come together.
    found = select(Journey.person_id).where(pending | membership).order_by(Journey.id)
    return showing(found)


# Built once: Measurements, every signed-in person's landing page, runs it.
_WITH_MEMBERSHIPS = _with_memberships()


def accept_invitation(
    session: Session,
    journey_id: int,
    *,
    person: Person,
    signed_in_as: str,
    opened_here: bool,
    now: datetime | None = None,
) -> Journey:
    """The signed-in `person` accepts: the membership becomes active with its roles.

    With another address than the invited one, this is allowed only when the invitation
    link was opened in this browser; the history then records both addresses and the proof.
    A journey of another person moves to `person`, who must not have one there already.
    """
    now = now or utcnow()
    journey = journeys.get_journey(session, journey_id)
    invited_as = journey.person.email
    if journey.person_id != person.id and not opened_here:
        # Someone else's invitation, by its id: nothing about it is shown.
        raise NotFound("There is no such invitation for you.")
    mismatch = _mismatch(journey.person_id, invited_as, person, signed_in_as)
    if mismatch and not opened_here:
        raise NotYourInvitation(
            "You are signed in as %(signed_in_as)s; this invitation is for %(invited_as)s. "
            "Open the invitation link from the mail to %(invited_as)s in this browser, "
            "or log in with that address.",
            {"signed_in_as": signed_in_as, "invited_as": invited_as},
        )
    if journey.person_id != person.id:
        _move_to(session, journey, person)
    detail = (
        {"invited_as": invited_as, "accepted_as": signed_in_as, "confirmed_by": LINK_PROOF}
        if mismatch
        else {}
    )
    if journey.state in sources_of("log_in"):
        # Invited after this person logged in: the log-in happened all the same.
        journeys.log_in(
            session,
            journey.id,
            actor=signed_in_as,
            subject=person.connect_subject,
            now=now,
            detail=detail,
        )
    return journeys.accept(session, journey.id, actor=signed_in_as, now=now, detail=detail)


def record_switch_account(
    session: Session, journey_id: int, *, signed_in_as: str, now: datetime | None = None
) -> None:
    """The person chose to log in with another account for this invitation."""
    journey = journeys.get_journey(session, journey_id)
    detail = {"signed_in_as": signed_in_as, "invited_as": journey.person.email}
    history.note(
        session,
        journey,
        history.Fact.switch_account,
        actor=signed_in_as,
        now=now or utcnow(),
        detail=detail,
    )
    session.flush()


def _mismatch(invitee_id: int, invited_as: str, person: Person, signed_in_as: str) -> bool:
    """Whether `person`, signed in as `signed_in_as`, is not the invitee `invitee_id`, invited
    as `invited_as`."""
    return invitee_id != person.id or signed_in_as.lower() != invited_as


def _move_to(session: Session, journey: Journey, person: Person) -> None:
    taken = session.scalar(
        select(Journey.state).where(
            Journey.person_id == person.id, Journey.organization_id == journey.organization_id
        )
    )
    if taken is JourneyState.accepted:
        raise Conflict(
            "You are already a member of %(organization)s with this account; this invitation "
            "was for someone else.",
            {"organization": journey.organization.name},
        )
    if taken is not None:
        raise Conflict(
            "You already have an invitation to %(organization)s with this account; this "
            "invitation was for someone else.",
            {"organization": journey.organization.name},
        )
    journey.person = person

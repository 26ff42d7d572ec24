"""The registry of admin actions on a journey: Settings > People, the dashboard and the API.

Each action says what it runs, in which journey states it is offered (read from the machine
where it is a trigger), where it is offered, and the texts an admin sees: the button label,
the question asked before it runs and the message that confirms it (catalog messages, written
in the reader's language where they are shown). Every action is run by
an administrator of the journey's organization (a superadmin: any), or with an API token of
that organization; `perform` checks that scope before anything runs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onboarding import audit, journeys
from onboarding.errors import Conflict, NotFound
from onboarding.journeys.expiry import EXTEND, extend_expiry
from onboarding.journeys.machine import LIVE, TRIGGERS, JourneyState, sources_of
from onboarding.journeys.models import Journey
from onboarding.people.access import Scope, journey_in_scope
from onboarding.people.erasure import is_erased

DEFAULT_EXTENSION_DAYS = 14
ERASED = "This person was erased: no invitation can be sent to them or kept open for them."


class Surface(enum.Enum):
    """Where an admin meets the actions."""

    people = "people"  # Settings > People, one organization's page
    dashboard = "dashboard"  # /admin/onboarding, with a confirmation step
    api = "api"  # /api, with an organization's token


EVERYWHERE = frozenset(Surface)


@dataclass(frozen=True)
class AdminAction:
    """One action an admin takes on a journey, and everything People, dashboard and API show."""

    name: str  # a trigger of the machine, or EXTEND
    run: Callable[..., Journey]  # (session, journey_id, *, actor, now[, days]) -> Journey
    surfaces: frozenset[Surface]
    label: str
    confirmation: str | None  # asked before it runs (dashboard, and People when destructive)
    message: str  # what was done, with %(email)s and %(until)s (a datetime) of the journey
    takes_days: bool = False
    destructive: bool = False
    # It mails the person, or keeps a mailed link alive: pointless, and refused, once they
    # were erased (their address is a pseudonym no mail reaches).
    reaches_person: bool = False

    @property
    def states(self) -> frozenset[JourneyState]:
        """Where the machine allows the trigger; extend keeps the state of a live invitation."""
        return frozenset(sources_of(self.name) if self.name in TRIGGERS else LIVE)

    def allowed_in(self, state: JourneyState) -> bool:
        return state in self.states

    def params(self, journey: Journey) -> dict[str, Any]:
        """The values of the message's fields, for `journey` after the action."""
        return {"email": journey.person.email, "until": journey.expires_at}

    def allowed_for(self, journey: Journey) -> bool:
        """Whether the journey's state allows it, and its person can still be reached."""
        return self.allowed_in(journey.state) and not (
            self.reaches_person and is_erased(journey.person)
        )


# In the order the buttons are shown.
ACTIONS: dict[str, AdminAction] = {
    action.name: action
    for action in (
        AdminAction(
            "invite",
            journeys.invite,
            frozenset({Surface.people}),
            label="Invite",
            reaches_person=True,
            confirmation=None,
            message="Invitation sent to %(email)s; it is valid until %(until)s.",
        ),
        AdminAction(
            "resend",
            journeys.resend,
            EVERYWHERE,
            label="Resend invitation",
            reaches_person=True,
            confirmation="Send the invitation again? Links of earlier mails keep working.",
            message="Invitation mailed again to %(email)s; links in earlier mails keep working.",
        ),
        AdminAction(
            "revoke",
            journeys.revoke,
            EVERYWHERE,
            label="Revoke",
            confirmation="Revoke the invitation? Every link mailed for it stops working.",
            message="Invitation of %(email)s revoked; every link mailed to them stopped working.",
            destructive=True,
        ),
        AdminAction(
            "reinvite",
            journeys.reinvite,
            EVERYWHERE,
            label="Re-invite",
            reaches_person=True,
            confirmation="Invite again? A new invitation mail with a new link is sent.",
            message=(
                "%(email)s was invited again, valid until %(until)s; links mailed before stay dead."
            ),
        ),
        AdminAction(
            EXTEND,
            extend_expiry,
            frozenset({Surface.dashboard, Surface.api}),
            label="Extend expiry",
            reaches_person=True,
            confirmation="Extend the invitation's expiry?",
            message="The invitation of %(email)s now expires on %(until)s.",
            takes_days=True,
        ),
    )
}


def offered_on(surface: Surface) -> list[AdminAction]:
    """Every action `surface` offers, whatever the journey's state."""
    return [action for action in ACTIONS.values() if surface in action.surfaces]


def available(journey: Journey, surface: Surface) -> list[AdminAction]:
    """The actions `surface` offers for the journey in its current state."""
    return [action for action in offered_on(surface) if action.allowed_for(journey)]


def action_named(name: str, surface: Surface) -> AdminAction:
    """The action `name` if `surface` offers it; NotFound otherwise."""
    action = ACTIONS.get(name)
    if action is None or surface not in action.surfaces:
        raise NotFound("There is no action '%(name)s'.", {"name": name})
    return action


def perform(
    session: Session,
    journey_id: int,
    action: AdminAction,
    *,
    scope: Scope,
    actor: str,
    days: int = DEFAULT_EXTENSION_DAYS,
    now: datetime | None = None,
) -> Journey:
    """Run `action` on a journey in `scope`, recorded with `actor` in its history and in the
    organization's audit log.

    A state that does not allow the action is refused by its use case, with its reason; an
    action that would reach an erased person is refused (Conflict) before it runs.
    """
    found = journey_in_scope(session, journey_id, scope)
    if action.reaches_person and is_erased(found.person):
        raise Conflict(ERASED)
    extra = {"days": days} if action.takes_days else {}
    journey = action.run(session, journey_id, actor=actor, now=now, **extra)
    audit.record(
        session,
        organization_id=journey.organization_id,
        actor=actor,
        action=f"journey.{action.name}",
        subject=journey.person.email,
        detail={"journey_id": journey.id, "state": journey.state.value, **extra},
        now=now,
    )
    return journey

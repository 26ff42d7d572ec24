"""What a journey learns from the person's account at the identity provider: an account that
exists means `register`, an account with a verified address also means `activate`.

The provider's account events and the first log-in (for a provider that sends no events) both
bring a journey up to date here, through the machine like every other transition.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from onboarding.journeys import use_cases
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey

S = JourneyState


class Account(Enum):
    """How far the person's account at the provider is known to have come."""

    registered = "registered"
    activated = "activated"


# What a provider says when the invitation link proved the address (its events' `verified_by`,
# its ID token's `email_verified_by`), and what the history records then.
PROVEN_BY_INVITATION = "invitation"
VERIFIED_BY_INVITATION = {"address_verified_by": "invitation link"}

# The triggers that bring a journey in a given state up to date with the account.
_MISSING: dict[Account, dict[JourneyState, list[str]]] = {
    Account.registered: {S.invited: ["register"]},
    Account.activated: {S.invited: ["register", "activate"], S.registered: ["activate"]},
}


def behind(account: Account) -> list[JourneyState]:
    """The journey states that miss a step once the account is known to be `account`."""
    return list(_MISSING[account])


def catch_up(
    session: Session,
    journey: Journey,
    account: Account,
    *,
    email: str,
    actor: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> list[str]:
    """Record the transitions `journey` misses for `account` (none when it is not behind);
    `email` is the account's address. Returns the triggers recorded."""
    triggers = _MISSING[account].get(journey.state, [])
    for trigger in triggers:
        if trigger == "register":
            use_cases.register(
                session, journey.id, email=email, actor=actor, now=now, detail=detail
            )
        else:
            use_cases.activate(session, journey.id, actor=actor, now=now, detail=detail)
    return triggers

"""Journeys: one person's onboarding into one organization, as an explicit state machine.

The use cases (``invite``, ``accept``, ``revoke`` …) live in ``use_cases`` and are the
package's public face: ``from onboarding import journeys; journeys.invite(...)``. What a
transition writes, for one journey or a set, is written in ``transitions`` alone.
"""

from onboarding.journeys.transitions import apply
from onboarding.journeys.use_cases import (
    accept,
    activate,
    expire,
    get_journey,
    invite,
    log_in,
    register,
    reinvite,
    resend,
    revoke,
)

__all__ = [
    "accept",
    "activate",
    "apply",
    "expire",
    "get_journey",
    "invite",
    "log_in",
    "register",
    "reinvite",
    "resend",
    "revoke",
]

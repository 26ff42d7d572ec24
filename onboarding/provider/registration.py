"""Where an invitee creates an account at the app's identity provider."""

from __future__ import annotations

from urllib.parse import urlencode

from onboarding.journeys import refs
from onboarding.journeys.models import Journey
from onboarding.settings import Settings


def registration_url(settings: Settings, journey: Journey | None = None) -> str:
    """The provider's registration page, back to the app's login page afterwards.

    For a journey, the invited address is prefilled and the signed journey reference travels
    along, so that the provider's `account.registered` event finds the journey even when the
    invitee registers with another address. Connect serves `/register` at its issuer; a
    provider that registers elsewhere changes this function only.
    """
    query = {"return_to": f"{settings.app_base_url}/login"}
    if journey is not None:
        query = {"email": journey.person.email, "ref": refs.make_ref(journey.id, settings), **query}
    return f"{settings.oidc_issuer}/register?{urlencode(query)}"

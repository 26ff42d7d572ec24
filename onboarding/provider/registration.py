"""Where an invitee creates an account at the app's identity provider."""

from __future__ import annotations

from urllib.parse import urlencode

from onboarding.invitation_proof import InvitationProof, sign
from onboarding.journeys import refs
from onboarding.journeys.models import Journey
from onboarding.settings import Settings

# OpenID Connect Prompt Create 1.0: the authorization request asks for a new account.
PROMPT_CREATE = "create"


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


def registration_in_authorization(settings: Settings, journey: Journey) -> dict[str, str]:
    """The authorization request's parameters that open registration from `journey`'s
    invitation: `prompt=create`, and the invitation the app vouches for, which prefills the
    form and lets Connect activate the invited address at once. The provider signs the
    account in and completes the request, so the invitee comes back logged in."""
    person = journey.person
    proof = InvitationProof(
        email=person.email,
        first_name=person.first_name,
        last_name=person.last_name,
        language=person.language,
        country=person.country or "",
        journey_ref=refs.make_ref(journey.id, settings),
    )
    return {"prompt": PROMPT_CREATE, "invitation": sign(proof, settings)}

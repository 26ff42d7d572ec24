"""The app's seam to its OpenID Connect identity provider (Connect or any other): the
registration link it sends invitees to (`registration`), and the account events it reports
(`account_events`). A provider that reports no events is caught up with at the first log-in
(see `onboarding.journeys.sign_in`)."""

from typing import Any

from onboarding.settings import Settings

# What a history row says a person logged in or registered with (detail `with`), when the
# provider tells: the ID token's `amr`, Connect's account events.
PASSKEY = "passkey"


def connect_is_provider(settings: Settings) -> bool:
    """Whether the app's issuer is the built-in Connect (so Connect runs beside the app)."""
    return settings.oidc_issuer == settings.connect_issuer


def credential_of(amr: Any) -> str | None:
    """What the ID token's `amr` (RFC 8176) says the person logged in with, when it is worth
    recording: a key held in hardware ("hwk") is a passkey."""
    return PASSKEY if isinstance(amr, list) and "hwk" in amr else None

"""The app's seam to its OpenID Connect identity provider (Connect or any other): the
registration link it sends invitees to (`registration`), and the account events it reports
(`account_events`). A provider that reports no events is caught up with at the first log-in
(see `onboarding.journeys.sign_in`)."""

from onboarding.settings import Settings


def connect_is_provider(settings: Settings) -> bool:
    """Whether the app's issuer is the built-in Connect (so Connect runs beside the app)."""
    return settings.oidc_issuer == settings.connect_issuer

"""Connect, the identity provider: accounts, credentials, second factors and the OIDC
provider's records. Knows nothing of the app's people or journeys; it tells the app about
accounts only through signed identity events (see ``onboarding.identity.events``)."""

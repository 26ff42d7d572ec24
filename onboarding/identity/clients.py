"""The OIDC clients Connect serves, from configuration: the app (OIDC_CLIENT_ID,
OIDC_CLIENT_SECRET, redirect APP_BASE_URL/auth/callback, back after log-out to APP_BASE_URL/,
told of log-outs at APP_BASE_URL/auth/backchannel-logout) and any listed in CONNECT_CLIENTS
(a JSON list of {"client_id", "client_secret", "redirect_uris"}, optionally with
"post_logout_redirect_uris", "backchannel_logout_uri" and "offline_access": true for a client
given refresh tokens when it asks for the scope offline_access)."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin

from onboarding.settings import Settings

SCOPES = ("openid", "email", "profile", "offline_access")
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
# The endpoints where a client authenticates with its secret.
AUTHENTICATED_ENDPOINTS = ("token", "revocation")


@dataclass(frozen=True)
class Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    backchannel_logout_uri: str | None = None
    offline_access: bool = False

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        refused = () if self.offline_access else ("offline_access",)
        return " ".join(s for s in (scope or "").split() if s in SCOPES and s not in refused)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact match only: no prefixes, no wildcards.
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(self.client_secret.encode(), (client_secret or "").encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS if endpoint in AUTHENTICATED_ENDPOINTS else True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code" or (
            grant_type == "refresh_token" and self.offline_access
        )

    @property
    def client_metadata(self) -> dict[str, str]:
        return {}


def configured_clients(settings: Settings) -> dict[str, Client]:
    """The app and every client of CONNECT_CLIENTS, by client id."""
    clients = {
        settings.oidc_client_id: Client(
            settings.oidc_client_id,
            settings.oidc_client_secret,
            (f"{settings.app_base_url}/auth/callback",),
            post_logout_redirect_uris=(f"{settings.app_base_url}/",),
            backchannel_logout_uri=f"{settings.app_base_url}/auth/backchannel-logout",
        )
    }
    # The shape was checked when the settings were read (onboarding.settings).
    for entry in json.loads(settings.connect_clients or "[]"):
        clients[entry["client_id"]] = Client(
            entry["client_id"],
            entry["client_secret"],
            tuple(entry["redirect_uris"]),
            post_logout_redirect_uris=tuple(entry.get("post_logout_redirect_uris", ())),
            backchannel_logout_uri=entry.get("backchannel_logout_uri"),
            offline_access=entry.get("offline_access", False),
        )
    return clients


def destinations(settings: Settings) -> list[str]:
    """The origins Connect's forms send a browser on to: every client's, back after a log-in or
    log-out (the form's answer redirects there), and the upstream provider's. A
    Content-Security-Policy's form-action must allow them all."""
    uris = [
        uri
        for client in configured_clients(settings).values()
        for uri in (*client.redirect_uris, *client.post_logout_redirect_uris)
    ]
    if settings.upstream_issuer:
        uris.append(settings.upstream_issuer)
    return sorted({f"{part.scheme}://{part.netloc}" for part in map(urlsplit, uris)})


def find_client(client_id: str | None, settings: Settings) -> Client | None:
    return configured_clients(settings).get(client_id or "")

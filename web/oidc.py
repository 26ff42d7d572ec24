"""The app as an OpenID Connect relying party of any provider found by discovery at
OIDC_ISSUER: authorization code flow with PKCE (S256), state and nonce, all checked by
authlib; the ID token's signature, issuer, audience, nonce and expiry are verified."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from onboarding.settings import Settings
from web.extensions import app_settings

SCOPES = "openid email profile"


class LoginFailed(Exception):
    """The log-in with the provider did not complete; `status` is the page's HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    subject: str
    email: str
    email_verified: bool


def init_oidc(app: Flask) -> None:
    settings: Settings = app.extensions["settings"]
    oauth = OAuth(app)
    app.extensions["connect_client"] = oauth.register(
        "connect",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=f"{settings.oidc_issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPES, "code_challenge_method": "S256", "timeout": 10},
    )


def redirect_uri() -> str:
    return f"{app_settings().app_base_url}/auth/callback"


def start_login(prompt: str | None = None) -> Response:
    """Redirect the browser to the provider's authorization endpoint."""
    client = _client()
    _checked_metadata(client)
    extra = {"prompt": prompt} if prompt else {}
    try:
        response: Response = client.authorize_redirect(redirect_uri(), **extra)
    except requests.RequestException:
        raise _unreachable() from None
    return response


def finish_login() -> Identity:
    """Exchange the code for tokens at the callback and return the verified identity."""
    client = _client()
    try:
        token = client.authorize_access_token()
        claims: dict[str, Any] = dict(token.get("userinfo") or {})
        if "email" not in claims:
            claims.update(client.userinfo(token=token))
    except requests.RequestException:
        raise _unreachable() from None
    except (AuthlibBaseError, JoseError) as error:
        raise LoginFailed(
            f"The log-in with {app_settings().idp_name} did not complete "
            f"({error.description or error.error}). Please start again."
        ) from None
    if not claims.get("sub") or not claims.get("email"):
        raise LoginFailed(
            f"{app_settings().idp_name} did not tell us your email address. Please start again."
        )
    return Identity(
        subject=str(claims["sub"]),
        email=str(claims["email"]),
        email_verified=claims.get("email_verified") is True,
    )


def _client() -> Any:
    return current_app.extensions["connect_client"]


def _checked_metadata(client: Any) -> dict[str, Any]:
    """The provider's discovery document, whose issuer must be exactly OIDC_ISSUER."""
    try:
        metadata: dict[str, Any] = client.load_server_metadata()
    except (requests.RequestException, ValueError):
        raise _unreachable() from None
    issuer = app_settings().oidc_issuer
    if metadata.get("issuer") != issuer:
        client.server_metadata.pop("_loaded_at", None)  # look again next time
        raise LoginFailed(
            f"The identity provider at {issuer} identifies itself as "
            f"{metadata.get('issuer')!r}; log-in is not possible until that is fixed.",
            status=502,
        )
    return metadata


def _unreachable() -> LoginFailed:
    name = app_settings().idp_name
    return LoginFailed(f"{name} cannot be reached right now. Please try again in a minute.", 503)

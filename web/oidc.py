"""The app as an OpenID Connect relying party of any provider found by discovery at
OIDC_ISSUER: authorization code flow with PKCE (S256), state and nonce, all checked by
authlib; the ID token's signature, issuer, audience, nonce and expiry are verified, and the
authorization response's `iss` (RFC 9207) when the provider sends one or promises to. Log-out
goes through the provider's end_session_endpoint (RP-Initiated Logout 1.0), and the provider's
logout tokens (Back-Channel Logout 1.0) are verified against its JWKS."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from flask import Flask, current_app, redirect, request, session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from werkzeug.wrappers import Response

from onboarding.provider import credential_of
from onboarding.settings import Settings
from web.extensions import app_settings

SCOPES = "openid email profile"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# How old a logout token may be: it is sent the moment the provider's session ends.
LOGOUT_TOKEN_MAX_AGE_SECONDS = 300


class LoginFailed(Exception):
    """The log-in with the provider did not complete; `status` is the page's HTTP status.
    `message` is a catalog message whose %(name)s fields `params` fill."""

    def __init__(self, message: str, status: int = 400, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params
        self.status = status


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    subject: str
    email: str
    email_verified: bool
    # What proved the address besides the provider's own mail (Connect: "invitation").
    email_verified_by: str | None = None
    # The provider's session (`sid`) and the ID token, for log-out.
    provider_sid: str | None = None
    id_token: str | None = None
    # What the person logged in with, from the ID token's `amr` (a passkey), when told.
    credential: str | None = None


class BadLogoutToken(Exception):
    """A logout token that is not the provider's, not for the app, or not a logout."""


@dataclass(frozen=True)
class LoggedOut:
    """What a valid logout token says ended at the provider."""

    subject: str | None
    provider_sid: str | None


class ProviderClient(FlaskOAuth2App):  # type: ignore[misc]
    """authlib's client of the provider, keeping the provider's key set imported from one
    fetch of its JWKS to the next for the logout tokens this app verifies itself: importing
    it (RSA public keys) costs 0.14 ms a key. ID tokens stay with authlib's own verification."""

    _imported: tuple[dict[str, Any], KeySet] | None = None

    def key_set(self, force: bool = False) -> KeySet:
        """The provider's keys, from its JWKS fetched again when `force`d."""
        jwks = self.fetch_jwk_set(force=force)
        imported = self._imported
        if imported is None or imported[0] is not jwks:
            imported = self._imported = (jwks, KeySet.import_key_set(jwks))
        return imported[1]


def init_oidc(app: Flask) -> None:
    settings: Settings = app.extensions["settings"]
    oauth = OAuth(app)
    app.extensions["connect_client"] = oauth.register(
        "connect",
        client_cls=ProviderClient,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=f"{settings.oidc_issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": SCOPES,
            "code_challenge_method": "S256",
            "timeout": 10,
            **_environment_read_once(settings.oidc_issuer),
        },
    )


def _environment_read_once(issuer: str) -> dict[str, Any]:
    """The proxy for the provider (none when NO_PROXY exempts it) and the CA bundle, as
    `requests` finds them in the environment, read at start: it would read them again before
    each request to the provider, walking the whole environment several times (0.2 ms a token
    request, more than the rest of its client side)."""
    with requests.Session() as probe:
        found = probe.merge_environment_settings(issuer, {}, None, None, None)
    return {"trust_env": False, "proxies": found["proxies"], "verify": found["verify"]}


def redirect_uri() -> str:
    return f"{app_settings().app_base_url}/auth/callback"


def start_login(**parameters: str | None) -> Response:
    """Redirect the browser to the provider's authorization endpoint, with the request's
    extra `parameters` that have a value (prompt, login_hint: the address the person is
    expected to log in with, ui_locales: the language to show its pages in, …)."""
    client = _client()
    _checked_metadata(client)
    extra = {name: value for name, value in parameters.items() if value}
    try:
        found = client.create_authorization_url(redirect_uri(), **_secrets(), **extra)
    except requests.RequestException:
        raise _unreachable() from None
    # The session keeps what the callback checks (state, nonce, verifier), not the URL: one
    # that carries an invitation would outgrow the cookie after a few starts.
    url = found.pop("url")
    _forget_older_starts(client.name)
    client.save_authorize_data(redirect_uri=redirect_uri(), **found)
    return redirect(url)


def _secrets() -> dict[str, str]:
    """The state, nonce and PKCE verifier of a log-in, each at least as long and strong as
    authlib's: drawn at once rather than, as authlib does, a character at a time (0.09 ms)."""
    return {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(16),
        "code_verifier": secrets.token_urlsafe(36),
    }


# Log-ins started in this browser and not yet back at the callback, each kept in the session
# by its state: a browser that starts many without finishing would outgrow the cookie.
PENDING_STARTS = 3


def _forget_older_starts(name: str) -> None:
    """Keep only the newest PENDING_STARTS - 1 unfinished starts, making room for this one."""
    prefix = f"_state_{name}_"
    pending = sorted(
        (key for key in session if key.startswith(prefix)),
        key=lambda key: session[key].get("exp", 0) if isinstance(session[key], dict) else 0,
    )
    for key in pending[: max(0, len(pending) - (PENDING_STARTS - 1))]:
        session.pop(key)


def finish_login() -> Identity:
    """Exchange the code for tokens at the callback and return the verified identity."""
    client = _client()
    _check_issuer_parameter(_checked_metadata(client), request.args.get("iss"))
    try:
        token = client.authorize_access_token()
        claims: dict[str, Any] = dict(token.get("userinfo") or {})
        if "email" not in claims:
            claims.update(client.userinfo(token=token))
    except requests.RequestException:
        raise _unreachable() from None
    except MismatchingStateError:
        # This answer of the provider was used already (the page reloaded, or opened twice)
        # or belongs to a log-in started in another browser.
        raise LoginFailed(
            "This log-in link was already used or was started elsewhere (for example, the "
            "page was reloaded). If you are logged in already, just go on; otherwise log in "
            "again."
        ) from None
    except (AuthlibBaseError, JoseError) as error:
        raise LoginFailed(
            "The log-in with %(idp)s did not complete (%(reason)s). Please start again.",
            idp=app_settings().idp_name,
            reason=error.description or error.error,
        ) from None
    if not claims.get("sub") or not claims.get("email"):
        raise LoginFailed(
            "%(idp)s did not tell us your email address. Please start again.",
            idp=app_settings().idp_name,
        )
    return Identity(
        subject=str(claims["sub"]),
        email=str(claims["email"]),
        email_verified=claims.get("email_verified") is True,
        email_verified_by=str(claims.get("email_verified_by") or "") or None,
        provider_sid=str(claims["sid"]) if claims.get("sid") else None,
        id_token=token.get("id_token"),
        credential=credential_of(claims.get("amr")),
    )


def _check_issuer_parameter(metadata: dict[str, Any], iss: str | None) -> None:
    """RFC 9207: an authorization response naming another issuer, or none from a provider
    that promises to name itself, may come from a mix-up attack; its code is not exchanged."""
    if iss is None and not metadata.get("authorization_response_iss_parameter_supported"):
        return
    if iss != metadata["issuer"]:
        raise LoginFailed(
            "The answer of %(idp)s did not come from where it should. Please start again.",
            idp=app_settings().idp_name,
        )


def end_session_url(id_token: str | None) -> str | None:
    """Where the browser ends its session at the provider, coming back to the app's front
    page; None when the provider has no end_session_endpoint or cannot be reached."""
    try:
        endpoint = _checked_metadata(_client()).get("end_session_endpoint")
    except LoginFailed:
        return None
    if not endpoint:
        return None
    settings = app_settings()
    params = {"client_id": settings.oidc_client_id, "post_logout_redirect_uri": _front_page()}
    if id_token:
        params["id_token_hint"] = id_token
    separator = "&" if "?" in endpoint else "?"
    return f"{endpoint}{separator}{urlencode(params)}"


def _front_page() -> str:
    return f"{app_settings().app_base_url}/"


def read_logout_token(token: str, now: float) -> LoggedOut:
    """The sessions a logout token from the provider ends; BadLogoutToken when it is not
    valid (Back-Channel Logout 1.0, section 2.6)."""
    if not token:
        raise BadLogoutToken("no logout token")
    client: ProviderClient = _client()
    try:
        try:
            claims = _decoded(token, client.key_set())
        except JoseError:
            # Perhaps signed by a key published since the key set was fetched.
            claims = _decoded(token, client.key_set(force=True))
    except (JoseError, ValueError, RuntimeError, requests.RequestException) as error:
        raise BadLogoutToken(f"not signed by the provider: {error}") from None
    settings = app_settings()
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience or [])
    if claims.get("iss") != settings.oidc_issuer or settings.oidc_client_id not in audiences:
        raise BadLogoutToken("not from the provider, or not for the app")
    if not isinstance(claims.get("events"), dict) or LOGOUT_EVENT not in claims["events"]:
        raise BadLogoutToken("not a logout event")
    if "nonce" in claims or not (claims.get("sub") or claims.get("sid")):
        raise BadLogoutToken("names no session, or is an ID token")
    issued = claims.get("iat")
    if not isinstance(issued, int) or not now - LOGOUT_TOKEN_MAX_AGE_SECONDS <= issued <= now + 60:
        raise BadLogoutToken("issued too long ago, or in the future")
    if isinstance(claims.get("exp"), int) and claims["exp"] < now:
        raise BadLogoutToken("expired")
    return LoggedOut(subject=claims.get("sub"), provider_sid=claims.get("sid"))


def _decoded(token: str, key_set: KeySet) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, key_set, algorithms=["RS256", "ES256"]).claims
    return claims


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
            "The identity provider at %(issuer)s identifies itself as %(named)s; log-in is "
            "not possible until that is fixed.",
            status=502,
            issuer=issuer,
            named=str(metadata.get("issuer")),
        )
    return metadata


def _unreachable() -> LoginFailed:
    return LoginFailed(
        "%(idp)s cannot be reached right now. Please try again in a minute.",
        503,
        idp=app_settings().idp_name,
    )

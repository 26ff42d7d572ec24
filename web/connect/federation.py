"""Log in with an upstream OpenID Connect provider (by configuration: UPSTREAM_ISSUER,
UPSTREAM_CLIENT_ID, UPSTREAM_CLIENT_SECRET), with PKCE, state and nonce."""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Blueprint, abort, current_app, render_template, request, session, url_for

from onboarding.clock import utcnow
from onboarding.identity import federation
from web import words
from web.connect.login import finish
from web.db import db_session
from web.extensions import app_settings
from web.i18n import gettext
from web.security import safe_next

bp = Blueprint("federation", __name__)
NEXT_KEY = "upstream_next"


def _client() -> Any:
    settings = app_settings()
    if not settings.federation_enabled:
        abort(404)
    oauth: OAuth | None = current_app.extensions.get("connect_upstream")
    if oauth is None:
        oauth = OAuth(current_app)
        oauth.register(
            "upstream",
            client_id=settings.upstream_client_id,
            client_secret=settings.upstream_client_secret,
            server_metadata_url=f"{settings.upstream_issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
        )
        current_app.extensions["connect_upstream"] = oauth
    return oauth.upstream


@bp.post("/login/upstream")
def start() -> Any:
    client = _client()
    session[NEXT_KEY] = safe_next(request.form.get("next"), url_for("two_factor.security"))
    redirect_uri = f"{app_settings().connect_issuer}{url_for('federation.log_in_at_callback')}"
    return client.authorize_redirect(redirect_uri)


@bp.get("/login/upstream/callback")
def log_in_at_callback() -> Any:
    # A GET that writes, as OpenID Connect sends the browser back: the upstream identity is
    # linked to an account here (created, or activated, at its first log-in).
    client = _client()
    settings = app_settings()
    try:
        token = client.authorize_access_token()
    except OAuthError:
        return _refused(
            gettext("%(provider)s did not log you in.", provider=settings.upstream_name)
        )
    claims = token.get("userinfo") or {}
    try:
        account = federation.log_in_upstream(
            db_session(), settings.upstream_issuer, dict(claims), utcnow()
        )
    except federation.UpstreamRefused as error:
        return _refused(words.refusal(error))
    return finish(account, safe_next(session.pop(NEXT_KEY, None), url_for("two_factor.security")))


def _refused(message: str) -> Any:
    return render_template("error.html", status=403, message=message), 403

"""Connect, the OpenID Connect identity provider: its own Flask application, with its own
pages, look, session cookie and origin (CONNECT_ISSUER)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from onboarding.identity import clients
from onboarding.settings import Settings, get_settings
from web.application import attach_common, new_application
from web.connect import (
    account,
    federation,
    login,
    passkey_signup,
    passkeys,
    password,
    provider,
    register,
    two_factor,
)
from web.connect.i18n import init_i18n
from web.connect.limits import DEFAULTS, limiter
from web.connect.metrics import init_connect_metrics
from web.connect.oauth import init_oauth
from web.dates import init_dates
from web.metrics import init_metrics
from web.security import init_security


def create_connect_app(
    test_config: Mapping[str, Any] | None = None, settings: Settings | None = None
) -> Flask:
    """Connect's WSGI application, on `settings` (default: the process's, from the environment)."""
    settings = settings or get_settings()
    app = new_application(__name__, settings, test_config, IDP_NAME=settings.idp_name, **DEFAULTS)
    init_security(
        app,
        cookie_name="connect_session",
        secure=settings.reached_over_tls(settings.connect_issuer),
        form_action=" ".join(clients.destinations(settings)),
    )
    register.allow_captcha_scripts(app, settings)
    attach_common(app, limiter, "connect")
    init_metrics(app, database_figures=False)
    init_connect_metrics(app)
    init_oauth(app)
    init_i18n(app)
    init_dates(app)
    blueprints = (provider, login, register, password, two_factor, passkeys, passkey_signup)
    for module in (*blueprints, account, federation):
        app.register_blueprint(module.bp)

    return app

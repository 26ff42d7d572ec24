"""Connect, the OpenID Connect identity provider: its own Flask application, with its own
pages, look, session cookie and origin (CONNECT_ISSUER)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from onboarding.settings import Settings, get_settings
from web.connect import federation, login, password, provider, register, two_factor
from web.connect.i18n import init_i18n
from web.connect.limits import DEFAULTS, limiter
from web.connect.oauth import init_oauth
from web.db import TransactionalFlask
from web.errors import init_errors
from web.extensions import (
    JSONProvider,
    csrf,
    limiter_storage_uri,
    refuse_unshared_limits,
    trust_proxies,
)
from web.health import init_health
from web.security import init_security
from workers.celery_app import app as celery_app
from workers.kick import install as kick_outbox_after_commit


def create_connect_app(
    test_config: Mapping[str, Any] | None = None, settings: Settings | None = None
) -> Flask:
    """Connect's WSGI application, on `settings` (default: the process's, from the environment)."""
    settings = settings or get_settings()
    app = TransactionalFlask(__name__, settings)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        IDP_NAME=settings.idp_name,
        APP_NAME=settings.app_name,
        RATELIMIT_STORAGE_URI=limiter_storage_uri(settings),
        # Explicit: the limiter object is one per process and keeps the last app's choice.
        RATELIMIT_ENABLED=True,
        **DEFAULTS,
    )
    if test_config:
        app.config.update(test_config)
    app.json = JSONProvider(app)
    refuse_unshared_limits(app, settings)
    trust_proxies(app, settings)
    init_security(
        app,
        cookie_name="connect_session",
        secure=settings.reached_over_tls(settings.connect_issuer),
        # Forms and redirects lead back to the app, and to the upstream provider.
        form_action=" ".join(filter(None, [settings.app_base_url, settings.upstream_issuer])),
    )
    register.allow_captcha_scripts(app, settings)
    csrf.init_app(app)
    limiter.init_app(app)
    init_errors(app)
    init_oauth(app)
    init_i18n(app)
    # Activation and reset mails leave at once instead of at the next beat.
    kick_outbox_after_commit(celery_app)
    for module in (provider, login, register, password, two_factor, federation):
        app.register_blueprint(module.bp)
    init_health(app, celery_app)

    return app

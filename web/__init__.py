"""The Flask front: the app (people, invitations, login, accept, dashboard) and Connect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from onboarding.settings import Settings, get_settings
from web import hooks
from web.dashboard.wiring import register_dashboard
from web.db import TransactionalFlask
from web.dev_mail import init_dev_mail
from web.errors import init_errors
from web.extensions import (
    JSONProvider,
    csrf,
    limiter_storage_uri,
    make_limiter,
    refuse_unshared_limits,
    trust_proxies,
)
from web.front import init_front
from web.health import init_health
from web.ids import init_ids
from web.security import init_security
from workers.celery_app import app as celery_app
from workers.kick import install as kick_outbox_after_commit

limiter = make_limiter()

from web.connect import create_connect_app  # noqa: E402  (Connect, the second application)

__all__ = ["create_app", "create_connect_app", "limiter"]


def create_app(
    test_config: Mapping[str, Any] | None = None, settings: Settings | None = None
) -> Flask:
    """The app's WSGI application, on `settings` (default: the process's, from the environment)."""
    settings = settings or get_settings()
    app = TransactionalFlask(__name__, settings)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        APP_NAME=settings.app_name,
        RATELIMIT_STORAGE_URI=limiter_storage_uri(settings),
        # Explicit: the limiter object is one per process and keeps the last app's choice.
        RATELIMIT_ENABLED=True,
    )
    if test_config:
        app.config.update(test_config)
    app.json = JSONProvider(app)
    refuse_unshared_limits(app, settings)
    trust_proxies(app, settings)
    init_ids(app)
    init_security(
        app,
        cookie_name="app_session",
        secure=settings.reached_over_tls(settings.app_base_url),
        form_action=settings.oidc_issuer,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    init_errors(app)
    init_front(app)
    register_dashboard(app, limiter)
    kick_outbox_after_commit(celery_app)
    # Only beside the local sink: a deployment that forgot ONBOARDING_ENV but sends real mail
    # does not publish an inbox.
    init_dev_mail(app, enabled=settings.local_mail_sink)
    app.register_blueprint(hooks.bp)
    init_health(app, celery_app)

    return app

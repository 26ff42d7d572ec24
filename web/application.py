"""What the app and Connect are both made of: a Flask application on its own settings, one
transaction per request, shared rate-limit storage behind the configured proxies, CSRF, error
pages, the outbox kicked after commit, and health checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_limiter import Limiter

from onboarding.logs import configure_logging
from onboarding.settings import Settings
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
from web.request_log import init_request_log
from workers.celery_app import app as celery_app
from workers.kick import install as kick_outbox_after_commit


def new_application(
    import_name: str,
    settings: Settings,
    test_config: Mapping[str, Any] | None,
    **config: Any,
) -> Flask:
    """A Flask application on `settings`, configured with `config`, then `test_config`."""
    configure_logging(settings.log_format, settings.log_level)
    app = TransactionalFlask(import_name, settings)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        APP_NAME=settings.app_name,
        RATELIMIT_STORAGE_URI=limiter_storage_uri(settings),
        # Explicit: the limiter object is one per process and keeps the last app's choice.
        RATELIMIT_ENABLED=True,
        **config,
    )
    if test_config:
        app.config.update(test_config)
    app.json = JSONProvider(app)
    refuse_unshared_limits(app, settings)
    trust_proxies(app, settings)
    return app


def attach_common(app: Flask, limiter: Limiter, name: str) -> None:
    """Request ids, logs and latency (`name` in the metrics), CSRF on every form, `limiter`'s
    limits, error pages, mail sent right after commit (instead of at the next beat), and
    /healthz and /readyz."""
    init_request_log(app, name)
    csrf.init_app(app)
    limiter.init_app(app)
    init_errors(app)
    kick_outbox_after_commit(celery_app)
    init_health(app, celery_app)

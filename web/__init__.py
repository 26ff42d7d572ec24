"""The Flask front: the app (people, invitations, login, accept, dashboard) and Connect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from onboarding.settings import Settings, get_settings
from web import hooks
from web.application import attach_common, new_application
from web.dashboard.wiring import register_dashboard
from web.dev_mail import init_dev_mail
from web.extensions import make_limiter
from web.front import init_front
from web.ids import init_ids
from web.join import DEFAULTS as JOIN_LIMITS
from web.join import register_join
from web.security import init_security

limiter = make_limiter()

from web.connect import create_connect_app  # noqa: E402  (Connect, the second application)

__all__ = ["create_app", "create_connect_app", "limiter"]


def create_app(
    test_config: Mapping[str, Any] | None = None, settings: Settings | None = None
) -> Flask:
    """The app's WSGI application, on `settings` (default: the process's, from the environment)."""
    settings = settings or get_settings()
    app = new_application(__name__, settings, test_config, **JOIN_LIMITS)
    init_ids(app)
    init_security(
        app,
        cookie_name="app_session",
        secure=settings.reached_over_tls(settings.app_base_url),
        form_action=settings.oidc_issuer,
    )
    attach_common(app, limiter, "app")
    init_front(app)
    register_dashboard(app, limiter)
    register_join(app, limiter)
    # Only beside the local sink: a deployment that forgot ONBOARDING_ENV but sends real mail
    # does not publish an inbox.
    init_dev_mail(app, enabled=settings.local_mail_sink)
    app.register_blueprint(hooks.bp)

    return app

"""The Flask front: the app (people, invitations, login, accept, dashboard) and Connect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from onboarding.settings import get_settings


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The app's WSGI application."""
    settings = get_settings()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key)
    if test_config:
        app.config.update(test_config)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app

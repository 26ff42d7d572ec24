"""Flask extensions shared by the app and Connect, attached in each factory with init_app."""

from typing import Any

from flask import Flask, current_app
from flask.json.provider import DefaultJSONProvider
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from onboarding.settings import Settings

csrf = CSRFProtect()


def init_settings(app: Flask, settings: Settings) -> None:
    """Give `app` its settings, read by its views through `app_settings()`."""
    app.extensions["settings"] = settings


def app_settings() -> Settings:
    """The settings of the application handling the request."""
    settings: Settings = current_app.extensions["settings"]
    return settings


def limiter_storage_uri(settings: Settings) -> str:
    """Redis when configured, so that limits hold across processes; memory otherwise."""
    return settings.redis_url or "memory://"


def make_limiter() -> Limiter:
    """The storage comes from each application's RATELIMIT_STORAGE_URI (see
    `limiter_storage_uri`), read when the application is created, not when this is imported."""
    return Limiter(
        key_func=get_remote_address,
        strategy="moving-window",
        headers_enabled=True,
    )


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, where a body nested too deeply to parse is bad JSON like any other."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("The JSON is nested too deeply.") from None

"""What the app and Connect are both made of: a Flask application on its own settings, one
transaction per request, shared rate-limit storage behind the configured proxies, CSRF, error
pages, the outbox kicked after commit, and health checks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

from flask import Flask, has_request_context
from flask.globals import request_ctx
from flask.templating import Environment
from flask_limiter import Limiter
from jinja2 import pass_context
from jinja2.runtime import Context

from onboarding.logs import configure_logging
from onboarding.settings import Settings
from onboarding.template_globals import SharedGlobals
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

# What Jinja marks a function with that wants the template's context as first argument.
_TAKES_CONTEXT = pass_context(lambda context: None).jinja_pass_arg  # type: ignore[attr-defined]
_FUNCTIONS = (FunctionType, MethodType, BuiltinFunctionType)


class PageContext(Context):
    """Jinja's template context, whose calls of functions (a page makes a dozen or two: its
    messages, links, token) cost less. For any callable Jinja looks for a mark, on it and on
    its `__call__`, to know what to pass it; a function or method can carry the mark only on
    itself. Called outside loops and blocks that set variables (where Jinja passes a context
    of its own), a function takes either nothing or this context."""

    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if (
            type(__obj) in _FUNCTIONS
            and not kwargs.get("_loop_vars")
            and not kwargs.get("_block_vars")
        ):
            takes = getattr(__obj, "jinja_pass_arg", None)
            if takes is None or takes is _TAKES_CONTEXT:
                kwargs.pop("_loop_vars", None)
                kwargs.pop("_block_vars", None)
                try:
                    if takes is _TAKES_CONTEXT:
                        return __obj(__self, *args, **kwargs)
                    return __obj(*args, **kwargs)
                except StopIteration:  # as Jinja answers it
                    return __self.environment.undefined(
                        "value was undefined because a callable raised a StopIteration exception"
                    )
        return super().call(__obj, *args, **kwargs)


class Pages(SharedGlobals, Environment):
    """Flask's template environment, whose templates read its globals themselves (see
    `SharedGlobals`) and call functions through `PageContext`."""

    context_class = PageContext


class Application(TransactionalFlask):
    """A transactional application whose pages cost less to make: see `Pages`, and `url_for`."""

    jinja_environment = Pages

    def __init__(self, import_name: str, settings: Settings) -> None:
        super().__init__(import_name, settings)
        self._fixed_urls: dict[tuple[str, str, str, str | None], str] = {}

    def url_for(self, /, endpoint: str, **options: Any) -> str:
        """Flask's; a page's links to static files and to routes without values (a stylesheet,
        the log-in page) are built once per script root rather than at every render (no
        `url_defaults` of ours fills them from the request). A value of None counts as none
        given: it is what `_anchor`, `_external` … mean when left out (Flask's `url_for`
        helper passes them all), and a route's value of None is left out of the URL."""
        given = [name for name, value in options.items() if value is not None]
        static = endpoint == "static" and given == ["filename"]
        if (given and not static) or endpoint[:1] == "." or not has_request_context():
            return super().url_for(endpoint, **options)
        adapter = request_ctx.url_adapter
        key = (adapter.script_name, adapter.subdomain, endpoint, options.get("filename"))
        url = self._fixed_urls.get(key)
        if url is None:
            url = super().url_for(endpoint, **options)
            if url.startswith("/"):  # not one made external for another host
                self._fixed_urls[key] = url
        return url


def new_application(
    import_name: str,
    settings: Settings,
    test_config: Mapping[str, Any] | None,
    **config: Any,
) -> Flask:
    """A Flask application on `settings`, configured with `config`, then `test_config`."""
    configure_logging(settings.log_format, settings.log_level)
    app = Application(import_name, settings)
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

"""Flask extensions shared by the app and Connect, attached in each factory with init_app."""

import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import flask_limiter
from flask import Flask, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from limits import RateLimitItem
from limits.strategies import FixedWindowRateLimiter
from limits.util import WindowStats
from werkzeug.middleware.proxy_fix import ProxyFix

from onboarding.rate_limit_fallback import fallback_storage_uri
from onboarding.rate_limits import database_storage_uri, read_windows
from onboarding.settings import Settings
from web.signing import csrf_token

_T = TypeVar("_T")
_UNKNOWN: Any = object()  # not looked up yet in this request (`g` may hold None)


def once_per_request(name: str, look_up: Callable[[], _T]) -> _T:
    """`look_up()`, made at the first call of the request and kept in `g` under `name` (None
    too): who is logged in is asked several times by every page (language, zone, navigation)."""
    value: _T = g.get(name, _UNKNOWN)
    if value is _UNKNOWN:
        value = look_up()
        setattr(g, name, value)
    return value


class CSRF(CSRFProtect):
    """Flask-WTF's CSRF protection, whose templates' `csrf_token()` signs with a serializer
    kept per application (see `web.signing.csrf_token`), the same tokens it checks. Templates
    find it among the environment's globals: no context processor gives it to each render.
    A request whose method it does not check (a page's GET) is let through before looking
    for the view's exemption, with the same outcome."""

    def init_app(self, app: Flask) -> None:
        processors = app.template_context_processors[None]
        kept = list(processors)
        super().init_app(app)
        processors[:] = kept
        app.jinja_env.globals["csrf_token"] = csrf_token

    def protect(self, apply_exemptions: bool = False) -> None:
        if request.method in current_app.config["WTF_CSRF_METHODS"]:
            super().protect(apply_exemptions)


csrf = CSRF()


def init_settings(app: Flask, settings: Settings) -> None:
    """Give `app` its settings, read by its views through `app_settings()`."""
    app.extensions["settings"] = settings


def app_settings() -> Settings:
    """The settings of the application handling the request."""
    settings: Settings = current_app.extensions["settings"]
    return settings


def configured(name: str) -> Callable[[], str]:
    """A limit read from the application's config, so that a deployment (or a test) tunes it."""
    return lambda: current_app.config[name]


def limiter_storage_uri(settings: Settings) -> str:
    """Redis when configured (the database while Redis does not answer), the database
    otherwise: either way every process shares the counts, so that a limit holds however many
    workers serve the requests."""
    if settings.redis_url:
        return fallback_storage_uri(settings.redis_url, database_storage_uri(settings))
    return database_storage_uri(settings)


def _request_windows() -> dict[str, tuple[int, float]]:
    """The windows (count, end) this request read or counted, by key."""
    windows: dict[str, tuple[int, float]] = g.setdefault("limit_windows", {})
    return windows


class _FixedWindows(FixedWindowRateLimiter):
    """Fixed windows that take a limit's count from what the request read already (see
    `Limiter._read_windows`) and keep what its own hits counted on it, so that the rate-limit
    headers after the view need no other reads. Hits always count in the storage."""

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        key = item.key_for(*identifiers)
        count = self.storage.incr(key, item.get_expiry(), amount=cost)
        # Only a window read before is kept: keeping one that this hit began, and reading the
        # others again, would make the work of a request tell whether its key was seen before.
        windows = _request_windows()
        if key in windows:
            began = count == cost
            windows[key] = (count, time.time() + item.get_expiry() if began else windows[key][1])
        return count <= item.amount

    def test(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        window = _request_windows().get(item.key_for(*identifiers))
        if window is None:
            return super().test(item, *identifiers, cost=cost)
        return window[0] < item.amount - cost + 1

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        window = _request_windows().get(item.key_for(*identifiers))
        if window is None:
            return super().get_window_stats(item, *identifiers)
        return WindowStats(window[1], max(0, item.amount - window[0]))


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter, whose hook before every view checks only what applies before the view:
    limits on the whole application, default limits, and limits on the request's blueprint.
    We set only the last, on a few blueprints (some for some methods only); a route's own
    limits are checked by its decorator. Elsewhere the hook has nothing to count, and skips
    resolving that nothing; so do its hooks after the view (headers, deductions that depend
    on the answer, clean-up) on a request where no limit was checked.

    A route's limits counted only when its view fails (Connect's failed log-ins, in tiers) are
    read together, in one round trip to the storage instead of one each, and again for the
    headers (see `_FixedWindows`)."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        if self.enabled and self._strategy == "fixed-window":  # a disabled one has no storage
            self._limiter = _FixedWindows(self.storage)
        after = app.after_request_funcs.setdefault(None, [])
        after[:] = [
            self._where_checked(hook)
            if isinstance(hook, partial) and hook.args == (self,)
            else hook
            for hook in after
        ]
        teardown = app.teardown_request_funcs.setdefault(None, [])
        teardown[:] = [
            self._where_checked(hook) if getattr(hook, "__self__", None) is self else hook
            for hook in teardown
        ]

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if in_middleware and not self._limits_before_views(request.blueprint, request.method):
            return
        g.limits_checked = True
        if not in_middleware:
            self._read_windows(callable_name)
        super()._check_request_limit(callable_name, in_middleware)

    def _read_windows(self, callable_name: str | None) -> None:
        """Read the windows of the route's limits that count only failures, in one go (a
        window read in vain, of a limit that turns out exempt, costs only its share of the
        round trip; one not read here is read by itself when checked)."""
        endpoint = self.identify_request()
        _, decorated = self.limit_manager.resolve_limits(
            current_app, endpoint, request.blueprint, callable_name
        )
        prefix = [self._key_prefix] if self._key_prefix else []
        method = request.method
        keys = [
            limit.limit.key_for(*prefix, limit.key_func(), limit.scope_for(endpoint, method))
            for limit in decorated
            if limit.deduct_when
        ]
        if keys:
            windows = _request_windows()
            windows.update(zip(keys, read_windows(self.storage, keys), strict=True))

    @staticmethod
    def _where_checked(hook: Callable[[_T], Any]) -> Callable[[_T], Any]:
        def where_checked(value: _T) -> Any:
            return hook(value) if g.get("limits_checked") else value

        return where_checked

    def _limits_before_views(self, blueprint: str | None, method: str) -> bool:
        manager = self.limit_manager
        if manager._application_limits or manager._default_limits or self._meta_limits:
            return True
        if not blueprint:
            return False
        # A nested blueprint's name holds its parents' ("api.v1"): their limits apply too. A
        # limit on some methods only (a form's POST) leaves the others (its page's GET) alone.
        method = method.lower()
        return any(
            limit.methods is None or method in limit.methods
            for name in blueprint.split(".")
            for limit in manager._blueprint_limits.get(name, ())
        )


def make_limiter(key_prefix: str = "") -> Limiter:
    """The storage comes from each application's RATELIMIT_STORAGE_URI (see
    `limiter_storage_uri`), read when the application is created, not when this is imported.
    Fixed windows, the strategy both Redis and the database storage support."""
    return Limiter(
        key_func=get_remote_address,
        strategy="fixed-window",
        headers_enabled=True,
        key_prefix=key_prefix,
    )


def refuse_unshared_limits(app: Flask, settings: Settings) -> None:
    """In production, counts kept in one process's memory would let each worker grant its own
    tries: refuse to start with them."""
    if settings.production and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        raise RuntimeError(
            "Rate limits need storage shared by every process: set REDIS_URL, or leave "
            "RATELIMIT_STORAGE_URI unset to keep them in the database."
        )


def trust_proxies(app: Flask, settings: Settings) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, the client address and scheme are the ones the
    nearest proxy saw; headers a client adds itself are ignored beyond that many hops."""
    if settings.trusted_proxies:
        count = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, where a body nested too deeply to parse is bad JSON like any other."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("The JSON is nested too deeply.") from None

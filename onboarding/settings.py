"""One settings object, read from the environment, with defaults that work on a laptop."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(name: str, raw: str) -> timedelta:
    """Parse '30d', '24h', '90m', '45s', '2w' or plain seconds."""
    match = _DURATION.match(raw)
    if not match or int(match.group(1)) == 0:
        raise SettingsError(
            f"{name}: expected a positive duration such as 30d, 24h, 90m or 3600, got {raw!r}"
        )
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _url(name: str, raw: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(raw)
    scheme = parts.scheme.split("+")[0]
    if scheme not in schemes:
        raise SettingsError(
            f"{name}: expected a URL starting with {' or '.join(schemes)}, got {raw!r}"
        )
    if (
        scheme in ("http", "https", "smtp", "smtps", "redis", "rediss", "amqp")
        and not parts.hostname
    ):
        raise SettingsError(f"{name}: the URL {raw!r} has no host")
    return raw.rstrip("/") if scheme in ("http", "https") else raw


def _int(name: str, raw: str, minimum: int = 0) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name}: must be at least {minimum}, got {value}")
    return value


def _secret_key(env: Mapping[str, str], var_dir: Path, production: bool) -> str:
    if env.get("SECRET_KEY"):
        if len(env["SECRET_KEY"]) < 16:
            raise SettingsError("SECRET_KEY: must be at least 16 characters long")
        return env["SECRET_KEY"]
    if production:
        raise SettingsError("SECRET_KEY: required when ONBOARDING_ENV=production")
    # A development key that survives restarts, so sessions and signed links keep working.
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    environment: str
    var_dir: Path
    database_url: str
    celery_broker_url: str
    smtp_url: str
    app_base_url: str
    connect_issuer: str
    secret_key: str
    invitation_ttl: timedelta
    activation_ttl: timedelta
    app_name: str = "Measurements"
    idp_name: str = "Connect"
    mail_from: str = "Measurements <no-reply@example.com>"
    support_email: str = "support@example.com"
    redis_url: str | None = None
    webhook_secret: str = ""
    outbox_max_attempts: int = 8
    prometheus_multiproc_dir: str | None = None

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def identity_webhook_url(self) -> str:
        """Where Connect posts account events: the app's identity hook."""
        return f"{self.app_base_url}/hooks/identity"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `env` (default: the process environment); fail on bad values."""
        env = os.environ if env is None else env
        environment = env.get("ONBOARDING_ENV", "development")
        if environment not in ("development", "production", "test"):
            raise SettingsError(
                f"ONBOARDING_ENV: expected development, production or test, got {environment!r}"
            )
        production = environment == "production"
        var_dir = Path(env.get("ONBOARDING_VAR_DIR", "var")).resolve()
        database_url = _url(
            "DATABASE_URL",
            env.get("DATABASE_URL", f"sqlite:///{var_dir / 'onboarding.sqlite3'}"),
            ("sqlite", "postgresql"),
        )
        broker_default = f"filesystem://{var_dir / 'broker'}"
        broker = env.get("CELERY_BROKER_URL", broker_default)
        _url("CELERY_BROKER_URL", broker, ("redis", "rediss", "amqp", "filesystem", "memory"))
        secret_key = _secret_key(env, var_dir, production)
        redis_url = env.get("REDIS_URL") or None
        if redis_url:
            _url("REDIS_URL", redis_url, ("redis", "rediss"))
        return cls(
            environment=environment,
            var_dir=var_dir,
            database_url=database_url,
            celery_broker_url=broker,
            smtp_url=_url(
                "SMTP_URL", env.get("SMTP_URL", "smtp://127.0.0.1:8025"), ("smtp", "smtps")
            ),
            app_base_url=_url(
                "APP_BASE_URL", env.get("APP_BASE_URL", "http://127.0.0.1:5000"), ("http", "https")
            ),
            connect_issuer=_url(
                "CONNECT_ISSUER",
                env.get("CONNECT_ISSUER", "http://127.0.0.1:5001"),
                ("http", "https"),
            ),
            secret_key=secret_key,
            # Connect and the app share this secret; by default it is derived from SECRET_KEY.
            webhook_secret=env.get("WEBHOOK_SECRET")
            or hmac.new(secret_key.encode(), b"identity-webhook", hashlib.sha256).hexdigest(),
            invitation_ttl=parse_duration("INVITATION_TTL", env.get("INVITATION_TTL", "30d")),
            activation_ttl=parse_duration("ACTIVATION_TTL", env.get("ACTIVATION_TTL", "24h")),
            app_name=env.get("APP_NAME", "Measurements"),
            idp_name=env.get("IDP_NAME", "Connect"),
            mail_from=env.get("MAIL_FROM", "Measurements <no-reply@example.com>"),
            support_email=env.get("SUPPORT_EMAIL", "support@example.com"),
            redis_url=redis_url,
            outbox_max_attempts=_int("OUTBOX_MAX_ATTEMPTS", env.get("OUTBOX_MAX_ATTEMPTS", "8"), 1),
            prometheus_multiproc_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


_current: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, read once on first use."""
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current


def use_settings(settings: Settings | None) -> None:
    """Replace the process-wide settings (tests, and entry points that build their own)."""
    global _current
    _current = settings

"""One settings object, read from the environment, with defaults that work on a laptop."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


# The one list of defaults, written as in the environment. Variables missing here are empty by
# default, or derived from others: DATABASE_URL and CELERY_BROKER_URL from ONBOARDING_VAR_DIR,
# MAIL_REPLY_TO from SUPPORT_EMAIL, DKIM_DOMAIN from MAIL_FROM, WEBHOOK_SECRET and
# OIDC_CLIENT_SECRET from SECRET_KEY (generated under ONBOARDING_VAR_DIR outside production),
# OIDC_ISSUER from CONNECT_ISSUER when only that is given.
DEFAULTS: Mapping[str, str] = {
    "ONBOARDING_ENV": "development",
    "ONBOARDING_VAR_DIR": "var",
    "SMTP_URL": "smtp://127.0.0.1:8025",
    "APP_BASE_URL": "http://127.0.0.1:5000",
    "OIDC_ISSUER": "http://127.0.0.1:5001",
    "CONNECT_ISSUER": "http://127.0.0.1:5001",
    "INVITATION_TTL": "30d",
    "ACTIVATION_TTL": "24h",
    "APP_NAME": "Measurements",
    "IDP_NAME": "Connect",
    "TRUSTED_PROXIES": "0",
    "MAIL_FROM": "Measurements <no-reply@example.com>",
    "SUPPORT_EMAIL": "support@example.com",
    "DKIM_SELECTOR": "mail",
    "OUTBOX_BATCH_SIZE": "500",
    "OUTBOX_RETRY_BASE": "30s",
    "OUTBOX_RETRY_MAX": "1h",
    "OUTBOX_RETRY_FOR": "24h",
    "OUTBOX_LEASE": "5m",
    "OUTBOX_POLL_INTERVAL": "5s",
    "SWEEP_INTERVAL": "5m",
    "NUDGE_CAP": "3",
    "NUDGE_GAP": "1d",
    "HISTORY_DETAIL_RETENTION": "365d",
    "OUTBOX_BODY_RETENTION": "30d",
    "LINK_FETCH_RETENTION": "90d",
    "OIDC_CLIENT_ID": "app",
    "SIGNING_KEY_ROTATION": "30d",
    "PASSWORD_RESET_TTL": "1h",
    "CONNECT_TOKEN_RETENTION": "7d",
    "PASSWORD_MIN_LENGTH": "10",
    # argon2id at OWASP's recommendation: 19 MiB, 2 passes, 1 lane.
    "PASSWORD_HASH_MEMORY_KIB": "19456",
    "PASSWORD_HASH_TIME_COST": "2",
    "PASSWORD_HASH_PARALLELISM": "1",
    "CAPTCHA": "altcha",
    "ALTCHA_MAX_NUMBER": "100000",
    "UPSTREAM_NAME": "Google",
    "WEBHOOK_SECRET_OVERLAP": "24h",
    "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "0",
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "INFO",
}


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


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("", "0", "1", "true", "false"):
        raise SettingsError(f"{name}: expected 1 or 0, got {raw!r}")
    return value in ("1", "true")


def _require_https(urls: Mapping[str, str]) -> None:
    """Production sets Secure cookies and sends links: its public addresses must be https."""
    for name, url in urls.items():
        if not url.startswith("https://"):
            raise SettingsError(
                f"{name}: production needs an https:// address, got {url!r}; if a reverse "
                "proxy in front ends TLS, set TLS_TERMINATED_BY_PROXY=1"
            )


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


def _mail_settings(env: Mapping[str, str]) -> dict[str, Any]:
    mail_from = env["MAIL_FROM"]
    address = parseaddr(mail_from)[1]
    if "@" not in address:
        raise SettingsError(
            f"MAIL_FROM: expected an address like 'App <no-reply@example.com>', got {mail_from!r}"
        )
    support = env["SUPPORT_EMAIL"]
    key_file = env.get("DKIM_KEY_FILE") or None
    if key_file and not Path(key_file).is_file():
        raise SettingsError(f"DKIM_KEY_FILE: no such file {key_file!r}")
    return {
        "mail_from": mail_from,
        "support_email": support,
        "mail_reply_to": env.get("MAIL_REPLY_TO", support),
        "dkim_key_file": Path(key_file) if key_file else None,
        "dkim_selector": env["DKIM_SELECTOR"],
        "dkim_domain": env.get("DKIM_DOMAIN", address.rsplit("@", 1)[1]),
    }


def _outbox_settings(env: Mapping[str, str]) -> dict[str, Any]:
    def duration(name: str) -> timedelta:
        return parse_duration(name, env[name])

    return {
        "outbox_batch_size": _int("OUTBOX_BATCH_SIZE", env["OUTBOX_BATCH_SIZE"], 1),
        "outbox_retry_base": duration("OUTBOX_RETRY_BASE"),
        "outbox_retry_max": duration("OUTBOX_RETRY_MAX"),
        "outbox_retry_for": duration("OUTBOX_RETRY_FOR"),
        "outbox_lease": duration("OUTBOX_LEASE"),
        "outbox_poll_interval": duration("OUTBOX_POLL_INTERVAL"),
        "sweep_interval": duration("SWEEP_INTERVAL"),
        "celery_key_prefix": env.get("CELERY_KEY_PREFIX", ""),
        "nudge_schedule": _nudge_schedule(env.get("NUDGE_SCHEDULE", "")),
        "nudge_cap": _int("NUDGE_CAP", env["NUDGE_CAP"]),
        "nudge_gap": duration("NUDGE_GAP"),
        "history_detail_retention": duration("HISTORY_DETAIL_RETENTION"),
        "outbox_body_retention": duration("OUTBOX_BODY_RETENTION"),
        "link_fetch_retention": duration("LINK_FETCH_RETENTION"),
        "webhook_secret_overlap": duration("WEBHOOK_SECRET_OVERLAP"),
        "webhooks_allow_private_addresses": _flag(
            "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", env["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"]
        ),
    }


# Delay per nudge kind: since entering the state, or (expiring) before the invitation expires.
NUDGE_DEFAULTS = {
    "invited": timedelta(days=3),
    "registered": timedelta(hours=12),
    "activation_expired": timedelta(hours=25),
    "activated": timedelta(days=1),
    "logged_in": timedelta(days=1),
    "expiring": timedelta(days=3),
}


def _log_settings(env: Mapping[str, str]) -> dict[str, Any]:
    log_format = env["LOG_FORMAT"].strip().lower()
    if log_format not in ("json", "text"):
        raise SettingsError(f"LOG_FORMAT: expected json or text, got {env['LOG_FORMAT']!r}")
    level = env["LOG_LEVEL"].strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise SettingsError(
            f"LOG_LEVEL: expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {env['LOG_LEVEL']!r}"
        )
    return {"log_format": log_format, "log_level": level}


def _nudge_schedule(raw: str) -> dict[str, timedelta]:
    """'invited=3d,expiring=2d,activated=off': the defaults, changed where given."""
    schedule = dict(NUDGE_DEFAULTS)
    for item in filter(None, (part.strip() for part in raw.split(","))):
        kind, _, value = item.partition("=")
        kind = kind.strip()
        if kind not in NUDGE_DEFAULTS:
            raise SettingsError(
                f"NUDGE_SCHEDULE: unknown nudge {kind!r} (known: {', '.join(NUDGE_DEFAULTS)})"
            )
        if value.strip() == "off":
            del schedule[kind]
        else:
            schedule[kind] = parse_duration(f"NUDGE_SCHEDULE {kind}", value)
    return schedule


@dataclass(frozen=True)
class Settings:
    environment: str
    var_dir: Path
    database_url: str
    celery_broker_url: str
    smtp_url: str
    app_base_url: str
    # The app's OpenID Connect provider (Connect or any other), and Connect's own address.
    oidc_issuer: str
    connect_issuer: str
    secret_key: str
    invitation_ttl: timedelta
    activation_ttl: timedelta
    app_name: str
    idp_name: str
    mail_from: str
    support_email: str
    # Rate limits and the captcha's single use are kept in Redis when set, else in the database.
    redis_url: str | None
    # Reverse proxies in front of the apps: the client address is the one the nearest of them
    # saw (X-Forwarded-For), so that limits per address do not put every client in one bucket.
    trusted_proxies: int
    # TLS ends at a reverse proxy in front: http:// base URLs are then allowed in production,
    # and cookies stay Secure because browsers still reach the proxy over https.
    tls_terminated_by_proxy: bool
    webhook_secret: str
    # Attempts after which a failing message is dead even within outbox_retry_for; no cap if None.
    outbox_max_attempts: int | None
    prometheus_multiproc_dir: str | None
    # Bearer token Prometheus sends to /metrics; without one, /metrics is off in production.
    metrics_token: str | None
    # Rows claimed (and mails sent over one connection) at a time; sending stops near the
    # end of the lease whatever the size.
    outbox_batch_size: int
    # Retry n waits outbox_retry_base * 2**(n-1), at most outbox_retry_max, less up to half.
    outbox_retry_base: timedelta
    outbox_retry_max: timedelta
    # A failing message is retried this long after it was written, then dead (as mail servers do).
    outbox_retry_for: timedelta
    # A claimed row is due again after the lease, so a worker killed mid-batch loses nothing.
    outbox_lease: timedelta
    outbox_poll_interval: timedelta
    sweep_interval: timedelta
    # Reminders: how long a journey waits in a stuck state before its nudge (see nudges.py).
    nudge_schedule: Mapping[str, timedelta]
    nudge_cap: int
    nudge_gap: timedelta
    # How long the app keeps what it no longer needs of a person (see journeys/retention.py):
    # history details of finished journeys, delivered outbox bodies, link-fetch facts.
    history_detail_retention: timedelta
    outbox_body_retention: timedelta
    link_fetch_retention: timedelta
    # Organizations' webhooks: how long a rotated secret still signs (beside the new one), and
    # whether endpoints on loopback or private addresses are allowed (development and tests).
    webhook_secret_overlap: timedelta
    webhooks_allow_private_addresses: bool
    # Redis key prefix of the broker, so that several deployments can share one Redis.
    celery_key_prefix: str
    mail_reply_to: str
    # DKIM signing of outgoing mail, when a private key file is configured.
    dkim_key_file: Path | None
    dkim_selector: str
    dkim_domain: str
    # Connect: OIDC clients, keys, passwords, captcha, federation (see onboarding.identity).
    oidc_client_id: str
    oidc_client_secret: str
    connect_clients: str
    signing_key_rotation: timedelta
    password_reset_ttl: timedelta
    # How long used or expired codes, access tokens and mailed links are kept before the purge.
    connect_token_retention: timedelta
    password_min_length: int
    # argon2id parameters of new hashes; stored hashes with others are upgraded at log-in.
    password_hash_memory_kib: int
    password_hash_time_cost: int
    password_hash_parallelism: int
    captcha: str
    altcha_max_number: int
    recaptcha_site_key: str
    recaptcha_secret_key: str
    upstream_name: str
    upstream_issuer: str
    upstream_client_id: str
    upstream_client_secret: str
    # Logs on stderr: one JSON object a line ("json"), or readable lines ("text").
    log_format: str
    log_level: str

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def local_mail_sink(self) -> bool:
        """Whether mail goes to the local development sink (and its /dev/mail inbox)."""
        return not self.production and urlsplit(self.smtp_url).hostname in (
            "127.0.0.1",
            "localhost",
            "::1",
        )

    def reached_over_tls(self, base_url: str) -> bool:
        """Whether browsers reach `base_url` over TLS, directly or through the proxy."""
        return self.tls_terminated_by_proxy or base_url.startswith("https://")

    @property
    def identity_webhook_url(self) -> str:
        """Where Connect posts account events: the app's identity hook."""
        return f"{self.app_base_url}/hooks/identity"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `env` (default: the process environment); fail on bad values."""
        given = os.environ if env is None else env
        env = {**DEFAULTS, **given}
        environment = env["ONBOARDING_ENV"]
        if environment not in ("development", "production", "test"):
            raise SettingsError(
                f"ONBOARDING_ENV: expected development, production or test, got {environment!r}"
            )
        production = environment == "production"
        var_dir = Path(env["ONBOARDING_VAR_DIR"]).resolve()
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
        tls_by_proxy = _flag("TLS_TERMINATED_BY_PROXY", env.get("TLS_TERMINATED_BY_PROXY", ""))
        app_base_url = _url("APP_BASE_URL", env["APP_BASE_URL"], ("http", "https"))
        issuers = _issuers(env, given)
        if production and not tls_by_proxy:
            # Each address by the variable it came from. With OIDC_ISSUER alone, the app's
            # provider is another one and Connect's default loopback address is not public.
            public = {"APP_BASE_URL": app_base_url}
            if given.get("OIDC_ISSUER"):
                public["OIDC_ISSUER"] = issuers["oidc_issuer"]
            if given.get("CONNECT_ISSUER") or not given.get("OIDC_ISSUER"):
                public["CONNECT_ISSUER"] = issuers["connect_issuer"]
            _require_https(public)
        return cls(
            environment=environment,
            var_dir=var_dir,
            database_url=database_url,
            celery_broker_url=broker,
            smtp_url=_url("SMTP_URL", env["SMTP_URL"], ("smtp", "smtps")),
            app_base_url=app_base_url,
            **issuers,
            tls_terminated_by_proxy=tls_by_proxy,
            secret_key=secret_key,
            # Connect and the app share this secret; by default it is derived from SECRET_KEY.
            webhook_secret=env.get("WEBHOOK_SECRET")
            or hmac.new(secret_key.encode(), b"identity-webhook", hashlib.sha256).hexdigest(),
            invitation_ttl=parse_duration("INVITATION_TTL", env["INVITATION_TTL"]),
            activation_ttl=parse_duration("ACTIVATION_TTL", env["ACTIVATION_TTL"]),
            app_name=env["APP_NAME"],
            idp_name=env["IDP_NAME"],
            redis_url=redis_url,
            trusted_proxies=_int("TRUSTED_PROXIES", env["TRUSTED_PROXIES"], 0),
            outbox_max_attempts=_int("OUTBOX_MAX_ATTEMPTS", env["OUTBOX_MAX_ATTEMPTS"], 1)
            if env.get("OUTBOX_MAX_ATTEMPTS")
            else None,
            prometheus_multiproc_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
            metrics_token=env.get("METRICS_TOKEN") or None,
            **_log_settings(env),
            **_mail_settings(env),
            **_outbox_settings(env),
            **_connect_settings(env, secret_key),
        )

    @property
    def federation_enabled(self) -> bool:
        return bool(self.upstream_issuer and self.upstream_client_id)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _issuers(env: Mapping[str, str], given: Mapping[str, str]) -> dict[str, Any]:
    """OIDC_ISSUER, the app's provider, and CONNECT_ISSUER, Connect's own public address.

    `env` holds the defaults under the `given` variables. CONNECT_ISSUER used to name the app's
    provider too: given alone, it still does, with a warning.
    """
    connect = _url("CONNECT_ISSUER", env["CONNECT_ISSUER"], ("http", "https"))
    if given.get("OIDC_ISSUER"):
        issuer = given["OIDC_ISSUER"]
    elif given.get("CONNECT_ISSUER"):
        logging.getLogger(__name__).warning(
            "CONNECT_ISSUER is read as the app's issuer because OIDC_ISSUER is not set; "
            "set OIDC_ISSUER to the app's issuer"
        )
        issuer = connect
    else:
        issuer = DEFAULTS["OIDC_ISSUER"]
    return {
        "oidc_issuer": _url("OIDC_ISSUER", issuer, ("http", "https")),
        "connect_issuer": connect,
    }


def _derived(secret_key: str, purpose: bytes) -> str:
    return hmac.new(secret_key.encode(), purpose, hashlib.sha256).hexdigest()


def _connect_settings(env: Mapping[str, str], secret_key: str) -> dict[str, Any]:
    captcha = env["CAPTCHA"]
    if captcha not in ("altcha", "recaptcha"):
        raise SettingsError(f"CAPTCHA: expected altcha or recaptcha, got {captcha!r}")
    if captcha == "recaptcha" and not (
        env.get("RECAPTCHA_SITE_KEY") and env.get("RECAPTCHA_SECRET_KEY")
    ):
        raise SettingsError("CAPTCHA=recaptcha needs RECAPTCHA_SITE_KEY and RECAPTCHA_SECRET_KEY")
    clients = env.get("CONNECT_CLIENTS", "")
    if clients:
        _check_clients(clients)
    upstream = env.get("UPSTREAM_ISSUER", "")
    if upstream:
        _url("UPSTREAM_ISSUER", upstream, ("http", "https"))
        if not (env.get("UPSTREAM_CLIENT_ID") and env.get("UPSTREAM_CLIENT_SECRET")):
            raise SettingsError(
                "UPSTREAM_ISSUER needs UPSTREAM_CLIENT_ID and UPSTREAM_CLIENT_SECRET"
            )
    return {
        "oidc_client_id": env["OIDC_CLIENT_ID"],
        "oidc_client_secret": env.get("OIDC_CLIENT_SECRET") or _derived(secret_key, b"oidc-client"),
        "connect_clients": clients,
        "signing_key_rotation": parse_duration("SIGNING_KEY_ROTATION", env["SIGNING_KEY_ROTATION"]),
        "password_reset_ttl": parse_duration("PASSWORD_RESET_TTL", env["PASSWORD_RESET_TTL"]),
        "connect_token_retention": _retention(env["CONNECT_TOKEN_RETENTION"]),
        "password_min_length": _int("PASSWORD_MIN_LENGTH", env["PASSWORD_MIN_LENGTH"], 8),
        "password_hash_memory_kib": _int(
            "PASSWORD_HASH_MEMORY_KIB", env["PASSWORD_HASH_MEMORY_KIB"], 8192
        ),
        "password_hash_time_cost": _int(
            "PASSWORD_HASH_TIME_COST", env["PASSWORD_HASH_TIME_COST"], 1
        ),
        "password_hash_parallelism": _int(
            "PASSWORD_HASH_PARALLELISM", env["PASSWORD_HASH_PARALLELISM"], 1
        ),
        "captcha": captcha,
        "altcha_max_number": _int("ALTCHA_MAX_NUMBER", env["ALTCHA_MAX_NUMBER"], 10),
        "recaptcha_site_key": env.get("RECAPTCHA_SITE_KEY", ""),
        "recaptcha_secret_key": env.get("RECAPTCHA_SECRET_KEY", ""),
        "upstream_name": env["UPSTREAM_NAME"],
        "upstream_issuer": upstream.rstrip("/"),
        "upstream_client_id": env.get("UPSTREAM_CLIENT_ID", ""),
        "upstream_client_secret": env.get("UPSTREAM_CLIENT_SECRET", ""),
    }


def _retention(raw: str) -> timedelta:
    retention = parse_duration("CONNECT_TOKEN_RETENTION", raw)
    # Kept authorization codes remember nonces: that memory must outlive any ID token.
    if retention < timedelta(days=1):
        raise SettingsError(f"CONNECT_TOKEN_RETENTION: at least 1d, got {raw!r}")
    return retention


def _check_clients(raw: str) -> None:
    """CONNECT_CLIENTS: a JSON list of {"client_id", "client_secret", "redirect_uris": [...]}."""
    try:
        entries = json.loads(raw)
        valid = isinstance(entries, list) and all(
            isinstance(e, dict)
            and isinstance(e.get("client_id"), str)
            and isinstance(e.get("client_secret"), str)
            and len(e["client_secret"]) >= 16
            and isinstance(e.get("redirect_uris"), list)
            and all(
                isinstance(u, str) and u.startswith(("http://", "https://"))
                for u in e["redirect_uris"]
            )
            and isinstance(e.get("offline_access", False), bool)
            for e in entries
        )
    except ValueError:
        valid = False
    if not valid:
        raise SettingsError(
            "CONNECT_CLIENTS: expected a JSON list of objects with client_id, client_secret "
            "(at least 16 characters) and redirect_uris (a list of http(s) URLs), optionally "
            "offline_access (true or false)"
        )


_current: Settings | None = None


def get_settings() -> Settings:
    """The process's settings, read from the environment once: the default of the entry
    points (CLI, app factories, workers, migrations); everything else is given settings."""
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current


def use_settings(settings: Settings | None) -> None:
    """Replace the process-wide settings (tests, and entry points that build their own)."""
    global _current
    _current = settings

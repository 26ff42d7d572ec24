"""Connect's rate limits, on the shared limiter storage (Redis when REDIS_URL is set).

Limits are read from the app config, so that a deployment (or a test) can tune them. Failed
log-ins count per account in tiers (a minute, an hour, a day): each failure beyond a tier
makes the wait longer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

DEFAULTS = {
    "LIMIT_LOGIN_PER_IP": "30 per minute;300 per hour",
    "LIMIT_LOGIN_FAILURES_PER_ACCOUNT": "5 per minute;20 per hour;50 per day",
    "LIMIT_REGISTER": "10 per hour",
    "LIMIT_FORGOT": "10 per hour",
    "LIMIT_FORGOT_PER_ADDRESS": "3 per hour",
    "LIMIT_RESEND": "5 per hour",
    "LIMIT_TOTP_FAILURES": "5 per minute;20 per hour",
}

limiter = Limiter(
    key_func=get_remote_address,
    strategy="moving-window",
    headers_enabled=True,
    key_prefix="connect",
)


def configured(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def address_key() -> str:
    """The submitted email, hashed: per-account limits that work alike for unknown addresses."""
    email = (request.form.get("email") or "").strip().lower()
    return "address:" + hashlib.sha256(email.encode()).hexdigest()


def failed() -> None:
    """Mark this request as a failed attempt, to be counted by `count_failures`."""
    g.attempt_failed = True


def count_failures(_response: object) -> bool:
    return bool(g.get("attempt_failed"))


def code_attempts(scope: str, key_func: Callable[[], str]) -> Any:
    """Wrong two-factor codes count against `key_func`'s key, per `scope`, on shared storage."""
    return limiter.limit(
        configured("LIMIT_TOTP_FAILURES"),
        key_func=key_func,
        deduct_when=count_failures,
        scope=scope,
    )

"""Connect's rate limits, on storage every process shares (Redis when REDIS_URL is set, the
database otherwise).

Limits are read from the app config, so that a deployment (or a test) can tune them. Failed
log-ins count per account in tiers (a minute, an hour, a day): each failure beyond a tier
makes the wait longer. Accounts are keyed by the address as `normalise_email` finds them, so
that look-alike spellings of one address share one count.

The owner keeps access (OWASP "device cookies"): a browser that logged in to an account before
carries a signed cookie for it and has an allowance of its own, while failures from every other
browser count against the account, and the owner hears of it (`log_ins_throttled`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from flask import after_this_request, current_app, g, request, session
from flask_limiter import RequestLimit
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from onboarding import errors
from onboarding.email_address import normalise_email
from onboarding.identity import accounts, mails
from web.connect.auth import current_account
from web.connect.metrics import LOG_IN_FAILURES
from web.db import db_session
from web.extensions import configured, make_limiter

DEFAULTS = {
    "LIMIT_LOGIN_PER_IP": "30 per minute;300 per hour",
    "LIMIT_LOGIN_FAILURES_PER_ACCOUNT": "5 per minute;20 per hour;50 per day",
    "LIMIT_REGISTER": "10 per hour",
    "LIMIT_REGISTER_PER_ADDRESS": "3 per hour",
    "LIMIT_FORGOT": "10 per hour",
    "LIMIT_FORGOT_PER_ADDRESS": "3 per hour",
    "LIMIT_RESEND": "5 per hour",
    "LIMIT_TOTP_FAILURES": "5 per minute;20 per hour",
}
DEVICE_COOKIE = "connect_device"
# The details of this browser's last registration, for the Thank-you page's "Send it again".
REGISTERED_KEY = "registered"
DEVICE_COOKIE_AGE = 365 * 24 * 3600

limiter = make_limiter(key_prefix="connect")


def _address_hash(raw: str | None = None) -> str:
    """The submitted address (or `raw`), canonical and hashed. The submitted one is worked out
    once a request: each limit on it asks (a log-in's three tiers, checked and counted), and
    checking an address's syntax costs more than the rest of a limit's check."""
    if raw is not None:
        return _hashed(raw)
    if "address_hash" not in g:
        g.address_hash = _hashed(request.form.get("email") or "")
    hashed: str = g.address_hash
    return hashed


def _hashed(raw: str) -> str:
    try:
        address = normalise_email(raw)
    except errors.ValidationError:
        # Not an address any account has; counted all the same, as typed.
        address = raw.strip().lower()
    return hashlib.sha256(address.encode()).hexdigest()


def address_key() -> str:
    """The submitted email in its canonical form, hashed: per-account limits that hold for
    every spelling of an address, and work alike for unknown addresses."""
    return "address:" + _address_hash()


def registered_address_key() -> str:
    """`address_key` of the address this browser registered (see the Thank-you page)."""
    return "address:" + _address_hash(session.get(REGISTERED_KEY, {}).get("email", ""))


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="connect-device")


def login_key() -> str:
    """The device's own key when this browser logged in to the submitted account before, else
    the account's key, shared by every unknown device. Worked out once a request: each tier
    of the limit asks, when checked and when counted."""
    if "login_key" not in g:
        g.login_key = _login_key()
    key: str = g.login_key
    return key


def _login_key() -> str:
    try:
        device = _devices().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        device = None
    address = _address_hash()
    if isinstance(device, dict) and device.get("address") == address:
        return f"device:{device['nonce']}"
    return "address:" + address


def remember_device() -> None:
    """Mark this browser as one the submitted account logged in from (on the response)."""
    value = _devices().dumps({"address": _address_hash(), "nonce": secrets.token_urlsafe(16)})

    @after_this_request
    def set_cookie(response: Response) -> Response:
        response.set_cookie(
            DEVICE_COOKIE,
            value,
            max_age=DEVICE_COOKIE_AGE,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
        return response


def log_ins_throttled(limit: RequestLimit) -> None:
    """Log-ins to an account from unknown browsers are held back: mail its owner, once while
    the breached limit's window lasts."""
    if not login_key().startswith("address:"):
        return
    try:
        address = normalise_email(request.form.get("email") or "")
    except errors.ValidationError:
        return
    session = db_session()
    account = accounts.find_by_email(session, address)
    if account is None:
        return
    told = f"log-ins-throttled/{account.id}"
    if limiter.storage.incr(told, limit.limit.get_expiry()) == 1:
        mails.log_ins_throttled(session, account, f"{account.id}:{limit.reset_at}")
        # Committed here: a refused request never reaches its view.
        session.commit()


def failed() -> None:
    """Mark this request as a failed attempt, to be counted by `count_failures` (and in the
    metrics, by the endpoint that refused it)."""
    g.attempt_failed = True
    LOG_IN_FAILURES.labels(request.endpoint or "unmatched").inc()


def count_failures(_response: object) -> bool:
    return bool(g.get("attempt_failed"))


def account_key() -> str:
    """The logged-in account's key: confirmations it is asked for count per account."""
    account = current_account()
    return f"account:{account.id if account else 0}"


def code_attempts(scope: str, key_func: Callable[[], str]) -> Any:
    """Wrong two-factor codes count against `key_func`'s key, per `scope`, on shared storage."""
    return limiter.limit(
        configured("LIMIT_TOTP_FAILURES"),
        key_func=key_func,
        deduct_when=count_failures,
        scope=scope,
    )

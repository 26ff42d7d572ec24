"""Log-in (email and password, then the second factor when enabled) and log-out."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from onboarding.clock import utcnow
from onboarding.identity import accounts, two_factor
from onboarding.identity.models import Account
from web.connect import auth
from web.connect.limits import (
    code_attempts,
    configured,
    count_failures,
    failed,
    limiter,
    log_ins_throttled,
    login_key,
    remember_device,
)
from web.connect.login_page import login_page
from web.connect.provider import after_log_in
from web.db import db_session
from web.security import safe_next

bp = Blueprint("login", __name__)
# The ID token's `amr` (RFC 8176): a password; a one-time code as the second factor.
PASSWORD_AMR = ["pwd"]
SECOND_FACTOR_AMR = ["otp", "mfa"]


def _next() -> str:
    return safe_next(request.values.get("next"), url_for("two_factor.security"))


def finish(account: Account, next_url: str, amr: list[str] | None = None) -> Response:
    """Password (or upstream) accepted, by the methods `amr`: log in now, or ask for the
    second factor first."""
    if account.totp_enabled:
        auth.start_second_factor(account, next_url, amr)
        return redirect(url_for("login.second_factor"))
    auth.log_in_account(account, amr)
    return after_log_in(next_url)


@bp.get("/login")
def login() -> Any:
    # login_hint: the address the client expects (OpenID Connect Core 3.1.2.1).
    return login_page(_next(), request.args.get("login_hint", ""))


@bp.post("/login")
@limiter.limit(configured("LIMIT_LOGIN_PER_IP"))
@limiter.limit(
    configured("LIMIT_LOGIN_FAILURES_PER_ACCOUNT"),
    key_func=login_key,
    deduct_when=count_failures,
    scope="login-account",
    on_breach=log_ins_throttled,
)
def login_post() -> Any:
    session = db_session()
    account = accounts.authenticate(
        session, request.form.get("email", ""), request.form.get("password", "")
    )
    if account is None:
        failed()
        error = "The email address or password is not right."
        return login_page(_next(), request.form.get("email", ""), error), 200
    remember_device()
    return finish(account, _next(), PASSWORD_AMR)


@bp.get("/login/2fa")
def second_factor() -> Any:
    if auth.pending_account() is None:
        return redirect(url_for("login.login"))
    return render_template("second_factor.html")


def _pending_key() -> str:
    return f"pending:{auth.pending_account_id()}"


@bp.post("/login/2fa")
@code_attempts("totp", _pending_key)
def second_factor_post() -> Any:
    account = auth.pending_account()
    if account is None:
        return redirect(url_for("login.login"))
    session = db_session()
    if not two_factor.verify_login(session, account, request.form.get("code", ""), utcnow()):
        failed()
        return render_template(
            "second_factor.html", error="That code is not right, or was already used."
        )
    next_url = safe_next(auth.pending_next(), url_for("two_factor.security"))
    auth.log_in_account(account, [*auth.pending_amr(), *SECOND_FACTOR_AMR])
    return after_log_in(next_url)


@bp.post("/logout")
def logout() -> Any:
    auth.log_out()
    return redirect(url_for("login.login"))

"""Forgot your password? and the reset link (single use: the POST consumes it)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from onboarding import errors
from onboarding.i18n import DEFAULT_LANGUAGE
from onboarding.identity import accounts, links, passwords
from onboarding.identity.models import Account
from web import words
from web.connect.i18n import refusal
from web.connect.limits import address_key, configured, limiter
from web.connect.passkeys import offer
from web.db import db_session
from web.extensions import app_settings

bp = Blueprint("password", __name__)


@bp.get("/password/forgot")
def forgot() -> Any:
    return render_template("forgot.html")


@bp.post("/password/forgot")
@limiter.limit(configured("LIMIT_FORGOT"))
@limiter.limit(configured("LIMIT_FORGOT_PER_ADDRESS"), key_func=address_key, scope="forgot")
def forgot_post() -> Any:
    session = db_session()
    try:
        accounts.request_password_reset(
            session, request.form.get("email", ""), request.form.get("language", DEFAULT_LANGUAGE)
        )
    except errors.ValidationError as error:
        email = request.form.get("email", "")
        return render_template("forgot.html", email=email, **refusal(error)), 422
    # The same page whether or not the address has an account.
    return redirect(url_for("password.sent"), code=303)


@bp.get("/password/forgot/sent")
def sent() -> Any:
    return render_template("forgot_sent.html")


def _unusable(error: accounts.LinkNotUsable) -> Any:
    if error.status is links.LinkStatus.unknown:
        return render_template("error.html", status=404, message=words.refusal(error)), 404
    return render_template("reset_unusable.html", message=words.refusal(error)), 410


@bp.get("/password/reset/<token>")
def reset(token: str) -> Any:
    try:
        account = accounts.open_link(db_session(), token, links.PASSWORD_RESET)
    except accounts.LinkNotUsable as error:
        return _unusable(error)
    return set_password_form(
        account, url_for("password.reset_post", token=token), passkey=offer("recovery", token)
    )


@bp.post("/password/reset/<token>")
def reset_post(token: str) -> Any:
    session = db_session()
    try:
        accounts.reset_password(
            session,
            token,
            request.form.get("password", ""),
            request.form.get("password_confirmation", ""),
        )
    except accounts.LinkNotUsable as error:
        return _unusable(error)
    except errors.ValidationError as error:
        account = accounts.open_link(session, token, links.PASSWORD_RESET)
        return set_password_form(
            account,
            url_for("password.reset_post", token=token),
            error,
            passkey=offer("recovery", token),
        )
    flash("Your password is set. You can log in with it now.", "success")
    return redirect(url_for("login.login"), code=303)


def set_password_form(
    account: Account,
    action: str,
    error: errors.ValidationError | None = None,
    passkey: dict[str, str] | None = None,
) -> tuple[str, int]:
    """The form that sets a password (activation or reset), with the policy's rules, and the
    refusal of the last try (422) when there was one; `passkey` offers a passkey instead."""
    page = render_template(
        "set_password.html",
        account=account,
        rules=passwords.rules(app_settings().password_min_length),
        action=action,
        passkey=passkey,
        **(refusal(error) if error else {}),
    )
    return page, 422 if error else 200

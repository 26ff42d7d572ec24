"""Account security: turn TOTP two-factor authentication on (QR code, manual key, a first
code, recovery codes shown once) and off (needs a code), and sign out everywhere. A change of
second factor ends every session of the account; this browser's starts again."""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg
from flask import Blueprint, flash, redirect, render_template, request, url_for

from onboarding.clock import utcnow
from onboarding.errors import ValidationError
from onboarding.identity import passkeys, two_factor
from web import words
from web.connect import auth
from web.connect.auth import current_account, login_required
from web.connect.limits import account_key, code_attempts, failed
from web.db import db_session
from web.extensions import app_settings

bp = Blueprint("two_factor", __name__)


def qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@bp.get("/account/security")
@login_required
def security() -> Any:
    account = current_account()
    assert account is not None
    session = db_session()
    return render_template(
        "security.html",
        account=account,
        remaining=two_factor.remaining_recovery_codes(session, account),
        passkeys=passkeys.of(session, account),
    )


@bp.post("/account/security/totp")
@login_required
def start() -> Any:
    account = current_account()
    assert account is not None
    secret = two_factor.start_enrolment(account)
    uri = two_factor.provisioning_uri(account, app_settings().idp_name)
    return render_template("totp_enrol.html", secret=secret, qr=qr_data_uri(uri))


@bp.post("/account/security/totp/confirm")
@login_required
@code_attempts("totp-confirm", account_key)
def confirm() -> Any:
    account = current_account()
    assert account is not None
    session = db_session()
    try:
        codes = two_factor.confirm_enrolment(
            session, account, request.form.get("code", ""), utcnow()
        )
    except ValidationError as error:
        failed()
        if not account.totp_secret:
            flash(words.refusal(error), "error")
            return redirect(url_for("two_factor.security"))
        uri = two_factor.provisioning_uri(account, app_settings().idp_name)
        return render_template(
            "totp_enrol.html",
            secret=account.totp_secret,
            qr=qr_data_uri(uri),
            error=words.refusal(error),
        ), 422
    auth.log_in_account(account)
    return render_template("recovery_codes.html", codes=codes)


@bp.post("/account/security/totp/disable")
@login_required
@code_attempts("totp-disable", account_key)
def disable() -> Any:
    account = current_account()
    assert account is not None
    session = db_session()
    try:
        two_factor.disable(session, account, request.form.get("code", ""), utcnow())
    except ValidationError as error:
        failed()
        flash(words.refusal(error), "error")
        return redirect(url_for("two_factor.security"))
    auth.log_in_account(account)
    flash("Two-factor authentication is off.", "success")
    return redirect(url_for("two_factor.security"))


@bp.post("/account/security/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> Any:
    account = current_account()
    assert account is not None
    auth.log_out_everywhere(account)
    flash("You are signed out everywhere.", "success")
    return redirect(url_for("login.login"))

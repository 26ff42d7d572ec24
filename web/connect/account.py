"""The owner's own data at Connect: download what is kept of the account, and delete it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request

from onboarding.clock import utcnow
from onboarding.errors import ValidationError
from onboarding.identity import deletion, export, passkeys, two_factor
from web import words
from web.connect.auth import current_account, login_required, new_session
from web.connect.limits import account_key, code_attempts, failed
from web.db import db_session

bp = Blueprint("account", __name__)


@bp.get("/account/export.json")
@login_required
def download() -> Any:
    account = current_account()
    assert account is not None
    response = jsonify(export.export_account(db_session(), account))
    response.headers["Content-Disposition"] = 'attachment; filename="account.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/delete")
@login_required
@code_attempts("account-delete", account_key)
def delete() -> Any:
    account = current_account()
    assert account is not None
    db = db_session()
    try:
        deletion.delete_account(
            db,
            account,
            password=request.form.get("password", ""),
            code=request.form.get("code", ""),
            now=utcnow(),
        )
    except ValidationError as error:
        failed()
        remaining = two_factor.remaining_recovery_codes(db, account)
        page = render_template(
            "security.html",
            account=account,
            remaining=remaining,
            passkeys=passkeys.of(db, account),
            delete_error=words.refusal(error),
        )
        return page, 422
    new_session()
    return render_template("account_deleted.html")


@bp.get("/account/deleted")
def deleted() -> Any:
    """Where a deletion confirmed with a passkey (a call from the page's script) leads."""
    return render_template("account_deleted.html")

"""Passkeys in the browser: log in with one (a button, and the address field's autofill),
create one instead of a password (activation, recovery through a reset link; registration
from an invitation is web.connect.passkey_signup), manage them on the security page, and
confirm with one that the account is to be deleted.

Each ceremony is two JSON calls made by static/passkeys.js: the options, carrying a challenge
bound to this browser's session, then the browser's answer. A refused answer keeps what it
used up (its challenge), so that it cannot be tried again.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response

from onboarding import errors
from onboarding.clock import utcnow
from onboarding.identity import accounts, challenges, deletion, links, passkeys
from onboarding.identity.models import Account
from web import words
from web.connect import auth
from web.connect.auth import app_login_url, current_account, login_required
from web.connect.limits import configured, limiter
from web.connect.provider import after_log_in
from web.db import db_session, keep_changes_of_refusal
from web.extensions import app_settings
from web.security import safe_next

bp = Blueprint("passkeys", __name__)
BINDING_KEY = "passkey_binding"


@bp.app_context_processor
def passkeys_offered() -> dict[str, bool]:
    """Pages offer passkeys only where browsers can use them (see passkeys.offered)."""
    return {"passkeys_offered": passkeys.offered(app_settings().connect_issuer)}


def binding() -> str:
    """This browser's binding token, made on first use."""
    if BINDING_KEY not in session:
        session[BINDING_KEY] = challenges.new_binding()
    token: str = session[BINDING_KEY]
    return token


def options_response(options_json: str) -> Response:
    response = Response(options_json, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def answer() -> str:
    return request.get_data(as_text=True)


def done(target: str) -> Response:
    return jsonify(redirect=target)


def _refused(error: errors.DomainError, status: int = 400) -> tuple[Response, int]:
    keep_changes_of_refusal()
    return jsonify(error=words.refusal(error)), status


def ceremony(run: Callable[[], Response]) -> Response | tuple[Response, int]:
    """Run one ceremony's second call, turning a refusal into its JSON message."""
    try:
        return run()
    except accounts.LinkNotUsable as error:
        return _refused(error, 410)
    except accounts.AccountExists as error:
        return _refused(error, 409)
    except errors.ValidationError as error:
        return _refused(error)


@bp.post("/login/passkey/options")
@limiter.limit(configured("LIMIT_LOGIN_PER_IP"))
def log_in_options() -> Response:
    return options_response(passkeys.authentication_options(db_session(), binding(), utcnow()))


@bp.post("/login/passkey")
@limiter.limit(configured("LIMIT_LOGIN_PER_IP"))
def log_in() -> Response | tuple[Response, int]:
    """A passkey is both factors: the session starts at once, with no code asked."""

    def run() -> Response:
        account = passkeys.authenticate(db_session(), answer(), session.get(BINDING_KEY), utcnow())
        auth.log_in_account(account, passkeys.AMR)
        next_url = safe_next(request.args.get("next"), url_for("two_factor.security"))
        return done(after_log_in(next_url).location)

    return ceremony(run)


@bp.post("/account/passkeys/options")
@login_required
def add_options() -> Response:
    account = _current()
    return options_response(
        passkeys.registration_options(db_session(), account, binding(), utcnow())
    )


@bp.post("/account/passkeys")
@login_required
def add() -> Response | tuple[Response, int]:
    def run() -> Response:
        passkeys.add(db_session(), _current(), answer(), session.get(BINDING_KEY), utcnow())
        flash("The passkey is added.", "success")
        # A page offering a passkey in place of a password (registration) names where next.
        return done(safe_next(request.args.get("next"), url_for("two_factor.security")))

    return ceremony(run)


@bp.post("/account/passkeys/<int:passkey_id>/rename")
@login_required
def rename(passkey_id: int) -> Response:
    try:
        passkeys.rename(db_session(), _current(), passkey_id, request.form.get("name", ""))
    except errors.ValidationError as error:
        flash(words.refusal(error), "error")
    else:
        flash("The passkey is renamed.", "success")
    return redirect(url_for("two_factor.security"), code=303)


@bp.post("/account/passkeys/<int:passkey_id>/remove")
@login_required
def remove(passkey_id: int) -> Response:
    try:
        passkeys.remove(db_session(), _current(), passkey_id)
    except errors.ValidationError as error:
        flash(words.refusal(error), "error")
    else:
        flash("The passkey is removed.", "success")
    return redirect(url_for("two_factor.security"), code=303)


@bp.post("/account/delete/passkey/options")
@login_required
def delete_options() -> Response:
    account = _current()
    options = passkeys.confirmation_options(db_session(), account, binding(), utcnow())
    return options_response(options)


@bp.post("/account/delete/passkey")
@login_required
def delete_account() -> Response | tuple[Response, int]:
    """Delete the account once one of its own passkeys confirmed it."""

    def run() -> Response:
        deletion.delete_account_with_passkey(
            db_session(), _current(), answer(), session.get(BINDING_KEY), utcnow()
        )
        session.clear()
        return done(url_for("account.deleted"))

    return ceremony(run)


def _current() -> Account:
    account = current_account()
    assert account is not None
    return account


def _linked_options(token: str, purpose: str) -> Response | tuple[Response, int]:
    try:
        account = accounts.open_link(db_session(), token, purpose)
    except accounts.LinkNotUsable as error:
        return jsonify(error=words.refusal(error)), 410
    return options_response(
        passkeys.registration_options(db_session(), account, binding(), utcnow())
    )


@bp.post("/activate/<token>/passkey/options")
def activation_options(token: str) -> Response | tuple[Response, int]:
    return _linked_options(token, links.ACTIVATION)


@bp.post("/activate/<token>/passkey")
def activate(token: str) -> Response | tuple[Response, int]:
    """Activate with a passkey instead of a password, and be logged in with it."""

    def run() -> Response:
        account = accounts.activate_with_passkey(
            db_session(), token, answer(), session.get(BINDING_KEY), utcnow()
        )
        auth.log_in_account(account, passkeys.AMR)
        # On to the app, whose Log in with Connect now passes straight through.
        return done(app_login_url())

    return ceremony(run)


@bp.post("/password/reset/<token>/passkey/options")
def recovery_options(token: str) -> Response | tuple[Response, int]:
    return _linked_options(token, links.PASSWORD_RESET)


@bp.post("/password/reset/<token>/passkey")
def recover(token: str) -> Response | tuple[Response, int]:
    def run() -> Response:
        accounts.recover_with_passkey(
            db_session(), token, answer(), session.get(BINDING_KEY), utcnow()
        )
        flash("Your passkey is saved. You can log in with it now.", "success")
        return done(url_for("login.login"))

    return ceremony(run)


def offer(kind: str, token: str) -> dict[str, str]:
    """The calls of the offer to create a passkey instead of a password, through the
    activation link ("activation") or a reset link ("recovery")."""
    options, verify = {
        "activation": ("passkeys.activation_options", "passkeys.activate"),
        "recovery": ("passkeys.recovery_options", "passkeys.recover"),
    }[kind]
    return {"options": url_for(options, token=token), "verify": url_for(verify, token=token)}

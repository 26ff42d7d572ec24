"""Registration from an invitation with a passkey instead of a password.

The first call sends the registration form (as JSON): the invitation, the details and the
captcha are checked, and the session keeps them with the subject of the account to be, for
which the options' challenge is issued. The second call sends the browser's new credential:
only then, once it is verified, is the account made, activated and signed in, and the
authorization request goes on, as after the password.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, session, url_for
from werkzeug.wrappers import Response

from onboarding import errors
from onboarding.clock import utcnow
from onboarding.identity import accounts, passkeys
from web import words
from web.connect import auth
from web.connect.limits import configured, limiter
from web.connect.passkeys import BINDING_KEY, answer, binding, ceremony, done, options_response
from web.connect.provider import after_log_in
from web.connect.register import check_captcha, invitation_required
from web.db import db_session
from web.security import safe_next

bp = Blueprint("passkey_signup", __name__)
PENDING_KEY = "passkey_signup"
DETAILS = ("first_name", "last_name", "language", "country")


def _form() -> dict[str, str]:
    sent = request.get_json(silent=True)
    if not isinstance(sent, dict):
        return {}
    return {key: value for key, value in sent.items() if isinstance(value, str)}


def _pending(form: dict[str, str]) -> dict[str, Any]:
    """What the session keeps between the two calls. A second try for the same invitation
    keeps its subject and needs no new captcha: this browser solved one for it."""
    kept = session.get(PENDING_KEY)
    if kept and kept["invitation"] == form.get("invitation"):
        subject = kept["subject"]
    else:
        check_captcha(form)
        subject = accounts.new_subject()
    return {
        "invitation": form.get("invitation", ""),
        "next": form.get("next", ""),
        "subject": subject,
        "details": {key: form.get(key, "") for key in DETAILS},
    }


@bp.post("/register/passkey/options")
@limiter.limit(configured("LIMIT_REGISTER"))
def options() -> Response | tuple[Response, int]:
    form = _form()
    try:
        proof = invitation_required(form.get("invitation"))
        pending = _pending(form)
        options_json = accounts.invited_passkey_options(
            db_session(),
            proof,
            subject=pending["subject"],
            binding=binding(),
            now=utcnow(),
            **pending["details"],
        )
    except accounts.AccountExists as error:
        return jsonify(error=words.refusal(error)), 409
    except errors.ValidationError as error:
        return jsonify(error=words.refusal(error)), 422
    session[PENDING_KEY] = pending
    return options_response(options_json)


@bp.post("/register/passkey")
@limiter.limit(configured("LIMIT_REGISTER"))
def register() -> Response | tuple[Response, int]:
    """Made, activated and signed in with the new passkey, then on with the app's request."""

    def run() -> Response:
        pending = session.get(PENDING_KEY) or {}
        proof = invitation_required(pending.get("invitation"))
        account = accounts.register_invited_with_passkey(
            db_session(),
            proof,
            subject=pending["subject"],
            credential_json=answer(),
            binding=session.get(BINDING_KEY),
            now=utcnow(),
            **pending["details"],
        )
        auth.log_in_account(account, passkeys.AMR)  # a new session: the pending one goes
        next_url = safe_next(pending["next"], url_for("two_factor.security"))
        return done(after_log_in(next_url).location)

    return ceremony(run)

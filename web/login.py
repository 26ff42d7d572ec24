"""Log in with the identity provider, create an account there, the OIDC callback, and log out
(here and at the provider; the provider's own log-outs arrive at the back-channel endpoint)."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from onboarding import journeys
from onboarding.errors import ConcurrentUpdate
from onboarding.journeys.machine import LIVE
from onboarding.journeys.models import Journey
from onboarding.journeys.sign_in import SignIn, sign_in
from onboarding.people import sessions
from onboarding.provider import connect_is_provider
from onboarding.provider.registration import registration_in_authorization, registration_url
from web import oidc
from web.auth import current_person, log_in_person, log_out, remembered_invitations
from web.db import db_session
from web.extensions import app_settings, csrf
from web.i18n import gettext, page_language
from web.security import safe_next

bp = Blueprint("login", __name__)
NEXT_KEY = "next"
# The account that signed in, waiting for its owner to confirm being an invitation's invitee.
TO_CONFIRM_KEY = "sign_in_to_confirm"
# Connect's account events (registered, activated) may reach /hooks/identity while the browser
# comes back from registering: a sign-in that loses that race reads the journeys again rather
# than answering 409 to a callback whose code cannot be used twice.
SIGN_IN_ATTEMPTS = 3


def invitation_in_progress() -> Journey | None:
    """The most recent live invitation whose link was opened in this browser."""
    for journey_id in reversed(remembered_invitations()):
        journey = db_session().get(Journey, journey_id)
        if journey is not None and journey.state in LIVE:
            return journey
    return None


@bp.get("/login")
def login_page() -> Response | str:
    home = url_for("measurements.home")
    target = safe_next(request.args.get(NEXT_KEY), home)
    if current_person() is not None:
        return redirect(target)
    # Home is where the log-in lands anyway: a visitor who goes nowhere else gets no cookie.
    if target == home:
        session.pop(NEXT_KEY, None)
    else:
        session[NEXT_KEY] = target
    journey = invitation_in_progress()
    # From an invitation, registration runs inside the log-in and comes back logged in.
    register_url = url_for("login.create_account") if journey else registration_url(app_settings())
    return render_template("login/login.html", invitation=journey, register_url=register_url)


@bp.get("/login/connect")
def start() -> Response | tuple[str, int]:
    journey = invitation_in_progress()
    try:
        return oidc.start_login(
            prompt="login" if request.args.get("switch") else None,
            login_hint=journey.person.email if journey else None,
            ui_locales=page_language(),
        )
    except oidc.LoginFailed as failure:
        return _failed(failure)


@bp.get("/login/create-account")
def create_account() -> Response | tuple[str, int]:
    """Registration from the invitation opened in this browser, inside the provider's
    authorization request: the invitee comes back logged in, on the invitation's Accept."""
    journey = invitation_in_progress()
    if journey is None:
        return redirect(url_for("login.login_page"))
    try:
        return oidc.start_login(
            **registration_in_authorization(app_settings(), journey), ui_locales=page_language()
        )
    except oidc.LoginFailed as failure:
        return _failed(failure)


@bp.get("/auth/callback")
def sign_in_at_callback() -> Response | tuple[str, int]:
    # A GET that writes, as OpenID Connect sends the browser back: the sign-in links the
    # account and records `log_in` on the person's journeys.
    session.pop(TO_CONFIRM_KEY, None)
    try:
        identity = oidc.finish_login()
    except oidc.LoginFailed as failure:
        return _failed(failure)
    result = _sign_in(
        subject=identity.subject,
        email=identity.email,
        email_verified=identity.email_verified,
        email_verified_by=identity.email_verified_by,
        invitation_journey_ids=remembered_invitations(),
        provider_reports_accounts=connect_is_provider(app_settings()),
        credential=identity.credential,
    )
    if result.to_confirm is not None:
        session[TO_CONFIRM_KEY] = {**asdict(identity), "journey_id": result.to_confirm.id}
        return redirect(url_for("login.confirm_invitation_page"))
    return _signed_in(result, asdict(identity))


def _sign_in(**facts: Any) -> SignIn:
    session = db_session()
    for _ in range(SIGN_IN_ATTEMPTS - 1):
        try:
            return sign_in(session, **facts)
        except ConcurrentUpdate:
            session.rollback()
    return sign_in(session, **facts)


@bp.get("/login/confirm-invitation")
def confirm_invitation_page() -> Response | str:
    """Both addresses, and the question whether the signed-in account is the invitee."""
    waiting = session.get(TO_CONFIRM_KEY)
    if waiting is None:
        return redirect(url_for("login.login_page"))
    return render_template(
        "login/confirm_invitation.html",
        journey=journeys.get_journey(db_session(), waiting["journey_id"]),
        signed_in_as=waiting["email"],
    )


@bp.post("/login/confirm-invitation")
def confirm_invitation() -> Response | tuple[str, int]:
    """The account's owner confirmed being the invitee: link the account and log in."""
    waiting = session.get(TO_CONFIRM_KEY)
    if waiting is None:
        return redirect(url_for("login.login_page"))
    result = _sign_in(
        subject=waiting["subject"],
        email=waiting["email"],
        email_verified=waiting["email_verified"],
        confirmed_invitation=waiting["journey_id"],
        provider_reports_accounts=connect_is_provider(app_settings()),
        credential=waiting.get("credential"),
    )
    return _signed_in(result, waiting)


@bp.post("/logout")
def logout() -> Response:
    """End the app's session, then the provider's (which comes back to the front page)."""
    id_token = log_out()
    flash(gettext("You are logged out."))
    return redirect(oidc.end_session_url(id_token) or url_for("login.login_page"))


@bp.post("/auth/backchannel-logout")
@csrf.exempt  # the provider posts it; the logout token is signed
def backchannel_logout() -> tuple[Response, int]:
    """The provider ended sessions (Back-Channel Logout 1.0): end the app's sessions of that
    person, or refuse a token that is not valid with 400."""
    try:
        logged_out = oidc.read_logout_token(request.form.get("logout_token", ""), time.time())
    except oidc.BadLogoutToken as error:
        response = jsonify(error="invalid_request", error_description=str(error))
        response.headers["Cache-Control"] = "no-store"
        return response, 400
    db = db_session()
    sessions.end_at_provider(db, logged_out.subject, logged_out.provider_sid)
    response = jsonify(ended=True)
    response.headers["Cache-Control"] = "no-store"
    return response, 200


def _signed_in(result: SignIn, identity: dict[str, Any]) -> Response | tuple[str, int]:
    """Start the app's session of the signed-in person, tied to the provider's session."""
    if result.person is None:
        return render_template("login/no_invitation.html", email=result.connect_email), 403
    target = safe_next(session.get(NEXT_KEY), url_for("measurements.home"))
    log_in_person(
        result.person,
        connect_email=result.connect_email,
        subject=identity["subject"],
        provider_sid=identity["provider_sid"],
        id_token=identity["id_token"],
    )
    return redirect(target)


def _failed(failure: oidc.LoginFailed) -> tuple[str, int]:
    message = gettext(failure.message, **failure.params)
    return render_template("login/failed.html", message=message), failure.status

"""Log in with the identity provider, create an account there, the OIDC callback, and log out."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from onboarding import journeys
from onboarding.journeys.machine import LIVE
from onboarding.journeys.models import Journey
from onboarding.journeys.sign_in import SignIn, sign_in
from onboarding.provider import connect_is_provider
from onboarding.provider.registration import registration_url
from web import oidc
from web.auth import current_person, log_in_person, log_out, remembered_invitations
from web.db import db_session
from web.extensions import app_settings
from web.i18n import gettext
from web.security import safe_next

bp = Blueprint("login", __name__)
NEXT_KEY = "next"
# The account that signed in, waiting for its owner to confirm being an invitation's invitee.
TO_CONFIRM_KEY = "sign_in_to_confirm"


def invitation_in_progress() -> Journey | None:
    """The most recent live invitation whose link was opened in this browser."""
    for journey_id in reversed(remembered_invitations()):
        journey = db_session().get(Journey, journey_id)
        if journey is not None and journey.state in LIVE:
            return journey
    return None


@bp.get("/login")
def login_page() -> Response | str:
    target = safe_next(request.args.get(NEXT_KEY), url_for("measurements.home"))
    if current_person() is not None:
        return redirect(target)
    session[NEXT_KEY] = target
    journey = invitation_in_progress()
    return render_template(
        "login/login.html",
        invitation=journey,
        register_url=registration_url(app_settings(), journey),
    )


@bp.get("/login/connect")
def start() -> Response | tuple[str, int]:
    try:
        return oidc.start_login(prompt="login" if request.args.get("switch") else None)
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
    result = sign_in(
        db_session(),
        subject=identity.subject,
        email=identity.email,
        email_verified=identity.email_verified,
        invitation_journey_ids=remembered_invitations(),
        provider_reports_accounts=connect_is_provider(app_settings()),
    )
    if result.to_confirm is not None:
        session[TO_CONFIRM_KEY] = {**asdict(identity), "journey_id": result.to_confirm.id}
        return redirect(url_for("login.confirm_invitation_page"))
    return _signed_in(result)


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
    result = sign_in(
        db_session(),
        subject=waiting["subject"],
        email=waiting["email"],
        email_verified=waiting["email_verified"],
        confirmed_invitation=waiting["journey_id"],
        provider_reports_accounts=connect_is_provider(app_settings()),
    )
    return _signed_in(result)


@bp.post("/logout")
def logout() -> Response:
    log_out()
    flash(gettext("You are logged out."))
    return redirect(url_for("login.login_page"))


def _signed_in(result: SignIn) -> Response | tuple[str, int]:
    if result.person is None:
        return render_template("login/no_invitation.html", email=result.connect_email), 403
    target = safe_next(session.get(NEXT_KEY), url_for("measurements.home"))
    log_in_person(result.person, connect_email=result.connect_email)
    return redirect(target)


def _failed(failure: oidc.LoginFailed) -> tuple[str, int]:
    return render_template("login/failed.html", message=str(failure)), failure.status

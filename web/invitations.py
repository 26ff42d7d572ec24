"""The mailed invitation link: a page whose GET only records the fetch, and continues on a click.

Only the click remembers the invitation in this browser's session: a GET can be made by any
page the visitor happens to view, so it must not plant an invitation there.
"""

from __future__ import annotations

import logging

from flask import Blueprint, g, redirect, render_template, request, url_for
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from onboarding.clock import utcnow
from onboarding.dashboard.link_hits import record_fetch
from onboarding.journeys import invitations
from onboarding.journeys.link_tokens import TokenCheck, TokenStatus
from onboarding.journeys.models import Journey
from web.auth import current_person, remember_invitation
from web.db import db_session
from web.i18n import gettext

bp = Blueprint("invitations", __name__)
log = logging.getLogger(__name__)

STATUS = {
    TokenStatus.valid: 200,
    TokenStatus.accepted: 200,
    TokenStatus.malformed: 404,
    TokenStatus.unknown: 404,
    TokenStatus.expired: 410,
    TokenStatus.revoked: 410,
    TokenStatus.used: 410,
}
# The invitation page's buttons: create an account (at the provider, coming back logged in),
# or log in with the one the invitee has.
NEXT_STEPS = {"create": "login.create_account", "log_in": "login.start"}


@bp.get("/invitations/<token>")
def show_invitation_and_record_fetch(token: str) -> tuple[str, int]:
    db = db_session()
    now = utcnow()
    check = invitations.look_up(db, token, now)
    if check.status is not TokenStatus.valid or check.journey is None:
        return _problem(check)
    # A GET that writes: mail scanners prefetch links, and the dashboard tells their fetch from
    # a person's by the fetches on record. Only a history note: the journey and the link stay
    # as they were, and a failure to record is logged, never shown to the invitee.
    try:
        with db.begin_nested():
            record_fetch(
                db,
                check.journey,
                method=request.method,
                user_agent=request.user_agent.string,
                now=now,
            )
    except SQLAlchemyError:
        log.exception("could not record a fetch of an invitation link")
    g.shown_invitation = check.journey
    return render_template("invitations/show.html", journey=check.journey, token=token), 200


@bp.post("/invitations/<token>")
def follow(token: str) -> Response | tuple[str, int]:
    db = db_session()
    try:
        journey = invitations.record_link_opened(db, token)
    except invitations.LinkNotUsable:
        return _problem(invitations.look_up(db, token))
    remember_invitation(journey.id)
    if current_person() is not None:
        return redirect(url_for("measurements.home"))
    return redirect(url_for(NEXT_STEPS.get(request.form.get("then", ""), "login.login_page")))


@bp.post("/invitations/<token>/ask-for-a-new-one")
def ask_for_a_new_one(token: str) -> tuple[str, int]:
    """An expired invitation's one step on: ask the administrator who invited for a new one."""
    db = db_session()
    try:
        invitations.ask_for_a_new_one(db, token)
    except invitations.LinkNotUsable:
        return _problem(invitations.look_up(db, token))
    page, _gone = _problem(invitations.look_up(db, token))
    return page, 200  # the request is recorded (a refusal's status would roll it back)


def shown_invitation() -> Journey | None:
    """The invitation this request's page shows, so that the page speaks the invitee's language."""
    return g.get("shown_invitation")


def _problem(check: TokenCheck) -> tuple[str, int]:
    message, params = invitations.explanation(check)
    journey = check.journey
    return render_template(
        "invitations/problem.html",
        check=check,
        status=check.status.value,
        message=gettext(message, **params),
        inviter=journey.invited_by if journey else None,
        asked=invitations.asked_for_a_new_one(journey) if journey else None,
    ), STATUS[check.status]

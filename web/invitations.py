"""The mailed invitation link: a page that changes nothing on GET, and continues on a click.

Only the click remembers the invitation in this browser's session: a GET can be made by any
page the visitor happens to view, so it must not plant an invitation there.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from onboarding.journeys import invitations
from onboarding.journeys.link_tokens import TokenCheck, TokenStatus
from onboarding.journeys.models import Journey
from web.auth import current_person, remember_invitation
from web.db import db_session
from web.i18n import gettext

bp = Blueprint("invitations", __name__)

STATUS = {
    TokenStatus.valid: 200,
    TokenStatus.accepted: 200,
    TokenStatus.malformed: 404,
    TokenStatus.unknown: 404,
    TokenStatus.expired: 410,
    TokenStatus.revoked: 410,
    TokenStatus.used: 410,
}


@bp.get("/invitations/<token>")
def show(token: str) -> tuple[str, int]:
    check = invitations.look_up(db_session(), token)
    if check.status is not TokenStatus.valid or check.journey is None:
        return _problem(check)
    g.shown_invitation = check.journey
    return render_template("invitations/show.html", journey=check.journey, token=token), 200


@bp.post("/invitations/<token>")
def follow(token: str) -> Response | tuple[str, int]:
    db = db_session()
    try:
        journey = invitations.record_link_opened(db, token)
    except invitations.LinkNotUsable:
        return _problem(invitations.look_up(db, token))
    db.commit()
    remember_invitation(journey.id)
    if current_person() is not None:
        return redirect(url_for("measurements.home"))
    return redirect(url_for("login.login_page"))


def shown_invitation() -> Journey | None:
    """The invitation this request's page shows, so that the page speaks the invitee's language."""
    return g.get("shown_invitation")


def _problem(check: TokenCheck) -> tuple[str, int]:
    message, params = invitations.explanation(check)
    return render_template(
        "invitations/problem.html",
        check=check,
        status=check.status.value,
        message=gettext(message, **params),
    ), STATUS[check.status]

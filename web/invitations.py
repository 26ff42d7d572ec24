"""The mailed invitation link: a page whose GET only records the fetch, and continues on a click.

Only the click remembers the invitation in this browser's session: a GET can be made by any
page the visitor happens to view, so it must not plant an invitation there.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from onboarding.clock import utcnow
from onboarding.dashboard.link_hits import check_and_record_fetch
from onboarding.journeys import invitations
from onboarding.journeys.invitations import JoinCode
from onboarding.journeys.link_tokens import TokenCheck, TokenStatus
from onboarding.journeys.models import LinkToken
from onboarding.journeys.shown_invitation import ShownInvitation
from web.auth import current_person, remember_invitation
from web.db import db_session, reads_only
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
# The invitation page's buttons: create an account (at the provider, coming back logged in),
# or log in with the one the invitee has.
NEXT_STEPS = {"create": "login.create_account", "log_in": "login.start"}


@bp.get("/invitations/<token>")
@reads_only
def show_invitation_and_record_fetch(token: str) -> tuple[str, int]:
    # A GET that writes: mail scanners prefetch links, and the dashboard tells their fetch from
    # a person's by the fetches on record. Only a history note, this request's one write (so
    # `reads_only`), made with the check: the journey and the link stay as they were.
    db = db_session()
    found = check_and_record_fetch(
        db,
        token,
        method=request.method,
        user_agent=request.user_agent.string,
        now=utcnow(),
    )
    if found.status is TokenStatus.valid and found.invitation is not None:
        return invitation_page(found.invitation, url_for(".follow", token=token)), 200
    # A link that no longer works is rarer: its page explains it from the whole journey.
    link = db.get(LinkToken, found.token_id) if found.token_id is not None else None
    return problem_page(TokenCheck(found.status, link), url_for(".ask_for_a_new_one", token=token))


@bp.post("/invitations/<token>")
def follow(token: str) -> Response | tuple[str, int]:
    return follow_invitation(token, url_for(".ask_for_a_new_one", token=token))


@bp.post("/invitations/<token>/ask-for-a-new-one")
def ask_for_a_new_one(token: str) -> tuple[str, int]:
    return ask_for_a_new_invitation(token, request.path)


def invitation_page(invitation: ShownInvitation, follow_url: str, code: str | None = None) -> str:
    """The `invitation` shown, its buttons posting to `follow_url` (with the join `code` when it
    was reached by one)."""
    g.shown_invitation = invitation
    return render_template(
        "invitations/show.html", journey=invitation, follow_url=follow_url, code=code
    )


def follow_invitation(key: invitations.Key, ask_url: str) -> Response | tuple[str, int]:
    """The person clicked on to create an account or log in: remember the invitation in this
    browser and go there."""
    db = db_session()
    try:
        journey = invitations.record_link_opened(db, key)
    except invitations.LinkNotUsable:
        return problem_page(invitations.look_up(db, key), ask_url, key)
    remember_invitation(journey.id)
    if current_person() is not None:
        return redirect(url_for("measurements.home"))
    return redirect(url_for(NEXT_STEPS.get(request.form.get("then", ""), "login.login_page")))


def ask_for_a_new_invitation(key: invitations.Key, ask_url: str) -> tuple[str, int]:
    """An expired invitation's one step on: ask the administrator who invited for a new one."""
    db = db_session()
    try:
        invitations.ask_for_a_new_one(db, key)
    except invitations.LinkNotUsable:
        return problem_page(invitations.look_up(db, key), ask_url, key)
    page, _gone = problem_page(invitations.look_up(db, key), ask_url, key)
    return page, 200  # the request is recorded (a refusal's status would roll it back)


def shown_invitation() -> ShownInvitation | None:
    """The invitation this request's page shows, so that the page speaks the invitee's language."""
    return g.get("shown_invitation")


def problem_page(
    check: TokenCheck, ask_url: str, key: invitations.Key | None = None
) -> tuple[str, int]:
    """Why the invitation cannot be followed, and the next step (asking for a new one posts
    to `ask_url`, with the join code when `key` is one)."""
    message, params = invitations.explanation(check)
    journey = check.journey
    return render_template(
        "invitations/problem.html",
        check=check,
        status=check.status.value,
        message=gettext(message, **params),
        inviter=journey.invited_by if journey else None,
        asked=invitations.asked_for_a_new_one(journey) if journey else None,
        ask_url=ask_url,
        code=key.typed if isinstance(key, JoinCode) else None,
    ), STATUS[check.status]

"""/join: the invitation opened on another device with the code its mail carries.

The same invitation as its link, with the same checks and the same next steps; the page itself
only asks for the code, so that a fetch of it (by a mail scanner or anyone) changes nothing.
Every code entered counts against the client's limit and against one limit for all clients:
codes are short enough to guess, were the tries not few.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request, url_for
from flask_limiter import Limiter
from werkzeug.wrappers import Response

from onboarding.journeys import invitations
from onboarding.journeys.invitations import JoinCode
from onboarding.journeys.link_tokens import TokenCheck, TokenStatus
from onboarding.journeys.shown_invitation import ShownInvitation
from web.db import db_session, reads_only
from web.extensions import configured
from web.i18n import gettext
from web.invitations import (
    ask_for_a_new_invitation,
    follow_invitation,
    invitation_page,
    problem_page,
)

DEFAULTS = {
    "LIMIT_JOIN_PER_IP": "10 per minute;50 per hour",
    "LIMIT_JOIN": "600 per hour",
}

bp = Blueprint("join", __name__)
_NOT_A_CODE = (TokenStatus.malformed, TokenStatus.unknown)


@bp.get("/join")
@reads_only
def show_form() -> str:
    return render_template("join/form.html", code="", error=None)


@bp.post("/join")
def enter_code() -> tuple[str, int]:
    code = _typed()
    check = invitations.look_up(db_session(), code)
    if check.status is not TokenStatus.valid or check.journey is None:
        return _refused(check, code)
    shown = ShownInvitation.of(check.journey)
    return invitation_page(shown, url_for(".follow"), code.typed), 200


@bp.post("/join/continue")
def follow() -> Response | tuple[str, int]:
    code = _typed()
    check = invitations.look_up(db_session(), code)
    if check.status in _NOT_A_CODE:
        return _refused(check, code)
    return follow_invitation(code, url_for(".ask_for_a_new_one"))


@bp.post("/join/ask-for-a-new-one")
def ask_for_a_new_one() -> tuple[str, int]:
    code = _typed()
    check = invitations.look_up(db_session(), code)
    if check.status in _NOT_A_CODE:
        return _refused(check, code)
    return ask_for_a_new_invitation(code, request.path)


# Made once: every app made in this process adds the limits to the one blueprint, and only
# equal limits (the same callables) are counted once.
_PER_CLIENT = configured("LIMIT_JOIN_PER_IP")
_FOR_ALL = configured("LIMIT_JOIN")


def _all_clients() -> str:
    return "all"


def register_join(app: Flask, limiter: Limiter) -> None:
    """/join, each code entered counted per client address and for all clients together."""
    limiter.shared_limit(_PER_CLIENT, scope="join", methods=["POST"])(bp)
    limiter.shared_limit(_FOR_ALL, scope="join-all", key_func=_all_clients, methods=["POST"])(bp)
    app.register_blueprint(bp)


def _typed() -> JoinCode:
    return JoinCode(request.form.get("code", ""))


def _refused(check: TokenCheck, code: JoinCode) -> tuple[str, int]:
    """A code that is none of ours is asked for again; a dead invitation's code is explained as
    its link would be."""
    if check.status is TokenStatus.malformed:
        return _form_again(code, "Enter the 8 characters of the code, like ABCD-EFGH.", 400)
    if check.status is TokenStatus.unknown:
        message = (
            "This code is not known. Check it against the latest invitation mail, or open "
            "the link in that mail."
        )
        return _form_again(code, message, 404)
    return problem_page(check, url_for(".ask_for_a_new_one"), code)


def _form_again(code: JoinCode, message: str, status: int) -> tuple[str, int]:
    return render_template("join/form.html", code=code.typed, error=gettext(message)), status

"""Measurements: the landing page after log-in, with the invitations to accept."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from onboarding.journeys import acceptance
from web import words
from web.auth import (
    current_person,
    forget_invitation,
    log_out,
    login_required,
    remembered_invitations,
    signed_in_as,
)
from web.db import db_session, reads_only
from web.errors import error_response
from web.i18n import gettext

bp = Blueprint("measurements", __name__)


@bp.get("/")
def root() -> Response:
    return redirect(url_for("measurements.home"))


@bp.get("/measurements")
@reads_only
@login_required
def home() -> str:
    person = current_person()
    assert person is not None
    db = db_session()
    pending, memberships = acceptance.invitations_and_memberships(
        db, person, signed_in_as(), remembered_invitations()
    )
    return render_template(
        "measurements/home.html",
        pending=pending,
        memberships=memberships,
        signed_in_as=signed_in_as(),
    )


@bp.post("/measurements/invitations/<int:journey_id>/accept")
@login_required
def accept(journey_id: int) -> Response | tuple[object, int]:
    person = current_person()
    assert person is not None
    db = db_session()
    try:
        journey = acceptance.accept_invitation(
            db,
            journey_id,
            person=person,
            signed_in_as=signed_in_as(),
            opened_here=journey_id in remembered_invitations(),
        )
    except acceptance.NotYourInvitation as refusal:
        return error_response(  # type: ignore[no-any-return]
            403, str(refusal), refusal.code, page_message=words.refusal(refusal)
        )
    roles = ", ".join(role.name for role in journey.roles)
    name = journey.organization.name
    forget_invitation(journey_id)
    flash(
        gettext(
            "Welcome to %(organization)s! You accepted the invitation and now have the "
            "roles: %(roles)s.",
            organization=name,
            roles=roles,
        )
    )
    return redirect(url_for("measurements.home"))


@bp.post("/measurements/invitations/<int:journey_id>/switch-account")
@login_required
def switch_account(journey_id: int) -> Response:
    db = db_session()
    pending = acceptance.pending_invitations(
        db,
        current_person(),
        signed_in_as(),
        remembered_invitations(),  # type: ignore[arg-type]
    )
    if journey_id not in {p.journey.id for p in pending}:
        abort(404)
    acceptance.record_switch_account(db, journey_id, signed_in_as=signed_in_as())
    log_out(keep_invitations=True)
    return redirect(url_for("login.start", switch=1))

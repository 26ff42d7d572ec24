"""Settings > People: administrators list, create, invite, resend, revoke and re-invite, and
erase a person."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from onboarding.dashboard import actions
from onboarding.dashboard.actions import Surface
from onboarding.email_address import EMAIL_LENGTH
from onboarding.errors import Conflict, ValidationError
from onboarding.journeys.models import Journey
from onboarding.people import access, erasure, export, roster
from onboarding.people.models import NAME_LENGTH, Organization
from web.auth import current_person, login_required, require_admin_of
from web.db import db_session
from web.i18n import N_
from web.words import refusal, say

LIMITS = {"name": NAME_LENGTH, "email": EMAIL_LENGTH}

bp = Blueprint("people", __name__, url_prefix="/settings/people")


@bp.get("")
@login_required
def index() -> Response | str:
    person = current_person()
    assert person is not None
    session = db_session()
    organizations = access.organizations_in(
        session, access.administered_organization_ids(session, person)
    )
    if not organizations:
        abort(403)
    if len(organizations) == 1:
        return redirect(url_for("people.organization", organization_id=organizations[0].id))
    return render_template("people/choose.html", organizations=organizations)


@bp.get("/<int:organization_id>")
@login_required
def organization(organization_id: int) -> str:
    organization = _administered(organization_id)
    return _page(organization)


@bp.post("/<int:organization_id>")
@login_required
def create(organization_id: int) -> Response | tuple[str, int]:
    organization = _administered(organization_id)
    admin = current_person()
    assert admin is not None
    form = request.form
    db = db_session()
    try:
        journey = roster.add_person(
            db,
            organization,
            email=form.get("email", ""),
            first_name=form.get("first_name", ""),
            last_name=form.get("last_name", ""),
            language=form.get("language", "en"),
            roles=form.getlist("roles"),
            invite=form.get("then") == "invite",
            actor=admin.email,
            invited_by=admin,
        )
    except (ValidationError, Conflict) as error:
        db.rollback()
        field = getattr(error, "field", None)
        status = 409 if isinstance(error, Conflict) else 422
        return _page(organization, form, refusal(error), field), status
    flash(_created_message(journey, organization))
    return redirect(url_for("people.organization", organization_id=organization.id))


@bp.get("/<int:organization_id>/journeys/<int:journey_id>")
@login_required
def history(organization_id: int, journey_id: int) -> str:
    organization = _administered(organization_id)
    journey = access.journey_in_scope(db_session(), journey_id, frozenset({organization.id}))
    return _history(organization, journey)


@bp.post("/<int:organization_id>/journeys/<int:journey_id>/<action>")
@login_required
def act(organization_id: int, journey_id: int, action: str) -> Response | str:
    """Run an action; a destructive one (revoke) asks first, on a page of its own."""
    organization = _administered(organization_id)
    admin = current_person()
    assert admin is not None
    db = db_session()
    chosen = actions.action_named(action, Surface.people)
    scope = frozenset({organization.id})
    if chosen.destructive and request.form.get("confirmed") != "yes":
        return render_template(
            "people/confirm.html",
            organization=organization,
            journey=access.journey_in_scope(db, journey_id, scope),
            action=chosen,
        )
    journey = actions.perform(db, journey_id, chosen, scope=scope, actor=admin.email)
    flash(say(chosen.message, chosen.params(journey)))
    return redirect(url_for("people.organization", organization_id=organization.id))


@bp.get("/<int:organization_id>/journeys/<int:journey_id>/export.json")
@login_required
def export_data(organization_id: int, journey_id: int) -> Response:
    organization = _administered(organization_id)
    admin = current_person()
    assert admin is not None
    db = db_session()
    journey = access.journey_in_scope(db, journey_id, frozenset({organization.id}))
    scope = access.administered_organization_ids(db, admin)
    response = jsonify(export.export_person(db, journey.person_id, scope=scope))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="person-{journey.person_id}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:organization_id>/journeys/<int:journey_id>/erase")
@login_required
def erase(organization_id: int, journey_id: int) -> Response | tuple[str, int]:
    organization = _administered(organization_id)
    admin = current_person()
    assert admin is not None
    db = db_session()
    journey = access.journey_in_scope(db, journey_id, frozenset({organization.id}))
    if request.form.get("confirm") != "erase":
        error = "Tick the box to confirm that the person is to be erased for good."
        return _history(organization, journey, error), 422
    scope = access.administered_organization_ids(db, admin)
    person = erasure.erase_person(db, journey.person_id, scope=scope, actor=admin.email)
    flash(f"The person was erased; they now appear as {person.email}.")
    return redirect(url_for("people.organization", organization_id=organization.id))


def _history(organization: Organization, journey: Journey, error: str | None = None) -> str:
    return render_template(
        "people/history.html",
        organization=organization,
        journey=journey,
        erased=erasure.is_erased(journey.person),
        error=error,
    )


def _administered(organization_id: int) -> Organization:
    require_admin_of(organization_id)
    organization = db_session().get(Organization, organization_id)
    if organization is None:
        abort(404)
    return organization


def _page(
    organization: Organization,
    form: MultiDict[str, str] | None = None,
    error: str | None = None,
    error_field: str | None = None,
) -> str:
    """The people of the organization and the form to add one (refilled after a refusal)."""
    return render_template(
        "people/organization.html",
        organization=organization,
        journeys=roster.people_of(db_session(), organization.id),
        actions=lambda journey: actions.available(journey, Surface.people),
        form=form or MultiDict(),
        limits=LIMITS,
        chosen_roles=form.getlist("roles") if form else [],
        error=error,
        error_field=error_field,
    )


def _created_message(journey: Journey, organization: Organization) -> str:
    params = {
        "name": journey.full_name,
        "email": journey.person.email,
        "organization": organization.name,
        "roles": [role.name for role in journey.roles],
        "until": journey.expires_at,
    }
    if journey.expires_at:
        return say(
            N_(
                "%(name)s (%(email)s) was added to %(organization)s with the roles %(roles)s "
                "and invited; the invitation is valid until %(until)s."
            ),
            params,
        )
    return say(
        N_(
            "%(name)s (%(email)s) was added to %(organization)s with the roles %(roles)s. "
            "Click Invite to send the invitation."
        ),
        params,
    )

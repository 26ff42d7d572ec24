"""Settings > People: administrators list, create, invite, resend, revoke and re-invite."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from onboarding import journeys
from onboarding.errors import Conflict, ValidationError
from onboarding.journeys.models import Journey
from onboarding.people import directory, roster
from onboarding.people.models import Organization
from web.auth import current_person, login_required, require_admin_of
from web.db import db_session

bp = Blueprint("people", __name__, url_prefix="/settings/people")


@bp.get("")
@login_required
def index() -> Response | str:
    person = current_person()
    assert person is not None
    organizations = roster.organizations_of(db_session(), person)
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
        journey = directory.create_person(
            db,
            organization,
            email=form.get("email", ""),
            first_name=form.get("first_name", ""),
            last_name=form.get("last_name", ""),
            language=form.get("language", "en"),
            roles=form.getlist("roles"),
            actor=admin.email,
            invited_by_id=admin.id,
        )
        if form.get("then") == "invite":
            journeys.invite(db, journey.id, actor=admin.email)
    except (ValidationError, Conflict) as refusal:
        db.rollback()
        field = getattr(refusal, "field", None)
        status = 409 if isinstance(refusal, Conflict) else 422
        return _page(organization, form, str(refusal), field), status
    db.commit()
    flash(_created_message(journey, organization))
    return redirect(url_for("people.organization", organization_id=organization.id))


@bp.get("/<int:organization_id>/journeys/<int:journey_id>")
@login_required
def history(organization_id: int, journey_id: int) -> str:
    organization = _administered(organization_id)
    journey = roster.journey_of(db_session(), organization.id, journey_id)
    return render_template(
        "people/history.html",
        organization=organization,
        journey=journey,
    )


@bp.post("/<int:organization_id>/journeys/<int:journey_id>/<action>")
@login_required
def act(organization_id: int, journey_id: int, action: str) -> Response:
    organization = _administered(organization_id)
    admin = current_person()
    assert admin is not None
    db = db_session()
    journey = roster.take_action(db, organization.id, journey_id, action, actor=admin.email)
    db.commit()
    flash(_action_message(action, journey))
    return redirect(url_for("people.organization", organization_id=organization.id))


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
        actions=roster.available_actions,
        form=form or MultiDict(),
        chosen_roles=form.getlist("roles") if form else [],
        error=error,
        error_field=error_field,
    )


def _until(journey: Journey) -> str:
    return f"{journey.expires_at:%-d %B %Y}" if journey.expires_at else ""


def _created_message(journey: Journey, organization: Organization) -> str:
    roles = ", ".join(role.name for role in journey.roles)
    added = f"{journey.full_name} ({journey.person.email}) was added to {organization.name}"
    if journey.expires_at:
        return (
            f"{added} with the roles {roles} and invited; the invitation is valid until "
            f"{_until(journey)}."
        )
    return f"{added} with the roles {roles}. Click Invite to send the invitation."


def _action_message(action: str, journey: Journey) -> str:
    email = journey.person.email
    return {
        "invite": f"Invitation sent to {email}; it is valid until {_until(journey)}.",
        "resend": f"Invitation mailed again to {email}; links in earlier mails keep working.",
        "revoke": f"Invitation of {email} revoked; every link mailed to them stopped working.",
        "reinvite": (
            f"{email} was invited again, valid until {_until(journey)}; links mailed before "
            "stay dead."
        ),
    }[action]

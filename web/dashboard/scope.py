"""Who is looking at the dashboard, and which organizations they may see."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, redirect, request
from werkzeug.wrappers import Response

from onboarding.people.access import Scope, administered_organization_ids
from onboarding.people.directory import find_organization
from onboarding.people.models import Organization, Person
from web.auth import current_person, require_admin_of
from web.db import db_session
from web.ids import parse_id
from web.security import safe_next


class NotLoggedIn(Exception):
    """Raised to send the browser to the login page."""


def admin_scope() -> tuple[Person, Scope]:
    """The logged-in admin and the organizations they administer (None: all, superadmin)."""
    person = current_person()
    if person is None:
        raise NotLoggedIn
    allowed = administered_organization_ids(db_session(), person)
    if allowed is not None and not allowed:
        abort(403)
    return person, allowed


def posted_organization() -> tuple[Person, Organization]:
    """The organization the posted form names (its `organization` field) and the logged-in
    person, who administers it: 400 when the form names none, 403 when they do not."""
    organization_id = parse_id(request.form.get("organization"))
    if organization_id is None:
        abort(400)
    admin = require_admin_of(organization_id)
    return admin, find_organization(db_session(), organization_id)


def to_login(_error: NotLoggedIn) -> Response:
    return redirect("/login?" + urlencode({"next": safe_next(request.full_path.rstrip("?"))}))

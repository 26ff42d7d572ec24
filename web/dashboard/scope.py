"""Who is looking at the dashboard, and which organizations they may see."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, redirect, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from onboarding.people.access import administered_organization_ids
from onboarding.people.models import Organization, Person
from web.auth import current_person
from web.db import db_session
from web.security import safe_next


class NotLoggedIn(Exception):
    """Raised to send the browser to the login page."""


def admin_scope() -> tuple[Person, frozenset[int] | None]:
    """The logged-in admin and the organizations they administer (None: all, superadmin)."""
    person = current_person()
    if person is None:
        raise NotLoggedIn
    allowed = administered_organization_ids(db_session(), person)
    if allowed is not None and not allowed:
        abort(403)
    return person, None if allowed is None else frozenset(allowed)


def to_login(_error: NotLoggedIn) -> Response:
    return redirect("/login?" + urlencode({"next": safe_next(request.full_path.rstrip("?"))}))


def organizations_in_scope(allowed: frozenset[int] | None) -> list[Organization]:
    query = select(Organization).order_by(Organization.name)
    if allowed is not None:
        query = query.where(Organization.id.in_(sorted(allowed)))
    return list(db_session().scalars(query))

"""Who is looking at the dashboard, and which organizations they may see."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, redirect, request
from werkzeug.wrappers import Response

from onboarding.people.access import Scope, administered_organization_ids
from onboarding.people.models import Person
from web.auth import current_person
from web.db import db_session
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


def to_login(_error: NotLoggedIn) -> Response:
    return redirect("/login?" + urlencode({"next": safe_next(request.full_path.rstrip("?"))}))

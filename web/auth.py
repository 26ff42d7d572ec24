"""Who is logged in to the app, and who may see admin pages.

The login itself (OIDC with Connect) stores the person's id in the session; everything else
reads it from here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, session, url_for

from onboarding.access import may_administer
from onboarding.models import Person
from web.db import db_session

F = TypeVar("F", bound=Callable[..., Any])
SESSION_KEY = "person_id"


def current_person() -> Person | None:
    if "person" not in g:
        person_id = session.get(SESSION_KEY)
        g.person = db_session().get(Person, person_id) if person_id else None
    return g.person


def log_in_person(person: Person) -> None:
    session.clear()  # a new session on log-in: no fixation
    session[SESSION_KEY] = person.id
    g.person = person


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_person() is None:
            return redirect(url_for("login.login_page", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def require_admin_of(organization_id: int) -> Person:
    """The logged-in person if they administer `organization_id`; 403 otherwise."""
    person = current_person()
    if person is None:
        abort(401)
    if not may_administer(db_session(), person, organization_id):
        abort(403)
    return person

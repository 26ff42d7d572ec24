"""Who is logged in to the app, and who may see admin pages.

The login itself (OIDC with Connect) starts a server-side session (onboarding.people.sessions)
and stores its id and the person's in the cookie; everything else reads them from here. A
session ends at log-out or when the provider says so, and its cookie then opens nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, session, url_for

from onboarding.people import sessions
from onboarding.people.access import administered_organization_ids, may_administer
from onboarding.people.models import Person
from web.db import db_session
from web.extensions import once_per_request

F = TypeVar("F", bound=Callable[..., Any])
SESSION_KEY = "person_id"
SESSION_ID_KEY = "session"  # the server-side session's token
CONNECT_EMAIL_KEY = "connect_email"
INVITATIONS_KEY = "invitations"
REMEMBERED_INVITATIONS = 5


def current_person() -> Person | None:
    return once_per_request("person", _person_of_this_session)


def _person_of_this_session() -> Person | None:
    token = session.get(SESSION_ID_KEY)
    # No database session for a visitor who never logged in.
    viewer = sessions.viewer_of(db_session(), token, session.get(SESSION_KEY)) if token else None
    person, g.administers = viewer if viewer is not None else (None, False)
    return person


def administers() -> bool:
    """Whether the logged-in person administers an organization (or all of them): asked with
    the person, unless they logged in during this request."""
    if "administers" not in g:
        person = current_person()
        scope = administered_organization_ids(db_session(), person) if person else frozenset()
        g.administers = scope is None or bool(scope)
    return bool(g.administers)


def log_in_person(
    person: Person,
    connect_email: str | None = None,
    *,
    subject: str | None = None,
    provider_sid: str | None = None,
    id_token: str | None = None,
) -> None:
    """Start a new session for `person`, signed in with the Connect address `connect_email`
    as the provider's `subject`, in its session `provider_sid` (the caller commits).

    Invitations opened in this browser survive the log-in: they prove the mailbox.
    """
    remembered = remembered_invitations()
    token = sessions.start(
        db_session(), person, subject=subject, provider_sid=provider_sid, id_token=id_token
    )
    session.clear()  # a new session on log-in: no fixation
    session[SESSION_KEY] = person.id
    session[SESSION_ID_KEY] = token
    session[CONNECT_EMAIL_KEY] = connect_email or person.email
    if remembered:
        session[INVITATIONS_KEY] = remembered
    g.person = person
    g.pop("administers", None)


def log_out(keep_invitations: bool = False) -> str | None:
    """End this browser's session (the caller commits); returns its ID token, the hint for
    ending the provider's session too."""
    ended = sessions.end(db_session(), session.get(SESSION_ID_KEY))
    remembered = remembered_invitations()
    session.clear()
    g.person, g.administers = None, False
    if keep_invitations and remembered:
        session[INVITATIONS_KEY] = remembered
    return ended.id_token if ended else None


def signed_in_as() -> str:
    """The Connect address the person signed in with (may differ from the person's own)."""
    person = current_person()
    return session.get(CONNECT_EMAIL_KEY) or (person.email if person else "")


def remember_invitation(journey_id: int) -> None:
    """Note in this browser's session that the invitation link of `journey_id` was opened."""
    kept = [i for i in remembered_invitations() if i != journey_id]
    session[INVITATIONS_KEY] = [*kept, journey_id][-REMEMBERED_INVITATIONS:]


def forget_invitation(journey_id: int) -> None:
    session[INVITATIONS_KEY] = [i for i in remembered_invitations() if i != journey_id]


def remembered_invitations() -> list[int]:
    """Journey ids of invitation links opened in this browser, the most recent last."""
    return [i for i in session.get(INVITATIONS_KEY, []) if isinstance(i, int)]


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

"""API and SCIM tokens of the organizations an admin administers: create (shown once), revoke."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from onboarding.dashboard import api_tokens
from onboarding.dashboard.api_tokens import Purpose
from onboarding.errors import ValidationError
from onboarding.people.access import organizations_in
from web.dashboard import bp
from web.dashboard.scope import admin_scope, posted_organization
from web.db import db_session
from web.i18n import gettext
from web.ids import parse_id


def _page(allowed: frozenset[int] | None, raw: str | None = None) -> str:
    return render_template(
        "dashboard/tokens.html",
        tokens=api_tokens.for_organizations(db_session(), allowed),
        organizations=organizations_in(db_session(), allowed),
        raw=raw,
    )


@bp.get("/tokens")
def tokens() -> str:
    _, allowed = admin_scope()
    return _page(allowed)


@bp.post("/tokens")
def create_token() -> str:
    _, allowed = admin_scope()
    admin, organization = posted_organization()
    session = db_session()
    try:
        purpose = Purpose(request.form.get("purpose", Purpose.api))
    except ValueError:
        raise ValidationError("A token is for the API or for SCIM.", "purpose") from None
    role_id = parse_id(request.form.get("default_role"))
    default_role = next((r for r in organization.roles if r.id == role_id), None)
    _, raw = api_tokens.issue(
        session,
        organization,
        request.form.get("name", ""),
        actor=admin.email,
        purpose=purpose,
        default_role=default_role,
    )
    return _page(allowed, raw)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> Response:
    admin, allowed = admin_scope()
    session = db_session()
    token = api_tokens.revoke(session, token_id, allowed, actor=admin.email)
    flash(gettext("The token %(name)s was revoked.", name=token.name), "success")
    return redirect(url_for(".tokens"))

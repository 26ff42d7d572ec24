"""The audit log of the organizations an admin administers: filtered, paged, and as CSV."""

from __future__ import annotations

from flask import Response, render_template, request

from onboarding.audit import log
from onboarding.people.access import organizations_in
from web.dashboard import bp
from web.dashboard.query import AuditArgs, parsed
from web.dashboard.scope import admin_scope
from web.db import db_session


@bp.get("/audit")
def audit() -> str:
    _, allowed = admin_scope()
    session = db_session()
    query = parsed(AuditArgs, request.args)
    found = log.entries(session, query.audit_filter(allowed), query.page_size, query.before)
    organizations = organizations_in(session, allowed)
    return render_template(
        "dashboard/audit.html",
        entries=found,
        more=len(found) == query.page_size,
        organizations=organizations,
        names={org.id: org.name for org in organizations},
        actions=log.actions_seen(session, allowed),
        args={k: v for k, v in request.args.items() if k != "before" and v},
    )


@bp.get("/audit.csv")
def audit_csv() -> Response:
    _, allowed = admin_scope()
    query = parsed(AuditArgs, request.args)
    found = log.entries(db_session(), query.audit_filter(allowed), query.page_size, query.before)
    return csv_download(log.as_csv(found))


def csv_download(text: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )

"""The JSON API under /api: the dashboard's data and actions for one organization per token.

Authentication is `Authorization: Bearer <token>` with a per-organization API token; every
error is JSON `{"error": {"code", "message"}}` (see web.errors). Described in openapi.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, g, request

from onboarding.audit import log as audit_log
from onboarding.clock import utcnow
from onboarding.dashboard import actions, api_tokens, diagnosis, funnel, journey_table
from onboarding.dashboard.actions import Surface
from onboarding.dashboard.bulk_invite import bulk_invite
from onboarding.dashboard.timeline import timeline
from onboarding.errors import ValidationError
from onboarding.people.access import journey_in_scope
from web.api import serialize
from web.dashboard.audit import csv_download
from web.dashboard.params import audit_filter, audit_page, journey_filter, table_query
from web.db import db_session
from web.errors import error_response
from web.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)  # no cookies here: a bearer token cannot be sent by another site's form
OPENAPI = Path(__file__).with_name("openapi.json")
MAX_CSV_BYTES = 5 * 1024 * 1024


@bp.before_request
def authenticate_and_record_use() -> Any:
    if request.endpoint == "api.openapi":
        return None
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    token = (
        api_tokens.authenticate(db_session(), raw.strip()) if scheme.lower() == "bearer" else None
    )
    if token is None:
        body, status = error_response(
            401, "A valid API token is required (Authorization: Bearer <token>).", "unauthorized"
        )
        return body, status, {"WWW-Authenticate": 'Bearer realm="onboarding"'}
    # Committed before the view runs, the one early commit of a request: a call that is then
    # refused still counts as a use of the token (last_used_at).
    db_session().commit()
    g.api_token = token
    g.api_scope = frozenset({token.organization_id})
    return None


@bp.after_app_request
def never_stored(response: Response) -> Response:
    """No cache keeps an API answer, errors and unknown /api addresses included."""
    if request.path == bp.url_prefix or request.path.startswith(f"{bp.url_prefix}/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _actor() -> str:
    token = g.api_token
    return f"api:{token.name} (token of {token.created_by})"


@bp.get("/openapi.json")
def openapi() -> Response:
    return Response(OPENAPI.read_text(), mimetype="application/json")


@bp.get("/funnel")
def get_funnel() -> dict[str, Any]:
    filters = journey_filter(request.args, g.api_scope)
    return serialize.funnel(funnel.funnel(db_session(), filters))


@bp.get("/journeys")
def list_journeys() -> dict[str, Any]:
    filters = journey_filter(request.args, g.api_scope)
    now = utcnow()
    found = journey_table.page(db_session(), table_query(request.args, filters), now)
    return {
        "journeys": [serialize.row(row, now) for row in found.rows],
        "next_cursor": found.next_cursor,
    }


@bp.get("/journeys/<int:journey_id>")
def get_journey(journey_id: int) -> dict[str, Any]:
    session, now = db_session(), utcnow()
    journey = journey_in_scope(session, journey_id, g.api_scope)
    return serialize.journey(
        journey, diagnosis.load_and_diagnose(session, journey, now), timeline(session, journey)
    )


ACTION_NAMES = ", ".join(action.name for action in actions.offered_on(Surface.api))


@bp.post(f"/journeys/<int:journey_id>/<any({ACTION_NAMES}):action>")
def act(journey_id: int, action: str) -> dict[str, Any]:
    session, now = db_session(), utcnow()
    chosen = actions.action_named(action, Surface.api)
    days = actions.DEFAULT_EXTENSION_DAYS
    if chosen.takes_days:
        body = request.get_json(silent=True)
        if body is not None:
            if (
                not isinstance(body, dict)
                or not isinstance(body.get("days", days), int)
                or isinstance(body.get("days"), bool)
            ):
                raise ValidationError('The body must be {"days": <whole number>}.', "days")
            days = body.get("days", days)
    journey = actions.perform(
        session,
        journey_id,
        chosen,
        scope=g.api_scope,
        actor=_actor(),
        days=days,
        now=now,
    )
    return serialize.journey(
        journey, diagnosis.load_and_diagnose(session, journey, now), timeline(session, journey)
    )


@bp.get("/audit")
def list_audit_entries() -> dict[str, Any]:
    """The organization's audit log, newest first; `before` (an id) continues a page."""
    limit, before = audit_page(request.args)
    found = audit_log.entries(db_session(), audit_filter(request.args, g.api_scope), limit, before)
    return {
        "entries": [audit_log.as_dict(entry) for entry in found],
        "next_before": found[-1].id if len(found) == limit else None,
    }


@bp.get("/audit.csv")
def audit_csv() -> Response:
    limit, before = audit_page(request.args)
    found = audit_log.entries(db_session(), audit_filter(request.args, g.api_scope), limit, before)
    return csv_download(audit_log.as_csv(found))


@bp.post("/invitations")
def invite_csv() -> tuple[dict[str, Any], int]:
    """Bulk invite from a CSV body (text/csv); `dry_run=true` only reports."""
    raw_flag = request.args.get("dry_run", "false").lower()
    if raw_flag not in ("true", "false"):
        raise ValidationError("dry_run must be true or false.", "dry_run")
    data = request.get_data(cache=False)
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError("The CSV is larger than 5 MB; split it.", "body")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The body must be UTF-8 CSV.", "body") from None
    session = db_session()
    organization = g.api_token.organization
    report = bulk_invite(session, organization, text, dry_run=raw_flag == "true", actor=_actor())
    return serialize.report(report), 200 if report.dry_run else 201

"""The JSON API under /api: the dashboard's data and actions for one organization per token.

Authentication is `Authorization: Bearer <token>` with a per-organization API token; every
error is JSON `{"error": {"code", "message"}}` (see web.errors). Arguments, bodies and answers
are the models of web/api/models.py and web/dashboard/query.py; /api/openapi.json is generated
from them and the routes (web/api/openapi.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, request

from onboarding.audit import log as audit_log
from onboarding.audit.models import AuditEntry
from onboarding.clock import utcnow
from onboarding.dashboard import actions, api_tokens, diagnosis, funnel, journey_table
from onboarding.dashboard.actions import AdminAction, Surface
from onboarding.dashboard.bulk_invite import bulk_invite, csv_text
from onboarding.dashboard.timeline import timeline
from onboarding.journeys.models import Journey
from onboarding.people import erasure
from onboarding.people.access import MAX_ID, journey_in_scope
from web.api import models
from web.api.openapi import answers, document, spec
from web.dashboard.audit import csv_download
from web.dashboard.query import AuditArgs, JourneyFilterArgs, JourneyTableArgs
from web.db import db_session
from web.errors import error_response
from web.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)  # no cookies here: a bearer token cannot be sent by another site's form
JOURNEY = f"/journeys/<int(min=1, max={MAX_ID}):journey_id>"


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


def _answer(journey: Journey) -> models.Journey:
    session = db_session()
    findings = diagnosis.load_and_diagnose(session, journey, utcnow())
    return models.Journey.of(journey, findings, timeline(session, journey))


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    return document()


@bp.get("/funnel")
@spec.validate(
    query=JourneyFilterArgs, resp=answers(HTTP_200=models.Funnel), operation_id="getFunnel"
)
def get_funnel(query: JourneyFilterArgs) -> models.Funnel:
    """The funnel: per step, reached, in it now, conversion, median time in step."""
    return models.Funnel.of(funnel.funnel(db_session(), query.journey_filter(g.api_scope)))


@bp.get("/journeys")
@spec.validate(
    query=JourneyTableArgs, resp=answers(HTTP_200=models.JourneyPage), operation_id="listJourneys"
)
def list_journeys(query: JourneyTableArgs) -> models.JourneyPage:
    """One page of journeys (keyset pagination: pass next_cursor as after)."""
    now = utcnow()
    found = journey_table.page(db_session(), query.table_query(g.api_scope), now)
    return models.JourneyPage.of(found, now)


@bp.get(JOURNEY)
@spec.validate(resp=answers(HTTP_200=models.Journey), operation_id="getJourney")
def get_journey(journey_id: int) -> models.Journey:
    """A journey with its diagnosis and timeline."""
    return _answer(journey_in_scope(db_session(), journey_id, g.api_scope))


def _action_route(action: AdminAction) -> Callable[..., models.Journey]:
    """The route of one admin action: POST /api/journeys/<id>/<action name>."""

    def act(journey_id: int) -> models.Journey:
        body = request.context.json  # validated by spectree: an ExtendBody where days count
        days = body.days if body is not None else actions.DEFAULT_EXTENSION_DAYS
        journey = actions.perform(
            db_session(),
            journey_id,
            action,
            scope=g.api_scope,
            actor=_actor(),
            days=days,
            now=utcnow(),
        )
        return _answer(journey)

    act.__name__ = f"{action.name}_journey"
    act.__doc__ = action.label
    return spec.validate(
        json=models.ExtendBody if action.takes_days else None,
        resp=answers(HTTP_200=models.Journey),
        operation_id=f"{action.name}Journey",
    )(act)


for _action in actions.offered_on(Surface.api):
    bp.add_url_rule(f"{JOURNEY}/{_action.name}", view_func=_action_route(_action), methods=["POST"])


def _audit_entries(query: AuditArgs) -> list[AuditEntry]:
    filters = query.audit_filter(g.api_scope)
    return audit_log.entries(db_session(), filters, query.page_size, query.before)


@bp.get("/audit")
@spec.validate(
    query=AuditArgs, resp=answers(HTTP_200=models.AuditPage), operation_id="listAuditEntries"
)
def list_audit_entries(query: AuditArgs) -> models.AuditPage:
    """The organization's audit log, newest first: every action of its admins, API tokens and
    directory (pass next_before as before for the next page)."""
    return models.AuditPage.of(_audit_entries(query), query.page_size)


@bp.get("/audit.csv")
@spec.validate(query=AuditArgs, resp=answers(), operation_id="downloadAuditEntries")
def audit_csv(query: AuditArgs) -> Response:
    """The same entries as CSV (columns: id, at, organization_id, actor, action, subject,
    address, detail as JSON)."""
    return csv_download(audit_log.as_csv(_audit_entries(query)))


@bp.post("/invitations")
@spec.validate(
    query=models.DryRun,
    resp=answers(HTTP_200=models.BulkReport, HTTP_201=models.BulkReport),
    operation_id="bulkInvite",
)
def invite_csv(query: models.DryRun) -> tuple[models.BulkReport, int]:
    """Invite many people from CSV (columns first_name,last_name,email,language,roles; roles
    separated by ;). With dry_run=true nothing is written (200), else 201."""
    text = csv_text(request.get_data(cache=False), "body")
    organization = g.api_token.organization
    report = bulk_invite(db_session(), organization, text, dry_run=query.dry_run, actor=_actor())
    return models.BulkReport.of(report), 200 if report.dry_run else 201


@bp.post("/erasures")
@spec.validate(
    json=models.ErasureRequest,
    resp=answers(HTTP_200=models.Erasure, HTTP_403=models.Error),
    operation_id="erasePerson",
)
def erase_person(json: models.ErasureRequest) -> models.Erasure:
    """Erase a person of this organization (GDPR article 17): their names and address are
    replaced by a pseudonym in their journeys, history and mails, their links and pending mails
    cancelled. Refused (403) when they also belong to an organization the token does not reach."""
    erased = erasure.erase_by_address(db_session(), json.email, scope=g.api_scope, actor=_actor())
    return models.Erasure(person_id=erased.id, email=erased.email)

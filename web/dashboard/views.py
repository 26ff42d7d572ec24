"""Dashboard pages: overview (funnel + table), journey detail with actions, live diagram."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from onboarding.clock import utcnow
from onboarding.dashboard import actions, diagnosis, funnel, journey_table, live_diagram
from onboarding.dashboard.timeline import timeline
from onboarding.errors import DomainError
from onboarding.journeys.expiry import EXTEND
from onboarding.journeys.machine import JourneyState
from web.dashboard import bp
from web.dashboard.params import journey_filter, table_query
from web.dashboard.scope import admin_scope, organizations_in_scope
from web.db import db_session


@bp.get("")
def index() -> str:
    _, allowed = admin_scope()
    session, now = db_session(), utcnow()
    filters = journey_filter(request.args, allowed)
    query = table_query(request.args, filters)
    return render_template(
        "dashboard/index.html",
        funnel=funnel.funnel(session, filters),
        page=journey_table.page(session, query, now),
        query=query,
        args={k: v for k, v in request.args.items() if k != "after" and v},
        organizations=organizations_in_scope(allowed),
        states=list(JourneyState),
        sorts=list(journey_table.SORTS),
        now=now,
    )


@bp.get("/diagram")
def diagram() -> str:
    _, allowed = admin_scope()
    filters = journey_filter(request.args, allowed)
    counts = funnel.funnel(db_session(), filters)
    svg = live_diagram.live_svg({state: counts.count_in(state) for state in JourneyState})
    return render_template(
        "dashboard/diagram.html",
        svg=svg,
        organizations=organizations_in_scope(allowed),
        args=request.args,
    )


@bp.get("/journeys/<int:journey_id>")
def journey(journey_id: int) -> str:
    _, allowed = admin_scope()
    session, now = db_session(), utcnow()
    found = actions.journey_in_scope(session, journey_id, allowed)
    return render_template(
        "dashboard/journey.html",
        journey=found,
        findings=diagnosis.load_and_diagnose(session, found, now),
        timeline=timeline(session, found),
        actions=actions.available_actions(found),
        extend=EXTEND,
        default_days=actions.DEFAULT_EXTENSION_DAYS,
        now=now,
    )


CONFIRM = {
    "resend": "Send the invitation again? Links of earlier mails keep working.",
    "revoke": "Revoke the invitation? Every link mailed for it stops working.",
    "reinvite": "Invite again? A new invitation mail with a new link is sent.",
    EXTEND: "Extend the invitation's expiry?",
}


@bp.post("/journeys/<int:journey_id>/<action>")
def act(journey_id: int, action: str) -> Response | str:
    admin, allowed = admin_scope()
    session = db_session()
    found = actions.journey_in_scope(session, journey_id, allowed)
    if action not in CONFIRM:
        flash("That action does not exist.", "error")
        return redirect(url_for(".journey", journey_id=journey_id))
    days = request.form.get("days", str(actions.DEFAULT_EXTENSION_DAYS)).strip()
    if request.form.get("confirmed") != "yes":
        return render_template(
            "dashboard/confirm.html",
            journey=found,
            action=action,
            question=CONFIRM[action],
            days=days,
        )
    try:
        changed = actions.perform(
            session,
            journey_id,
            action,
            organization_ids=allowed,
            actor=admin.email,
            days=int(days) if days.isascii() and days.isdigit() and len(days) < 5 else 0,
        )
        message = actions.describe(action, changed)
        flash(message, "success")
    except DomainError as error:
        session.rollback()
        flash(str(error), "error")
    return redirect(url_for(".journey", journey_id=journey_id))

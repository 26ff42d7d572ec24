"""Dashboard pages: overview (funnel + table), journey detail with actions, live diagram."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from onboarding.clock import utcnow
from onboarding.dashboard import actions, diagnosis, funnel, journey_table, live_diagram
from onboarding.dashboard.actions import Surface
from onboarding.dashboard.timeline import timeline
from onboarding.errors import DomainError, NotFound
from onboarding.journeys.machine import JourneyState
from onboarding.people.access import journey_in_scope, organizations_in
from web.dashboard import bp
from web.dashboard.query import JourneyFilterArgs, JourneyTableArgs, parsed
from web.dashboard.scope import admin_scope
from web.db import db_session
from web.i18n import gettext
from web.words import refusal, say


@bp.get("")
def index() -> str:
    _, allowed = admin_scope()
    session, now = db_session(), utcnow()
    query = parsed(JourneyTableArgs, request.args).table_query(allowed)
    return render_template(
        "dashboard/index.html",
        funnel=funnel.funnel(session, query.filters),
        page=journey_table.page(session, query, now),
        query=query,
        args={k: v for k, v in request.args.items() if k != "after" and v},
        organizations=organizations_in(session, allowed),
        states=list(JourneyState),
        sorts=list(journey_table.SORTS),
        now=now,
    )


@bp.get("/diagram")
def diagram() -> str:
    _, allowed = admin_scope()
    session = db_session()
    filters = parsed(JourneyFilterArgs, request.args).journey_filter(allowed)
    counts = funnel.funnel(session, filters)
    svg = live_diagram.live_svg({state: counts.count_in(state) for state in JourneyState})
    return render_template(
        "dashboard/diagram.html",
        svg=svg,
        organizations=organizations_in(session, allowed),
        args=request.args,
    )


@bp.get("/journeys/<int:journey_id>")
def journey(journey_id: int) -> str:
    _, allowed = admin_scope()
    session, now = db_session(), utcnow()
    found = journey_in_scope(session, journey_id, allowed)
    return render_template(
        "dashboard/journey.html",
        journey=found,
        findings=diagnosis.load_and_diagnose(session, found, now),
        timeline=timeline(session, found),
        actions=actions.available(found, Surface.dashboard),
        default_days=actions.DEFAULT_EXTENSION_DAYS,
        now=now,
    )


@bp.post("/journeys/<int:journey_id>/<action>")
def act(journey_id: int, action: str) -> Response | str:
    admin, allowed = admin_scope()
    session = db_session()
    found = journey_in_scope(session, journey_id, allowed)
    try:
        chosen = actions.action_named(action, Surface.dashboard)
    except NotFound:
        flash(gettext("That action does not exist."), "error")
        return redirect(url_for(".journey", journey_id=journey_id))
    days = request.form.get("days", str(actions.DEFAULT_EXTENSION_DAYS)).strip()
    if request.form.get("confirmed") != "yes":
        return render_template(
            "dashboard/confirm.html",
            journey=found,
            action=chosen,
            days=days,
        )
    try:
        changed = actions.perform(
            session,
            journey_id,
            chosen,
            scope=allowed,
            actor=admin.email,
            days=int(days) if days.isascii() and days.isdigit() and len(days) < 5 else 0,
        )
        flash(say(chosen.message, chosen.params(changed)), "success")
    except DomainError as error:
        session.rollback()
        flash(refusal(error), "error")
    return redirect(url_for(".journey", journey_id=journey_id))

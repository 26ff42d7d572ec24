"""The link that stops a journey's reminders: a GET shows what it does and asks, a POST stops
them. Mail clients POST to it for the one-click unsubscribe of RFC 8058, without a cookie or a
form of ours: the signed token in the address is the only proof, so no CSRF token is asked."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from onboarding.errors import NotFound
from onboarding.journeys import reminders
from onboarding.journeys.models import Journey
from web.db import db_session
from web.extensions import csrf

bp = Blueprint("reminders", __name__)


@bp.get("/reminders/stop/<token>")
def ask(token: str) -> tuple[str, int]:
    try:
        journey = reminders.journey_of(db_session(), token)
    except NotFound:
        return _not_working()
    g.reminders_journey = journey
    stopped = reminders.are_stopped(db_session(), journey)
    page = render_template("reminders/stop.html", journey=journey, token=token, stopped=stopped)
    return page, 200


@bp.post("/reminders/stop/<token>")
@csrf.exempt
def stop(token: str) -> tuple[str, int]:
    try:
        journey = reminders.stop_reminders(db_session(), token)
    except NotFound:
        return _not_working()
    g.reminders_journey = journey
    page = render_template("reminders/stop.html", journey=journey, token=token, stopped=True)
    return page, 200


def _not_working() -> tuple[str, int]:
    return render_template("reminders/stop.html", journey=None), 404


def shown_journey() -> Journey | None:
    """The journey whose reminders this request's page is about (the page speaks its
    person's language)."""
    return g.get("reminders_journey")

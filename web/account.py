"""Your settings: the language of your pages and mails, and the time zone you read times in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from onboarding.errors import ValidationError
from onboarding.i18n import time_zones
from onboarding.people import preferences
from web import labels
from web.auth import current_person, login_required
from web.dates import ZONE_COOKIE
from web.db import db_session
from web.i18n import SESSION_KEY, gettext, page_language
from web.words import refusal

bp = Blueprint("account", __name__, url_prefix="/settings/account")


@bp.get("")
@login_required
def settings() -> str:
    person = current_person()
    assert person is not None
    return _page(person.language, person.time_zone or "")


@bp.post("")
@login_required
def save() -> Response | tuple[str, int]:
    person = current_person()
    assert person is not None
    language = request.form.get("language", "")
    zone = request.form.get("time_zone", "")
    try:
        preferences.choose(person, language=language, time_zone=zone)
    except ValidationError as error:
        db_session().rollback()
        return _page(language, zone, refusal(error), error.field), 422
    # The language chosen here outranks one picked earlier with ?lang= in this session.
    session[SESSION_KEY] = language
    flash(gettext("Your settings are saved."))
    return redirect(url_for("account.settings"))


def _page(
    language: str, zone: str, error: str | None = None, error_field: str | None = None
) -> str:
    regions = time_zones(page_language())
    places = {name: place for _region, zones in regions for name, place in zones}
    return render_template(
        "account/settings.html",
        chosen_language=language,
        chosen_zone=zone,
        regions=[(labels.region(region), zones) for region, zones in regions],
        browser_place=places.get(request.cookies.get(ZONE_COOKIE, "")),
        error=error,
        error_field=error_field,
    )

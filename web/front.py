"""The app's pages: log-in, invitation links, stopping reminders, Measurements,
Settings > People and the reader's own settings."""

from __future__ import annotations

from typing import Any

from flask import Flask

from onboarding.settings import Settings
from web import (
    account,
    history_details,
    invitations,
    labels,
    login,
    measurements,
    people,
    reminders,
)
from web.auth import administers, current_person
from web.dates import init_dates
from web.i18n import init_i18n
from web.oidc import init_oidc
from web.words import say, written


def init_front(app: Flask) -> None:
    init_oidc(app)
    for blueprint in (
        login.bp,
        invitations.bp,
        measurements.bp,
        people.bp,
        reminders.bp,
        account.bp,
    ):
        app.register_blueprint(blueprint)
    app.context_processor(page_context)
    init_i18n(app, preferred_language)
    init_dates(app, chosen_time_zone)
    app.jinja_env.globals.update(
        say=say, written=written, labels=labels, details=history_details.details
    )
    app.jinja_env.globals.update(provider_pages(app.extensions["settings"]))


def preferred_language() -> str | None:
    """The signed-in person's language, else that of the invitation (or its reminders) shown or
    opened in this browser."""
    person = current_person()
    if person is not None:
        return person.language
    journey = (
        invitations.shown_invitation()
        or reminders.shown_journey()
        or login.invitation_in_progress()
    )
    return journey.person.language if journey else None


def chosen_time_zone() -> str | None:
    person = current_person()
    return person.time_zone if person is not None else None


def page_context() -> dict[str, Any]:
    """Who is logged in, and whether to offer Settings > People in the navigation."""
    return {"viewer": current_person(), "is_admin": administers()}


def provider_pages(settings: Settings) -> dict[str, Any]:
    """The identity provider's name and account page, the same on every page."""
    # Only Connect has this page; another provider's account pages are its own business.
    with_connect = settings.oidc_issuer == settings.connect_issuer
    return {
        "idp_name": settings.idp_name,
        "account_security_url": (
            f"{settings.connect_issuer}/account/security" if with_connect else None
        ),
    }

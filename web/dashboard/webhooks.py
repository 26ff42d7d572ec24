"""Webhooks of the organizations an admin administers: register an endpoint and its events
(the secret shown once), rotate its secret, remove it; its delivery log with "send again"."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from onboarding.errors import ValidationError
from onboarding.people.access import Scope, organizations_in
from onboarding.webhooks import deliveries, endpoints
from onboarding.webhooks.events import EVENT_TYPES
from onboarding.webhooks.models import WebhookEndpoint
from web.dashboard import bp
from web.dashboard.scope import admin_scope, posted_organization
from web.db import db_session
from web.i18n import gettext
from web.words import refusal


def _page(
    allowed: Scope,
    *,
    secret: str | None = None,
    secret_of: WebhookEndpoint | None = None,
    error: ValidationError | None = None,
) -> str:
    return render_template(
        "dashboard/webhooks.html",
        endpoints=endpoints.for_organizations(db_session(), allowed),
        organizations=organizations_in(db_session(), allowed),
        event_types=EVENT_TYPES,
        secret=secret,
        secret_of=secret_of,
        error=refusal(error) if error else None,
        error_field=error.field if error else None,
        form=request.form,
    )


@bp.get("/webhooks")
def webhooks() -> str:
    _, allowed = admin_scope()
    return _page(allowed)


@bp.post("/webhooks")
def register_webhook() -> str | tuple[str, int]:
    _, allowed = admin_scope()
    admin, organization = posted_organization()
    session = db_session()
    try:
        endpoint, secret = endpoints.register(
            session,
            organization,
            request.form.get("url", ""),
            request.form.getlist("events"),
            actor=admin.email,
        )
    except ValidationError as error:
        return _page(allowed, error=error), 422
    return _page(allowed, secret=secret, secret_of=endpoint)


@bp.post("/webhooks/<int:endpoint_id>/rotate")
def rotate_webhook_secret(endpoint_id: int) -> str:
    admin, allowed = admin_scope()
    endpoint, secret = endpoints.rotate_secret(
        db_session(), endpoint_id, allowed, actor=admin.email
    )
    return _page(allowed, secret=secret, secret_of=endpoint)


@bp.post("/webhooks/<int:endpoint_id>/remove")
def remove_webhook(endpoint_id: int) -> Response:
    admin, allowed = admin_scope()
    endpoint = endpoints.remove(db_session(), endpoint_id, allowed, actor=admin.email)
    flash(gettext("The webhook to %(url)s was removed.", url=endpoint.url), "success")
    return redirect(url_for(".webhooks"))


@bp.get("/webhooks/<int:endpoint_id>")
def webhook_deliveries(endpoint_id: int) -> str:
    _, allowed = admin_scope()
    session = db_session()
    return render_template(
        "dashboard/webhook_deliveries.html",
        endpoint=endpoints.endpoint_in_scope(session, endpoint_id, allowed),
        messages=deliveries.log(session, endpoint_id, allowed),
    )


@bp.post("/webhooks/<int:endpoint_id>/deliveries/<int:message_id>/again")
def send_webhook_again(endpoint_id: int, message_id: int) -> Response:
    admin, allowed = admin_scope()
    deliveries.send_again(db_session(), endpoint_id, message_id, allowed, actor=admin.email)
    flash(gettext("The message is queued to be sent again."), "success")
    return redirect(url_for(".webhook_deliveries", endpoint_id=endpoint_id))

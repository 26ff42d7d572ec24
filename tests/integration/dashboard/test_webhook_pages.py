"""The dashboard's webhook pages: register an endpoint (its secret shown once), rotate, remove,
the delivery log with "send again"; only for the admin's organizations; English and Dutch."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from onboarding import journeys
from onboarding.db import unit_of_work
from onboarding.outbox.models import OutboxMessage
from onboarding.settings import use_settings
from onboarding.webhooks.models import WebhookEndpoint
from tests import helpers
from tests.integration.dashboard.test_pages import csrf_of, person, two_organizations


@pytest.fixture
def allowed(settings):
    """Endpoints on loopback are allowed (a receiver in development); ask for it before the
    app, which is built on the settings in use."""
    use_settings(settings.with_overrides(webhooks_allow_private_addresses=True))


def register(client, organization_id, url="http://127.0.0.1:9/hook", events=("journey.invited",)):
    token = csrf_of(client.get("/admin/onboarding/webhooks").get_data(as_text=True))
    return client.post(
        "/admin/onboarding/webhooks",
        data={
            "csrf_token": token,
            "organization": organization_id,
            "url": url,
            "events": list(events),
        },
    )


def shown_secret(html: str) -> str:
    match = re.search(r'<code class="token">(whsec_[^<]+)</code>', html)
    assert match, "no secret on the page"
    return match.group(1)


def test_the_secret_is_shown_once_and_rotation_shows_the_new_one(allowed, client, factory, log_in):
    ids = two_organizations(factory)
    log_in(client, person(factory, ids["acme_admin"]))
    created = register(client, ids["acme"], events=("journey.invited", "journey.accepted"))
    assert created.status_code == 200
    secret = shown_secret(created.get_data(as_text=True))
    listing = client.get("/admin/onboarding/webhooks").get_data(as_text=True)
    assert "http://127.0.0.1:9/hook" in listing and secret not in listing
    with factory() as session:
        endpoint = session.scalars(select(WebhookEndpoint)).one()
        assert (endpoint.events, endpoint.secret) == (
            ["journey.invited", "journey.accepted"],
            secret,
        )
    rotated = client.post(
        f"/admin/onboarding/webhooks/{endpoint.id}/rotate", data={"csrf_token": csrf_of(listing)}
    )
    new = shown_secret(rotated.get_data(as_text=True))
    assert new != secret and "the previous secret signs too until" in rotated.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "events", "message"),
    [
        ("ftp://example.com/x", ("journey.invited",), "starts with https://"),
        ("http://127.0.0.1:9/hook", ("journey.invited",), "loopback or private"),
        ("https://93.184.215.14/hook", (), "Choose one or more of the events"),
        ("https://93.184.215.14/hook", ("journey.deleted",), "Choose one or more of the events"),
    ],
)
def test_a_bad_endpoint_is_refused_with_its_reason(client, factory, log_in, url, events, message):
    ids = two_organizations(factory)
    log_in(client, person(factory, ids["acme_admin"]))
    refused = register(client, ids["acme"], url=url, events=events)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert message in html and 'role="alert"' in html and 'aria-invalid="true"' in html
    with factory() as session:
        assert session.scalars(select(WebhookEndpoint)).all() == []


def test_an_admin_of_acme_cannot_touch_globex_webhooks(allowed, app, client, factory, log_in):
    ids = two_organizations(factory)
    globex = app.test_client()
    log_in(globex, person(factory, ids["globex_admin"]))
    register(globex, ids["globex"])
    with factory() as session:
        globex_endpoint = session.scalars(select(WebhookEndpoint)).one().id
    log_in(client, person(factory, ids["acme_admin"]))
    page = client.get("/admin/onboarding/webhooks").get_data(as_text=True)
    assert "127.0.0.1:9" not in page
    assert register(client, ids["globex"]).status_code == 403
    token = csrf_of(page)
    for path in ("rotate", "remove"):
        answer = client.post(
            f"/admin/onboarding/webhooks/{globex_endpoint}/{path}", data={"csrf_token": token}
        )
        assert answer.status_code == 404
    assert client.get(f"/admin/onboarding/webhooks/{globex_endpoint}").status_code == 404


def test_the_delivery_log_sends_a_message_again(allowed, client, factory, log_in):
    ids = two_organizations(factory)
    log_in(client, person(factory, ids["acme_admin"]))
    register(client, ids["acme"])
    with unit_of_work(factory) as session:
        endpoint_id = session.scalars(select(WebhookEndpoint.id)).one()
        org = session.get(WebhookEndpoint, endpoint_id).organization
        journeys.invite(
            session, helpers.journey(session, org, email="new@acme.example").id, actor="x"
        )
    log_page = client.get(f"/admin/onboarding/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "journey.invited" in log_page and "pending" in log_page
    with factory() as session:
        (message,) = session.scalars(
            select(OutboxMessage).where(OutboxMessage.webhook_endpoint_id == endpoint_id)
        )
    again = client.post(
        f"/admin/onboarding/webhooks/{endpoint_id}/deliveries/{message.id}/again",
        data={"csrf_token": csrf_of(log_page)},
        follow_redirects=True,
    )
    assert "queued to be sent again" in again.get_data(as_text=True)
    with factory() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.webhook_endpoint_id == endpoint_id)
        ).all()
    assert len(rows) == 2 and rows[0].payload["message_id"] == rows[1].payload["message_id"]


def test_removing_an_endpoint_drops_it_and_its_log(allowed, client, factory, log_in):
    ids = two_organizations(factory)
    log_in(client, person(factory, ids["acme_admin"]))
    page = register(client, ids["acme"]).get_data(as_text=True)
    with factory() as session:
        endpoint_id = session.scalars(select(WebhookEndpoint.id)).one()
    removed = client.post(
        f"/admin/onboarding/webhooks/{endpoint_id}/remove",
        data={"csrf_token": csrf_of(page)},
        follow_redirects=True,
    )
    assert "was removed" in removed.get_data(as_text=True)
    with factory() as session:
        assert session.scalars(select(WebhookEndpoint)).all() == []


def test_the_pages_speak_dutch(allowed, client, factory, log_in):
    ids = two_organizations(factory)
    log_in(client, person(factory, ids["acme_admin"]))
    page = client.get("/admin/onboarding/webhooks?lang=nl").get_data(as_text=True)
    assert '<html lang="nl">' in page and "Nieuw eindpunt" in page and "Auditlog" in page
    audit = client.get("/admin/onboarding/audit").get_data(as_text=True)
    assert "Wie" in audit and "Downloaden als CSV" in audit

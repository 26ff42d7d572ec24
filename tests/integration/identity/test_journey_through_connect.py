"""From invitation to activation across the two systems: register at Connect from the app's
Create-account link, activate, and the app's journey follows through the signed identity
events that Connect's outbox delivers to /hooks/identity."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from onboarding import journeys
from onboarding.db import unit_of_work
from onboarding.identity import captcha
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.journeys.refs import make_ref
from onboarding.outbox import webhooks
from onboarding.outbox.models import OutboxMessage
from tests import helpers
from tests.helpers import (
    PASSWORD,
    answer_requests,
    csrf_token,
    link_token,
    log_in_to_connect,
    mails,
)


@pytest.fixture
def app_client(factory):
    from web import create_app

    return create_app().test_client()


def deliver_webhooks(factory, settings, app_client):
    """What the delivery worker does with pending webhook rows: sign and POST them."""
    with unit_of_work(factory) as session:
        answer_requests(session)
        pending = [
            (row.id, row.payload)
            for row in session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.kind == "webhook", OutboxMessage.status == "pending"
                )
            )
        ]
    for row_id, payload in pending:
        body = json.dumps(payload["event"]).encode()
        assert payload["url"] == "http://app.test/hooks/identity"
        response = app_client.post(
            "/hooks/identity",
            data=body,
            headers={
                "Content-Type": "application/json",
                webhooks.SIGNATURE_HEADER: webhooks.sign(settings.webhook_secret, body),
            },
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        with unit_of_work(factory) as session:
            session.get(OutboxMessage, row_id).status = "sent"


def journey_state(factory, journey_id):
    with unit_of_work(factory) as session:
        return session.get(Journey, journey_id).state


@pytest.mark.parametrize("registered_as", ["ada@example.com", "ada.private@example.org"])
def test_registration_and_activation_move_the_invitation_along(
    client, app_client, factory, connect_settings, registered_as
):
    with unit_of_work(factory) as session:
        journey = helpers.journey(session, email="ada@example.com")
        journeys.invite(session, journey.id, actor="admin")
        journey_id, ref = journey.id, make_ref(journey.id, connect_settings)

    # The app's "Create account" link, as the contract spells it.
    page = client.get(
        f"/register?email=ada%40example.com&ref={ref}&return_to=http%3A%2F%2Fapp.test%2Flogin"
    )
    html = page.get_data(as_text=True)
    assert f'name="ref" value="{ref}"' in html
    response = client.post(
        "/register",
        data={
            "csrf_token": csrf_token(html),
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": registered_as,
            "language": "nl",
            "country": "NL",
            "ref": ref,
            "altcha": captcha.solve(client.get("/captcha/challenge").get_json()),
        },
    )
    assert response.status_code == 303
    deliver_webhooks(factory, connect_settings, app_client)
    assert journey_state(factory, journey_id) is JourneyState.registered

    with unit_of_work(factory) as session:
        [mail] = mails(session, "activation")
    assert mail["to"] == registered_as and mail["language"] == "nl"
    token = link_token(mail["context"]["activate_url"])
    form = client.get(f"/activate/{token}").get_data(as_text=True)
    done = client.post(
        f"/activate/{token}",
        data={
            "csrf_token": csrf_token(form),
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
        },
    )
    assert done.headers["Location"] == "http://app.test/login"
    deliver_webhooks(factory, connect_settings, app_client)
    assert journey_state(factory, journey_id) is JourneyState.activated

    assert log_in_to_connect(client, email=registered_as).status_code == 302

"""Registration → activation mail over real SMTP → set password → log in, with the app's
journey moving registered → activated through webhooks delivered over real HTTP: the outbox
worker's delivery, an SMTP server and the app on loopback."""

from __future__ import annotations

import re

import pytest

from onboarding import journeys
from onboarding.db import unit_of_work
from onboarding.identity import captcha
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.journeys.refs import make_ref
from onboarding.outbox import delivery
from tests import helpers
from tests.helpers import PASSWORD, csrf_token, log_in_to_connect, serve
from tests.mailbox import Mailbox


@pytest.fixture
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


def state(factory, journey_id):
    with unit_of_work(factory) as session:
        return session.get(Journey, journey_id).state


def test_register_activate_from_the_mail_and_log_in(factory, connect_settings, mailbox):
    from web import create_app, create_connect_app

    with serve(create_app()) as app_url:
        settings = connect_settings.with_overrides(smtp_url=mailbox.url, app_base_url=app_url)
        factory.configure(info={"settings": settings})
        client = create_connect_app(settings=settings).test_client()
        with unit_of_work(factory) as session:
            journey = helpers.journey(session, email="ada@example.com")
            journeys.invite(session, journey.id, actor="admin")
            journey_id, ref = journey.id, make_ref(journey.id, settings)

        html = client.get(f"/register?email=ada%40example.com&ref={ref}").get_data(as_text=True)
        registered = client.post(
            "/register",
            data={
                "csrf_token": csrf_token(html),
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": "ada@example.com",
                "language": "en",
                "country": "GB",
                "ref": ref,
                "altcha": captcha.solve(client.get("/captcha/challenge").get_json()),
            },
        )
        assert registered.status_code == 303
        delivery.deliver_due(factory)
        assert state(factory, journey_id) is JourneyState.registered

        mails = mailbox.wait_for("ada@example.com", count=2)  # invitation, then activation
        activation = mails[-1]
        assert activation["Subject"] == "Welcome to Measurements: activate your account"
        text = activation.get_body(("plain",)).get_content()
        link = re.search(r"http://connect\.test/activate/[A-Za-z0-9_-]{43}", text).group(0)
        path = link.removeprefix("http://connect.test")
        form = client.get(path).get_data(as_text=True)
        done = client.post(
            path,
            data={
                "csrf_token": csrf_token(form),
                "password": PASSWORD,
                "password_confirmation": PASSWORD,
            },
        )
        assert done.headers["Location"] == f"{app_url}/login"
        delivery.deliver_due(factory)
        assert state(factory, journey_id) is JourneyState.activated
        assert log_in_to_connect(client).status_code == 302

"""The log lines of a whole journey, from the invitation mail to a log-in at Connect: one JSON
object each, under the request id given in X-Request-ID, and never a token, a password or the
secret of a mailed link."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from onboarding import journeys
from onboarding.db import make_session_factory, unit_of_work
from onboarding.identity import captcha
from onboarding.logs import ContextFilter, JSONFormatter
from onboarding.outbox import delivery
from onboarding.outbox.models import OutboxMessage
from onboarding.settings import use_settings
from tests import helpers
from tests.helpers import PASSWORD, answer_requests, csrf_token, link_token
from tests.mailbox import Mailbox, parsed


@pytest.fixture
def log_lines():
    """Every line logged meanwhile, formatted as the processes write them."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JSONFormatter())
    handler.addFilter(ContextFilter())
    logging.getLogger().addHandler(handler)
    yield lines
    logging.getLogger().removeHandler(handler)


def link_in(mail) -> str:
    text = mail.get_body(("plain",)).get_content()
    return next(word for word in text.split() if "/invitations/" in word or "/activate/" in word)


def test_a_journey_logs_its_request_ids_and_no_secret(factory, settings, log_lines):
    box = Mailbox().start()
    current = settings.with_overrides(smtp_url=box.url, altcha_max_number=500)
    use_settings(current)
    worker = make_session_factory(factory.kw["bind"], current)
    from web import create_app, create_connect_app

    app, connect = create_app().test_client(), create_connect_app().test_client()
    try:
        with unit_of_work(factory) as session:
            journey = helpers.journey(session, email="ada@example.com")
            journeys.invite(session, journey.id, actor="admin")
        delivery.deliver_due(worker)
        invitation = link_token(link_in(parsed(box.messages[0].as_bytes())))
        shown = app.get(f"/invitations/{invitation}", headers={"X-Request-ID": "req-open-1"})
        assert shown.status_code == 200 and shown.headers["X-Request-ID"] == "req-open-1"

        html = connect.get("/register?email=ada%40example.com").get_data(as_text=True)
        form = {
            "csrf_token": csrf_token(html),
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "language": "en",
            "country": "GB",
            "altcha": captcha.solve(connect.get("/captcha/challenge").get_json()),
        }
        registered = connect.post("/register", data=form, headers={"X-Request-ID": "req-reg-1"})
        assert registered.status_code == 303
        with unit_of_work(worker) as session:
            answer_requests(session)
            # The mail answering the registration names the request that asked for it.
            rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "mail"))
            [asked] = [row for row in rows if row.payload["template"] == "activation"]
            assert asked.request_id == "req-reg-1"
        delivery.deliver_due(worker)
        activation = link_token(link_in(parsed(box.messages[-1].as_bytes())))
        page = connect.get(f"/activate/{activation}").get_data(as_text=True)
        activated = connect.post(
            f"/activate/{activation}",
            data={
                "csrf_token": csrf_token(page),
                "password": PASSWORD,
                "password_confirmation": PASSWORD,
            },
        )
        assert activated.status_code in (302, 303)
        assert helpers.log_in_to_connect(connect, password="Wrong-" + PASSWORD).status_code == 200
        assert helpers.log_in_to_connect(connect).status_code == 302
    finally:
        box.stop()

    lines = [json.loads(line) for line in log_lines]
    requests = [line for line in lines if line["message"] == "request"]
    opened = next(line for line in requests if line["request_id"] == "req-open-1")
    assert opened["route"] == "/invitations/<token>" and opened["status"] == 200
    assert any(line["route"] == "/activate/<token>" for line in requests)
    assert [line["template"] for line in lines if line["message"] == "mail accepted"] == [
        "invitation",
        "activation",
    ]
    secrets = [invitation, activation, PASSWORD, form["altcha"], form["csrf_token"]]
    for line in log_lines:
        assert not [secret for secret in secrets if secret in line], line

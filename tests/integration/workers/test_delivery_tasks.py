"""A real Celery worker delivers the outbox to a real SMTP server on loopback."""

import re
import uuid

import pytest
from sqlalchemy import select

from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.journeys import link_tokens
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.outbox.models import OutboxMessage
from tests import helpers
from tests.celery_worker import Worker, client_app, outbox_row, wait_until, worker_env
from tests.mailbox import Mailbox
from workers import kick


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def worker_settings(engine, mailbox, tmp_path_factory):
    """A worker with beat on the embedded (filesystem) broker, for the test database."""
    url = engine.url.render_as_string(hide_password=False)
    env = worker_env(tmp_path_factory.mktemp("worker"), url, mailbox.url)
    worker = Worker(env, f"w-{engine.dialect.name}", beat=True).start()
    yield env
    worker.stop()


@pytest.fixture
def kicked(worker_settings):
    """This process kicks the worker after each commit that wrote outbox rows, like the web."""
    kick.install(client_app(worker_settings))
    yield
    kick.uninstall()


def test_an_invite_commits_and_its_mail_arrives_in_the_persons_language(factory, mailbox, kicked):
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        rolled_back = helpers.journey(session, email="rolled-back@example.com", language="nl")
        helpers.fire(session, rolled_back.id, "invite")
        raise RuntimeError("the admin's request failed after the invite")
    with unit_of_work(factory) as session:
        journey = helpers.journey(session, language="nl")
        helpers.fire(session, journey.id, "invite")
        address, organization = journey.person.email, journey.organization.name
    (mail,) = mailbox.wait_for(address)
    assert mail["Subject"] == f"Uitnodiging voor {organization} in Measurements"
    text = mail.get_body(("plain",)).get_content()
    link = next(word for word in text.split() if word.startswith("http://app.test/invitations/"))
    with unit_of_work(factory) as session:
        check = link_tokens.check(session, link.rsplit("/", 1)[1], link_tokens.INVITATION, utcnow())
        assert check.status is link_tokens.TokenStatus.valid and check.journey.id == journey.id
    assert mail["Message-ID"] == f"<outbox-{outbox_row(factory, journey.id).id}@example.com>"
    wait_until(lambda: outbox_row(factory, journey.id).status == "sent", message="row sent")
    # Nothing was ever written for the rolled-back invite, so nothing can arrive for it.
    assert mailbox.to("rolled-back@example.com") == []
    sent = outbox_row(factory, journey.id)
    with unit_of_work(factory) as session:
        assert session.scalars(select(OutboxMessage.id)).all() == [sent.id]


def test_the_delivered_invitation_names_a_join_code_that_opens_the_invitation(
    factory, mailbox, kicked
):
    with unit_of_work(factory) as session:
        journey = helpers.journey(session)
        helpers.fire(session, journey.id, "invite")
        address = journey.person.email
    (mail,) = mailbox.wait_for(address)
    text = mail.get_body(("plain",)).get_content()
    found = re.search(r"On another device\? Go to http://app\.test/join and enter (\S+)\.", text)
    assert found is not None
    code = found.group(1)
    assert code in mail.get_body(("html",)).get_content()
    with unit_of_work(factory) as session:
        check = link_tokens.check_code(session, code, utcnow())
        assert check.status is link_tokens.TokenStatus.valid and check.journey.id == journey.id


def test_smtp_down_then_up_the_mail_arrives_after_retries_once(factory, mailbox, kicked):
    mailbox.stop()
    try:
        with unit_of_work(factory) as session:
            journey = helpers.journey(session)
            helpers.fire(session, journey.id, "invite")
            address = journey.person.email
        # A claim counts the attempt before the try; its failure is recorded after it.
        wait_until(
            lambda: outbox_row(factory, journey.id).last_error is not None, message="a failed try"
        )
        failed = outbox_row(factory, journey.id)
        assert failed.status == "pending" and "Connection" in failed.last_error
    finally:
        mailbox.start()
    mailbox.wait_for(address)
    wait_until(lambda: outbox_row(factory, journey.id).status == "sent", message="row sent")
    assert len(mailbox.to(address)) == 1
    assert outbox_row(factory, journey.id).attempts >= 2


def test_a_5xx_rejection_marks_the_mail_bounced_on_the_journey(factory, kicked):
    with unit_of_work(factory) as session:
        journey = helpers.journey(session, email=f"nobody-{uuid.uuid4().hex[:6]}@example.com")
        helpers.fire(session, journey.id, "invite")
    wait_until(lambda: outbox_row(factory, journey.id).status == "bounced", message="bounced")
    with unit_of_work(factory) as session:
        loaded = session.get(Journey, journey.id)
        assert loaded.state is JourneyState.invited
        assert [e.trigger for e in loaded.events][-1] == "mail_bounced"
    assert outbox_row(factory, journey.id).attempts == 1

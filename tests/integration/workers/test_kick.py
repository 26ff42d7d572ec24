"""The outbox worker is kicked right after a commit that wrote mail, however the rows were
written: a worker without beat delivers them only because of the kick."""

import pytest

from onboarding.dashboard.bulk_invite import bulk_invite
from onboarding.db import unit_of_work
from tests.celery_worker import Worker, client_app, worker_env
from tests.helpers import organization
from tests.mailbox import Mailbox
from workers import kick


@pytest.fixture
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def kicked_worker_without_beat(engine, mailbox, tmp_path):
    url = engine.url.render_as_string(hide_password=False)
    env = worker_env(tmp_path, url, mailbox.url)
    worker = Worker(env, f"kick-{engine.dialect.name}").start()
    kick.install(client_app(env))
    yield
    kick.uninstall()
    worker.stop()


def test_the_mails_of_a_bulk_invite_are_delivered_on_the_kick_of_its_commit(
    factory, mailbox, kicked_worker_without_beat
):
    text = "first_name,last_name,email,language,roles\n" + "".join(
        f"P{n},Q,p{n}@example.com,en,viewer\n" for n in range(3)
    )
    with unit_of_work(factory) as session:
        bulk_invite(session, organization(session), text, dry_run=False, actor="boss@example.com")
    for n in range(3):
        (mail,) = mailbox.wait_for(f"p{n}@example.com", timeout=20)
        assert mail["Subject"].startswith("Invitation")

"""A worker's log lines are JSON, and name the request that caused its work: the task kicked
after a request's commit runs under that request's id, and each mail's SMTP line under the id
of the request that wrote its row."""

from __future__ import annotations

import json

from onboarding.db import unit_of_work
from onboarding.logs import bound
from tests import helpers
from tests.celery_worker import Worker, client_app, outbox_row, wait_until, worker_env
from tests.mailbox import Mailbox
from workers import kick


def json_lines(worker: Worker) -> list[dict]:
    return [json.loads(line) for line in worker.output if line.startswith("{")]


def test_the_kicked_task_and_the_smtp_line_carry_the_request_id(factory, tmp_path):
    box = Mailbox().start()
    url = factory.kw["bind"].url.render_as_string(hide_password=False)
    env = worker_env(tmp_path, url, box.url, LOG_FORMAT="json")
    worker = Worker(env, "traced").start()
    try:
        with bound("req-invite-1"):
            with unit_of_work(factory) as session:
                journey = helpers.journey(session)
                helpers.fire(session, journey.id, "invite")
                address = journey.person.email
            kick.kick(client_app(env))  # as the request's commit does
        box.wait_for(address)
        row = outbox_row(factory, journey.id)
        assert row.request_id == "req-invite-1"

        def logged(message):
            return [line for line in json_lines(worker) if line["message"] == message]

        wait_until(lambda: logged("outbox delivered"), message="the task's line")
    finally:
        worker.stop()
        box.stop()
    [smtp] = logged("mail accepted")
    assert smtp["request_id"] == "req-invite-1"
    assert smtp["outbox_id"] == row.id and smtp["template"] == "invitation"
    [task] = logged("outbox delivered")
    assert task["request_id"] == "req-invite-1" and task["sent"] == 1
    assert task["task_id"] == smtp["task_id"]

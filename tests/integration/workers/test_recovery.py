"""Workers that fail or compete: a killed worker loses nothing, two workers send each row once.

These tests start their own workers (no other worker may run on the database meanwhile).
"""

from __future__ import annotations

import time
import uuid

import redis
from sqlalchemy import select

from onboarding.db import unit_of_work
from onboarding.outbox import delivery
from onboarding.outbox.models import OutboxMessage
from tests import helpers
from tests.celery_worker import Worker, client_app, outbox_row, wait_until, worker_env
from tests.mailbox import Mailbox
from tests.redis_server import PrivateRedis
from workers import kick

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_two_workers_on_redis_drain_one_postgres_outbox_sending_each_row_once(
    postgres_factory, tmp_path
):
    mailbox = Mailbox().start()
    total = 300
    with unit_of_work(postgres_factory) as session:
        helpers.invitation_mails(session, total, "pair")
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    url = postgres_factory.kw["bind"].url.render_as_string(hide_password=False)
    env = worker_env(
        tmp_path,
        url,
        mailbox.url,
        CELERY_BROKER_URL=REDIS_URL,
        CELERY_KEY_PREFIX=prefix,
        OUTBOX_BATCH_SIZE="10",
    )
    workers = [Worker(env, f"pair{n}").start() for n in range(2)]
    try:
        client = client_app(env)
        for _ in range(8):
            kick.kick(client)

        def all_sent():
            with unit_of_work(postgres_factory) as session:
                return (
                    session.scalars(
                        select(OutboxMessage.id).where(OutboxMessage.status != "sent")
                    ).all()
                    == []
                )

        wait_until(all_sent, timeout=60, message="every row sent")
    finally:
        for worker in workers:
            worker.stop()
        mailbox.stop()
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(f"{prefix}*"):
            store.delete(key)
    received = [m["Message-ID"] for m in mailbox.messages if m["To"].startswith("pair-")]
    assert len(received) == total == len(set(received))
    worked = [w for w in workers if any("outbox.deliver" in line for line in w.output)]
    assert len(worked) == 2


def test_a_worker_killed_mid_batch_loses_nothing(factory, tmp_path):
    box = Mailbox().start()
    url = factory.kw["bind"].url.render_as_string(hide_password=False)
    env = worker_env(tmp_path, url, box.url, OUTBOX_LEASE="2s")
    doomed = Worker(env, "doomed").start()
    try:
        box.stalled.set()
        with unit_of_work(factory) as session:
            journey = helpers.journey(session)
            helpers.fire(session, journey.id, "invite")
            address = journey.person.email
        kick.kick(client_app(env))
        wait_until(lambda: outbox_row(factory, journey.id).attempts == 1, message="claimed")
        # The successor comes up while the lease still holds: it must not take the row yet.
        successor = Worker(env, "successor", beat=True).start()
        try:
            assert outbox_row(factory, journey.id).attempts == 1
            doomed.process.kill()  # SIGKILL in the middle of the SMTP transaction
            doomed.stop()
            box.stalled.clear()
            box.wait_for(address)
            wait_until(lambda: outbox_row(factory, journey.id).status == "sent", message="sent")
        finally:
            successor.stop()
        assert len(box.to(address)) == 1
        assert outbox_row(factory, journey.id).attempts == 2
    finally:
        doomed.stop()
        box.stop()


def test_a_worker_killed_twice_mid_stream_resends_only_the_mails_in_flight(
    postgres_factory, tmp_path
):
    total, in_flight = 300, 2 * delivery.RECORD_EVERY + 1
    box = Mailbox(delay=0.005).start()
    with unit_of_work(postgres_factory) as session:
        helpers.invitation_mails(session, total, "kill")
    url = postgres_factory.kw["bind"].url.render_as_string(hide_password=False)
    env = worker_env(tmp_path, url, box.url, OUTBOX_LEASE="3s")
    client = client_app(env)
    current = Worker(env, "kill0").start()
    try:
        for n, count in ((1, 100), (2, 200)):
            kicked_until(client, lambda count=count: len(box.messages) >= count, "mails sent")
            current.process.kill()  # SIGKILL mid-stream
            current.stop()
            current = Worker(env, f"kill{n}").start()
        kicked_until(client, lambda: len(sent_rows(postgres_factory)) == total, "every row sent")
    finally:
        current.stop()
        box.stop()
    received = [m["Message-ID"] for m in box.messages]
    lost, duplicated = total - len(set(received)), len(received) - len(set(received))
    assert lost == 0
    assert duplicated <= 2 * in_flight


def kicked_until(client, condition, message):
    """Wait for `condition`, kicking twice a second as beat would (a beat inside a killed
    worker would outlive it; a beat of its own would tick during the outage)."""
    kicked = [0.0]

    def kick_and_check():
        if time.monotonic() - kicked[0] > 0.5:
            kick.kick(client)
            kicked[0] = time.monotonic()
        return condition()

    wait_until(kick_and_check, timeout=90, message=message)


def sent_rows(factory):
    with unit_of_work(factory) as session:
        return session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "sent")).all()


def test_a_busy_worker_outlives_a_broker_outage_and_delivers_mail_written_after_it(
    postgres_factory, tmp_path
):
    # With kombu's ack emulation, closing the lost connection tried to put the task in flight
    # back on the dead server ("Unrecoverable error ... 'hostname'") and the worker exited.
    broker = PrivateRedis().start()
    box = Mailbox(delay=0.01).start()
    with unit_of_work(postgres_factory) as session:
        helpers.invitation_mails(session, 300, "before")
    url = postgres_factory.kw["bind"].url.render_as_string(hide_password=False)
    env = worker_env(tmp_path, url, box.url, CELERY_BROKER_URL=broker.url, OUTBOX_LEASE="3s")
    worker = Worker(env, "outage", pool="prefork").start()
    try:
        client = client_app(env)
        kick.kick(client)
        wait_until(lambda: len(box.messages) >= 50, message="delivery under way")
        broker.stop()  # while the delivery task runs
        wait_until(lambda: any("Connection to broker lost" in line for line in worker.output))
        broker.start()
        # Mail written after the outage goes out on the kicks, through the same worker.
        with unit_of_work(postgres_factory) as session:
            helpers.invitation_mails(session, 5, "after")
        kicked_until(client, lambda: len(sent_rows(postgres_factory)) == 305, "every row sent")
        assert worker.process.poll() is None
    finally:
        worker.stop()
        broker.stop()
        box.stop()
    assert not any("Unrecoverable error" in line for line in worker.output)
    received = [m["Message-ID"] for m in box.messages]
    assert len(set(received)) == len(received) == 305

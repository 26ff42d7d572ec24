"""Outbox delivery over a real SMTP server and a real HTTP server on loopback."""

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import event, select, text

from onboarding import outbox
from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.errors import ValidationError
from onboarding.identity import accounts
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.outbox import delivery, webhooks
from onboarding.outbox.models import OutboxMessage
from tests import helpers
from tests.mailbox import Mailbox, free_port


@pytest.fixture
def mailbox(factory, settings):
    box = Mailbox().start()
    factory.configure(info={"settings": settings.with_overrides(smtp_url=box.url)})
    yield box
    box.stop()


def carried(factory):
    """The settings `factory`'s sessions carry."""
    return factory.kw["info"]["settings"]


def configured(factory, settings):
    """Sessions of `factory` carry `settings` from now on."""
    factory.configure(info={"settings": settings})


def invite(factory, email=None, language="en"):
    with unit_of_work(factory) as session:
        journey = helpers.journey(session, email=email, language=language)
        helpers.fire(session, journey.id, "invite")
        return journey.id, journey.person.email


def rows(factory):
    with unit_of_work(factory) as session:
        return session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_due_mails_go_out_over_one_connection_and_are_marked_sent(factory, mailbox):
    addresses = [invite(factory)[1] for _ in range(3)]
    report = delivery.deliver_due(factory)
    assert (report.sent, report.retrying, mailbox.connections) == (3, 0, 1)
    assert sorted(m["To"] for m in mailbox.messages) == sorted(addresses)
    by_address = {m["To"]: m for m in mailbox.messages}
    for row in rows(factory):
        assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
        assert by_address[row.payload["to"]]["Message-ID"] == f"<outbox-{row.id}@example.com>"
    assert delivery.deliver_due(factory).claimed == 0
    assert len(mailbox.messages) == 3


def test_smtp_down_then_up_retries_with_backoff_and_delivers_once(factory, settings):
    box = Mailbox(port=free_port())
    factory.configure(
        info={
            "settings": settings.with_overrides(
                smtp_url=box.url, outbox_retry_base=timedelta(minutes=1)
            )
        }
    )
    _, address = invite(factory)
    now = utcnow()
    assert delivery.deliver_due(factory, now=now).retrying == 1
    (row,) = rows(factory)
    assert row.status == "pending" and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert now + timedelta(seconds=30) <= row.next_attempt_at <= now + timedelta(seconds=60)
    box.start()
    try:
        assert delivery.deliver_due(factory, now=now + timedelta(seconds=10)).claimed == 0
        assert delivery.deliver_due(factory, now=row.next_attempt_at).sent == 1
        tomorrow = row.next_attempt_at + timedelta(days=1)
        assert delivery.deliver_due(factory, now=tomorrow).claimed == 0
    finally:
        box.stop()
    assert len(box.to(address)) == 1
    (row,) = rows(factory)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_after_the_last_attempt_the_row_is_dead_with_its_last_error(factory, settings):
    factory.configure(
        info={
            "settings": settings.with_overrides(
                smtp_url=f"smtp://127.0.0.1:{free_port()}", outbox_max_attempts=2
            )
        }
    )
    invite(factory)
    now = utcnow()
    delivery.deliver_due(factory, now=now)
    report = delivery.deliver_due(factory, now=now + timedelta(days=1))
    assert report.dead == 1
    (row,) = rows(factory)
    assert (row.status, row.attempts) == ("dead", 2)
    assert "ConnectionRefusedError" in row.last_error
    assert delivery.deliver_due(factory, now=now + timedelta(days=2)).claimed == 0


def test_a_permanent_rejection_bounces_at_once_and_shows_on_the_journey(factory, mailbox):
    journey_id, _ = invite(factory, email="nobody@example.com")
    _, good = invite(factory)
    report = delivery.deliver_due(factory)
    assert (report.bounced, report.sent, report.retrying) == (1, 1, 0)
    assert [m["To"] for m in mailbox.messages] == [good]
    with unit_of_work(factory) as session:
        bounced = session.scalars(
            select(OutboxMessage).where(OutboxMessage.journey_id == journey_id)
        ).one()
        assert (bounced.status, bounced.attempts) == ("bounced", 1)
        assert bounced.last_error.startswith("550")
        journey = session.get(Journey, journey_id)
        assert journey.state is JourneyState.invited
        event = journey.events[-1]
        assert (event.trigger, event.from_state, event.to_state) == (
            "mail_bounced",
            JourneyState.invited,
            JourneyState.invited,
        )
        assert event.detail["to"] == "nobody@example.com"
        assert "No such mailbox" in event.detail["error"]


def test_a_claimed_row_is_claimed_again_only_after_its_lease(factory, settings):
    invite(factory)
    lease = settings.outbox_lease
    now = utcnow()
    with unit_of_work(factory) as session:
        first = delivery.claim(session, now, 10, lease)
    # The worker dies here: nothing is recorded.
    with unit_of_work(factory) as session:
        assert delivery.claim(session, now + lease / 2, 10, lease).rows == []
    with unit_of_work(factory) as session:
        again = delivery.claim(session, now + lease + timedelta(seconds=1), 10, lease)
    assert [r.id for r in again.rows] == [r.id for r in first.rows]
    assert again.rows[0].attempts == 2


def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_new_owner(factory, settings):
    invite(factory)
    lease = settings.outbox_lease
    now = utcnow()
    with unit_of_work(factory) as session:
        late = delivery.claim(session, now, 10, lease)
    later = now + lease + timedelta(seconds=1)
    with unit_of_work(factory) as session:
        owner = delivery.claim(session, later, 10, lease)
    owner.sent.append(owner.rows[0].id)
    late.failed[late.rows[0].id] = "too late"
    with unit_of_work(factory) as session:
        assert delivery.record(session, owner, later, settings).sent == 1
    with unit_of_work(factory) as session:
        assert delivery.record(session, late, later, settings).retrying == 0
    (row,) = rows(factory)
    assert (row.status, row.last_error) == ("sent", None)


def test_rows_not_sent_before_the_lease_ends_wait_for_a_later_claim(factory, mailbox, settings):
    invite(factory)
    with unit_of_work(factory) as session:
        # A lease too short to send anything in: the worker must not race the next owner.
        batch = delivery.claim(session, utcnow(), 10, timedelta(0))
    delivery.send(batch, settings.with_overrides(smtp_url=mailbox.url))
    assert mailbox.messages == []
    with unit_of_work(factory) as session:
        assert delivery.record(session, batch, utcnow(), settings).retrying == 1
    (row,) = rows(factory)
    assert (row.status, row.last_error) == ("pending", delivery.LEASE_ENDING)


def test_concurrent_claims_on_postgres_take_disjoint_rows_without_waiting(postgres_factory):
    with unit_of_work(postgres_factory) as session:
        for n in range(10):
            outbox.enqueue_webhook(session, url="http://x.test", event={"n": n}, dedupe_key=f"k{n}")
    now, lease = utcnow(), timedelta(minutes=5)
    with unit_of_work(postgres_factory) as first, unit_of_work(postgres_factory) as second:
        a = delivery.claim(first, now, 4, lease)
        b = delivery.claim(second, now, 10, lease)  # would block here without SKIP LOCKED
    ids_a, ids_b = {r.id for r in a.rows}, {r.id for r in b.rows}
    assert len(ids_a) == 4 and len(ids_b) == 6 and not ids_a & ids_b


class Receiver(BaseHTTPRequestHandler):
    statuses: list[int] = []
    received: list[tuple[bytes, dict]] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, dict(self.headers)))
        self.send_response(self.statuses.pop(0) if self.statuses else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.statuses, Receiver.received = [500], []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/identity", Receiver
    server.shutdown()
    server.server_close()


def test_webhooks_are_posted_signed_and_retried_until_accepted(factory, receiver, settings):
    url, handler = receiver
    event = {"id": "e1", "type": "account.registered", "data": {"email": "a@example.com"}}
    with unit_of_work(factory) as session:
        outbox.enqueue_webhook(session, url=url, event=event, dedupe_key="e1")
    now = utcnow()
    assert delivery.deliver_due(factory, now=now).retrying == 1
    (row,) = rows(factory)
    assert row.last_error.startswith("HTTP 500")
    assert delivery.deliver_due(factory, now=now + timedelta(hours=2)).sent == 1
    assert len(handler.received) == 2
    body, headers = handler.received[-1]
    assert headers["Content-Type"] == "application/json"
    webhooks.verify(settings.webhook_secret, body, headers[webhooks.SIGNATURE_HEADER])
    assert body == b'{"id": "e1", "type": "account.registered", "data": {"email": "a@example.com"}}'


def test_form_posts_are_posted_form_encoded_and_unsigned(factory, receiver):
    url, handler = receiver
    handler.statuses = []
    with unit_of_work(factory) as session:
        outbox.enqueue_form_post(session, url=url, form={"logout_token": "a.b.c"}, dedupe_key="f1")
    assert delivery.deliver_due(factory, now=utcnow()).sent == 1
    ((body, headers),) = handler.received
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert webhooks.SIGNATURE_HEADER not in headers and body == b"logout_token=a.b.c"


def test_backoff_grows_exponentially_up_to_the_cap_with_jitter(settings):
    settings = settings.with_overrides(
        outbox_retry_base=timedelta(seconds=10), outbox_retry_max=timedelta(seconds=100)
    )
    for attempts, nominal in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        delays = {delivery.backoff(attempts, settings).total_seconds() for _ in range(50)}
        assert all(nominal * 0.5 <= d <= nominal for d in delays)
        assert len(delays) > 1


def test_a_long_backlog_is_left_for_the_next_run_after_max_batches(factory, mailbox, settings):
    factory.configure(
        info={"settings": settings.with_overrides(smtp_url=mailbox.url, outbox_batch_size=2)}
    )
    for _ in range(5):
        invite(factory)
    first = delivery.deliver_due(factory, max_batches=2)
    assert (first.sent, first.more) == (4, True)
    second = delivery.deliver_due(factory, max_batches=2)
    assert (second.sent, second.more) == (1, False)


def forgot_password(factory, email):
    with unit_of_work(factory) as session:
        accounts.request_password_reset(session, email)


def test_account_requests_are_answered_and_their_mails_sent_in_the_same_run(factory, mailbox):
    forgot_password(factory, "grace@example.com")
    report = delivery.deliver_due(factory)
    assert report.sent == 1
    assert [m["To"] for m in mailbox.messages] == ["grace@example.com"]
    request, mail = rows(factory)
    assert request.kind == outbox.ACCOUNT_REQUEST and request.status == "sent"
    assert mail.payload["template"] == "no_account" and mail.status == "sent"


def test_one_batch_of_a_worker_answers_the_account_requests_and_sends_their_mails(factory, mailbox):
    forgot_password(factory, "grace@example.com")
    report = delivery.deliver_batch(factory, carried(factory))
    assert report.sent == 1
    assert [m["To"] for m in mailbox.messages] == ["grace@example.com"]


def test_a_failing_account_request_writes_nothing_and_is_retried_then_dead(
    factory, settings, monkeypatch
):
    factory.configure(info={"settings": settings.with_overrides(outbox_max_attempts=2)})
    forgot_password(factory, "grace@example.com")

    def fail(session, request):
        outbox.enqueue_mail(
            session, template="no_account", to="x", language="en", context={}, dedupe_key="x"
        )
        raise ValidationError("broken request")

    monkeypatch.setattr(accounts, "answer", fail)
    now = utcnow()
    assert delivery.answer_requests(factory, now, limit=10) == 1
    [request] = rows(factory)
    assert (request.status, request.attempts) == ("pending", 1)
    assert request.next_attempt_at > now and "broken request" in request.last_error
    assert delivery.answer_requests(factory, now, limit=10) == 0  # not due yet
    assert delivery.answer_requests(factory, now + timedelta(days=1), limit=10) == 1
    [request] = rows(factory)
    assert (request.status, request.attempts) == ("dead", 2)


def queue(factory, count, prefix="load"):
    with unit_of_work(factory) as session:
        helpers.invitation_mails(session, count, prefix)


def sent_ids(factory):
    with unit_of_work(factory) as session:
        return set(session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "sent")))


# What a worker killed at any moment has sent without having recorded it (see RECORD_EVERY).
IN_FLIGHT = 2 * delivery.RECORD_EVERY + 1


class Watching(Mailbox):
    """Notes, at each mail it accepts, how many mails had been marked sent in the database."""

    def __init__(self, factory):
        super().__init__()
        self.factory = factory
        self.unrecorded: list[int] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        reply = await super().handle_DATA(server, session, envelope)
        self.unrecorded.append(len(self.messages) - 1 - len(sent_ids(self.factory)))
        return reply


def test_mails_are_marked_sent_as_the_server_accepts_them_not_after_the_batch(factory, settings):
    box = Watching(factory).start()
    try:
        configured(factory, settings.with_overrides(smtp_url=box.url))
        queue(factory, 100)
        report = delivery.deliver_due(factory)
    finally:
        box.stop()
    assert (report.sent, report.claimed, len(box.messages)) == (100, 100, 100)
    # A worker killed at any point would have sent again only the mails it had not recorded.
    assert max(box.unrecorded) <= IN_FLIGHT


def test_an_error_while_recording_stops_the_sending_at_once(factory, mailbox, monkeypatch):
    configured(factory, carried(factory).with_overrides(outbox_batch_size=50))
    queue(factory, 100)

    def broken(*args):
        raise RuntimeError("the database refused the write")

    # Rows sent alone are marked by SentRows on PostgreSQL, anything else by record.
    monkeypatch.setattr(delivery, "record", broken)
    monkeypatch.setattr(delivery.SentRows, "mark", broken)
    with pytest.raises(RuntimeError, match="refused the write"):
        delivery.deliver_due(factory)
    assert len(mailbox.messages) <= IN_FLIGHT


def test_a_connection_dropped_while_recording_is_replaced_and_nothing_waits_a_lease(
    postgres_factory, mailbox
):
    engine = postgres_factory.kw["bind"]
    configured(postgres_factory, carried(postgres_factory).with_overrides(smtp_url=mailbox.url))
    queue(postgres_factory, 100)
    drops = []  # the first row of each group whose marking lost its connection

    def terminate_while_marking(conn, cursor, statement, parameters, context, executemany):
        marking = statement.startswith("UPDATE outbox_messages SET") and " status=" in statement
        group = None if executemany else parameters.get("ids_1")
        if marking and group not in drops and len(drops) < 3:
            drops.append(group)
            pid = conn.connection.dbapi_connection.info.backend_pid
            with engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    event.listen(engine, "before_cursor_execute", terminate_while_marking)
    try:
        report = delivery.deliver_due(postgres_factory)
    finally:
        event.remove(engine, "before_cursor_execute", terminate_while_marking)
    assert len(drops) == 3
    assert report.sent == 100
    assert len(sent_ids(postgres_factory)) == 100
    received = [m["Message-ID"] for m in mailbox.messages]
    assert len(received) == 100 == len(set(received))


def test_sent_mails_are_marked_outside_a_transaction_on_one_connection_a_bounce_within_one(
    postgres_factory,
):
    box = Mailbox().start()
    engine = postgres_factory.kw["bind"]
    configured(postgres_factory, carried(postgres_factory).with_overrides(smtp_url=box.url))
    queue(postgres_factory, 40)
    invite(postgres_factory, email="nobody@example.com")
    writes = []  # (what the statement sets, whether it ran in autocommit)
    taken = []  # connections the recording thread took from the pool

    def note_taken(dbapi_connection, record, proxy):
        if threading.current_thread().name.startswith("outbox-db"):
            taken.append(dbapi_connection)

    def note_write(conn, cursor, statement, parameters, context, executemany):
        claiming = "RETURNING" in statement
        if statement.startswith("UPDATE outbox_messages SET") and not claiming:
            marks = "sent" if " status=" in statement and "sent_at=" in statement else "other"
            writes.append((marks, conn.connection.dbapi_connection.autocommit))

    event.listen(engine, "before_cursor_execute", note_write)
    event.listen(engine, "checkout", note_taken)
    try:
        report = delivery.deliver_due(postgres_factory)
    finally:
        event.remove(engine, "before_cursor_execute", note_write)
        event.remove(engine, "checkout", note_taken)
        box.stop()
    assert (report.sent, report.bounced) == (40, 1)
    alone = [write for write in writes if write == ("sent", True)]
    within = [write for write in writes if write[1] is False]
    # Two groups of RECORD_EVERY sent rows alone; the last group, with the bounce, in one
    # transaction with the bounce's own statements.
    assert len(alone) == 40 // delivery.RECORD_EVERY
    # One connection kept for the groups sent alone, one for the group with the bounce.
    assert len(taken) == 2
    assert ("sent", False) in within and ("other", False) in within
    assert len(sent_ids(postgres_factory)) == 40


def test_a_full_claim_asks_for_another_worker_before_sending(factory, mailbox, settings):
    configured(factory, settings.with_overrides(smtp_url=mailbox.url, outbox_batch_size=3))
    queue(factory, 4)
    asked = []
    full = delivery.deliver_batch(
        factory, carried(factory), more=lambda: asked.append(len(mailbox.messages))
    )
    assert (full.sent, full.more, asked) == (3, True, [0])
    rest = delivery.deliver_batch(factory, carried(factory), more=lambda: asked.append("again"))
    assert (rest.sent, rest.more, asked) == (1, False, [0])


def test_a_run_asks_for_another_worker_once_and_goes_on_through_the_backlog(
    factory, mailbox, settings
):
    configured(factory, settings.with_overrides(smtp_url=mailbox.url, outbox_batch_size=3))
    queue(factory, 10)
    asked = []
    report = delivery.deliver_due(factory, more=lambda: asked.append(len(mailbox.messages)))
    assert (report.sent, report.more, asked) == (10, False, [0])


def test_a_run_whose_time_is_up_stops_after_the_batch_and_says_more_is_due(
    factory, mailbox, settings
):
    configured(factory, settings.with_overrides(smtp_url=mailbox.url, outbox_batch_size=3))
    queue(factory, 10)
    first = delivery.deliver_due(factory, within=timedelta(0))
    assert (first.sent, first.more) == (3, True)
    rest = delivery.deliver_due(factory, within=timedelta(minutes=1))
    assert (rest.sent, rest.more) == (7, False)


def test_failing_mail_is_retried_for_the_retry_period_whatever_the_attempts(factory, settings):
    configured(factory, settings.with_overrides(smtp_url=f"smtp://127.0.0.1:{free_port()}"))
    queue(factory, 1)
    written = rows(factory)[0].created_at
    for hour in range(12):  # twelve attempts within the day: more than any count used to allow
        assert delivery.deliver_due(factory, now=written + timedelta(hours=hour)).retrying == 1
    assert delivery.deliver_due(factory, now=written + timedelta(hours=24)).dead == 1
    (row,) = rows(factory)
    assert (row.status, row.attempts) == ("dead", 13)
    assert "ConnectionRefusedError" in row.last_error

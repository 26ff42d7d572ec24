"""Outbox delivery: claim due rows, send them (mail over one SMTP connection, webhooks over
HTTP), and record each outcome. Connect's account requests are answered first, each in a
transaction of its own, so that the mails they write go out in the same run.

A claim pushes the row's ``next_attempt_at`` to the end of a lease and counts the attempt, in
its own short transaction; nothing is locked while sending. Outcomes are recorded in small
groups as the server answers (see RECORD_EVERY), so a worker killed mid-batch resends only the
mails whose acceptance was not recorded yet; its other rows are due again once the lease ends.
Marking a row checks that the lease is still the one this worker took, so a row reclaimed by
another worker is recorded once.
"""

from __future__ import annotations

import json
import logging
import random
import smtplib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import requests
import sqlalchemy as sa
from sqlalchemy import (
    JSON,
    ColumnElement,
    String,
    Table,
    bindparam,
    case,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import Update

from onboarding import outbox
from onboarding.clock import utcnow
from onboarding.db import settings_of, unit_of_work
from onboarding.errors import DomainError
from onboarding.identity import accounts
from onboarding.journeys import history
from onboarding.journeys.models import Journey
from onboarding.logs import bound
from onboarding.mail import compose_bytes, transport
from onboarding.mail.compose import COMPOSE_ERRORS, envelope_sender
from onboarding.mail.transport import smtp_connection
from onboarding.outbox import webhooks
from onboarding.outbox.models import OutboxMessage, OutboxStatus
from onboarding.settings import Settings
from onboarding.webhooks import events as webhook_events
from onboarding.webhooks.addresses import RefusedDestination, check_destination
from onboarding.webhooks.models import WebhookEndpoint

log = logging.getLogger(__name__)

OUTBOX = cast(Table, OutboxMessage.__table__)
WEBHOOK_TIMEOUT_SECONDS = 10
# Sending stops when less than this share of the lease is left: a row not sent by then waits
# for a later claim rather than race a worker that may claim it once the lease ends.
LEASE_MARGIN = 0.1
LEASE_ENDING = "not sent: the batch's lease was ending"
# Outcomes are recorded once this many have gathered, on a database thread while the next ones
# are sent. A worker killed at any moment has sent at most 2 * RECORD_EVERY + 1 mails whose
# acceptance is not recorded (the group being recorded, the group being gathered, the mail
# whose reply it awaited): those are sent again after the lease, the rest never.
RECORD_EVERY = 16
T = TypeVar("T")


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    journey_id: int | None
    created_at: datetime
    webhook_endpoint_id: int | None
    request_id: str | None


@dataclass
class Batch:
    """Rows claimed together under one lease, and what became of each (not yet recorded)."""

    lease_until: datetime
    rows: list[Claimed]
    # time.monotonic() after which no row of the batch is sent any more (see LEASE_MARGIN).
    send_until: float
    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    bounced: dict[int, str] = field(default_factory=dict)
    # Rows whose outcome was handed over for recording by take_outcomes().
    taken: set[int] = field(default_factory=set)
    # The secrets that sign the messages to organizations' endpoints, by endpoint id.
    signing_secrets: dict[int, list[str]] = field(default_factory=dict)
    # The HTTP status each webhook was answered with.
    response_codes: dict[int, int] = field(default_factory=dict)

    def outcomes(self) -> int:
        """How many rows have an outcome not yet taken for recording."""
        return len(self.sent) + len(self.failed) + len(self.bounced)

    def decided(self, row_id: int) -> bool:
        """Whether the row has an outcome, recorded or not."""
        return any(row_id in ids for ids in (self.taken, self.sent, self.failed, self.bounced))

    def take_outcomes(self) -> Batch:
        """The outcomes so far, as a batch of the same lease to record; this one forgets them."""
        ids = {*self.sent, *self.failed, *self.bounced}
        taken = Batch(
            self.lease_until,
            [row for row in self.rows if row.id in ids],
            self.send_until,
            self.sent,
            self.failed,
            self.bounced,
            response_codes={i: c for i, c in self.response_codes.items() if i in ids},
        )
        self.taken |= ids
        self.sent, self.failed, self.bounced = [], {}, {}
        return taken


@dataclass
class Report:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    bounced: int = 0
    # The last claim was full: more rows are probably due.
    more: bool = False


def claim(session: Session, now: datetime, limit: int, lease: timedelta) -> Batch:
    """Take up to `limit` due rows for this worker until `now + lease`.

    PostgreSQL skips rows another worker is claiming (SKIP LOCKED); SQLite serialises writers
    (BEGIN IMMEDIATE), so two claims never see the same due row either.
    """
    # A random sub-millisecond offset makes the lease value this claim's own token.
    lease_until = now + lease + timedelta(microseconds=random.randrange(1, 1000))
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == OutboxStatus.pending,
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.kind != outbox.ACCOUNT_REQUEST,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=lease_until, attempts=OUTBOX.c.attempts + 1)
        .returning(
            OUTBOX.c.id,
            OUTBOX.c.kind,
            OUTBOX.c.payload,
            OUTBOX.c.attempts,
            OUTBOX.c.journey_id,
            OUTBOX.c.created_at,
            OUTBOX.c.webhook_endpoint_id,
            OUTBOX.c.request_id,
        )
    ).all()
    rows = sorted((Claimed(*row) for row in claimed), key=lambda row: row.id)
    send_until = time.monotonic() + lease.total_seconds() * (1 - LEASE_MARGIN)
    batch = Batch(lease_until=lease_until, rows=rows, send_until=send_until)
    endpoint_ids = {row.webhook_endpoint_id for row in rows if row.webhook_endpoint_id}
    if endpoint_ids:
        endpoints = session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids))
        )
        batch.signing_secrets = {e.id: e.signing_secrets(now) for e in endpoints}
    return batch


def send(
    batch: Batch, settings: Settings, answered: Callable[[Batch], None] = lambda batch: None
) -> None:
    """Send every row of `batch`; mails share one SMTP connection. Notes outcomes in it, and
    calls `answered` after each answer of a server (which may record the outcomes so far)."""
    mails = [row for row in batch.rows if row.kind == outbox.MAIL]
    for row in batch.rows:
        if row.kind == outbox.WEBHOOK:
            if _lease_ending(batch):
                batch.failed[row.id] = LEASE_ENDING
            else:
                _post_webhook(batch, row, settings)
                answered(batch)
        elif row.kind != outbox.MAIL:
            batch.failed[row.id] = f"unknown outbox kind {row.kind!r}"
    if mails:
        _send_mails(batch, mails, settings, answered)


def record(session: Session, batch: Batch, now: datetime, settings: Settings) -> Report:
    """Write the outcome of each row of `batch`, if its lease is still ours."""
    report = Report(claimed=len(batch.rows))
    ours = (OUTBOX.c.status == OutboxStatus.pending, OUTBOX.c.next_attempt_at == batch.lease_until)
    dialect = session.get_bind().dialect.name
    if batch.sent:
        result = session.execute(
            _MARK_SENT[dialect], {"ids": batch.sent, "lease": batch.lease_until, "now": now}
        )
        report.sent = _rowcount(result)
    by_id = {row.id: row for row in batch.rows}
    for row_id, error in batch.failed.items():
        row = by_id[row_id]
        dead = _gave_up(row.attempts, row.created_at, now, settings)
        values: dict[str, Any] = (
            {"status": OutboxStatus.dead, "last_error": error}
            if dead
            else {"next_attempt_at": now + backoff(row.attempts, settings), "last_error": error}
        )
        result = session.execute(update(OUTBOX).where(OUTBOX.c.id == row_id, *ours).values(values))
        if _rowcount(result):
            report.dead += dead
            report.retrying += not dead
    for row_id, error in batch.bounced.items():
        result = session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == row_id, *ours)
            .values(status=OutboxStatus.bounced, last_error=error)
        )
        if _rowcount(result):
            report.bounced += 1
            _record_bounce(session, by_id[row_id], error, now)
    if batch.response_codes:
        session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == bindparam("row_id"))
            .values(response_code=bindparam("code")),
            [{"row_id": i, "code": code} for i, code in batch.response_codes.items()],
        )
    _forget_links(session, batch, dialect)
    return report


def _forget_links(session: Session, batch: Batch, dialect: str) -> None:
    """Drop the context of the mails this batch finished with otherwise than sent (bounced or
    dead; a sent one's goes as it is marked): it holds their links, whose tokens are otherwise
    stored only as hashes. What the dashboard shows (template, recipient, language) stays;
    rows still to be retried keep everything."""
    unsent = {*batch.failed, *batch.bounced}
    mails = [row.id for row in batch.rows if row.kind == outbox.MAIL and row.id in unsent]
    if mails:
        session.execute(
            update(OUTBOX)
            .where(
                OUTBOX.c.id.in_(mails),
                OUTBOX.c.status != OutboxStatus.pending,
                OUTBOX.c.next_attempt_at == batch.lease_until,  # finished by this batch
            )
            .values(payload=_without_context(dialect))
        )


def _without_context(dialect: str) -> ColumnElement[Any]:
    """The payload without its "context", in SQL: one statement for a whole group of rows."""
    if dialect == "postgresql":
        without = sa.cast(OUTBOX.c.payload, JSONB).op("-")(literal("context", String))
        return sa.cast(without, JSON)
    return func.json_remove(OUTBOX.c.payload, "$.context")


def _mark_sent(dialect: str) -> Update:
    """The statement that marks a group of rows sent, if their lease is still ours; a sent
    mail's context (its links) goes in it too: see _forget_links."""
    return (
        update(OUTBOX)
        .where(
            OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
            OUTBOX.c.status == OutboxStatus.pending,
            OUTBOX.c.next_attempt_at == bindparam("lease"),
        )
        .values(
            status=OutboxStatus.sent,
            sent_at=bindparam("now"),
            last_error=None,
            payload=case(
                (OUTBOX.c.kind == outbox.MAIL, _without_context(dialect)),
                else_=OUTBOX.c.payload,
            ),
        )
    )


# Built once per dialect: a worker runs it for every group of outcomes.
_MARK_SENT = {dialect: _mark_sent(dialect) for dialect in ("postgresql", "sqlite")}


def _gave_up(attempts: int, created_at: datetime, now: datetime, settings: Settings) -> bool:
    """A failed row is retried until OUTBOX_RETRY_FOR after it was written (a server down for
    hours still gets its mail), and within OUTBOX_MAX_ATTEMPTS where that is set."""
    cap = settings.outbox_max_attempts
    return now >= created_at + settings.outbox_retry_for or (cap is not None and attempts >= cap)


def backoff(attempts: int, settings: Settings) -> timedelta:
    """The wait before retry `attempts`: exponential up to a cap, then jittered down by up to
    half, so that rows that failed together (a server outage) do not retry together."""
    base = settings.outbox_retry_base.total_seconds()
    ceiling = settings.outbox_retry_max.total_seconds()
    delay = min(ceiling, base * 2 ** (attempts - 1))
    return timedelta(seconds=delay * random.uniform(0.5, 1.0))


def answer_requests(factory: sessionmaker[Session], now: datetime, limit: int) -> int:
    """Answer up to `limit` due account requests, oldest first, each in its own transaction
    with the rows it writes; returns how many were taken."""
    for taken in range(limit):
        with unit_of_work(factory) as session:
            if not answer_request(session, now, settings_of(session)):
                return taken
    return limit


def answer_request(session: Session, now: datetime, settings: Settings) -> bool:
    """Answer the oldest due account request in `session`'s transaction; False when none is
    due. One that fails waits for a retry, as a mail would."""
    row = session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.kind == outbox.ACCOUNT_REQUEST,
            OutboxMessage.status == OutboxStatus.pending,
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if row is None:
        return False
    row.attempts += 1
    try:
        # The mail it writes names the request that asked, as the request's own rows do.
        with session.begin_nested(), bound(row.request_id):
            accounts.answer(session, row.payload)
    except (SQLAlchemyError, DomainError) as error:
        log.warning(
            "account request failed",
            exc_info=True,
            extra={"outbox_id": row.id, "request_id": row.request_id},
        )
        row.last_error = _describe(error)
        if _gave_up(row.attempts, row.created_at, now, settings):
            row.status = OutboxStatus.dead
        else:
            row.next_attempt_at = now + backoff(row.attempts, settings)
    else:
        row.status, row.sent_at, row.last_error = OutboxStatus.sent, now, None
    return True


def deliver_batch(
    factory: sessionmaker[Session],
    settings: Settings,
    now: datetime | None = None,
    more: Callable[[], None] = lambda: None,
) -> Report:
    """Answer up to a batch of due account requests, then claim one batch of due rows and send
    it, recording outcomes group by group.

    When the claim is full, `more` is called before sending: more rows are probably due, and
    an idle worker can take the next batch meanwhile (`Report.more` says so too). An error
    while recording stops the sending at once.
    """

    def moment() -> datetime:
        return now or utcnow()

    size, lease = settings.outbox_batch_size, settings.outbox_lease
    # Requests first, so that the mails they write go out in this very batch.
    requests_left = answer_requests(factory, moment(), size) == size
    batch = _transaction(factory, lambda session: claim(session, moment(), size, lease))
    report = Report(more=len(batch.rows) == size or requests_left)
    if report.more:
        more()
    if not batch.rows:
        return report
    engine = factory.kw["bind"]
    sent_rows = SentRows(engine) if engine.dialect.name == "postgresql" else None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-db") as database:
        recording: Future[Report] | None = None

        def recorded(group: Batch) -> Callable[[Session], Report]:
            return lambda session: record(session, group, moment(), settings)

        def record_outcomes(batch: Batch, last: bool = False) -> None:
            nonlocal recording
            if batch.outcomes() < (1 if last else RECORD_EVERY):
                return
            if recording is not None:
                _add(report, recording.result())
            group = batch.take_outcomes()
            only_sent = not (group.failed or group.bounced or group.response_codes)
            if sent_rows is not None and only_sent:
                recording = database.submit(sent_rows.mark, group, moment())
            else:
                recording = database.submit(_transaction, factory, recorded(group))

        try:
            send(batch, settings, record_outcomes)
            record_outcomes(batch, last=True)
            if recording is not None:
                _add(report, recording.result())
        finally:
            if sent_rows is not None:
                database.submit(sent_rows.close).result()
    return report


class SentRows:
    """Marks a batch's groups of only sent rows on PostgreSQL, from its database thread: each
    group is one statement, atomic by itself, run outside a transaction on a connection kept
    for the batch (no BEGIN, COMMIT or ping of a connection taken from the pool, per group)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None

    def mark(self, group: Batch, now: datetime) -> Report:
        """Mark the rows of `group` sent (with their links dropped), if their lease is ours; run
        once more on a new connection if the connection was lost."""
        parameters = {"ids": group.sent, "lease": group.lease_until, "now": now}
        sent = _once_more_if_connection_lost(lambda: self._execute(parameters), "statement")
        return Report(claimed=len(group.rows), sent=sent)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _execute(self, parameters: dict[str, Any]) -> int:
        if self.connection is not None and self.connection.invalidated:
            self.close()  # lost: a new one from the pool
        if self.connection is None:
            self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        result = self.connection.execute(_MARK_SENT["postgresql"], parameters)
        self.connection.commit()  # ends SQLAlchemy's own transaction; the database has none
        return _rowcount(result)


def deliver_due(
    factory: sessionmaker[Session],
    now: datetime | None = None,
    max_batches: int = 100,
    *,
    within: timedelta | None = None,
    more: Callable[[], None] = lambda: None,
) -> Report:
    """Deliver due outbox rows, batch by batch, until none is due, `max_batches` ran or
    `within` has passed (then `Report.more` is set, so that a caller can continue without
    starving other work).

    `more` is called once, when the first full claim says a backlog is waiting: an idle worker
    can then take batches of it meanwhile.
    """
    with factory() as session:
        settings = settings_of(session)
    deadline = None if within is None else time.monotonic() + within.total_seconds()
    asked = False

    def ask_once() -> None:
        nonlocal asked
        if not asked:
            asked = True
            more()

    total = Report()
    for _ in range(max_batches):
        report = deliver_batch(factory, settings, now, more=ask_once)
        _add(total, report)
        total.more = report.more
        if not report.more or (deadline is not None and time.monotonic() >= deadline):
            break
    return total


def _transaction(factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """`work` in one transaction, run once more if the database connection was lost (an idle
    connection terminated, a failover): claims and records are safe to repeat, and a batch
    whose recording failed would otherwise wait out its lease."""

    def run() -> T:
        with unit_of_work(factory) as session:
            return work(session)

    return _once_more_if_connection_lost(run, "transaction")


def _once_more_if_connection_lost(run: Callable[[], T], what: str) -> T:
    """`run()`, and once more if it failed because the database connection was lost."""
    try:
        return run()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.warning("outbox: database connection lost, running the %s again", what)
    return run()


def _add(total: Report, report: Report) -> None:
    for name in ("claimed", "sent", "retrying", "dead", "bounced"):
        setattr(total, name, getattr(total, name) + getattr(report, name))


def _send_mails(
    batch: Batch, mails: list[Claimed], settings: Settings, answered: Callable[[Batch], None]
) -> None:
    try:
        with smtp_connection(settings.smtp_url) as connection:
            outcomes = transport.send_all(
                connection, envelope_sender(settings), _composed(batch, mails, settings)
            )
            for row, refusal in outcomes:
                if refusal is None:
                    batch.sent.append(row.id)
                elif isinstance(refusal, smtplib.SMTPRecipientsRefused):
                    _refused(batch, row, *next(iter(refusal.recipients.values())))
                elif isinstance(refusal, smtplib.SMTPDataError):
                    _refused(batch, row, refusal.smtp_code, refusal.smtp_error)
                else:
                    batch.failed[row.id] = _describe(refusal)
                _log_outcome(batch, row)
                answered(batch)
    except (smtplib.SMTPException, OSError, ValueError) as error:
        # The connection is gone (or the sender address is unusable): every mail without an
        # outcome waits for the next attempt.
        for row in mails:
            if not batch.decided(row.id):
                batch.failed[row.id] = _describe(error)


def _log_outcome(batch: Batch, row: Claimed) -> None:
    """One line per SMTP transaction, under the request id of the row's request."""
    fields = {
        "outbox_id": row.id,
        "request_id": row.request_id,
        "template": row.payload.get("template"),
        "attempt": row.attempts,
    }
    if row.id in batch.bounced:
        log.warning("mail refused", extra=fields | {"smtp_reply": batch.bounced[row.id]})
    elif row.id in batch.failed:
        log.warning("mail not sent", extra=fields | {"error": batch.failed[row.id]})
    else:
        log.info("mail accepted", extra=fields)


def _composed(
    batch: Batch, mails: list[Claimed], settings: Settings
) -> Iterator[tuple[Claimed, str, bytes]]:
    """Each mail ready to send; one that cannot be composed fails on its own."""
    for row in mails:
        if _lease_ending(batch):
            batch.failed[row.id] = LEASE_ENDING
            continue
        payload = row.payload
        try:
            message = compose_bytes(
                payload["template"],
                payload["language"],
                payload["context"],
                settings,
                to=payload["to"],
                outbox_id=row.id,
            )
        except COMPOSE_ERRORS as error:
            batch.failed[row.id] = _describe(error)
        else:
            yield row, payload["to"], message


def _lease_ending(batch: Batch) -> bool:
    return time.monotonic() >= batch.send_until


def _refused(batch: Batch, row: Claimed, code: int, reply: bytes | str) -> None:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    error = f"{code} {text}"
    # 5xx is the receiving server's final answer (unknown mailbox …): retrying cannot help.
    if 500 <= code < 600:
        batch.bounced[row.id] = error
    else:
        batch.failed[row.id] = error


def _webhook_request(
    batch: Batch, row: Claimed, settings: Settings
) -> tuple[bytes | dict[str, str], dict[str, str]]:
    """The body and headers of a webhook: a form signs itself (a logout token), an
    organization's event is signed per Standard Webhooks, Connect's account event its own way."""
    if "form" in row.payload:
        return row.payload["form"], {}
    body = json.dumps(row.payload["event"]).encode()
    if row.webhook_endpoint_id is None:
        signature = {webhooks.SIGNATURE_HEADER: webhooks.sign(settings.webhook_secret, body)}
    else:
        secrets = batch.signing_secrets.get(row.webhook_endpoint_id, [])
        signature = webhooks.standard_headers(secrets, row.payload["message_id"], body, utcnow())
    return body, {"Content-Type": "application/json", **signature}


def _post_webhook(batch: Batch, row: Claimed, settings: Settings) -> None:
    body, headers = _webhook_request(batch, row, settings)
    try:
        if row.webhook_endpoint_id is not None:
            # An organization's URL: checked now (DNS may have changed), and never followed
            # elsewhere, where no check was made.
            check_destination(row.payload["url"], settings.webhooks_allow_private_addresses)
        response = requests.post(
            row.payload["url"],
            data=body,
            headers=headers,
            timeout=WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except (requests.RequestException, RefusedDestination) as error:
        batch.failed[row.id] = _describe(error)
        return
    batch.response_codes[row.id] = response.status_code
    if 200 <= response.status_code < 300:
        batch.sent.append(row.id)
    else:
        batch.failed[row.id] = f"HTTP {response.status_code}: {response.text[:200]}"


def _record_bounce(session: Session, row: Claimed, error: str, now: datetime) -> None:
    """A fact on the journey's history (its state does not change): the mail did not arrive."""
    if row.journey_id is None:
        return
    journey = session.get(Journey, row.journey_id)
    if journey is None:
        return
    detail = {
        "outbox_id": row.id,
        "template": row.payload.get("template"),
        "to": row.payload.get("to"),
        "error": error,
    }
    event = history.note(
        session, journey, history.Fact.mail_bounced, actor="mail", now=now, detail=detail
    )
    session.flush()
    webhook_events.mail_bounced(session, journey, event)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)

"""Prometheus metrics drawn from the database at scrape time.

Every figure is read from the shared database, so any process (one of many gunicorn workers)
answers the same: nothing lives in process memory. Counters of events that happened
(transitions, nudges, mails sent) are totals of history rows, which only grow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onboarding import outbox
from onboarding.dashboard.sql import seconds_between
from onboarding.journeys.history import Fact
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.outbox.models import OutboxMessage, OutboxStatus
from onboarding.people.models import Organization

# Upper bounds (seconds) of the mail send latency histogram: queued -> sent.
LATENCY_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0)


class DatabaseCollector(Collector):
    """Collects the onboarding metrics with one short read-only session per scrape."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as session:
            yield _journeys(session)
            yield _transitions(session)
            yield from _outbox(session)
            yield _latency(session)
            yield _nudges(session)


def _journeys(session: Session) -> Metric:
    family = GaugeMetricFamily(
        "onboarding_journeys",
        "Journeys by state and organization.",
        labels=["state", "organization"],
    )
    query = (
        select(Journey.state, Organization.slug, func.count())
        .join(Organization, Organization.id == Journey.organization_id)
        .group_by(Journey.state, Organization.slug)
    )
    for state, slug, n in session.execute(query):
        family.add_metric([state.value, slug], n)
    return family


def _transitions(session: Session) -> Metric:
    family = CounterMetricFamily(
        "onboarding_transitions", "History events recorded, by trigger.", labels=["trigger"]
    )
    query = select(JourneyEvent.trigger, func.count()).group_by(JourneyEvent.trigger)
    for trigger, n in session.execute(query):
        family.add_metric([trigger], n)
    return family


def _outbox(session: Session) -> Iterator[Metric]:
    counts = dict(
        session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    backlog = GaugeMetricFamily(
        "onboarding_outbox_backlog", "Outbox messages waiting to be delivered."
    )
    backlog.add_metric([], counts.get(OutboxStatus.pending, 0))
    yield backlog
    dead = GaugeMetricFamily("onboarding_outbox_dead_letters", "Outbox messages given up on.")
    dead.add_metric([], counts.get(OutboxStatus.dead, 0))
    yield dead


def _latency(session: Session) -> Metric:
    seconds = seconds_between(session, OutboxMessage.created_at, OutboxMessage.sent_at)
    sent = [OutboxMessage.kind == outbox.MAIL, OutboxMessage.sent_at.is_not(None)]
    columns: list[Any] = [func.count(), func.coalesce(func.sum(seconds), 0.0)]
    columns += [func.count().filter(seconds <= bound) for bound in LATENCY_BUCKETS]
    total, total_seconds, *within = session.execute(select(*columns).where(*sent)).one()
    buckets = [(str(bound), n) for bound, n in zip(LATENCY_BUCKETS, within, strict=True)]
    family = HistogramMetricFamily(
        "onboarding_mail_send_latency_seconds", "Time from queueing a mail to sending it."
    )
    family.add_metric([], [*buckets, ("+Inf", total)], float(total_seconds))
    return family


def _nudges(session: Session) -> Metric:
    family = CounterMetricFamily("onboarding_nudges", "Reminder mails (nudges) sent.")
    n = session.scalar(select(func.count()).where(JourneyEvent.trigger == Fact.nudge)) or 0
    family.add_metric([], n)
    return family

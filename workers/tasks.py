"""Periodic and kicked tasks: each calls one use case of onboarding/ and returns a count."""

import logging
from dataclasses import asdict
from datetime import timedelta
from functools import partial

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from onboarding.clock import utcnow
from onboarding.db import session_factory, unit_of_work
from onboarding.identity.activation_expiry import expire_activations
from onboarding.identity.retention import purge_spent_tokens
from onboarding.journeys import nudges
from onboarding.journeys.retention import purge_kept_too_long
from onboarding.journeys.sweeps import expire_stale
from onboarding.outbox import delivery
from onboarding.settings import get_settings
from workers import kick
from workers.celery_app import app

log = logging.getLogger(__name__)
# A delivery task sends batch after batch without going back to the broker in between, for at
# most this long: then sweeps and nudges on the same worker get their turn.
DELIVERY_SLICE = timedelta(seconds=10)


def _sessions() -> sessionmaker[Session]:
    """Sessions on the worker's database, carrying the worker's settings."""
    return session_factory(get_settings())


@app.task(name="outbox.deliver")
def deliver_outbox() -> int:
    """Send due outbox rows batch by batch for up to DELIVERY_SLICE (kicked after commit, and
    by beat as a safety net).

    The first full batch kicks the next task before sending, so that every idle worker takes
    batches of a long backlog, and a backlog left at the end of the slice has its task queued.
    """
    report = delivery.deliver_due(_sessions(), within=DELIVERY_SLICE, more=partial(kick.kick, app))
    log.info("outbox delivered", extra=asdict(report))
    return report.sent


@app.task(name="sweeps.expire_invitations")
def expire_invitations() -> int:
    """Expire every invitation past INVITATION_TTL (set-based)."""
    with unit_of_work(_sessions()) as session:
        return expire_stale(session, utcnow())


@app.task(name="sweeps.expire_activations")
def expire_connect_activations() -> int:
    """Move Connect accounts whose activation ran out (ACTIVATION_TTL) to activation_expired."""
    with unit_of_work(_sessions()) as session:
        return expire_activations(session, utcnow())


@app.task(name="sweeps.purge_connect_tokens")
def purge_connect_tokens() -> int:
    """Delete Connect codes, access tokens and links spent longer ago than the retention."""
    with unit_of_work(_sessions()) as session:
        return purge_spent_tokens(session, utcnow()).total


@app.task(name="sweeps.purge_personal_data")
def purge_personal_data() -> int:
    """Purge history details, outbox bodies and link fetches kept past their retention."""
    with unit_of_work(_sessions()) as session:
        return purge_kept_too_long(session, utcnow()).total


@app.task(name="nudges.send")
def send_nudges() -> int:
    """Queue the reminders that are due, then kick delivery."""
    try:
        with unit_of_work(_sessions()) as session:
            queued = nudges.send_nudges(session, utcnow())
    except IntegrityError:
        # A concurrent run queued the same nudges first (outbox dedupe keys); its commit counts.
        return 0
    if queued:
        deliver_outbox.delay()
    return queued

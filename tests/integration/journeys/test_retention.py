"""The purge of what is kept too long: history details of long-finished journeys, the bodies
of messages done with, link fetches; states, times and templates stay."""

from datetime import timedelta

from sqlalchemy import select

from onboarding.clock import utcnow
from onboarding.dashboard import link_hits
from onboarding.db import unit_of_work
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.journeys.retention import purge_kept_too_long
from onboarding.outbox import enqueue_webhook
from onboarding.outbox.models import OutboxMessage
from tests import helpers
from workers import tasks

S = JourneyState
DAY = timedelta(days=1)


def details(factory, journey_id):
    with unit_of_work(factory) as session:
        return [(e.trigger, e.detail) for e in session.get_one(Journey, journey_id).events]


def test_history_details_of_journeys_finished_longer_than_the_retention_are_emptied(factory):
    start = utcnow()
    with unit_of_work(factory) as session:
        old = helpers.journey_in(session, S.accepted, now=start).id
        recent = helpers.journey_in(session, S.accepted, now=start + 300 * DAY).id
        live = helpers.journey_in(session, S.logged_in, now=start).id
    kept_recent, kept_live = details(factory, recent), details(factory, live)
    with_detail = [trigger for trigger, detail in details(factory, old) if detail]
    assert with_detail == ["create", "register"]
    with unit_of_work(factory) as session:
        purged = purge_kept_too_long(session, start + 366 * DAY)
    assert purged.history_details == len(with_detail)
    assert all(detail == {} for _, detail in details(factory, old))
    assert [t for t, _ in details(factory, old)] == [t for t, _ in kept_recent]
    assert (details(factory, recent), details(factory, live)) == (kept_recent, kept_live)
    with unit_of_work(factory) as session:
        journey = session.get_one(Journey, old)
        assert (journey.state, journey.state_entered_at) == (S.accepted, start)


def test_bodies_of_messages_done_with_are_dropped_and_the_template_kept(factory, monkeypatch):
    start = utcnow()
    with unit_of_work(factory) as session:
        journey = helpers.journey_in(session, S.invited, now=start)
        enqueue_webhook(
            session, url="http://hook.test", event={"email": "x@example.com"}, dedupe_key="w"
        )
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        for row in rows:
            row.status, row.sent_at = "sent", start
        helpers.fire(session, journey.id, "resend", start + 29 * DAY)  # pending, kept whole
    monkeypatch.setattr(tasks, "utcnow", lambda: start + 31 * DAY)
    assert tasks.purge_personal_data() == 2
    assert tasks.purge_personal_data() == 0
    with unit_of_work(factory) as session:
        payloads = [
            r.payload for r in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    assert payloads[:2] == [{"template": "invitation"}, {}]
    assert payloads[2]["to"] == journey.person.email


def test_link_fetches_older_than_the_retention_are_deleted(factory):
    start = utcnow()
    with unit_of_work(factory) as session:
        journey_id = helpers.journey_in(session, S.invited, now=start).id
    for at in (start, start + 10 * DAY):
        with unit_of_work(factory) as session:
            fetched = session.get(Journey, journey_id)
            link_hits.record_fetch(session, fetched, method="GET", user_agent="Mail/1.0", now=at)
    with unit_of_work(factory) as session:
        assert purge_kept_too_long(session, start + 95 * DAY).link_fetches == 1
        fetches = session.scalars(
            select(JourneyEvent.at).where(JourneyEvent.trigger == "link_fetched")
        ).all()
        assert fetches == [start + 10 * DAY]

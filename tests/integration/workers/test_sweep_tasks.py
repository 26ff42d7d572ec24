"""The sweep tasks with the clock moved: invitations past INVITATION_TTL, Connect activations
past ACTIVATION_TTL, Connect secrets past their retention."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from celeryconfig import SWEEPS_QUEUE, settings_for
from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.errors import InvitationExpired
from onboarding.identity import accounts
from onboarding.identity.machine import AccountState
from onboarding.identity.models import Account, AccountToken
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from tests import helpers
from tests.helpers import PASSWORD, link_token, mails
from workers import tasks
from workers.celery_app import app

S = JourneyState


def test_with_the_clock_past_30_days_the_sweep_expires_exactly_the_stale_journeys(
    factory, monkeypatch
):
    start = utcnow()
    with unit_of_work(factory) as session:
        stale = [helpers.journey_in(session, s, now=start).id for s in (S.invited, S.logged_in)]
        fresh = helpers.journey_in(session, S.invited, now=start + timedelta(days=5)).id
        done = helpers.journey_in(session, S.accepted, now=start).id
    monkeypatch.setattr(tasks, "utcnow", lambda: start + timedelta(days=31))
    assert tasks.expire_invitations() == 2
    assert tasks.expire_invitations() == 0
    with unit_of_work(factory) as session:
        states = dict(session.execute(select(Journey.id, Journey.state)).all())
        assert [states[i] for i in stale] == [S.expired, S.expired]
        assert (states[fresh], states[done]) == (S.invited, S.accepted)
        for journey_id in stale:
            event = session.get(Journey, journey_id).events[-1]
            assert (event.trigger, event.to_state, event.actor) == ("expire", S.expired, "sweep")


def test_accept_after_expiry_is_refused_even_before_the_sweep_ran(factory):
    start = utcnow()
    with unit_of_work(factory) as session:
        journey_id = helpers.journey_in(session, S.logged_in, now=start).id
    with pytest.raises(InvitationExpired), unit_of_work(factory) as session:
        journeys.accept(session, journey_id, actor="ada", now=start + timedelta(days=30, seconds=1))
    with unit_of_work(factory) as session:
        assert session.get(Journey, journey_id).state is S.logged_in


def _register(factory, email, now):
    with unit_of_work(factory) as session:
        accounts.register(
            session,
            email=email,
            first_name="Ada",
            last_name="Lovelace",
            language="en",
            country=None,
            now=now,
        )
    with unit_of_work(factory) as session:
        helpers.answer_requests(session)


def test_the_activation_sweep_task_expires_the_connect_accounts_past_activation_ttl(
    factory, monkeypatch
):
    start = utcnow()
    _register(factory, "stale@example.com", start)
    _register(factory, "fresh@example.com", start + timedelta(hours=2))
    monkeypatch.setattr(tasks, "utcnow", lambda: start + timedelta(hours=25))
    assert tasks.expire_connect_activations() == 1
    assert tasks.expire_connect_activations() == 0
    with unit_of_work(factory) as session:
        assert dict(session.execute(select(Account.email, Account.state)).all()) == {
            "stale@example.com": AccountState.activation_expired,
            "fresh@example.com": AccountState.registered,
        }


def test_the_purge_task_deletes_the_connect_links_spent_before_the_retention(factory, monkeypatch):
    start = utcnow()
    _register(factory, "ada@example.com", start)
    with unit_of_work(factory) as session:
        [mail] = mails(session, "activation")
        accounts.activate(session, link_token(mail["context"]["activate_url"]), PASSWORD, PASSWORD)
    monkeypatch.setattr(tasks, "utcnow", lambda: start + timedelta(days=1))
    assert tasks.purge_connect_tokens() == 0
    monkeypatch.setattr(tasks, "utcnow", lambda: start + timedelta(days=8))
    assert tasks.purge_connect_tokens() == 1
    with unit_of_work(factory) as session:
        assert session.scalars(select(AccountToken)).all() == []


def test_beat_runs_the_connect_sweeps_on_the_sweeps_queue_every_sweep_interval(settings):
    schedule = settings_for(settings)["beat_schedule"]
    for entry, task in [
        ("expire-activations", "sweeps.expire_activations"),
        ("purge-connect-tokens", "sweeps.purge_connect_tokens"),
    ]:
        assert schedule[entry]["task"] == task
        assert schedule[entry]["schedule"] == settings.sweep_interval.total_seconds()
        assert app.amqp.router.route({}, task)["queue"].name == SWEEPS_QUEUE

"""The expiry sweep task with the clock moved past INVITATION_TTL."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.errors import InvitationExpired
from onboarding.journey_machine import JourneyState
from onboarding.models import Journey
from tests import factories
from workers import tasks

S = JourneyState


def test_with_the_clock_past_30_days_the_sweep_expires_exactly_the_stale_journeys(
    factory, monkeypatch
):
    start = utcnow()
    with unit_of_work(factory) as session:
        stale = [factories.journey_in(session, s, now=start).id for s in (S.invited, S.logged_in)]
        fresh = factories.journey_in(session, S.invited, now=start + timedelta(days=5)).id
        done = factories.journey_in(session, S.accepted, now=start).id
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
        journey_id = factories.journey_in(session, S.logged_in, now=start).id
    with pytest.raises(InvitationExpired), unit_of_work(factory) as session:
        journeys.accept(session, journey_id, actor="ada", now=start + timedelta(days=30, seconds=1))
    with unit_of_work(factory) as session:
        assert session.get(Journey, journey_id).state is S.logged_in

"""expire_stale: set-based, exactly the stale live journeys, with their history."""

from datetime import timedelta

from sqlalchemy import select

from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.journeys.machine import JourneyState, sources_of
from onboarding.journeys.models import Journey
from onboarding.journeys.sweeps import expire_stale
from tests import helpers

S = JourneyState


def test_the_sweep_expires_exactly_the_stale_live_journeys_and_writes_their_history(factory):
    start = utcnow()
    with unit_of_work(factory) as session:
        stale = {s: helpers.journey_in(session, s, now=start).id for s in S}
        fresh = {s: helpers.journey_in(session, s, now=start + timedelta(days=20)).id for s in S}
    later = start + timedelta(days=31)
    with unit_of_work(factory) as session:
        assert expire_stale(session, later, batch_size=2) == len(sources_of("expire"))
    with unit_of_work(factory) as session:
        for state, journey_id in stale.items():
            journey = session.get(Journey, journey_id)
            if state in sources_of("expire"):
                assert journey.state is S.expired
                assert journey.state_entered_at == later
                assert journey.furthest_state is state  # the step it left from
                event = journey.events[-1]
                assert (event.trigger, event.actor, event.from_state, event.to_state) == (
                    "expire",
                    "sweep",
                    state,
                    S.expired,
                )
            else:
                assert journey.state is state
                assert journey.events[-1].trigger != "expire" or state is S.expired
        for state, journey_id in fresh.items():
            assert session.get(Journey, journey_id).state is state


def test_a_second_sweep_finds_nothing(factory):
    start = utcnow()
    with unit_of_work(factory) as session:
        helpers.journey_in(session, S.invited, now=start)
    later = start + timedelta(days=31)
    with unit_of_work(factory) as session:
        assert expire_stale(session, later) == 1
    with unit_of_work(factory) as session:
        assert expire_stale(session, later) == 0
        journey = session.scalars(select(Journey)).one()
        assert [e.trigger for e in journey.events].count("expire") == 1


def test_the_sweep_bumps_the_version_so_a_stale_accept_loses(factory):
    start = utcnow()
    with unit_of_work(factory) as session:
        journey = helpers.journey_in(session, S.logged_in, now=start)
        version = journey.version
    with unit_of_work(factory) as session:
        expire_stale(session, start + timedelta(days=31))
    with unit_of_work(factory) as session:
        assert session.get(Journey, journey.id).version == version + 1

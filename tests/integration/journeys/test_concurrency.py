"""Two changes to one journey at once: exactly one wins, the other gets a clear error."""

import threading
from datetime import timedelta

import pytest

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.errors import ConcurrentUpdate
from onboarding.journeys.machine import InvalidTransition, JourneyState
from onboarding.journeys.models import Journey
from onboarding.journeys.sweeps import expire_stale
from tests import helpers


@pytest.fixture
def factory(postgres_factory):
    """PostgreSQL only: SQLite serialises writers, so there is no race to lose there."""
    return postgres_factory


def run_together(*actions):
    """Run each action in its own thread, started together; return what each raised or gave."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index, action):
        barrier.wait()
        try:
            results[index] = action()
        except Exception as error:  # noqa: BLE001 - the outcome is what we inspect
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.parametrize("attempt", range(5))
def test_two_accepts_at_once_give_exactly_one_winner(factory, attempt):
    with unit_of_work(factory) as session:
        journey_id = helpers.journey_in(session, JourneyState.logged_in).id
    loaded = threading.Barrier(2)

    def accept():
        with unit_of_work(factory) as session:
            session.get(Journey, journey_id)
            loaded.wait()  # both hold the same version before either writes
            journeys.accept(session, journey_id, actor="invitee")
            return "accepted"

    results = run_together(accept, accept)
    assert results.count("accepted") == 1
    (loser,) = [r for r in results if r != "accepted"]
    assert isinstance(loser, (ConcurrentUpdate, InvalidTransition)), loser
    with unit_of_work(factory) as session:
        journey = session.get(Journey, journey_id)
        assert journey.state is JourneyState.accepted
        assert [e.trigger for e in journey.events].count("accept") == 1


@pytest.mark.parametrize("attempt", range(10))
def test_an_accept_racing_the_sweep_ends_in_exactly_one_state_with_matching_history(
    factory, attempt
):
    start = utcnow()
    with unit_of_work(factory) as session:
        journey_id = helpers.journey_in(session, JourneyState.logged_in, now=start).id
    deadline = start + timedelta(days=30)

    def accept():
        with unit_of_work(factory) as session:
            journeys.accept(
                session, journey_id, actor="invitee", now=deadline - timedelta(seconds=1)
            )
            return "accepted"

    def sweep():
        with unit_of_work(factory) as session:
            return expire_stale(session, deadline + timedelta(seconds=1))

    accepted, swept = run_together(accept, sweep)
    with unit_of_work(factory) as session:
        journey = session.get(Journey, journey_id)
        triggers = [e.trigger for e in journey.events]
    if journey.state is JourneyState.accepted:
        assert accepted == "accepted" and swept == 0
        assert "expire" not in triggers and triggers.count("accept") == 1
    else:
        assert journey.state is JourneyState.expired
        assert isinstance(accepted, (ConcurrentUpdate, InvalidTransition)) and swept == 1
        assert "accept" not in triggers and triggers.count("expire") == 1

"""Random sequences of triggers through the use cases always agree with the pure machine,
and keep each journey's furthest step equal to the furthest one its history reached."""

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from onboarding.db import unit_of_work
from onboarding.journeys.machine import TRIGGERS, InvalidTransition, JourneyState, fire
from onboarding.journeys.models import Journey
from onboarding.journeys.steps import RANK
from tests import helpers

_emails = itertools.count()


class PureJourney:
    state = JourneyState.created


def test_use_cases_agree_with_the_pure_machine(factory):
    class Persisted(RuleBasedStateMachine):
        @initialize()
        def create(self):
            with unit_of_work(factory) as session:
                org = helpers.organization(session)
                self.journey_id = helpers.journey(
                    session, org, email=f"stateful{next(_emails)}@example.com"
                ).id
            self.model = PureJourney()
            self.history = 1

        @rule(trigger=st.sampled_from(TRIGGERS))
        def apply(self, trigger):
            try:
                fire(trigger, self.model)
                expected_ok = True
            except InvalidTransition:
                expected_ok = False
            try:
                with unit_of_work(factory) as session:
                    helpers.fire(session, self.journey_id, trigger)
                ok = True
            except InvalidTransition:
                ok = False
            assert ok == expected_ok
            self.history += ok

        @invariant()
        def same_state_and_one_history_row_per_transition(self):
            if not hasattr(self, "journey_id"):
                return
            with unit_of_work(factory) as session:
                journey = session.get(Journey, self.journey_id)
                assert journey.state is self.model.state
                assert len(journey.events) == self.history
                assert journey.events[-1].to_state is journey.state
                reached = [e.to_state for e in journey.events if e.to_state in RANK]
                assert journey.furthest_state is max(reached, key=RANK.__getitem__)

    run_state_machine_as_test(
        Persisted,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )

"""The funnel's steps follow the machine, and a journey's furthest step only moves forward."""

from onboarding.journeys.machine import JourneyState as S
from onboarding.journeys.steps import EXITS, STEPS, furthest_step


def test_the_steps_are_every_state_but_the_exits_in_the_machines_order():
    assert [S.expired, S.revoked] == EXITS
    assert [S.created, S.invited, S.registered, S.activated, S.logged_in, S.accepted] == STEPS


def test_entering_a_further_step_moves_the_furthest_step_forward():
    assert furthest_step(S.created, S.invited) is S.invited
    assert furthest_step(S.invited, S.logged_in) is S.logged_in


def test_going_back_or_leaving_keeps_the_furthest_step():
    assert furthest_step(S.logged_in, S.invited) is S.logged_in  # re-invited
    assert furthest_step(S.registered, S.expired) is S.registered
    assert furthest_step(S.created, S.revoked) is S.created

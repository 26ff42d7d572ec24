"""The machine matches DESIGN §2, pair by pair, without a database."""

import pytest

from onboarding.journeys.machine import (
    TRIGGERS,
    InvalidTransition,
    JourneyState,
    allowed_triggers,
    destination,
    fire,
    sources_of,
)

S = JourneyState
LIVE = {S.invited, S.registered, S.activated, S.logged_in}

# The specification's table, written out independently of the machine definition.
EXPECTED: dict[tuple[str, JourneyState], JourneyState] = {
    ("invite", S.created): S.invited,
    **{("resend", s): s for s in LIVE},
    ("register", S.invited): S.registered,
    ("activate", S.registered): S.activated,
    **{("log_in", s): S.logged_in for s in (S.invited, S.registered, S.activated)},
    ("accept", S.logged_in): S.accepted,
    **{("expire", s): S.expired for s in LIVE},
    **{("revoke", s): S.revoked for s in (S.created, *LIVE, S.expired)},
    **{("reinvite", s): S.invited for s in (S.expired, S.revoked)},
}


class Row:
    def __init__(self, state: JourneyState) -> None:
        self.state = state


@pytest.mark.parametrize("state", list(S), ids=lambda s: s.value)
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_every_state_and_trigger_pair_follows_the_specification(trigger, state):
    row = Row(state)
    if (trigger, state) in EXPECTED:
        fire(trigger, row)
        assert row.state is EXPECTED[trigger, state]
        assert destination(trigger, state) is EXPECTED[trigger, state]
    else:
        with pytest.raises(InvalidTransition) as refused:
            fire(trigger, row)
        assert row.state is state
        assert trigger in str(refused.value) and state.value in str(refused.value)


def test_accepted_is_final():
    assert allowed_triggers(S.accepted) == []


def test_expire_sources_come_from_the_machine():
    assert set(sources_of("expire")) == LIVE


def test_unknown_trigger_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown trigger"):
        fire("teleport", Row(S.invited))

"""The registry of admin actions: read from the machine, complete for each place it serves."""

from __future__ import annotations

import pytest

from onboarding.dashboard.actions import ACTIONS, Surface, action_named, offered_on
from onboarding.errors import NotFound
from onboarding.journeys.machine import LIVE, TRANSITIONS, TRIGGERS, sources_of
from web.api import models


def names(surface: Surface) -> list[str]:
    return [action.name for action in offered_on(surface)]


def test_each_place_offers_its_actions_in_button_order():
    assert names(Surface.people) == ["invite", "resend", "revoke", "reinvite"]
    assert names(Surface.dashboard) == ["resend", "revoke", "reinvite", "extend"]
    assert names(Surface.api) == ["resend", "revoke", "reinvite", "extend"]


def test_an_action_that_is_a_trigger_is_allowed_in_exactly_the_states_the_machine_fires_it_from():
    for action in ACTIONS.values():
        expected = sources_of(action.name) if action.name in TRIGGERS else LIVE
        assert action.states == frozenset(expected), action.name


def test_every_action_that_is_a_trigger_is_one_the_machine_gives_to_admins():
    by = {name: who for name, _, _, who in TRANSITIONS}
    assert {by[name] for name in ACTIONS if name in TRIGGERS} == {"admin"}


def test_every_action_has_a_label_and_the_dashboard_asks_before_each_of_its_actions():
    assert all(action.label for action in ACTIONS.values())
    assert all(action.confirmation for action in offered_on(Surface.dashboard))


@pytest.mark.parametrize(
    ("name", "surface"),
    [("extend", Surface.people), ("invite", Surface.api), ("delete", Surface.dashboard)],
)
def test_an_action_a_place_does_not_offer_is_not_found_there(name, surface):
    with pytest.raises(NotFound, match=f"There is no action '{name}'"):
        action_named(name, surface)


def test_an_api_journey_lists_exactly_the_actions_of_the_api():
    listed = models.Journey.model_json_schema()["properties"]["actions"]["items"]
    assert listed["enum"] == names(Surface.api)

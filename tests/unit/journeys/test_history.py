"""The facts a history row can record besides the machine's triggers."""

from __future__ import annotations

from onboarding.journeys.history import Fact
from onboarding.journeys.machine import TRIGGERS
from onboarding.journeys.models import JourneyEvent


def test_no_fact_is_named_like_a_trigger():
    assert {fact.value for fact in Fact} & set(TRIGGERS) == set()


def test_every_fact_fits_the_trigger_column():
    width = JourneyEvent.__table__.c.trigger.type.length
    assert all(len(fact) <= width for fact in Fact)


def test_a_fact_is_stored_and_compared_as_its_plain_name():
    assert Fact.link_opened == "link_opened" and f"{Fact.nudge}" == "nudge"

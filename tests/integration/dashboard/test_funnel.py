"""The funnel: reached, in it now, conversion and median time per step, with filters."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.dashboard import funnel as funnel_module
from onboarding.dashboard.bulk_invite import bulk_invite
from onboarding.dashboard.filters import JourneyFilter
from onboarding.dashboard.funnel import STEPS, funnel, median_seconds_per_step
from onboarding.journeys.machine import JourneyState as S
from onboarding.journeys.sweeps import expire_stale
from onboarding.people import directory
from tests import helpers
from tests.helpers import organization

T0 = utcnow().replace(microsecond=0) - timedelta(days=10)
H = timedelta(hours=1)


def walk(session, org, email, steps, language="en", roles=("viewer",)):
    """A journey through `steps` (use-case names), one hour apart from T0."""
    journey = directory.create_person(
        session,
        org,
        email=email,
        first_name="A",
        last_name="B",
        roles=list(roles),
        language=language,
        actor="admin",
        now=T0,
    )
    at = T0
    for trigger in steps:
        at += H * (2 if trigger == "register" else 1)
        if trigger == "register":
            journeys.register(session, journey.id, email=email, now=at)
        elif trigger in ("activate", "expire"):
            getattr(journeys, trigger)(session, journey.id, now=at)
        else:
            getattr(journeys, trigger)(session, journey.id, actor="x", now=at)
    return journey


def test_reached_now_conversion_and_median(session):
    org = organization(session, "Acme")
    walk(session, org, "a@example.com", ["invite"])
    walk(session, org, "b@example.com", ["invite", "register"])
    walk(session, org, "c@example.com", ["invite", "register", "activate", "log_in", "accept"])
    walk(session, org, "d@example.com", ["invite", "register", "expire"])  # left at registered
    walk(session, org, "e@example.com", ["revoke"])  # never invited
    result = funnel(session, JourneyFilter())
    by_state = {step.state: step for step in result.steps}
    assert [step.state for step in result.steps] == STEPS
    assert {s: by_state[s].reached for s in STEPS} == {
        S.created: 5,
        S.invited: 4,
        S.registered: 3,
        S.activated: 1,
        S.logged_in: 1,
        S.accepted: 1,
    }
    assert {s: by_state[s].now for s in STEPS} == {
        S.created: 0,
        S.invited: 1,
        S.registered: 1,
        S.activated: 0,
        S.logged_in: 0,
        S.accepted: 1,
    }
    assert result.exits == {S.expired: 1, S.revoked: 1}
    assert by_state[S.invited].conversion == 4 / 5
    assert by_state[S.registered].conversion == 3 / 4
    assert by_state[S.created].conversion is None
    # Invited -> registered took two hours each time (b, c, d); created -> next one hour.
    assert by_state[S.invited].median_seconds == 7200
    assert by_state[S.created].median_seconds == 3600
    assert by_state[S.accepted].median_seconds is None  # nobody leaves it


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two(session):
    org = organization(session, "Acme")
    for index in range(4):
        journey = helpers.journey(session, org, email=f"p{index}@example.com", now=T0)
        journeys.invite(session, journey.id, actor="x", now=T0 + H * (index + 1))
    result = funnel(session, JourneyFilter())
    assert result.steps[0].median_seconds == 2.5 * 3600


def test_filters_by_organization_role_language_and_invited_date(session):
    acme, globex = organization(session, "Acme"), organization(session, "Globex")
    walk(session, acme, "a@example.com", ["invite"], language="nl", roles=("editor",))
    walk(session, acme, "b@example.com", ["invite", "register"])
    walk(session, globex, "c@example.com", ["invite"])
    assert funnel(session, JourneyFilter(organization_ids=frozenset({acme.id}))).total == 2
    assert funnel(session, JourneyFilter(role="editor")).total == 1
    assert funnel(session, JourneyFilter(language="nl")).total == 1
    invited_day = (T0 + H).date()
    assert (
        funnel(session, JourneyFilter(invited_from=invited_day, invited_to=invited_day)).total == 3
    )
    assert funnel(session, JourneyFilter(invited_to=invited_day - timedelta(days=1))).total == 0
    assert funnel(session, JourneyFilter(invited_from=date(2999, 1, 1))).total == 0


def test_a_journey_counts_where_it_is_or_at_the_furthest_step_it_reached_before_leaving(session):
    org = organization(session, "Acme")
    walk(session, org, "a@example.com", ["invite", "log_in", "expire", "reinvite"])  # invited
    walk(session, org, "b@example.com", ["invite", "log_in", "expire", "reinvite", "revoke"])
    walk(session, org, "c@example.com", ["invite", "register", "expire", "revoke"])
    result = funnel(session, JourneyFilter())
    assert {step.state: step.reached for step in result.steps} == {
        S.created: 3,
        S.invited: 3,
        S.registered: 2,  # b got past it to logged_in, c left from it
        S.activated: 1,
        S.logged_in: 1,
        S.accepted: 0,
    }
    assert result.exits == {S.expired: 0, S.revoked: 2}


def test_journeys_invited_in_bulk_and_expired_by_the_sweep_left_from_invited(session):
    org = organization(session, "Acme")
    csv_text = (
        "first_name,last_name,email,language,roles\n"
        "Ann,Able,ann@example.com,en,viewer\nBob,Bee,bob@example.com,en,viewer\n"
    )
    bulk_invite(session, org, csv_text, dry_run=False, actor="admin@example.com")
    assert expire_stale(session, utcnow() + timedelta(days=365)) == 2
    result = funnel(session, JourneyFilter())
    assert [step.reached for step in result.steps] == [2, 2, 0, 0, 0, 0]
    assert result.exits == {S.expired: 2, S.revoked: 0}


def test_a_sample_of_every_nth_journey_is_the_same_listed_or_scanned(session, monkeypatch):
    org = organization(session, "Acme")
    waited = {}
    for index in range(6):
        journey = helpers.journey(session, org, email=f"p{index}@example.com", now=T0)
        journeys.invite(session, journey.id, actor="x", now=T0 + H * (index + 1))
        waited[journey.id] = (index + 1) * 3600
    listed = median_seconds_per_step(session, JourneyFilter(), every=2)
    monkeypatch.setattr(funnel_module, "LISTED_SAMPLE_IDS", 0)
    scanned = median_seconds_per_step(session, JourneyFilter(), every=2)
    sampled = [seconds for journey_id, seconds in waited.items() if journey_id % 2 == 0]
    assert listed == scanned == {S.created: statistics.median(sampled)}

"""The admin actions as Settings > People, the dashboard and the API offer and refuse them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from onboarding.dashboard.actions import ERASED
from onboarding.dashboard.api_tokens import issue
from onboarding.db import unit_of_work
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.outbox.models import OutboxMessage
from onboarding.people import erasure
from onboarding.people.models import Person
from tests import helpers
from tests.helpers import admin_of, organization

S = JourneyState
LIVE_ON_PEOPLE = ["resend", "revoke"]
LIVE_ELSEWHERE = ["resend", "revoke", "extend"]
# state: (offered on People, offered on the dashboard and in the API)
OFFERED = {
    S.created: (["invite", "revoke"], ["revoke"]),
    S.invited: (LIVE_ON_PEOPLE, LIVE_ELSEWHERE),
    S.registered: (LIVE_ON_PEOPLE, LIVE_ELSEWHERE),
    S.activated: (LIVE_ON_PEOPLE, LIVE_ELSEWHERE),
    S.logged_in: (LIVE_ON_PEOPLE, LIVE_ELSEWHERE),
    S.accepted: ([], []),
    S.expired: (["revoke", "reinvite"], ["revoke", "reinvite"]),
    S.revoked: (["reinvite"], ["reinvite"]),
}


@pytest.fixture
def world(app, factory):
    """Acme and Globex, each with an admin and an API token; Acme has a journey in each state."""
    app.config["WTF_CSRF_ENABLED"] = False  # what is asserted here is the answer to the post
    with unit_of_work(factory) as session:
        acme, globex = organization(session, "Acme"), organization(session, "Globex")
        ids = {
            "acme": acme.id,
            "globex": globex.id,
            "acme_admin": admin_of(session, acme, "boss@acme.example").id,
            "globex_admin": admin_of(session, globex, "boss@globex.example").id,
            "acme_token": issue(session, acme, "ci", actor="boss@acme.example")[1],
            "globex_token": issue(session, globex, "ci", actor="boss@globex.example")[1],
        }
        for state in S:
            journey = helpers.journey(session, acme, email=f"{state.value}@acme.example")
            for trigger in helpers.PATHS[state]:
                helpers.fire(session, journey.id, trigger)
            ids[state] = journey.id
    return ids


def logged_in(app, factory, log_in, person_id: int):
    client = app.test_client()
    with unit_of_work(factory) as session:
        log_in(client, session.get(Person, person_id))
    return client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def posted_actions(page: str, journey_id: int) -> list[str]:
    """The actions a page offers for a journey: the names its forms post to."""
    return re.findall(rf'action="[^"]*/journeys/{journey_id}/(\w+)"', page)


def state_of(factory, journey_id: int) -> JourneyState:
    with factory() as session:
        return session.get(Journey, journey_id).state


def test_each_action_appears_exactly_where_its_states_allow_it(app, factory, log_in, world):
    admin = logged_in(app, factory, log_in, world["acme_admin"])
    people = admin.get(f"/settings/people/{world['acme']}").get_data(as_text=True)
    api = app.test_client()
    for state, (on_people, elsewhere) in OFFERED.items():
        journey_id = world[state]
        dashboard = admin.get(f"/admin/onboarding/journeys/{journey_id}").get_data(as_text=True)
        in_api = api.get(f"/api/journeys/{journey_id}", headers=bearer(world["acme_token"]))
        assert posted_actions(people, journey_id) == on_people, state
        assert posted_actions(dashboard, journey_id) == elsewhere, state
        assert in_api.json["actions"] == elsewhere, state


def test_an_admin_of_another_organization_gets_the_same_refusal_everywhere(
    app, factory, log_in, world
):
    journey_id = world[S.invited]
    outsider = logged_in(app, factory, log_in, world["globex_admin"])
    refusals = [
        outsider.post(f"/settings/people/{world['globex']}/journeys/{journey_id}/revoke"),
        outsider.post(f"/admin/onboarding/journeys/{journey_id}/revoke", data={"confirmed": "yes"}),
        app.test_client().post(
            f"/api/journeys/{journey_id}/revoke", headers=bearer(world["globex_token"])
        ),
    ]
    assert [response.status_code for response in refusals] == [404, 404, 404]
    assert all(f"No journey {journey_id}." in r.get_data(as_text=True) for r in refusals)
    assert state_of(factory, journey_id) is S.invited


def test_an_action_the_state_does_not_allow_is_refused_with_the_machines_reason_everywhere(
    app, factory, log_in, world
):
    journey_id = world[S.invited]
    admin = logged_in(app, factory, log_in, world["acme_admin"])
    reason = "That is not possible at the step Invited."
    people = admin.post(f"/settings/people/{world['acme']}/journeys/{journey_id}/reinvite")
    dashboard = admin.post(
        f"/admin/onboarding/journeys/{journey_id}/reinvite",
        data={"confirmed": "yes"},
        follow_redirects=True,
    )
    api = app.test_client().post(
        f"/api/journeys/{journey_id}/reinvite", headers=bearer(world["acme_token"])
    )
    assert people.status_code == 422 and reason in people.get_data(as_text=True)
    assert reason in dashboard.get_data(as_text=True)
    assert api.status_code == 422 and api.json["error"]["code"] == "invalid_transition"
    assert state_of(factory, journey_id) is S.invited


def test_people_and_the_dashboard_confirm_an_action_with_the_same_message(
    app, factory, log_in, world
):
    admin = logged_in(app, factory, log_in, world["acme_admin"])
    people = admin.post(
        f"/settings/people/{world['acme']}/journeys/{world[S.invited]}/resend",
        follow_redirects=True,
    )
    dashboard = admin.post(
        f"/admin/onboarding/journeys/{world[S.registered]}/resend",
        data={"confirmed": "yes"},
        follow_redirects=True,
    )
    for response, email in (
        (people, "invited@acme.example"),
        (dashboard, "registered@acme.example"),
    ):
        assert (
            f"Invitation mailed again to {email}; links in earlier mails keep working."
            in response.get_data(as_text=True)
        )


def erased(factory, *states: JourneyState) -> None:
    with unit_of_work(factory) as session:
        for journey in session.scalars(select(Journey).where(Journey.state.in_(states))):
            erasure.erase_person(session, journey.person_id, scope=None, actor="root@acme.example")


def test_no_surface_offers_an_action_that_would_reach_an_erased_person(app, factory, log_in, world):
    erased(factory, S.created, S.invited, S.expired, S.revoked)
    admin = logged_in(app, factory, log_in, world["acme_admin"])
    people = admin.get(f"/settings/people/{world['acme']}").get_data(as_text=True)
    api = app.test_client()
    for state, (on_people, elsewhere) in {
        S.created: (["revoke"], ["revoke"]),
        S.invited: (["revoke"], ["revoke"]),
        S.expired: (["revoke"], ["revoke"]),
        S.revoked: ([], []),
    }.items():
        journey_id = world[state]
        dashboard = admin.get(f"/admin/onboarding/journeys/{journey_id}").get_data(as_text=True)
        in_api = api.get(f"/api/journeys/{journey_id}", headers=bearer(world["acme_token"]))
        assert posted_actions(people, journey_id) == on_people, state
        assert posted_actions(dashboard, journey_id) == elsewhere, state
        assert in_api.json["actions"] == elsewhere, state


def mails_written(factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count(OutboxMessage.id)))


def test_an_action_that_would_reach_an_erased_person_is_refused_everywhere(
    app, factory, log_in, world
):
    erased(factory, S.invited, S.revoked)
    invited, revoked = world[S.invited], world[S.revoked]
    written = mails_written(factory)
    admin = logged_in(app, factory, log_in, world["acme_admin"])
    api = app.test_client()
    people = admin.post(f"/settings/people/{world['acme']}/journeys/{invited}/resend")
    dashboard = admin.post(
        f"/admin/onboarding/journeys/{revoked}/reinvite",
        data={"confirmed": "yes"},
        follow_redirects=True,
    )
    in_api = [
        api.post(f"/api/journeys/{journey_id}/{name}", headers=bearer(world["acme_token"]))
        for journey_id, name in ((invited, "resend"), (invited, "extend"), (revoked, "reinvite"))
    ]
    assert people.status_code == 409 and ERASED in people.get_data(as_text=True)
    assert ERASED in dashboard.get_data(as_text=True)
    assert [(r.status_code, r.json["error"]["message"]) for r in in_api] == [(409, ERASED)] * 3
    assert (state_of(factory, invited), state_of(factory, revoked)) == (S.invited, S.revoked)
    assert mails_written(factory) == written

"""The dashboard pages: who may see them, and what they show."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from onboarding import journeys
from onboarding.dashboard.api_tokens import issue
from onboarding.dashboard.models import ApiToken
from onboarding.db import unit_of_work
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.people.models import Person
from onboarding.webhooks.models import WebhookEndpoint
from tests import helpers
from tests.helpers import admin_of, organization


def two_organizations(factory):
    """Acme and Globex, each with an admin and an invitee; returns the ids needed."""
    with unit_of_work(factory) as session:
        acme, globex = organization(session, "Acme"), organization(session, "Globex")
        ids = {
            "acme_admin": admin_of(session, acme, "boss@acme.example").id,
            "globex_admin": admin_of(session, globex, "boss@globex.example").id,
            "acme": acme.id,
            "globex": globex.id,
        }
        for org, email in ((acme, "ivy@acme.example"), (globex, "gus@globex.example")):
            journey = helpers.journey(session, org, email=email)
            journeys.invite(session, journey.id, actor="setup")
            ids[email] = journey.id
        ids["acme_token"] = issue(session, acme, "ci", actor="boss@acme.example")[1]
    return ids


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def person(factory, person_id):
    with factory() as session:
        return session.get(Person, person_id)


def test_anonymous_visitors_are_sent_to_log_in(client, factory):
    response = client.get("/admin/onboarding?state=invited")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_person_without_admin_role_is_refused(client, factory, log_in):
    with unit_of_work(factory) as session:
        plain = helpers.journey(
            session, organization(session, "Acme"), email="plain@acme.example"
        ).person
    log_in(client, plain)
    assert client.get("/admin/onboarding").status_code == 403


def test_an_admin_of_acme_sees_nothing_of_globex_in_pages(client, factory, log_in):
    ids = two_organizations(factory)
    log_in(client, person(factory, ids["acme_admin"]))
    overview = client.get("/admin/onboarding").get_data(as_text=True)
    assert "ivy@acme.example" in overview
    assert "globex" not in overview.lower()
    # Naming the other organization selects nothing instead of showing it.
    filtered = client.get(f"/admin/onboarding?organization={ids['globex']}").get_data(as_text=True)
    assert "gus@globex.example" not in filtered
    assert client.get(f"/admin/onboarding/journeys/{ids['gus@globex.example']}").status_code == 404
    detail = client.get(f"/admin/onboarding/journeys/{ids['ivy@acme.example']}")
    token = csrf_of(detail.get_data(as_text=True))
    revoke = client.post(
        f"/admin/onboarding/journeys/{ids['gus@globex.example']}/revoke",
        data={"csrf_token": token, "confirmed": "yes"},
    )
    assert revoke.status_code == 404
    diagram = client.get("/admin/onboarding/diagram").get_data(as_text=True)
    assert "1 now" in diagram  # Acme's one invitee, not two
    tokens_page = client.get("/admin/onboarding/tokens").get_data(as_text=True)
    assert "Globex" not in tokens_page


def test_a_superadmin_sees_every_organization_and_can_filter(client, factory, log_in):
    ids = two_organizations(factory)
    with unit_of_work(factory) as session:
        root = session.get(Person, ids["globex_admin"])
        root.is_superadmin = True
    log_in(client, person(factory, ids["globex_admin"]))
    everything = client.get("/admin/onboarding").get_data(as_text=True)
    assert "ivy@acme.example" in everything and "gus@globex.example" in everything
    only_acme = client.get(f"/admin/onboarding?organization={ids['acme']}").get_data(as_text=True)
    assert "ivy@acme.example" in only_acme and "gus@globex.example" not in only_acme


def test_an_action_asks_for_confirmation_then_records_the_admin(client, factory, log_in):
    ids = two_organizations(factory)
    log_in(client, person(factory, ids["acme_admin"]))
    journey_id = ids["ivy@acme.example"]
    page = client.get(f"/admin/onboarding/journeys/{journey_id}").get_data(as_text=True)
    assert "Resend invitation" in page and "Extend expiry" in page
    token = csrf_of(page)
    asked = client.post(
        f"/admin/onboarding/journeys/{journey_id}/revoke", data={"csrf_token": token}
    )
    assert asked.status_code == 200 and "Every link mailed for it stops working" in asked.get_data(
        as_text=True
    )
    with factory() as session:
        assert session.get(Journey, journey_id).state.value == "invited"
    done = client.post(
        f"/admin/onboarding/journeys/{journey_id}/revoke",
        data={"csrf_token": token, "confirmed": "yes"},
        follow_redirects=True,
    )
    assert "was revoked" in done.get_data(as_text=True)
    with factory() as session:
        last = session.scalars(
            select(JourneyEvent)
            .where(JourneyEvent.journey_id == journey_id)
            .order_by(JourneyEvent.id.desc())
        ).first()
        assert (last.trigger, last.actor) == ("revoke", "boss@acme.example")


def test_actions_without_csrf_token_are_refused(client, factory, log_in):
    ids = two_organizations(factory)
    log_in(client, person(factory, ids["acme_admin"]))
    response = client.post(
        f"/admin/onboarding/journeys/{ids['ivy@acme.example']}/revoke", data={"confirmed": "yes"}
    )
    assert response.status_code == 400
    with factory() as session:
        assert session.get(Journey, ids["ivy@acme.example"]).state.value == "invited"


def test_extend_expiry_from_the_page(client, factory, log_in):
    ids = two_organizations(factory)
    journey_id = ids["ivy@acme.example"]
    with factory() as session:
        before = session.get(Journey, journey_id).expires_at
    log_in(client, person(factory, ids["acme_admin"]))
    token = csrf_of(client.get(f"/admin/onboarding/journeys/{journey_id}").get_data(as_text=True))
    client.post(
        f"/admin/onboarding/journeys/{journey_id}/extend",
        data={"csrf_token": token, "confirmed": "yes", "days": "10"},
    )
    with factory() as session:
        after = session.get(Journey, journey_id).expires_at
    assert (after - before).days == 10
    page = client.get(f"/admin/onboarding/journeys/{journey_id}").get_data(as_text=True)
    assert "extend" in page and "boss@acme.example" in page


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/admin/onboarding/tokens", {"name": "ci", "purpose": "api"}),
        ("/admin/onboarding/webhooks", {"url": "https://hooks.example/in"}),
        ("/admin/onboarding/invite", {"csv_text": "email\nnew@example.com", "run": "invite"}),
    ],
)
def test_forms_for_an_organization_need_one_the_admin_administers(
    client, factory, log_in, path, fields
):
    ids = two_organizations(factory)
    log_in(client, person(factory, ids["acme_admin"]))
    token = csrf_of(client.get(path).get_data(as_text=True))
    before = counts(factory)

    for named, status in (("", 400), ("acme", 400), (ids["globex"], 403)):
        posted = {"csrf_token": token, "organization": named, **fields}
        assert client.post(path, data=posted).status_code == status

    assert counts(factory) == before


def counts(factory) -> tuple[int, int, int]:
    """API tokens, webhook endpoints and journeys on record."""
    with factory() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (ApiToken, WebhookEndpoint, Journey)
        )

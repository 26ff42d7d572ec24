"""People are shared by address, their names are not: an admin sees the names their own
organization typed, never those another organization recorded for the same address."""

from __future__ import annotations

import pytest

from onboarding.dashboard import api_tokens
from onboarding.db import unit_of_work
from onboarding.people import directory
from tests.helpers import admin_of, log_in_to_app, mails, organization

SHARED = "shared@example.com"


@pytest.fixture
def acme_knows_alice(factory):
    """Acme recorded shared@example.com as Alice Secret; Globex has an admin and a token."""
    with unit_of_work(factory) as session:
        acme, globex = organization(session, "Acme"), organization(session, "Globex")
        acme_admin = admin_of(session, acme, "boss@acme.example")
        globex_admin = admin_of(session, globex, "boss@globex.example")
        acme_journey = directory.create_person(
            session,
            acme,
            email=SHARED,
            first_name="Alice",
            last_name="Secret",
            roles=["viewer"],
            actor="boss@acme.example",
        )
        _, acme_token = api_tokens.issue(session, acme, "ci", actor="boss@acme.example")
        _, globex_token = api_tokens.issue(session, globex, "ci", actor="boss@globex.example")
        session.expunge_all()
    return {
        "acme_admin": acme_admin,
        "globex_admin": globex_admin,
        "globex": globex.id,
        "acme_journey": acme_journey.id,
        "acme_api": {"Authorization": f"Bearer {acme_token}"},
        "globex_api": {"Authorization": f"Bearer {globex_token}"},
    }


def test_an_admin_adding_a_known_address_sees_only_their_own_names(
    client, factory, acme_knows_alice
):
    world = acme_knows_alice
    log_in_to_app(client, world["globex_admin"])
    added = client.post(
        f"/settings/people/{world['globex']}",
        data={
            "email": SHARED.upper(),
            "first_name": "Al",
            "last_name": "Public",
            "language": "en",
            "roles": "viewer",
            "then": "invite",
        },
        follow_redirects=True,
    )
    assert added.status_code == 200
    listed = client.get("/api/journeys", headers=world["globex_api"]).json["journeys"]
    journey_id = next(row["id"] for row in listed if row["email"] == SHARED)
    seen = {
        "people page and its message": added,
        "history": client.get(f"/settings/people/{world['globex']}/journeys/{journey_id}"),
        "dashboard": client.get("/admin/onboarding"),
        "dashboard journey": client.get(f"/admin/onboarding/journeys/{journey_id}"),
        "API list": client.get("/api/journeys", headers=world["globex_api"]),
        "API journey": client.get(f"/api/journeys/{journey_id}", headers=world["globex_api"]),
    }
    for where, response in seen.items():
        text = response.get_data(as_text=True)
        assert "Al Public" in text, where
        assert "Secret" not in text and "Alice" not in text, where
    with factory() as session:
        assert mails(session, "invitation")[-1]["context"]["first_name"] == "Al"
    # Acme keeps what it recorded.
    acme = client.get(f"/api/journeys/{world['acme_journey']}", headers=world["acme_api"])
    assert acme.json["name"] == "Alice Secret"


def test_a_bulk_invitation_keeps_the_names_of_its_own_rows(client, acme_knows_alice):
    world = acme_knows_alice
    csv = f"first_name,last_name,email,language,roles\nAl,Public,{SHARED},en,viewer\n"
    created = client.post(
        "/api/invitations",
        data=csv,
        headers={**world["globex_api"], "Content-Type": "text/csv"},
    )
    assert created.status_code == 201
    listed = client.get("/api/journeys", headers=world["globex_api"]).json["journeys"]
    assert (SHARED, "Al Public") in [(row["email"], row["name"]) for row in listed]

"""What Okta and Microsoft Entra ID send, from their documented request bodies, and what each
request does to the journeys of the organization."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from onboarding.dashboard import api_tokens
from onboarding.db import unit_of_work
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.people.directory import find_organization
from onboarding.people.models import Role
from tests import helpers

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_JSON = "application/scim+json"

# Okta's "Create the user" request (SCIM 2.0 reference of Okta's provisioning integrations).
OKTA_CREATE = {
    "schemas": [USER],
    "userName": "isaac.brock@example.com",
    "name": {"givenName": "Isaac", "familyName": "Brock"},
    "emails": [{"primary": True, "value": "isaac.brock@example.com", "type": "work"}],
    "displayName": "Isaac Brock",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}
# Entra's "Create User" request (its SCIM provisioning tutorial).
ENTRA_CREATE = {
    "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com",
    "active": True,
    "emails": [{"primary": True, "type": "work", "value": "Test_User_fd0ea19b@contoso.com"}],
    "meta": {"resourceType": "User"},
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName",
    },
    "roles": [],
}


def create(client, acme, body=OKTA_CREATE):
    response = client.post("/scim/v2/Users", json=body, headers=acme["headers"])
    assert response.status_code == 201, response.json
    assert response.mimetype == SCIM_JSON
    return response.json


def patch(client, acme, path, *operations):
    return client.patch(
        path, json={"schemas": [PATCH], "Operations": list(operations)}, headers=acme["headers"]
    )


def journey_of(factory, user_id):
    with factory() as session:
        journey = session.get(Journey, int(user_id))
        assert journey is not None
        return journey.state.value, [role.name for role in journey.roles], journey.person.email


def history(factory, user_id):
    with factory() as session:
        events = session.scalars(
            select(JourneyEvent)
            .where(JourneyEvent.journey_id == int(user_id))
            .order_by(JourneyEvent.id)
        )
        return [(event.trigger, event.actor) for event in events]


def test_okta_creates_a_person_with_the_default_role_and_an_invitation(client, factory, acme):
    user = create(client, acme)
    assert user["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert user["active"] is True
    assert user["groups"][0]["display"] == "viewer"
    assert journey_of(factory, user["id"]) == ("invited", ["viewer"], "isaac.brock@example.com")
    directory = "directory:okta (token of boss@acme.example)"
    assert history(factory, user["id"]) == [("create", directory), ("invite", directory)]
    with unit_of_work(factory) as session:
        assert [mail["to"] for mail in helpers.mails(session, "invitation")] == [
            "isaac.brock@example.com"
        ]
    again = client.post("/scim/v2/Users", json=OKTA_CREATE, headers=acme["headers"])
    assert again.status_code == 409
    assert again.json["scimType"] == "uniqueness"


def test_entra_invites_the_primary_address_and_keeps_its_user_name(client, factory, acme):
    user = create(client, acme, ENTRA_CREATE)
    assert user["userName"] == ENTRA_CREATE["userName"]
    assert journey_of(factory, user["id"])[2] == "test_user_fd0ea19b@contoso.com"


def test_the_filters_okta_and_entra_send_find_one_user(client, acme):
    okta, entra = create(client, acme), create(client, acme, ENTRA_CREATE)
    for query, expected in (
        ('userName eq "isaac.brock@example.com"', okta),
        ('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"', entra),
        ('emails[type eq "work"].value eq "Test_User_fd0ea19b@contoso.com"', entra),
        ('userName eq "nobody@example.com"', None),
    ):
        found = client.get(
            "/scim/v2/Users",
            query_string={"filter": query, "startIndex": 1, "count": 100},
            headers=acme["headers"],
        ).json
        assert [r["id"] for r in found["Resources"]] == ([expected["id"]] if expected else [])
        assert found["totalResults"] == (1 if expected else 0)


def test_pages_follow_start_index_and_count(client, acme):
    ids = [
        create(
            client,
            acme,
            {**OKTA_CREATE, "userName": f"u{i}@example.com", "emails": [], "externalId": None},
        )["id"]
        for i in range(3)
    ]
    page = client.get("/scim/v2/Users?startIndex=2&count=1", headers=acme["headers"]).json
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (3, 2, 1)
    assert [r["id"] for r in page["Resources"]] == [ids[1]]


def test_okta_deactivates_and_reactivates_with_a_patch_without_path(client, factory, acme):
    user_id = create(client, acme)["id"]
    path = f"/scim/v2/Users/{user_id}"
    off = patch(client, acme, path, {"op": "replace", "value": {"active": False}})
    assert off.status_code == 200 and off.json["active"] is False
    assert journey_of(factory, user_id)[0] == "revoked"
    on = patch(client, acme, path, {"op": "replace", "value": {"active": True}})
    assert on.json["active"] is True
    assert journey_of(factory, user_id)[0] == "invited"
    assert [trigger for trigger, _ in history(factory, user_id)][-2:] == ["revoke", "reinvite"]


def test_entra_replace_with_a_capital_and_a_string_boolean_revokes(client, factory, acme):
    user_id = create(client, acme, ENTRA_CREATE)["id"]
    response = patch(
        client,
        acme,
        f"/scim/v2/Users/{user_id}",
        {"op": "Replace", "path": "active", "value": "False"},
    )
    assert response.status_code == 200
    assert journey_of(factory, user_id)[0] == "revoked"


def test_entra_changes_names_and_the_work_address(client, factory, acme):
    user_id = create(client, acme, ENTRA_CREATE)["id"]
    response = patch(
        client,
        acme,
        f"/scim/v2/Users/{user_id}",
        {"op": "Add", "path": "name.givenName", "value": "Grace"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "grace@contoso.com"},
        {"op": "Replace", "value": {"name.familyName": "Hopper"}},
    )
    assert response.status_code == 200, response.json
    assert response.json["name"] == {"givenName": "Grace", "familyName": "Hopper"}
    assert journey_of(factory, user_id)[2] == "grace@contoso.com"
    with factory() as session:
        changed = session.scalars(
            select(JourneyEvent).where(
                JourneyEvent.journey_id == int(user_id), JourneyEvent.trigger == "directory_update"
            )
        ).one()
        assert changed.detail == {
            "email": "grace@contoso.com",
            "first_name": "Grace",
            "last_name": "Hopper",
        }
        assert changed.actor.startswith("directory:okta")


def test_a_put_replaces_names_and_keeps_the_external_id(client, factory, acme):
    user_id = create(client, acme)["id"]
    body = {**OKTA_CREATE, "name": {"givenName": "Ike", "familyName": "Brock"}, "externalId": "x-2"}
    response = client.put(f"/scim/v2/Users/{user_id}", json=body, headers=acme["headers"])
    assert response.status_code == 200
    assert (response.json["name"]["givenName"], response.json["externalId"]) == ("Ike", "x-2")


def test_deleting_a_user_revokes_it_and_hides_it_and_a_new_post_reinvites(client, factory, acme):
    user_id = create(client, acme)["id"]
    assert client.delete(f"/scim/v2/Users/{user_id}", headers=acme["headers"]).status_code == 204
    assert journey_of(factory, user_id)[0] == "revoked"
    gone = client.get(f"/scim/v2/Users/{user_id}", headers=acme["headers"])
    assert gone.status_code == 404
    assert gone.json["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    back = create(client, acme)
    assert back["id"] == user_id
    assert journey_of(factory, user_id)[0] == "invited"


def test_group_membership_gives_and_takes_roles(client, factory, acme):
    user_id = create(client, acme, ENTRA_CREATE)["id"]
    groups = client.get(
        "/scim/v2/Groups",
        query_string={"filter": 'displayName eq "editor"'},
        headers=acme["headers"],
    ).json["Resources"]
    editor = f"/scim/v2/Groups/{groups[0]['id']}"
    added = patch(
        client, acme, editor, {"op": "Add", "path": "members", "value": [{"value": user_id}]}
    )
    assert added.status_code == 200, added.json
    assert journey_of(factory, user_id)[1] == ["editor", "viewer"]
    viewer = client.get(
        "/scim/v2/Groups",
        query_string={"filter": 'displayName eq "viewer"'},
        headers=acme["headers"],
    ).json["Resources"][0]["id"]
    patch(
        client,
        acme,
        f"/scim/v2/Groups/{viewer}",
        {"op": "Remove", "path": f'members[value eq "{user_id}"]'},
    )
    assert journey_of(factory, user_id)[1] == ["editor"]
    # The last role taken leaves the directory's default role.
    patch(client, acme, editor, {"op": "Remove", "path": f'members[value eq "{user_id}"]'})
    assert journey_of(factory, user_id)[1] == ["viewer"]
    assert [t for t, _ in history(factory, user_id)][-3:] == ["roles_changed"] * 3


def test_a_new_group_is_a_new_role_with_its_members(client, factory, acme):
    user_id = create(client, acme)["id"]
    body = {"schemas": [GROUP], "displayName": "auditor", "members": [{"value": user_id}]}
    response = client.post("/scim/v2/Groups", json=body, headers=acme["headers"])
    assert response.status_code == 201
    assert journey_of(factory, user_id)[1] == ["auditor", "viewer"]
    taken = client.post("/scim/v2/Groups", json=body, headers=acme["headers"])
    assert taken.status_code == 409 and taken.json["scimType"] == "uniqueness"


def test_only_a_live_scim_token_of_the_organization_gets_in(client, factory, acme):
    with unit_of_work(factory) as session:
        organization = helpers.organization(session, "Globex")
        _, api_token = api_tokens.issue(session, organization, "ci", actor="boss@globex.example")
        other = helpers.journey(session, organization, email="gus@globex.example").id
    for headers in ({}, {"Authorization": f"Bearer {api_token}"}):
        refused = client.get("/scim/v2/Users", headers=headers)
        assert refused.status_code == 401
        assert refused.json["status"] == "401"
    assert client.get(f"/scim/v2/Users/{other}", headers=acme["headers"]).status_code == 404
    assert client.get("/api/funnel", headers=acme["headers"]).status_code == 401


def test_an_unknown_address_and_a_bad_filter_answer_in_scim_s_format(client, acme):
    nowhere = client.get("/scim/v2/Nothing", headers=acme["headers"])
    assert nowhere.status_code == 404 and nowhere.mimetype == SCIM_JSON
    bad = client.get(
        "/scim/v2/Users", query_string={"filter": "userName eq"}, headers=acme["headers"]
    )
    assert bad.status_code == 400 and bad.json["scimType"] == "invalidFilter"


def test_a_person_invited_in_the_app_is_found_by_their_address_in_any_case(client, factory, acme):
    with unit_of_work(factory) as session:
        organization = find_organization(session, acme["id"])
        ivy = helpers.journey(session, organization, email="ivy@acme.example").id
    found = client.get(
        "/scim/v2/Users",
        query_string={"filter": 'userName eq "IVY@acme.example"'},
        headers=acme["headers"],
    ).json
    assert [(r["id"], r["userName"]) for r in found["Resources"]] == [
        (str(ivy), "ivy@acme.example")
    ]


def test_an_empty_group_can_be_deleted_but_not_the_directory_s_default_role(client, acme):
    listed = client.get("/scim/v2/Groups", headers=acme["headers"]).json["Resources"]
    by_name = {group["displayName"]: group["id"] for group in listed}
    editor = client.delete(f"/scim/v2/Groups/{by_name['editor']}", headers=acme["headers"])
    assert editor.status_code == 204
    viewer = client.delete(f"/scim/v2/Groups/{by_name['viewer']}", headers=acme["headers"])
    assert viewer.status_code == 409
    remaining = client.get("/scim/v2/Groups", headers=acme["headers"]).json["Resources"]
    assert sorted(group["displayName"] for group in remaining) == ["admin", "viewer"]


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("/scim/v2/Users", {"externalId": "00u\u0000j"}),
        ("/scim/v2/Users", {"name": {"givenName": "Isaac\tB", "familyName": "Brock"}}),
        ("/scim/v2/Users", {"urn:x\u0000": "a key"}),
        ("/scim/v2/Groups", {"displayName": "edit\u0000ors"}),
    ],
)
def test_a_control_character_in_a_body_is_an_invalid_value_and_changes_nothing(
    client, factory, acme, path, change
):
    body = (
        {**OKTA_CREATE, **change}
        if path.endswith("Users")
        else {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], **change}
    )
    before = people_and_roles(factory)
    refused = client.post(path, json=body, headers=acme["headers"])
    assert (refused.status_code, refused.json["scimType"]) == (400, "invalidValue")
    assert "control character" in refused.json["detail"]
    assert people_and_roles(factory) == before


def people_and_roles(factory) -> tuple[int, int]:
    with factory() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) for model in (Journey, Role)
        )

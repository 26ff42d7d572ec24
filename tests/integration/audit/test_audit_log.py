"""The audit log: every action of an organization's admins, API tokens and directory (who,
what, to whom, when, from which address), on the dashboard with filters and in the API as
JSON and CSV, each organization seeing only its own."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from onboarding import audit
from onboarding.audit.models import AuditEntry
from onboarding.dashboard import api_tokens
from onboarding.dashboard.api_tokens import Purpose
from onboarding.db import unit_of_work
from onboarding.people.directory import find_organization
from tests.helpers import log_in_to_app
from tests.integration.dashboard.test_pages import csrf_of, person, two_organizations

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def logged(factory, organization_id):
    """(actor, action, subject, address) of the organization's entries, oldest first."""
    with factory() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.organization_id == organization_id)
            .order_by(AuditEntry.id)
        )
        return [(e.actor, e.action, e.subject, e.address) for e in entries]


def test_admin_actions_are_logged_with_who_what_whom_and_address(client, factory):
    ids = two_organizations(factory)
    acme = ids["acme"]
    before = logged(factory, acme)
    log_in_to_app(client, person(factory, ids["acme_admin"]))
    page = client.get(f"/settings/people/{acme}").get_data(as_text=True)
    added = client.post(
        f"/settings/people/{acme}",
        data={
            "csrf_token": csrf_of(page),
            "email": "nia@acme.example",
            "first_name": "Nia",
            "last_name": "N",
            "language": "en",
            "roles": ["viewer"],
            "then": "invite",
        },
    )
    assert added.status_code == 302
    revoked = client.post(
        f"/admin/onboarding/journeys/{ids['ivy@acme.example']}/revoke",
        data={"csrf_token": csrf_of(page), "confirmed": "yes"},
    )
    assert revoked.status_code == 302
    extended = client.post(
        f"/api/journeys/{ids['ivy@acme.example']}/extend", headers=bearer(ids["acme_token"])
    )
    assert extended.status_code == 422  # a revoked invitation cannot be extended
    api = "api:ci (token of boss@acme.example)"
    client.post(
        f"/api/journeys/{ids['ivy@acme.example']}/reinvite", headers=bearer(ids["acme_token"])
    )
    boss = "boss@acme.example"
    assert logged(factory, acme)[len(before) :] == [
        (boss, "person.create", "nia@acme.example", "127.0.0.1"),
        (boss, "journey.invite", "nia@acme.example", "127.0.0.1"),
        (boss, "journey.revoke", "ivy@acme.example", "127.0.0.1"),
        (api, "journey.reinvite", "ivy@acme.example", "127.0.0.1"),
    ]
    assert before == [(boss, "token.issue", "ci", None)]  # issued outside a request


def test_directory_changes_are_logged_with_the_directory_as_actor(client, factory):
    with unit_of_work(factory) as session:
        acme = find_organization(session, two_organizations(factory)["acme"])
        viewer = next(role for role in acme.roles if role.name == "viewer")
        _, raw = api_tokens.issue(
            session,
            acme,
            "okta",
            actor="boss@acme.example",
            purpose=Purpose.scim,
            default_role=viewer,
        )
        acme_id = acme.id
    headers = bearer(raw)
    created = client.post(
        "/scim/v2/Users",
        json={"schemas": [USER], "userName": "kim@acme.example", "name": {"givenName": "Kim"}},
        headers=headers,
    )
    assert created.status_code == 201
    user = created.json["id"]
    off = {"schemas": [PATCH], "Operations": [{"op": "Replace", "value": {"active": "False"}}]}
    assert client.patch(f"/scim/v2/Users/{user}", json=off, headers=headers).status_code == 200
    assert client.delete(f"/scim/v2/Users/{user}", headers=headers).status_code == 204
    directory = "directory:okta (token of boss@acme.example)"
    assert [entry for entry in logged(factory, acme_id) if entry[0] == directory] == [
        (directory, "scim.user.create", "kim@acme.example", "127.0.0.1"),
        (directory, "scim.user.update", "kim@acme.example", "127.0.0.1"),
        (directory, "scim.user.delete", "kim@acme.example", "127.0.0.1"),
    ]


def test_a_refused_action_leaves_no_entry(client, factory):
    ids = two_organizations(factory)
    before = logged(factory, ids["acme"])
    refused = client.post(
        f"/api/journeys/{ids['ivy@acme.example']}/reinvite", headers=bearer(ids["acme_token"])
    )
    assert refused.status_code == 422
    assert logged(factory, ids["acme"]) == before


def test_the_api_gives_its_organization_s_log_as_json_and_csv(client, factory):
    ids = two_organizations(factory)
    headers = bearer(ids["acme_token"])
    for email in ("ivy@acme.example", "=cmd|' /C calc'!A0"):
        with unit_of_work(factory) as session:
            audit.record(
                session,
                organization_id=ids["acme"],
                actor="boss@acme.example",
                action="journey.resend",
                subject=email,
            )
            audit.record(
                session,
                organization_id=ids["globex"],
                actor="boss@globex.example",
                action="journey.resend",
                subject="gus@globex.example",
            )
    listed = client.get("/api/audit?action=journey.resend", headers=headers).json
    assert [e["subject"] for e in listed["entries"]] == ["=cmd|' /C calc'!A0", "ivy@acme.example"]
    assert {e["organization_id"] for e in listed["entries"]} == {ids["acme"]}
    everything = client.get(f"/api/audit?organization={ids['globex']}", headers=headers).json
    assert everything["entries"] == []  # another organization's log selects nothing
    first = client.get("/api/audit?limit=1", headers=headers).json
    second = client.get(f"/api/audit?limit=1&before={first['next_before']}", headers=headers).json
    assert first["entries"][0]["id"] > second["entries"][0]["id"]
    download = client.get("/api/audit.csv?subject=calc", headers=headers)
    assert download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == [
        "id",
        "at",
        "organization_id",
        "actor",
        "action",
        "subject",
        "address",
        "detail",
    ]
    assert [row[5] for row in rows[1:]] == ["'=cmd|' /C calc'!A0"]  # no formula for a spreadsheet
    bad = client.get("/api/audit?since=yesterday", headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid"


def test_the_dashboard_page_filters_within_the_admin_s_organizations(client, factory):
    ids = two_organizations(factory)
    with unit_of_work(factory) as session:
        audit.record(
            session,
            organization_id=ids["acme"],
            actor="boss@acme.example",
            action="journey.revoke",
            subject="ivy@acme.example",
        )
        audit.record(
            session,
            organization_id=ids["globex"],
            actor="boss@globex.example",
            action="journey.revoke",
            subject="gus@globex.example",
        )
    log_in_to_app(client, person(factory, ids["acme_admin"]))
    page = client.get("/admin/onboarding/audit").get_data(as_text=True)
    assert "ivy@acme.example" in page and "gus@globex.example" not in page
    assert "journey.revoke" in page and "token.issue" in page
    only = client.get("/admin/onboarding/audit?action=token.issue").get_data(as_text=True)
    assert "ivy@acme.example" not in only
    by_whom = client.get("/admin/onboarding/audit?subject=IVY").get_data(as_text=True)
    assert "ivy@acme.example" in by_whom
    download = client.get("/admin/onboarding/audit.csv?action=journey.revoke")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "ivy@acme.example" in download.get_data(as_text=True)
    assert "gus@globex.example" not in download.get_data(as_text=True)

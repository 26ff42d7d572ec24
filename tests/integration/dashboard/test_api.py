"""The JSON API: bearer tokens per organization, JSON errors, and the OpenAPI contract."""

from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from onboarding.dashboard import api_tokens
from onboarding.dashboard.actions import Surface, offered_on
from onboarding.db import unit_of_work
from onboarding.journeys.models import Journey
from tests.integration.dashboard.test_pages import two_organizations


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_without_a_valid_token_every_answer_is_a_json_401(client, factory):
    for headers in ({}, bearer("onb_nonsense"), {"Authorization": "Basic eDp5"}):
        response = client.get("/api/funnel", headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working(client, factory):
    ids = two_organizations(factory)
    assert client.get("/api/funnel", headers=bearer(ids["acme_token"])).status_code == 200
    with unit_of_work(factory) as session:
        token = api_tokens.for_organizations(session, frozenset({ids["acme"]}))[0]
        api_tokens.revoke(session, token.id, None, actor="boss@globex.example")
    assert client.get("/api/funnel", headers=bearer(ids["acme_token"])).status_code == 401


def test_an_acme_token_sees_nothing_of_globex(client, factory):
    ids = two_organizations(factory)
    headers = bearer(ids["acme_token"])
    listed = client.get("/api/journeys", headers=headers).json["journeys"]
    assert {row["email"] for row in listed} == {"ivy@acme.example", "boss@acme.example"}
    asked_for_globex = client.get(f"/api/journeys?organization={ids['globex']}", headers=headers)
    assert asked_for_globex.json["journeys"] == []
    funnel = client.get(f"/api/funnel?organization={ids['globex']}", headers=headers).json
    assert funnel["steps"][0]["reached"] == 0
    gus = ids["gus@globex.example"]
    assert client.get(f"/api/journeys/{gus}", headers=headers).status_code == 404
    revoke = client.post(f"/api/journeys/{gus}/revoke", headers=headers)
    assert revoke.status_code == 404 and revoke.json["error"]["code"] == "not_found"
    with factory() as session:
        assert session.get(Journey, gus).state.value == "invited"
    csv = "first_name,last_name,email,language,roles\nGus,G,gus@globex.example,en,viewer\n"
    report = client.post(
        "/api/invitations?dry_run=true", data=csv, headers={**headers, "Content-Type": "text/csv"}
    ).json
    assert report["rows"] == [
        {"row": 2, "email": "gus@globex.example", "accepted": True, "reason": None}
    ]


def test_actions_through_the_api_are_recorded_with_the_token(client, factory):
    ids = two_organizations(factory)
    headers = bearer(ids["acme_token"])
    journey_id = ids["ivy@acme.example"]
    extended = client.post(f"/api/journeys/{journey_id}/extend", json={"days": 5}, headers=headers)
    assert extended.status_code == 200
    last = extended.json["timeline"][-1]
    assert (last["what"], last["actor"]) == ("extend", "api:ci (token of boss@acme.example)")
    bad = client.post(f"/api/journeys/{journey_id}/extend", json={"days": 0}, headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid"
    refused = client.post(f"/api/journeys/{journey_id}/reinvite", headers=headers)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "invalid_transition"


def test_keyset_pages_cover_every_journey_once(client, factory):
    ids = two_organizations(factory)
    headers = bearer(ids["acme_token"])
    seen, cursor = [], None
    while True:
        query = "/api/journeys?limit=1&sort=email" + (f"&after={cursor}" if cursor else "")
        page = client.get(query, headers=headers).json
        seen += [row["email"] for row in page["journeys"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["boss@acme.example", "ivy@acme.example"]
    bad = client.get("/api/journeys?after=garbage", headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid"


def test_a_token_erases_a_person_of_its_organization_and_no_one_elses(client, factory):
    ids = two_organizations(factory)
    headers = bearer(ids["acme_token"])
    for body in (None, {"email": 7}, ["ivy@acme.example"]):
        refused = client.post("/api/erasures", json=body, headers=headers)
        assert refused.status_code == 422 and refused.json["error"]["code"] == "invalid"
    for email in ("gus@globex.example", "nobody@acme.example"):
        unknown = client.post("/api/erasures", json={"email": email}, headers=headers)
        assert unknown.status_code == 404
        assert unknown.json["error"]["message"] == f"No person with the address {email}."
    erased = client.post("/api/erasures", json={"email": "IVY@acme.example"}, headers=headers)
    assert erased.status_code == 200
    ivy = client.get(f"/api/journeys/{ids['ivy@acme.example']}", headers=headers).json
    assert (
        ivy["email"] == erased.json["email"] == f"erased-{erased.json['person_id']}@erased.invalid"
    )
    assert ivy["timeline"][-1]["actor"] == "api:ci (token of boss@acme.example)"


def test_the_served_document_describes_every_api_route_and_nothing_else(app, client):
    document = client.get("/api/openapi.json").json
    described = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    routed = {
        (re.sub(r"<(?:[^<>]*:)?([^<>:]+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.endpoint != "api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert described == routed
    actions = {path.rpartition("/")[2] for path, _ in routed if "{journey_id}/" in path}
    assert actions == {action.name for action in offered_on(Surface.api)}


def test_refused_arguments_and_bodies_get_the_apis_own_answer(client, factory):
    ids = two_organizations(factory)
    headers = bearer(ids["acme_token"])
    journey_id = ids["ivy@acme.example"]
    for refused in (
        client.get("/api/journeys?limit=201", headers=headers),
        client.get("/api/journeys?state=lost", headers=headers),
        client.get("/api/funnel?invited_from=2026-02-30", headers=headers),
        client.get("/api/funnel?role=a%00b", headers=headers),
        client.post("/api/invitations?dry_run=perhaps", data="", headers=headers),
        client.post(f"/api/journeys/{journey_id}/extend", json={"days": True}, headers=headers),
        client.post(f"/api/journeys/{journey_id}/extend", json=[14], headers=headers),
    ):
        assert refused.status_code == 422
        assert refused.json["error"]["code"] == "invalid"
        assert refused.json["error"]["message"]
    assert client.get("/api/journeys?limit=", headers=headers).status_code == 200


def test_the_api_keeps_its_openapi_contract_and_never_answers_500(app, factory):
    """Every operation of the generated /api/openapi.json, with generated valid and invalid
    input, against the app in-process with a real token and database."""
    headers = bearer(two_organizations(factory)["acme_token"])
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 11

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=50,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=checks)

        call()


def test_no_api_answer_may_be_kept_by_a_cache(client, factory):
    headers = bearer(two_organizations(factory)["acme_token"])
    answers = [
        client.get("/api/funnel", headers=headers),  # 200
        client.get("/api/journeys?limit=0", headers=headers),  # 422
        client.get("/api/journeys/999999", headers=headers),  # 404
        client.get("/api/funnel"),  # 401
        client.delete("/api/funnel", headers=headers),  # 405
        client.get("/api/no-such-thing", headers=headers),  # 404 without a view
        client.get("/api/openapi.json"),
    ]
    assert [a.headers.get("Cache-Control") for a in answers] == ["no-store"] * len(answers)
    assert client.get("/healthz").headers.get("Cache-Control") != "no-store"

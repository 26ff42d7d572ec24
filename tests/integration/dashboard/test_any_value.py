"""No value a client can send gives a 500: every date, number and text parameter of the
dashboard pages, the API and the People page, drawn by hypothesis (a bounded number of
examples each, so that CI stays fast)."""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from onboarding.dashboard.journey_table import SORTS, encode_cursor
from tests.integration.dashboard.test_pages import person, two_organizations
from web import create_app

EXAMPLES = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
FILTERS = ("organization", "role", "language", "invited_from", "invited_to")
TABLE = ("state", "stuck_days", "sort", "after", "limit")
EDGES = ["", " ", "0", "-1", "1e309", "nan", "\x00", "%00", "9999-12-31", "0001-01-01"]

numbers = st.one_of(st.integers(), st.integers(min_value=0, max_value=2**70)).map(str)
dates = st.dates().map(date.isoformat)
# Cursors that pass the base64 and JSON layers, so the values inside them are what is tried;
# JSON can carry what a query string cannot (lone surrogates, huge ids).
cursors = st.builds(
    encode_cursor,
    st.one_of(
        st.datetimes(timezones=st.just(UTC)),
        st.datetimes(),
        st.text(st.characters(exclude_categories=())),
        st.integers(),
    ),
    st.integers(),
)
long_text = st.text(min_size=101, max_size=400)
any_value = st.one_of(
    st.text(max_size=80), long_text, numbers, dates, st.sampled_from(EDGES), cursors
)


@pytest.fixture
def app(factory) -> Flask:
    return create_app({"TESTING": True, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})


@pytest.fixture
def world(factory, app, log_in) -> dict[str, Any]:
    """The ids of two organizations, an admin client of Acme's pages and API headers."""
    ids = two_organizations(factory)
    admin = app.test_client()
    log_in(admin, person(factory, ids["acme_admin"]))
    return {**ids, "admin": admin, "api": {"Authorization": f"Bearer {ids['acme_token']}"}}


def no_server_error(response: TestResponse, what: object) -> None:
    assert response.status_code < 500, (what, response.status_code, response.get_data()[:300])


def query_pages(world: dict[str, Any], params: dict[str, str]) -> list[TestResponse]:
    admin: FlaskClient = world["admin"]
    answers = [
        admin.get("/admin/onboarding/diagram", query_string=params),
        admin.get("/api/funnel", query_string=params, headers=world["api"]),
    ]
    if params.keys() <= set(FILTERS) | set(TABLE):
        answers += [
            admin.get("/admin/onboarding", query_string=params),
            admin.get("/api/journeys", query_string=params, headers=world["api"]),
        ]
    return answers


@pytest.mark.parametrize("name", FILTERS + TABLE)
def test_no_query_argument_of_the_dashboard_or_the_api_gives_a_server_error(world, name):
    @given(value=any_value)
    @EXAMPLES
    def check(value: str) -> None:
        for response in query_pages(world, {name: value}):
            no_server_error(response, {name: value})

    check()


def test_no_cursor_under_any_sort_gives_a_server_error(world):
    @given(sort=st.sampled_from(list(SORTS)), after=cursors)
    @example(sort="email", after=encode_cursor("\ud800", 1))
    @example(sort="email", after=encode_cursor("", 2**31))
    @EXAMPLES
    def check(sort: str, after: str) -> None:
        for response in query_pages(world, {"sort": sort, "after": after}):
            no_server_error(response, (sort, after))

    check()


def test_the_last_day_of_the_calendar_filters_like_any_other(world):
    """9999-12-31 has no next day: an inclusive end there leaves no journey out."""
    for params in ({"invited_to": "9999-12-31"}, {"invited_from": "9999-12-31"}):
        for response in query_pages(world, params):
            assert response.status_code == 200, (params, response.request.path)
    everything = world["admin"].get(
        "/api/journeys", query_string={"invited_to": "9999-12-31"}, headers=world["api"]
    )
    assert {row["email"] for row in everything.json["journeys"]} == {
        "ivy@acme.example",
        "boss@acme.example",
    }


ids = st.one_of(st.integers(min_value=0), st.integers(min_value=2**31, max_value=2**80))


def test_no_journey_id_in_a_path_gives_a_server_error(world):
    admin: FlaskClient = world["admin"]

    @given(journey_id=ids)
    @EXAMPLES
    def check(journey_id: int) -> None:
        for response in (
            admin.get(f"/admin/onboarding/journeys/{journey_id}"),
            admin.get(f"/api/journeys/{journey_id}", headers=world["api"]),
            admin.post(f"/api/journeys/{journey_id}/resend", headers=world["api"]),
            admin.get(f"/settings/people/{world['acme']}/journeys/{journey_id}"),
            admin.get(f"/settings/people/{journey_id}"),
        ):
            no_server_error(response, journey_id)

    check()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


def test_no_number_of_days_to_extend_by_gives_a_server_error(world):
    admin: FlaskClient = world["admin"]
    journey = world["ivy@acme.example"]

    @given(
        days=any_value, body=st.one_of(json_values, st.fixed_dictionaries({"days": json_values}))
    )
    @EXAMPLES
    def check(days: str, body: Any) -> None:
        page = admin.post(
            f"/admin/onboarding/journeys/{journey}/extend", data={"days": days, "confirmed": "yes"}
        )
        no_server_error(page, days)
        api = admin.post(f"/api/journeys/{journey}/extend", json=body, headers=world["api"])
        no_server_error(api, body)

    check()


def test_no_csv_row_of_a_bulk_invitation_gives_a_server_error(world):
    admin: FlaskClient = world["admin"]
    header = "first_name,last_name,email,language,roles\n"
    cell = any_value.map(lambda v: '"' + v.replace('"', '""') + '"')

    @given(row=st.lists(cell, min_size=5, max_size=5))
    @example(row=["x" * 101, "", "long@acme.example", "en", "viewer"])
    @example(row=["Lee", "x" * 101, "lee@acme.example", "en", "viewer"])
    @EXAMPLES
    def check(row: list[str]) -> None:
        body = header + ",".join(row) + "\n"
        for dry_run in ("true", "false"):
            response = admin.post(
                f"/api/invitations?dry_run={dry_run}",
                data=body.encode(),
                headers={**world["api"], "Content-Type": "text/csv"},
            )
            no_server_error(response, row)

    check()


PEOPLE_FORM = ("email", "first_name", "last_name", "language", "roles", "then")


@pytest.mark.parametrize("name", PEOPLE_FORM)
def test_no_value_in_the_people_form_gives_a_server_error(world, name):
    admin: FlaskClient = world["admin"]
    valid = {
        "email": "new@acme.example",
        "first_name": "New",
        "last_name": "Person",
        "language": "en",
        "roles": "viewer",
        "then": "invite",
    }
    path = f"/settings/people/{world['acme']}"

    @given(value=any_value)
    @example(value="x" * 101)
    @EXAMPLES
    def check(value: str) -> None:
        no_server_error(admin.post(path, data={**valid, name: value}), {name: value})

    check()

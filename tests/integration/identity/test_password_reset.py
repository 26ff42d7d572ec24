"""Forgot your password? mails a single-use, time-limited reset link to a known address and a
"no account, create one" mail to an unknown one, behind the same page."""

from __future__ import annotations

import re
from datetime import timedelta

from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.identity.models import AccountToken
from tests.helpers import activated_account, csrf_token, link_token, log_in_to_connect, mails

NEW_PASSWORD = "marble thistle comet drift"


def forgot(client, email):
    html = client.get("/password/forgot").get_data(as_text=True)
    response = client.post(
        "/password/forgot", data={"csrf_token": csrf_token(html), "email": email}
    )
    page = client.get(response.headers["Location"]) if response.status_code == 303 else response
    return response, page


def _without_csrf(html):
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def test_known_and_unknown_addresses_get_the_same_answer_and_different_mails(client, factory):
    activated_account(factory)
    known, known_page = forgot(client, "ada@example.com")
    unknown, unknown_page = forgot(client, "nobody@example.com")
    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    assert known_page.status_code == unknown_page.status_code == 200
    assert _without_csrf(known_page.get_data(as_text=True)) == _without_csrf(
        unknown_page.get_data(as_text=True)
    )
    with unit_of_work(factory) as session:
        reset, none = mails(session)[-2:]
    assert reset["template"] == "password_reset" and reset["to"] == "ada@example.com"
    assert reset["context"]["reset_url"].startswith("http://connect.test/password/reset/")
    assert none["template"] == "no_account" and none["to"] == "nobody@example.com"
    assert none["context"]["register_url"] == (
        "http://connect.test/register?email=nobody%40example.com"
    )


def _reset_token(factory):
    with unit_of_work(factory) as session:
        return link_token(mails(session, "password_reset")[-1]["context"]["reset_url"])


def test_a_reset_link_sets_a_new_password_once(client, factory):
    activated_account(factory)
    forgot(client, "ada@example.com")
    token = _reset_token(factory)
    html = client.get(f"/password/reset/{token}").get_data(as_text=True)
    assert client.get(f"/password/reset/{token}").status_code == 200  # GET consumes nothing
    data = {
        "csrf_token": csrf_token(html),
        "password": NEW_PASSWORD,
        "password_confirmation": NEW_PASSWORD,
    }
    response = client.post(f"/password/reset/{token}", data=data)
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    assert log_in_to_connect(client, password=NEW_PASSWORD).status_code == 302
    fresh = csrf_token(client.get("/login").get_data(as_text=True))  # a new session, new token
    again = client.post(f"/password/reset/{token}", data={**data, "csrf_token": fresh})
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)


def test_an_old_password_stops_working_after_a_reset(client, factory):
    activated_account(factory)
    forgot(client, "ada@example.com")
    token = _reset_token(factory)
    html = client.get(f"/password/reset/{token}").get_data(as_text=True)
    client.post(
        f"/password/reset/{token}",
        data={
            "csrf_token": csrf_token(html),
            "password": NEW_PASSWORD,
            "password_confirmation": NEW_PASSWORD,
        },
    )
    response = log_in_to_connect(client)
    assert response.status_code == 200
    assert "not right" in response.get_data(as_text=True)


def test_an_expired_reset_link_offers_a_new_one(client, factory):
    activated_account(factory)
    forgot(client, "ada@example.com")
    token = _reset_token(factory)
    with unit_of_work(factory) as session:
        for row in session.query(AccountToken).filter_by(purpose="password_reset"):
            row.expires_at = utcnow() - timedelta(seconds=1)
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert "/password/forgot" in response.get_data(as_text=True)


def test_the_reset_password_must_meet_the_policy(client, factory):
    activated_account(factory)
    forgot(client, "ada@example.com")
    token = _reset_token(factory)
    html = client.get(f"/password/reset/{token}").get_data(as_text=True)
    response = client.post(
        f"/password/reset/{token}",
        data={
            "csrf_token": csrf_token(html),
            "password": "password1234",
            "password_confirmation": "password1234",
        },
    )
    assert response.status_code == 422
    assert "most common passwords" in response.get_data(as_text=True)
    assert client.get(f"/password/reset/{token}").status_code == 200


def test_a_bad_address_is_explained_not_crashed(client):
    response, _ = forgot(client, "not an address")
    assert response.status_code == 422
    assert "not a valid email address" in response.get_data(as_text=True)

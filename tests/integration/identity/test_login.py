"""Log-in at Connect: email and password, sessions, safe `next`, no enumeration."""

from __future__ import annotations

from tests.helpers import activated_account, log_in_to_connect


def test_a_right_password_logs_in_and_goes_to_next(client, factory):
    activated_account(factory)
    response = log_in_to_connect(client, next_url="/authorize?client_id=app")
    assert response.status_code == 302
    assert response.headers["Location"] == "/authorize?client_id=app"
    with client.session_transaction() as cookie:
        assert cookie["account_id"]


def test_an_offsite_next_is_ignored(client, factory):
    activated_account(factory)
    response = log_in_to_connect(client, next_url="https://evil.example/steal")
    assert response.headers["Location"] == "/account/security"


def test_wrong_password_and_unknown_address_look_the_same(client, factory):
    activated_account(factory)
    wrong = log_in_to_connect(client, password="not the password at all")
    unknown = log_in_to_connect(
        client, email="nobody@example.com", password="not the password at all"
    )
    assert wrong.status_code == unknown.status_code == 200
    assert "The email address or password is not right." in wrong.get_data(as_text=True)
    assert "The email address or password is not right." in unknown.get_data(as_text=True)


def test_an_account_not_yet_activated_cannot_log_in(client, factory):
    from onboarding.db import unit_of_work
    from onboarding.identity import accounts

    with unit_of_work(factory) as session:
        accounts.register(
            session,
            email="new@example.com",
            first_name="N",
            last_name="N",
            language="en",
            country=None,
        )
    assert log_in_to_connect(client, email="new@example.com").status_code == 200


def test_the_session_cookie_is_connects_own_and_hardened(client, factory):
    activated_account(factory)
    response = log_in_to_connect(client)
    cookies = response.headers.getlist("Set-Cookie")
    cookie = next(c for c in cookies if c.startswith("connect_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["X-Frame-Options"] == "DENY"

"""An owner deletes their account at Connect, confirmed with the password or a code: nothing
of it stays in Connect's tables, the app is told by an identity event that carries only the
subject, and a mail confirms it. An owner also downloads what is kept of the account."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from onboarding.db import unit_of_work
from onboarding.identity import deletion
from onboarding.identity.models import Account
from tests.helpers import (
    PASSWORD,
    activated_account,
    csrf_token,
    log_in_to_connect,
    mails,
    webhooks,
)
from tests.integration.identity.test_two_factor import enable


def security_page(client):
    return client.get("/account/security").get_data(as_text=True)


def delete(client, **fields):
    page = security_page(client)
    return client.post("/account/delete", data={"csrf_token": csrf_token(page), **fields})


def kept_of(factory, account_id):
    """How many rows of each of Connect's tables still belong to the account."""
    with unit_of_work(factory) as session:
        counts = {
            table.__tablename__: session.scalar(
                select(func.count()).select_from(table).where(table.account_id == account_id)
            )
            for table in deletion.OWNED
        }
        counts["connect_accounts"] = session.scalar(
            select(func.count()).select_from(Account).where(Account.id == account_id)
        )
        return {name: n for name, n in counts.items() if n}


@pytest.fixture
def logged_in(client, factory):
    subject = activated_account(factory, first_name="Odile")
    log_in_to_connect(client)
    with unit_of_work(factory) as session:
        account = session.scalar(select(Account).where(Account.subject == subject))
        return subject, account.id


def test_the_owner_deletes_the_account_with_the_password_and_nothing_of_it_stays(
    client, factory, logged_in
):
    subject, account_id = logged_in
    assert kept_of(factory, account_id)  # the account and its session
    done = delete(client, password=PASSWORD)
    assert done.status_code == 200
    assert "Your account was deleted" in done.get_data(as_text=True)
    assert kept_of(factory, account_id) == {}
    assert client.get("/account/security").status_code == 302  # logged out
    assert log_in_to_connect(client).status_code == 200  # the form again: no such account
    with unit_of_work(factory) as session:
        events = [w["event"] for w in webhooks(session) if "event" in w]
        assert events[-1]["type"] == "account.deleted"
        assert events[-1]["data"] == {"subject": subject}
        [mail] = mails(session, "account_deleted")
        assert (mail["to"], mail["context"]["first_name"]) == ("ada@example.com", "Odile")


def test_a_wrong_password_deletes_nothing_and_says_so(client, factory, logged_in):
    _, account_id = logged_in
    before = kept_of(factory, account_id)
    for fields in ({"password": "not the password"}, {}):
        refused = delete(client, **fields)
        assert refused.status_code == 422
        assert "That is not right." in refused.get_data(as_text=True)
    assert kept_of(factory, account_id) == before


def test_a_code_of_the_second_factor_confirms_the_deletion(client, factory, logged_in):
    _, account_id = logged_in
    totp, _codes = enable(client)
    assert delete(client, code="000000").status_code == 422
    done = delete(client, code=totp.at(time.time() + 30))
    assert done.status_code == 200
    assert kept_of(factory, account_id) == {}


def test_the_security_page_offers_deletion_in_dutch(client, logged_in):
    page = client.get("/account/security?lang=nl").get_data(as_text=True)
    assert "Je account verwijderen" in page and "Mijn account verwijderen" in page


def test_the_owner_downloads_the_account_without_its_secrets(client, factory, logged_in):
    subject, _ = logged_in
    response = client.get("/account/export.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = response.json
    assert data["account"]["subject"] == subject
    assert data["account"]["email"] == "ada@example.com"
    assert data["account"]["has_password"] is True
    assert len(data["sessions"]) == 1 and data["sessions"][0]["ended_at"] is None
    text = response.get_data(as_text=True)
    with unit_of_work(factory) as session:
        account = session.scalar(select(Account).where(Account.subject == subject))
        assert account.password_hash not in text


def test_downloading_and_deleting_need_a_log_in(client, factory):
    assert client.get("/account/export.json").status_code == 302
    page = client.get("/login").get_data(as_text=True)
    refused = client.post("/account/delete", data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")

"""An owner deletes their account at Connect, confirmed with the password, a code or one of
the account's own passkeys: nothing of it stays in Connect's tables, the app is told by an
identity event that carries only the subject, and a mail confirms it. An owner also downloads
what is kept of the account."""

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
from tests.integration.identity.authenticator import Authenticator, b64url
from tests.integration.identity.test_passkeys import add_passkey
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


def confirm_with(client, authenticator, options=None):
    """Answer the deletion's passkey options (fresh ones unless given) with `authenticator`."""
    options = options or passkey_call(client, "/account/delete/passkey/options").get_json()
    return passkey_call(client, "/account/delete/passkey", authenticator.get(options))


def passkey_call(client, url, body="{}", page="/account/security"):
    """A call of passkeys.js from `page`: JSON, with the page's CSRF token."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(
        url, data=body, content_type="application/json", headers={"X-CSRFToken": token}
    )


@pytest.fixture
def passkey_only(client, factory, logged_in):
    """The logged-in account with a passkey and neither a password nor a second factor."""
    subject, account_id = logged_in
    authenticator = Authenticator()
    assert add_passkey(client, authenticator).status_code == 200
    with unit_of_work(factory) as session:
        session.get(Account, account_id).password_hash = None
    return subject, account_id, authenticator


def test_a_passkey_of_the_account_confirms_the_deletion_of_a_passkey_only_account(
    client, factory, passkey_only
):
    subject, account_id, authenticator = passkey_only
    page = security_page(client)
    assert 'name="password"' not in page and "Delete my account with a passkey" in page
    assert "To delete your account, first set a password" not in page
    options = passkey_call(client, "/account/delete/passkey/options").get_json()
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(authenticator.credential_id)]
    done = confirm_with(client, authenticator, options)
    assert done.status_code == 200 and done.get_json() == {"redirect": "/account/deleted"}
    assert kept_of(factory, account_id) == {}
    assert "Your account was deleted" in client.get(done.get_json()["redirect"]).get_data(
        as_text=True
    )
    assert client.get("/account/security").status_code == 302  # logged out
    with unit_of_work(factory) as session:
        events = [w["event"] for w in webhooks(session) if "event" in w]
        assert (events[-1]["type"], events[-1]["data"]) == ("account.deleted", {"subject": subject})
        assert len(mails(session, "account_deleted")) == 1


def test_another_accounts_passkey_a_used_challenge_or_no_answer_deletes_nothing(
    connect_app, client, factory, passkey_only
):
    _, account_id, authenticator = passkey_only
    activated_account(factory, email="bob@example.com")
    bob = connect_app.test_client()
    log_in_to_connect(bob, email="bob@example.com")
    bobs = Authenticator()
    assert add_passkey(bob, bobs).status_code == 200
    before = kept_of(factory, account_id)

    options = passkey_call(client, "/account/delete/passkey/options").get_json()
    not_hers = confirm_with(client, bobs, options)
    assert not_hers.status_code == 400
    assert not_hers.get_json()["error"] == (
        "This is not a passkey of this account. Use one of its passkeys."
    )
    used = confirm_with(client, authenticator, options)  # the refusal used the challenge up
    assert used.status_code == 400 and "already used" in used.get_json()["error"]
    log_in_options = passkey_call(client, "/login/passkey/options", page="/login").get_json()
    another_ceremony = confirm_with(client, authenticator, log_in_options)
    assert (
        another_ceremony.status_code == 400
        and "already used" in another_ceremony.get_json()["error"]
    )
    for no_answer in ("{}", ""):
        refused = passkey_call(client, "/account/delete/passkey", no_answer)
        assert refused.status_code == 400
    assert kept_of(factory, account_id) == before
    assert confirm_with(client, authenticator).status_code == 200
    assert kept_of(factory, account_id) == {}


def test_the_passkey_deletion_needs_a_log_in(client, factory):
    refused = passkey_call(client, "/account/delete/passkey/options", page="/login")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")


def test_the_passkey_deletion_is_offered_in_dutch(client, passkey_only):
    page = client.get("/account/security?lang=nl").get_data(as_text=True)
    assert "Mijn account verwijderen met een passkey" in page

"""Passkeys at Connect, with real WebAuthn answers made by a software authenticator: adding
one, logging in with it (no second factor asked), the refusals (a replayed challenge, another
origin or RP ID, an unknown credential, a signature of another key, another browser),
managing them, and activation and recovery with a passkey instead of a password."""

from __future__ import annotations

import pytest
import requests
from authlib.common.security import generate_token
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.identity import accounts
from onboarding.identity.accounts import find_by_email
from onboarding.identity.models import ConnectSession, Passkey
from tests.helpers import (
    PASSWORD,
    Deferred,
    activated_account,
    csrf_token,
    link_token,
    log_in_to_connect,
    mails,
    serve,
    webhooks,
)
from tests.integration.identity.authenticator import USER_PRESENT, Authenticator, b64url
from tests.integration.identity.test_oidc_flow import authorize
from tests.integration.identity.test_oidc_flow import client as oauth_client


def _token(client, page="/login"):
    return csrf_token(client.get(page).get_data(as_text=True))


def _call(client, url, body="{}", page="/login"):
    return client.post(
        url,
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": _token(client, page)},
    )


def add_passkey(client, authenticator):
    """On the security page of the logged-in account: create a passkey."""
    options = _call(client, "/account/passkeys/options", page="/account/security").get_json()
    return _call(
        client, "/account/passkeys", authenticator.create(options), page="/account/security"
    )


def log_in_with(client, authenticator, **answer):
    """Ask for the options, answer them with `authenticator`, send the answer."""
    options = _call(client, "/login/passkey/options").get_json()
    return _call(
        client, "/login/passkey?next=/account/security", authenticator.get(options, **answer)
    )


def logged_in(client):
    return client.get("/account/security").status_code == 200


@pytest.fixture
def passkey(connect_app, factory):
    """Ada's account with a password and a passkey added on the security page."""
    activated_account(factory)
    client = connect_app.test_client()
    log_in_to_connect(client)
    authenticator = Authenticator()
    assert add_passkey(client, authenticator).get_json() == {"redirect": "/account/security"}
    return authenticator


def test_a_passkey_added_on_the_security_page_is_stored_and_its_owner_told(passkey, factory):
    with unit_of_work(factory) as session:
        row = session.scalars(select(Passkey)).one()
        assert row.name == "Passkey 1" and row.sign_count == 0 and row.transports == ["internal"]
        assert row.account.email == "ada@example.com" and row.last_used_at is None
        told = mails(session, "passkey_changed")
    assert [(m["to"], m["context"]["added"], m["context"]["passkey"]) for m in told] == [
        ("ada@example.com", True, "Passkey 1")
    ]


def test_a_passkey_added_for_a_signed_in_account_goes_on_to_the_page_named(connect_app, factory):
    activated_account(factory)
    client = connect_app.test_client()
    log_in_to_connect(client)
    options = _call(client, "/account/passkeys/options", page="/account/security").get_json()
    answer = Authenticator().create(options)
    done = _call(client, "/account/passkeys?next=/authorize%3Fx%3D1", answer, "/account/security")
    assert done.get_json() == {"redirect": "/authorize?x=1"}


def test_a_passkey_logs_in_a_fresh_browser_without_a_second_factor(passkey, connect_app, factory):
    with unit_of_work(factory) as session:
        find_by_email(session, "ada@example.com").totp_enabled_at = utcnow()  # 2FA on
    client = connect_app.test_client()
    response = log_in_with(client, passkey)
    assert response.status_code == 200
    assert response.get_json() == {"redirect": "/account/security"}
    assert logged_in(client)
    with unit_of_work(factory) as session:
        row = session.scalars(select(Passkey)).one()
        assert row.sign_count == 1 and row.last_used_at is not None


def test_a_replayed_answer_is_refused(passkey, connect_app):
    client = connect_app.test_client()
    options = _call(client, "/login/passkey/options").get_json()
    answer = passkey.get(options)
    assert _call(client, "/login/passkey", answer).status_code == 200
    client.post("/logout", data={"csrf_token": _token(client, "/account/security")})
    replayed = _call(client, "/login/passkey", answer)
    assert replayed.status_code == 400
    assert "expired or was already used" in replayed.get_json()["error"]
    assert not logged_in(client)


def test_an_answer_for_another_browser_is_refused(passkey, connect_app):
    ours, theirs = connect_app.test_client(), connect_app.test_client()
    options = _call(theirs, "/login/passkey/options").get_json()
    assert _call(ours, "/login/passkey", passkey.get(options)).status_code == 400
    assert not logged_in(ours)


@pytest.mark.parametrize(
    "forged",
    [{"origin": "http://connect.evil"}, {"rp_id": "connect.evil"}],
    ids=["wrong origin", "wrong RP ID"],
)
def test_an_answer_made_for_another_site_is_refused(passkey, connect_app, forged):
    client = connect_app.test_client()
    for name, value in forged.items():
        setattr(passkey, name, value)
    response = log_in_with(client, passkey)
    assert response.status_code == 400
    assert "could not be checked" in response.get_json()["error"]
    assert not logged_in(client)


def test_an_unknown_credential_is_refused(passkey, connect_app):
    client = connect_app.test_client()
    response = log_in_with(client, Authenticator())
    assert response.status_code == 400
    assert "not known here" in response.get_json()["error"]
    assert not logged_in(client)


def test_a_signature_made_with_another_key_is_refused(passkey, connect_app):
    client = connect_app.test_client()
    response = log_in_with(client, passkey, signing_key=ec.generate_private_key(ec.SECP256R1()))
    assert response.status_code == 400 and not logged_in(client)


def test_a_log_in_without_user_verification_is_refused(passkey, connect_app):
    client = connect_app.test_client()
    assert log_in_with(client, passkey, flags=USER_PRESENT).status_code == 400
    assert not logged_in(client)


def test_a_malformed_answer_is_refused_with_a_message(connect_app):
    client = connect_app.test_client()
    response = _call(client, "/login/passkey", "not json")
    assert response.status_code == 400 and response.get_json()["error"]


def _passkey_ids(factory):
    with unit_of_work(factory) as session:
        return list(session.scalars(select(Passkey.id).order_by(Passkey.id)))


def test_passkeys_are_listed_renamed_and_removed_on_the_security_page(
    passkey, connect_app, factory
):
    client = connect_app.test_client()
    log_in_with(client, passkey)
    page = client.get("/account/security").get_data(as_text=True)
    assert "Passkey 1" in page and "last used" in page
    token = csrf_token(page)
    [passkey_id] = _passkey_ids(factory)
    client.post(
        f"/account/passkeys/{passkey_id}/rename", data={"csrf_token": token, "name": " Laptop "}
    )
    assert "<strong>Laptop</strong>" in client.get("/account/security").get_data(as_text=True)
    # On one line: a control character (NUL, which PostgreSQL cannot store) counts as a space.
    renamed = client.post(
        f"/account/passkeys/{passkey_id}/rename",
        data={"csrf_token": token, "name": "Work\x00laptop\n"},
    )
    assert renamed.status_code == 303
    assert "<strong>Work laptop</strong>" in client.get("/account/security").get_data(as_text=True)
    removed = client.post(f"/account/passkeys/{passkey_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    page = client.get("/account/security").get_data(as_text=True)
    assert "The passkey is removed." in page and "You have no passkeys yet." in page


def _activation_token(factory, email="bea@example.com"):
    with unit_of_work(factory) as session:
        accounts.register(
            session, email=email, first_name="Bea", last_name="Booth", language="en", country=None
        )
    with unit_of_work(factory) as session:
        return link_token(mails(session, "activation")[-1]["context"]["activate_url"])


def test_an_account_activated_with_a_passkey_has_no_password_and_is_logged_in(client, factory):
    token = _activation_token(factory)
    page = client.get(f"/activate/{token}").get_data(as_text=True)
    assert "Create a passkey" in page and "Set password" in page
    options = _call(client, f"/activate/{token}/passkey/options", page=f"/activate/{token}")
    answer = Authenticator().create(options.get_json())
    done = _call(client, f"/activate/{token}/passkey", answer, page=f"/activate/{token}")
    assert done.get_json() == {"redirect": "http://app.test/login"}
    assert logged_in(client)
    with unit_of_work(factory) as session:
        account = find_by_email(session, "bea@example.com")
        assert account.state.value == "activated" and account.password_hash is None
        activated = [e for e in webhooks(session) if e["event"]["type"] == "account.activated"]
    assert activated[-1]["event"]["data"]["credential"] == "passkey"
    assert client.get(f"/activate/{token}").status_code == 410  # the link is used


def test_the_last_way_to_log_in_cannot_be_removed(client, factory):
    token = _activation_token(factory)
    options = _call(client, f"/activate/{token}/passkey/options", page=f"/activate/{token}")
    _call(client, f"/activate/{token}/passkey", Authenticator().create(options.get_json()))
    page = client.get("/account/security").get_data(as_text=True)
    [passkey_id] = _passkey_ids(factory)
    refused = client.post(
        f"/account/passkeys/{passkey_id}/remove", data={"csrf_token": csrf_token(page)}
    )
    assert "only way to log in" in client.get(refused.headers["Location"]).get_data(as_text=True)
    second = Authenticator()
    add_passkey(client, second)
    client.post(f"/account/passkeys/{passkey_id}/remove", data={"csrf_token": csrf_token(page)})
    with unit_of_work(factory) as session:
        assert session.scalars(select(Passkey.credential_id)).all() == [
            b64url(second.credential_id)
        ]
        told = [m["context"]["added"] for m in mails(session, "passkey_changed")]
    assert told == [True, True, False]


def test_a_reset_link_adds_a_passkey_and_ends_every_session(passkey, connect_app, factory):
    browser = connect_app.test_client()
    log_in_with(browser, passkey)
    with unit_of_work(factory) as session:
        accounts.request_password_reset(session, "ada@example.com")
    with unit_of_work(factory) as session:
        token = link_token(mails(session, "password_reset")[-1]["context"]["reset_url"])
    client = connect_app.test_client()
    page = f"/password/reset/{token}"
    assert "Create a passkey" in client.get(page).get_data(as_text=True)
    options = _call(client, f"{page}/passkey/options", page=page).get_json()
    new = Authenticator()
    done = _call(client, f"{page}/passkey", new.create(options), page=page)
    assert done.get_json() == {"redirect": "/login"}
    assert not logged_in(browser)
    with unit_of_work(factory) as session:
        assert all(s.ended_at for s in session.scalars(select(ConnectSession)))
    assert client.get(page).status_code == 410
    assert log_in_with(client, new).status_code == 200 and logged_in(client)


@pytest.fixture
def served(factory, settings):
    """Connect on a loopback port, its issuer that address."""
    from web import create_connect_app

    app = Deferred()
    with serve(app) as url:
        app.app = create_connect_app(settings=settings.with_overrides(connect_issuer=url))
        yield url


def _browser_call(browser, base, path, body="{}"):
    headers = {"X-CSRFToken": csrf_token(browser.get(f"{base}/login").text)}
    return browser.post(f"{base}{path}", data=body, headers=headers)


def test_the_id_token_of_a_passkey_log_in_says_so_in_amr(served, factory, settings):
    """The app learns that the person logged in with a passkey from the ID token's `amr`."""
    subject = activated_account(factory)
    authenticator = Authenticator(origin=served, rp_id="127.0.0.1")
    owner = requests.Session()
    token = csrf_token(owner.get(f"{served}/login").text)
    owner.post(
        f"{served}/login",
        data={"csrf_token": token, "email": "ada@example.com", "password": PASSWORD},
    )
    options = _browser_call(owner, served, "/account/passkeys/options").json()
    assert _browser_call(owner, served, "/account/passkeys", authenticator.create(options)).ok
    browser = requests.Session()
    options = _browser_call(browser, served, "/login/passkey/options").json()
    answer = authenticator.get(options)
    assert _browser_call(browser, served, "/login/passkey", answer).status_code == 200
    oauth = oauth_client(settings)
    nonce, verifier = generate_token(20), generate_token(48)
    location, _ = authorize(served, browser, oauth, nonce, verifier)
    token = oauth.fetch_token(
        f"{served}/token", authorization_response=location, code_verifier=verifier
    )
    keys = KeySet.import_key_set(requests.get(f"{served}/jwks").json())
    claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
    assert (claims["sub"], claims["amr"]) == (subject, ["hwk", "user", "mfa"])


def test_the_security_page_speaks_dutch_and_refuses_an_empty_name(passkey, connect_app, factory):
    client = connect_app.test_client()
    log_in_with(client, passkey)
    page = client.get("/account/security?lang=nl").get_data(as_text=True)
    assert "Je passkeys" in page and "Passkey toevoegen" in page and "Hernoemen" in page
    [passkey_id] = _passkey_ids(factory)
    refused = client.post(
        f"/account/passkeys/{passkey_id}/rename", data={"csrf_token": csrf_token(page), "name": " "}
    )
    assert "Geef de passkey een naam" in client.get(refused.headers["Location"]).get_data(
        as_text=True
    )


def test_another_accounts_passkey_cannot_be_renamed_or_removed(passkey, connect_app, factory):
    activated_account(factory, email="eve@example.com")
    client = connect_app.test_client()
    log_in_to_connect(client, email="eve@example.com")
    token = _token(client, "/account/security")
    [passkey_id] = _passkey_ids(factory)
    remove = client.post(f"/account/passkeys/{passkey_id}/remove", data={"csrf_token": token})
    rename = client.post(
        f"/account/passkeys/{passkey_id}/rename", data={"csrf_token": token, "name": "x"}
    )
    assert remove.status_code == rename.status_code == 404
    with unit_of_work(factory) as session:
        assert session.get(Passkey, passkey_id).name == "Passkey 1"

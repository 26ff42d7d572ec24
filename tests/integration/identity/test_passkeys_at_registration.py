"""Registration from an invitation with a passkey instead of a password: the account is made
from the signed invitation only once the passkey is verified, activated at once, signed in
by the passkey, and the app's authorization request goes on. The challenge is good once, in
this browser, for the invitation's address; a refused passkey leaves no account."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from onboarding.db import unit_of_work
from onboarding.identity import accounts, captcha
from onboarding.identity.machine import AccountState
from onboarding.identity.models import Passkey
from onboarding.invitation_proof import InvitationProof
from tests.helpers import activated_account, csrf_token, mails, webhooks
from tests.integration.identity.authenticator import USER_PRESENT, Authenticator
from tests.integration.identity.test_passkeys import log_in_with
from tests.integration.identity.test_registration_from_invitation import PROOF, open_registration

BOB = InvitationProof(**{**PROOF.__dict__, "email": "bob@example.com", "first_name": "Bob"})


def registration_form(client, settings, proof=PROOF):
    """The prefilled registration form of `proof`, as passkeys.js sends it, and its page."""
    page = open_registration(client, settings, proof)
    html = page.get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(html),
        "invitation": html.split('name="invitation" value="')[1].split('"')[0],
        "next": html.split('name="next" value="')[1].split('"')[0].replace("&amp;", "&"),
        "first_name": proof.first_name,
        "last_name": proof.last_name,
        "language": proof.language,
        "country": "NL",
        "email": proof.email,
        "password": "",
        "password_confirmation": "",
        "altcha": captcha.solve(client.get("/captcha/challenge").get_json()),
    }
    return form, html


def _post(client, url, form, body):
    return client.post(
        url, data=body, content_type="application/json", headers={"X-CSRFToken": form["csrf_token"]}
    )


def passkey_options(client, form):
    return _post(client, "/register/passkey/options", form, json.dumps(form))


def answer(client, form, credential):
    return _post(client, "/register/passkey", form, credential)


def _no_account(factory, email="ada@example.com"):
    with unit_of_work(factory) as session:
        return accounts.find_by_email(session, email) is None and not webhooks(session)


def test_the_invitation_form_offers_a_passkey_beside_the_password(client, connect_settings):
    _form, html = registration_form(client, connect_settings)
    assert "Passkey aanmaken" in html  # in the invitee's language
    assert 'data-options="/register/passkey/options"' in html and 'data-form="register"' in html
    assert 'name="password"' in html


def test_an_invitee_joins_with_a_passkey_and_the_app_request_goes_on(
    client, factory, connect_settings, connect_app
):
    form, _html = registration_form(client, connect_settings)
    # The address is the invitation's, whatever the form says.
    options = passkey_options(client, {**form, "email": "mallory@example.com"})
    assert options.status_code == 200
    assert options.get_json()["user"]["name"] == "ada@example.com"
    authenticator = Authenticator()
    done = answer(client, form, authenticator.create(options.get_json()))
    assert done.status_code == 200
    # Straight back to the app with the code: no stop at /authorize.
    callback = urlsplit(done.get_json()["redirect"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == (
        f"{connect_settings.app_base_url}/auth/callback"
    )
    assert parse_qs(callback.query)["code"]

    with unit_of_work(factory) as session:
        account = accounts.find_by_email(session, "ada@example.com")
        assert account.state is AccountState.activated
        assert account.password_hash is None
        assert account.verified_by == accounts.INVITATION
        assert account.journey_ref == "signed-journey-ref"
        assert authenticator.user_handle == account.subject.encode()
        assert session.scalar(select(Passkey.account_id)) == account.id
        assert accounts.find_by_email(session, "mallory@example.com") is None
        assert [m["template"] for m in mails(session)] == ["passkey_changed"]
        events = [hook["event"] for hook in webhooks(session)]
    assert [e["type"] for e in events] == ["account.registered", "account.activated"]
    assert all(e["data"]["verified_by"] == "invitation" for e in events)
    assert events[1]["data"]["credential"] == "passkey"
    # The passkey is the account's: a fresh browser logs in with it.
    fresh = connect_app.test_client()
    assert log_in_with(fresh, authenticator).status_code == 200


def test_a_refused_passkey_leaves_no_account_and_its_challenge_is_not_answered_twice(
    client, factory, connect_settings
):
    form, _html = registration_form(client, connect_settings)
    options = passkey_options(client, form).get_json()
    authenticator = Authenticator()
    refused = answer(client, form, authenticator.create(options, flags=USER_PRESENT))
    assert refused.status_code == 400
    assert _no_account(factory)
    # The same challenge answered again, now with the user verified: it was used up.
    replayed = answer(client, form, authenticator.create(options))
    assert replayed.status_code == 400
    assert "verlopen of al gebruikt" in replayed.get_json()["error"]
    assert _no_account(factory)
    # A new try of the same form (no new captcha) works.
    again = passkey_options(client, form).get_json()
    assert answer(client, form, Authenticator().create(again)).status_code == 200


def test_a_challenge_made_for_one_invitation_does_not_register_another_address(
    client, factory, connect_settings
):
    ada, _html = registration_form(client, connect_settings)
    ada_options = passkey_options(client, ada).get_json()
    bob, _html = registration_form(client, connect_settings, BOB)
    assert passkey_options(client, bob).status_code == 200
    refused = answer(client, bob, Authenticator().create(ada_options))
    assert refused.status_code == 400
    assert _no_account(factory, "ada@example.com") and _no_account(factory, "bob@example.com")


def test_an_answer_from_another_browser_is_refused(client, factory, connect_settings, connect_app):
    form, _html = registration_form(client, connect_settings)
    options = passkey_options(client, form).get_json()
    other = connect_app.test_client()
    other_form, _html = registration_form(other, connect_settings)
    assert answer(other, other_form, Authenticator().create(options)).status_code == 400
    assert _no_account(factory)


def test_a_forged_invitation_or_an_unsolved_captcha_gets_no_challenge(
    client, factory, connect_settings
):
    form, _html = registration_form(client, connect_settings)
    assert passkey_options(client, {**form, "invitation": "forged"}).status_code == 422
    assert passkey_options(client, {**form, "altcha": ""}).status_code == 422
    assert answer(client, form, "{}").status_code == 400
    assert _no_account(factory)


def test_an_address_with_an_account_is_asked_to_log_in(client, factory, connect_settings):
    activated_account(factory)
    form, _html = registration_form(client, connect_settings)
    refused = passkey_options(client, form)
    assert refused.status_code == 409
    assert "Je hebt al een account met dit adres" in refused.get_json()["error"]

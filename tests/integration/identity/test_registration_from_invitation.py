"""Registration from an invitation, inside the app's authorization request: the app vouches
for the invited address, so Connect activates the account at once (no activation mail),
signs it in and completes the request back to the app."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from onboarding.db import unit_of_work
from onboarding.identity import accounts, captcha
from onboarding.identity.machine import AccountState
from onboarding.invitation_proof import InvitationProof, sign
from tests.helpers import PASSWORD, activated_account, csrf_token, mails, webhooks

VERIFIER = "v" * 64
PROOF = InvitationProof(
    email="ada@example.com",
    first_name="Ada",
    last_name="Lovelace",
    language="nl",
    country="",
    journey_ref="signed-journey-ref",
)


def authorize_query(settings, invitation: str) -> str:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest())
    return urlencode(
        {
            "client_id": settings.oidc_client_id,
            "redirect_uri": f"{settings.app_base_url}/auth/callback",
            "response_type": "code",
            "scope": "openid email profile",
            "state": "s" * 20,
            "nonce": "n" * 20,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
            "prompt": "create",
            "invitation": invitation,
        }
    )


def open_registration(client, settings, proof=PROOF, **headers):
    """/authorize with prompt=create and the invitation: on to the prefilled form."""
    response = client.get(f"/authorize?{authorize_query(settings, sign(proof, settings))}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/register?")
    return client.get(response.headers["Location"], headers=headers)


def submit(client, page, **fields):
    html = page.get_data(as_text=True)
    invitation = html.split('name="invitation" value="')[1].split('"')[0]
    next_url = html.split('name="next" value="')[1].split('"')[0].replace("&amp;", "&")
    data = {
        "csrf_token": csrf_token(html),
        "invitation": invitation,
        "next": next_url,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "language": "nl",
        "country": "NL",
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
        "altcha": captcha.solve(client.get("/captcha/challenge").get_json()),
        **fields,
    }
    return client.post("/register", data=data)


def test_the_form_is_prefilled_from_the_invitation_and_asks_for_the_password(
    client, connect_settings
):
    html = open_registration(client, connect_settings).get_data(as_text=True)
    assert 'value="Ada"' in html and 'value="Lovelace"' in html
    assert 'value="ada@example.com"' in html and "readonly" in html
    assert '<option value="nl" selected>' in html
    assert '<option value="NL" selected>' in html  # the country of the language
    assert 'name="password"' in html and 'name="password_confirmation"' in html
    assert '<html lang="nl">' in html  # the invitee's language


def test_the_browser_names_the_country_when_it_says_one(client, connect_settings):
    english = InvitationProof(**{**PROOF.__dict__, "language": "en"})
    page = open_registration(client, connect_settings, english, **{"Accept-Language": "en-GB"})
    assert '<option value="GB" selected>' in page.get_data(as_text=True)


def test_the_invited_address_is_activated_at_once_signed_in_and_sent_back_to_the_app(
    client, factory, connect_settings
):
    response = submit(client, open_registration(client, connect_settings))
    assert response.status_code == 303  # straight back to the app, with the code
    callback = urlsplit(response.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == (
        f"{connect_settings.app_base_url}/auth/callback"
    )
    assert parse_qs(callback.query)["code"]

    with unit_of_work(factory) as session:
        account = accounts.find_by_email(session, "ada@example.com")
        assert account.state is AccountState.activated
        assert account.verified_by == accounts.INVITATION
        assert account.journey_ref == "signed-journey-ref"
        assert mails(session) == []
        events = [hook["event"] for hook in webhooks(session)]
    assert [e["type"] for e in events] == ["account.registered", "account.activated"]
    assert all(e["data"]["verified_by"] == "invitation" for e in events)


def test_an_address_with_an_account_is_asked_to_log_in(client, factory, connect_settings):
    activated_account(factory)
    response = submit(client, open_registration(client, connect_settings))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Je hebt al een account met dit adres" in html  # in the invitee's language
    assert 'name="next" value="/authorize?' in html


@pytest.mark.parametrize(
    "fields",
    [
        {"password_confirmation": "something else entirely"},
        {"invitation": "forged"},
    ],
    ids=["passwords-differ", "forged-invitation"],
)
def test_a_refused_registration_creates_nothing(client, factory, connect_settings, fields):
    response = submit(client, open_registration(client, connect_settings), **fields)
    assert response.status_code == 422
    with unit_of_work(factory) as session:
        assert accounts.find_by_email(session, "ada@example.com") is None

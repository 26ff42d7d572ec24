"""Registration with the proof-of-work captcha, the Thank-you page, activation by setting a
password, and the expired-link page; no account enumeration."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.identity import captcha
from onboarding.identity.accounts import find_by_email
from onboarding.identity.machine import AccountState
from onboarding.identity.models import AccountToken
from tests.helpers import PASSWORD, activated_account, csrf_token, link_token, mails, webhooks


def solved_captcha(client):
    return captcha.solve(client.get("/captcha/challenge").get_json())


def register_form(client, **overrides):
    page = client.get("/register?email=ada%40example.com&ref=REF123")
    html = page.get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(html),
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "language": "en",
        "country": "GB",
        "ref": "REF123",
        "altcha": solved_captcha(client),
    }
    data.update(overrides)
    return data


def test_register_page_is_prefilled_from_the_invitation(client):
    html = client.get("/register?email=ada%40example.com&ref=REF123").get_data(as_text=True)
    assert 'value="ada@example.com"' in html
    assert 'name="ref" value="REF123"' in html
    assert '<option value="NL">Netherlands</option>' in html
    assert 'value="nl">Nederlands' in html


def test_register_mails_an_activation_link_and_reports_the_registration(client, factory):
    response = client.post("/register", data=register_form(client))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/register/thanks")
    thanks = client.get("/register/thanks").get_data(as_text=True)
    assert "Thank you for registering. Check your inbox." in thanks
    with unit_of_work(factory) as session:
        [mail] = mails(session)
        [hook] = webhooks(session)
        account = find_by_email(session, "ada@example.com")
    assert mail["template"] == "activation" and mail["to"] == "ada@example.com"
    assert mail["context"]["activate_url"].startswith("http://connect.test/activate/")
    assert account.state is AccountState.registered and account.password_hash is None
    assert hook["url"] == "http://app.test/hooks/identity"
    assert hook["event"]["type"] == "account.registered"
    assert hook["event"]["data"] == {
        "subject": account.subject,
        "email": "ada@example.com",
        "journey_ref": "REF123",
    }


def test_the_thank_you_page_names_the_address_and_sends_the_mail_again(client, factory):
    client.post("/register", data=register_form(client))
    thanks = client.get("/register/thanks").get_data(as_text=True)
    assert "We sent a mail with the next step to ada@example.com." in thanks
    again = client.post("/register/again", data={"csrf_token": csrf_token(thanks)})
    assert again.status_code == 200
    assert "We sent it again to ada@example.com." in again.get_data(as_text=True)
    with unit_of_work(factory) as session:
        sent = mails(session, "activation")
        assert find_by_email(session, "ada@example.com").state is AccountState.registered
    assert [m["to"] for m in sent] == ["ada@example.com", "ada@example.com"]


def test_wrong_address_opens_the_form_with_everything_but_the_address(client):
    client.post("/register", data=register_form(client))
    thanks = client.get("/register/thanks").get_data(as_text=True)
    href = re.search(r'href="([^"]+)">Wrong address\?', thanks).group(1).replace("&amp;", "&")
    form = client.get(href).get_data(as_text=True)
    assert 'value="Lovelace"' in form and 'name="ref" value="REF123"' in form
    assert 'id="email" name="email" type="email" autocomplete="email" required value=""' in form


def test_send_it_again_without_a_registration_in_this_browser_goes_to_the_form(client):
    page = client.get("/register").get_data(as_text=True)
    response = client.post("/register/again", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/register"


def _without_csrf(html):
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def test_registering_a_taken_address_answers_exactly_like_a_new_one(client, factory):
    activated_account(factory, email="taken@example.com")
    answers = []
    for email in ("taken@example.com", "new@example.com"):
        response = client.post("/register", data=register_form(client, email=email))
        page = client.get(response.headers["Location"])
        answers.append(
            (
                response.status_code,
                response.headers["Location"],
                page.status_code,
                # The page names the address typed, whichever it is.
                _without_csrf(page.get_data(as_text=True)).replace(email, "ADDRESS"),
            )
        )
    assert answers[0] == answers[1]
    with unit_of_work(factory) as session:
        templates = [(m["template"], m["to"]) for m in mails(session)][1:]
    assert templates == [("account_exists", "taken@example.com"), ("activation", "new@example.com")]


@pytest.mark.parametrize("answer", ["", "bm90IGpzb24=", "forged"])
def test_registration_without_a_solved_captcha_is_refused(client, factory, answer):
    response = client.post("/register", data=register_form(client, altcha=answer))
    assert response.status_code == 422
    assert "captcha" in response.get_data(as_text=True).lower()
    with unit_of_work(factory) as session:
        assert mails(session) == []


def test_a_captcha_answer_works_once(client):
    data = register_form(client)
    assert client.post("/register", data=data).status_code == 303
    again = client.post("/register", data={**data, "email": "other@example.com"})
    assert again.status_code == 422
    assert "already used" in again.get_data(as_text=True)


def test_a_bad_email_is_explained(client):
    response = client.post("/register", data=register_form(client, email="not-an-address"))
    assert response.status_code == 422
    assert "not a valid email address" in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_a_name_with_a_control_character_is_explained(client, factory, field):
    response = client.post("/register", data=register_form(client, **{field: "Ada\x00"}))
    assert response.status_code == 422
    assert "holds a character that is not allowed" in response.get_data(as_text=True)
    with unit_of_work(factory) as session:
        assert find_by_email(session, "ada@example.com") is None


def _activation_token(factory):
    with unit_of_work(factory) as session:
        return link_token(mails(session, "activation")[-1]["context"]["activate_url"])


def test_activation_sets_the_password_and_returns_to_the_app_login(client, factory):
    client.post("/register", data=register_form(client))
    token = _activation_token(factory)
    page = client.get(f"/activate/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "At least 10 characters." in html
    # Opening the link twice (a mail scanner, then the person) changes nothing.
    assert client.get(f"/activate/{token}").status_code == 200
    response = client.post(
        f"/activate/{token}",
        data={
            "csrf_token": csrf_token(html),
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "http://app.test/login"
    with unit_of_work(factory) as session:
        account = find_by_email(session, "ada@example.com")
        events = [w["event"]["type"] for w in webhooks(session)]
        assert account.state is AccountState.activated
        assert account.password_hash.startswith("$argon2id$")
        assert PasswordHasher().verify(account.password_hash, PASSWORD)
    assert events == ["account.registered", "account.activated"]
    # Not logged in at Connect: the app's "Log in with Connect" comes next.
    with client.session_transaction() as cookie:
        assert "account_id" not in cookie
    again = client.get(f"/activate/{token}")
    assert again.status_code == 410 and "already activated" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "confirmation", "message"),
    [
        ("orbit lantern pebble quiet", "orbit lantern pebble quite", "not the same"),
        ("short", "short", "at least 10 characters"),
    ],
)
def test_a_refused_password_keeps_the_link_usable(client, factory, password, confirmation, message):
    client.post("/register", data=register_form(client))
    token = _activation_token(factory)
    html = client.get(f"/activate/{token}").get_data(as_text=True)
    response = client.post(
        f"/activate/{token}",
        data={
            "csrf_token": csrf_token(html),
            "password": password,
            "password_confirmation": confirmation,
        },
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert client.get(f"/activate/{token}").status_code == 200


def test_an_expired_link_offers_a_new_activation_mail(client, factory):
    client.post("/register", data=register_form(client))
    token = _activation_token(factory)
    with unit_of_work(factory) as session:
        for row in session.query(AccountToken):
            row.expires_at = utcnow() - timedelta(minutes=1)
    page = client.get(f"/activate/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 410 and "has expired" in html
    response = client.post(f"/activate/{token}/resend", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 200
    assert "new activation mail" in response.get_data(as_text=True)
    fresh = _activation_token(factory)
    assert fresh != token
    assert client.get(f"/activate/{fresh}").status_code == 200


def test_an_unknown_activation_link_is_a_clear_404(client):
    response = client.get("/activate/" + "x" * 43)
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(client):
    response = client.post("/register", data={"email": "ada@example.com"})
    assert response.status_code == 400

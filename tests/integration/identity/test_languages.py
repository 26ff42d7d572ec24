"""Connect's pages in English and Dutch: chosen with ?lang=, else the invitation's, else the
account's, else the browser's; the language links keep the request; refusals made at run time
are translated too, and user input never breaks a translation."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from babel.messages.extract import extract_from_dir, extract_from_file
from zxcvbn import feedback

from onboarding.db import unit_of_work
from onboarding.i18n import LANGUAGES, translations
from onboarding.identity import accounts, passwords
from onboarding.invitation_proof import InvitationProof, sign
from tests.helpers import (
    activated_account,
    authorization_params,
    csrf_token,
    last_link,
    link_token,
    log_in_to_connect,
)

TEMPLATES = Path(__file__).resolve().parents[3] / "web" / "connect" / "templates"


def test_every_text_of_connects_pages_has_a_dutch_translation():
    dutch = translations("nl")
    messages = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(TEMPLATES),
            method_map=[("**.html", "jinja2")],
            options_map={"**": {"extensions": "jinja2.ext.i18n"}},
        )
    }
    assert messages
    assert sorted(m for m in messages if dutch.gettext(m) == m) == []


@pytest.mark.parametrize("password", ["short", "password1234", "ada-lovelace-x", "aaaaaaaaaaaa"])
def test_every_policy_message_has_a_dutch_translation(password, settings):
    dutch = translations("nl")
    person = passwords.Person("ada@example.com", "Ada", "Lovelace")
    minimum = settings.password_min_length
    found = [*passwords.rules(minimum), *passwords.problems(password, person, minimum)]
    messages = [rule.message for rule in found]
    assert messages and [m for m in messages if dutch.gettext(m) == m] == []


def test_every_hint_of_zxcvbn_has_a_dutch_translation():
    dutch = translations("nl")
    hints = [m for _, m, _, _ in extract_from_file("python", feedback.__file__, {"_": None})]
    assert len(hints) > 20 and [m for m in hints if dutch.gettext(m) == m] == []


def test_zxcvbns_hint_is_shown_in_the_pages_language(client, factory):
    with unit_of_work(factory) as session:
        accounts.register(
            session,
            email="ada@example.com",
            first_name="Ada",
            last_name="Lovelace",
            language="nl",
            country="NL",
        )
    path = f"/activate/{link_token(last_link(factory, 'activation', 'activate_url'))}"
    html = client.get(f"{path}?lang=nl").get_data(as_text=True)
    weak = {"password": "aaaaaaaaaaaa", "password_confirmation": "aaaaaaaaaaaa"}
    page = client.post(path, data={"csrf_token": csrf_token(html), **weak}).get_data(as_text=True)
    assert "Herhalingen zoals &#34;aaa&#34; zijn makkelijk te raden." in page


def test_lang_parameter_switches_and_sticks(client):
    page = client.get("/login?lang=nl").get_data(as_text=True)
    assert '<html lang="nl">' in page and "<h1>Inloggen</h1>" in page
    assert "<h1>Inloggen</h1>" in client.get("/login").get_data(as_text=True)
    assert "<h1>Log in</h1>" in client.get("/login?lang=en").get_data(as_text=True)


def test_the_browser_language_is_the_default(client):
    page = client.get("/register", headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert "Maak een account aan" in html and 'value="nl" selected' in html
    assert "<h1>Log in</h1>" in client.get("/login", headers={"Accept-Language": "fr"}).get_data(
        as_text=True
    )


def test_refusals_are_shown_in_dutch(client):
    html = client.get("/login?lang=nl").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(html), "email": "nobody@example.com", "password": "x"},
    )
    assert "Het e-mailadres of wachtwoord klopt niet." in response.get_data(as_text=True)


def test_percent_signs_in_input_are_shown_as_typed(client):
    html = client.get("/register?lang=nl").get_data(as_text=True)
    response = client.post(
        "/register",
        data={
            "csrf_token": csrf_token(html),
            "first_name": "%(x)s",
            "last_name": "100%",
            "email": "a%(b)s@",
            "language": "nl",
            "altcha": "",
        },
    )
    assert response.status_code == 422
    assert "100%" in response.get_data(as_text=True)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_language_is_chosen_with_lang_and_offered_on_the_registration_form(client, language):
    page = client.get(f"/register?lang={language}").get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    assert all(f'value="{code}"' in page for code in LANGUAGES)
    assert f'value="{language}" selected>{LANGUAGES[language]}<' in page


PROOF = InvitationProof("ann@example.com", "Ann", "de Vries", "nl", "NL", "signed-journey-ref")
ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}


def language_link(page: str, language: str) -> str:
    found = re.search(rf'<a href="([^"]*)" lang="{language}">', page)
    assert found, f"no link to {language}"
    return html.unescape(found.group(1))


def heading(page: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", page, re.S).group(1).strip()


def test_the_language_links_keep_the_whole_request(client):
    authorize = f"/authorize?{urlencode(authorization_params(ui_locales='en'))}"
    path = f"/login?{urlencode({'next': authorize, 'login_hint': 'ann@example.com'})}"
    link = language_link(client.get(path).get_data(as_text=True), "nl")
    # Relative to the page itself: only its query changes.
    assert link.startswith("?")
    assert parse_qsl(link[1:]) == [
        ("next", authorize),
        ("login_hint", "ann@example.com"),
        ("lang", "nl"),
    ]
    page = client.get(f"/login{link}").get_data(as_text=True)
    assert heading(page) == "Inloggen"
    assert f'name="next" value="{html.escape(authorize)}"' in page
    assert 'value="ann@example.com"' in page


def test_the_language_links_of_an_invitation_keep_the_invitation(client, connect_settings):
    query = urlencode({"invitation": sign(PROOF, connect_settings), "next": "/authorize?x=1"})
    page = client.get(f"/register?{query}&lang=en").get_data(as_text=True)
    assert heading(page) == "Create an account"
    dutch = client.get(f"/register{language_link(page, 'nl')}").get_data(as_text=True)
    assert heading(dutch) == "Maak een account aan"
    assert 'value="Ann"' in dutch and 'value="de Vries"' in dutch


def test_a_language_link_never_leads_elsewhere(client):
    page = client.get("/login?next=//evil.example/&lang=x//y", headers=ENGLISH_BROWSER)
    link = language_link(page.get_data(as_text=True), "nl")
    assert link.startswith("?") and "lang=x" not in link


def test_the_invitations_language_comes_before_the_browsers_and_is_remembered(
    client, connect_settings
):
    query = urlencode({"invitation": sign(PROOF, connect_settings)})
    page = client.get(f"/register?{query}", headers=ENGLISH_BROWSER).get_data(as_text=True)
    assert '<html lang="nl">' in page and 'value="nl" selected' in page
    # "I have an account": the log-in page, without the invitation, still speaks its language.
    login = client.get("/login", headers=ENGLISH_BROWSER).get_data(as_text=True)
    assert heading(login) == "Inloggen"


def test_the_invitations_language_comes_before_the_accounts(client, factory):
    activated_account(factory, language="en")
    client.get(f"/authorize?{urlencode(authorization_params(ui_locales='nl'))}")
    log_in_to_connect(client)
    page = client.get("/account/security", headers=ENGLISH_BROWSER).get_data(as_text=True)
    assert '<html lang="nl">' in page


def test_the_accounts_language_comes_before_the_browsers(client, factory):
    activated_account(factory, language="nl")
    log_in_to_connect(client)
    page = client.get("/account/security", headers=ENGLISH_BROWSER).get_data(as_text=True)
    assert '<html lang="nl">' in page


def test_a_language_chosen_on_connect_stays_chosen(client):
    client.get("/login?lang=en")
    client.get(f"/authorize?{urlencode(authorization_params(ui_locales='nl'))}")
    page = client.get("/login", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert heading(page) == "Log in"


def test_the_language_stays_after_logging_out(client, factory):
    activated_account(factory, language="en")
    client.get("/login?lang=nl")
    log_in_to_connect(client)
    page = client.get("/account/security").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    login = client.get("/login", headers=ENGLISH_BROWSER).get_data(as_text=True)
    assert heading(login) == "Inloggen"


def test_a_browser_sent_by_an_unknown_client_reads_why_in_its_language(client):
    query = urlencode({**authorization_params(client_id="intruder"), "lang": "nl"})
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    response = client.get(f"/authorize?{query}", headers=browser)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Dit inlogverzoek is niet geldig" in page and "invalid_client" not in page

"""Connect's pages in English and Dutch: chosen with ?lang=, else from the browser; refusals
made at run time are translated too, and user input never breaks a translation."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from onboarding.i18n import LANGUAGES, translations
from onboarding.identity import passwords
from tests.helpers import csrf_token

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
    ours = [rule.message for rule in found if rule.message != passwords.HINT]
    assert ours and [m for m in ours if dutch.gettext(m) == m] == []


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

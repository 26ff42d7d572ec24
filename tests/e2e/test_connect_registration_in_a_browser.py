"""Registration in a real browser: the ALTCHA widget solves its proof of work by itself under
the strict Content-Security-Policy, in the page's language and clean for axe-core, and Register
leads to the Thank-you page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from onboarding.db import unit_of_work
from onboarding.identity.accounts import find_by_email
from onboarding.settings import use_settings
from tests.e2e.browser import accessibility_problems
from tests.helpers import answer_requests, serve

pytestmark = pytest.mark.e2e

VERIFIED = {"en": "Verified: you can register.", "nl": "Gecontroleerd: je kunt je registreren."}
THANKS = {"en": "Thank you for registering.", "nl": "Bedankt voor je registratie."}


@pytest.fixture
def connect(factory, settings):
    from web import create_connect_app

    use_settings(settings.with_overrides(altcha_max_number=2000))
    with serve(create_connect_app()) as url:
        yield url


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_captcha_solves_itself_and_registration_reaches_the_thank_you_page(
    connect, factory, language, browser: Browser
):
    context = browser.new_context()
    try:
        page = context.new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{connect}/register?email=ada%40example.com&ref=REF&lang={language}")
        assert page.input_value("#email") == "ada@example.com"
        page.wait_for_selector(f"altcha-widget >> text={VERIFIED[language]}", timeout=30_000)
        assert page.get_attribute("altcha-widget .altcha", "data-state") == "verified"
        assert accessibility_problems(page) == []
        page.fill("#first_name", "Ada")
        page.fill("#last_name", "Lovelace")
        page.select_option("#language", "nl")
        page.select_option("#country", "NL")
        page.click("button[type=submit]")
        page.wait_for_url(f"{connect}/register/thanks*")
        assert THANKS[language] in page.inner_text("h1")
        assert problems == []
    finally:
        context.close()
    with unit_of_work(factory) as session:
        answer_requests(session)  # as the worker does: the account exists once it is answered
        account = find_by_email(session, "ada@example.com")
        assert (account.language, account.country, account.journey_ref) == ("nl", "NL", "REF")

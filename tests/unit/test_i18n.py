"""Every language of LANGUAGES is complete: its catalogs exist and compile, every mail template
renders in it, and the API offers exactly these languages."""

from __future__ import annotations

from io import BytesIO

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from onboarding import i18n
from onboarding.i18n import DEFAULT_LANGUAGE, LANGUAGES, TRANSLATIONS_DIR, supported
from onboarding.mail import render
from onboarding.mail.compose import TEMPLATES_DIR
from web.dashboard.query import JourneyFilterArgs

AREAS = ("admin", "app", "connect", "dashboard", "errors", "messages", "refusals")
TRANSLATED = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]
MAIL_TEMPLATES = sorted(p.name for p in TEMPLATES_DIR.iterdir() if p.is_dir())
# Every value some mail template asks for.
CONTEXT = {
    "first_name": "Ada",
    "email": "ada@example.com",
    "organization": "Acme",
    "roles": ["editor"],
    "invited_by": "Bob Smith",
    "trigger": "invite",
    "expires_at": "2026-12-25T10:00:00+00:00",
    "valid_for": "1 day",
    "url": "http://app.test/invitations/T",
    "accept_url": "http://app.test/invitations/T",
    "join_url": "http://app.test/join",
    "join_code": "ABCD-EFGH",
    "activate_url": "http://connect.test/activate/T",
    "login_url": "http://connect.test/login",
    "reset_url": "http://connect.test/password/reset/T",
    "register_url": "http://connect.test/register",
    "unsubscribe_url": "http://app.test/reminders/stop/T",
    "security_url": "http://connect.test/account/security",
    "enabled": True,
    "added": True,
    "passkey": "Laptop",
}


@pytest.mark.parametrize("area", AREAS)
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_translated_language_has_a_catalog_per_area_that_compiles(language, area):
    path = TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{area}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    assert len(catalog) > 0
    assert [(message.id, errors) for message, errors in catalog.check()] == []
    write_mo(BytesIO(), catalog)


@pytest.mark.parametrize("template", MAIL_TEMPLATES)
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_mail_template_renders_in_every_language(language, template, settings):
    rendered = render(template, language, CONTEXT, settings)
    assert rendered.subject and rendered.text.strip() and rendered.html.strip()
    if language != DEFAULT_LANGUAGE:
        assert rendered.subject != render(template, DEFAULT_LANGUAGE, CONTEXT, settings).subject


def test_the_api_offers_exactly_the_languages():
    schema = JourneyFilterArgs.model_json_schema()
    assert schema["$defs"]["Language"]["enum"] == list(LANGUAGES)


@pytest.mark.parametrize("asked", ["fr", "", None])
def test_a_language_not_spoken_falls_back_to_the_default(asked):
    assert supported(asked) == DEFAULT_LANGUAGE
    assert all(supported(code) == code for code in LANGUAGES)


def test_country_names_are_in_the_readers_language_and_order():
    dutch = dict(i18n.countries("nl"))
    assert dutch["DE"] == "Duitsland" and dutch["NL"] == "Nederland"
    names = [name for _, name in i18n.countries("nl")]
    assert names.index("Duitsland") < names.index("Egypte") < names.index("Nederland")
    english = [name for _, name in i18n.countries("en")]
    # An accented first letter sorts with its letter, not after Z.
    assert english.index("Åland Islands") < english.index("Bahamas")
    assert len(names) == len(english) == len(set(dutch)) >= 249


def test_time_zones_are_places_in_the_readers_language_grouped_by_region():
    names = i18n.time_zone_names()
    assert {"UTC", "Europe/Amsterdam", "Asia/Kolkata", "America/Argentina/Buenos_Aires"} <= names
    # Old names and fixed offsets are no places to choose.
    assert not {"Asia/Calcutta", "US/Eastern", "Etc/GMT+5", "EST"} & names
    dutch = dict(i18n.time_zones("nl"))
    europe = dict(dutch["Europe"])
    assert europe["Europe/Amsterdam"] == "Amsterdam (Nederland)"
    assert europe["Europe/Brussels"] == "Brussel (België)"
    places = [place for _, place in dutch["Europe"]]
    assert (
        places.index("Amsterdam (Nederland)")
        < places.index("Berlijn (Duitsland)")
        < places.index("Zürich (Zwitserland)")
    )
    assert [region for region, _ in i18n.time_zones("en")] == list(i18n.ZONE_REGIONS)
    listed = {zone for _, zones in i18n.time_zones("en") for zone, _ in zones}
    assert listed | {"UTC"} == names

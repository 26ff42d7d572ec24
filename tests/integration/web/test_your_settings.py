"""Your settings: the language and the time zone a person reads the app in. A chosen zone wins
over the browser's; without one, times follow the browser's (the `time_zone` cookie)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onboarding import journeys
from onboarding.db import unit_of_work
from onboarding.people.models import Person
from tests import helpers
from tests.helpers import admin_of, log_in_to_app, organization
from web import create_app

# 12:00 UTC: 13:00 in Amsterdam, 21:00 in Tokyo (in March neither has summer time).
INVITED_AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def acme(factory):
    """Acme, its administrator, and an invitation sent at INVITED_AT."""
    with unit_of_work(factory) as session:
        org = organization(session, "Acme")
        admin = admin_of(session, org)
        ann = helpers.journey(session, org, email="ann@acme.example", now=INVITED_AT)
        journeys.invite(session, ann.id, actor=admin.email, now=INVITED_AT)
        session.expunge_all()
        return {"org": org, "admin": admin, "ann": ann}


def chosen_zone(factory, person_id: int, zone: str | None) -> None:
    with unit_of_work(factory) as session:
        session.get_one(Person, person_id).time_zone = zone


def history(client, acme) -> str:
    path = f"/settings/people/{acme['org'].id}/journeys/{acme['ann'].id}?lang=nl"
    return client.get(path).get_data(as_text=True)


def test_without_a_chosen_zone_times_follow_the_browser(client, acme):
    log_in_to_app(client, acme["admin"])
    client.set_cookie("time_zone", "Europe/Amsterdam")
    page = history(client, acme)
    assert "Wanneer (Europe/Amsterdam)" in page and "13:00" in page
    # The page's script compares the browser's zone with this one, and reloads when they differ.
    assert 'data-time-zone="Europe/Amsterdam"' in page


def test_a_chosen_zone_wins_over_the_browsers(client, factory, acme):
    chosen_zone(factory, acme["admin"].id, "Asia/Tokyo")
    log_in_to_app(client, acme["admin"])
    client.set_cookie("time_zone", "Europe/Amsterdam")
    page = history(client, acme)
    assert "Wanneer (Asia/Tokyo)" in page and "21:00" in page and "13:00" not in page
    assert "data-time-zone" not in page  # nothing for the script to correct
    dashboard = client.get(f"/admin/onboarding/journeys/{acme['ann'].id}?lang=nl")
    assert "21:00" in dashboard.get_data(as_text=True)


def test_the_settings_page_in_dutch_offers_the_browsers_zone_first(client, acme):
    log_in_to_app(client, acme["admin"])
    client.set_cookie("time_zone", "Europe/Amsterdam")
    page = client.get("/settings/account?lang=nl").get_data(as_text=True)
    assert "<h1>Je instellingen</h1>" in page and "Tijdzone" in page
    assert '<option value="" selected>Zone van je browser (standaard)</option>' in page
    assert '<optgroup label="Europa">' in page and '<optgroup label="Stille Oceaan">' in page
    assert '<option value="Europe/Amsterdam">Amsterdam (Nederland)</option>' in page
    assert "Je browser staat op Amsterdam (Nederland)." in page
    assert "Time zone" not in page and "Browser&#39;s zone" not in page


def test_choosing_a_zone_and_a_language_keeps_both(client, factory, acme):
    log_in_to_app(client, acme["admin"])
    saved = client.post("/settings/account", data={"language": "nl", "time_zone": "Asia/Tokyo"})
    assert saved.status_code == 302
    with unit_of_work(factory) as session:
        admin = session.get_one(Person, acme["admin"].id)
        assert (admin.language, admin.time_zone) == ("nl", "Asia/Tokyo")
    page = client.get("/settings/account").get_data(as_text=True)
    assert "Je instellingen zijn opgeslagen." in page
    assert '<option value="Asia/Tokyo" selected>Tokio (Japan)</option>' in page
    client.post("/settings/account", data={"language": "en", "time_zone": ""})
    with unit_of_work(factory) as session:
        admin = session.get_one(Person, acme["admin"].id)
        assert (admin.language, admin.time_zone) == ("en", None)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "US/Eastern", "x" * 500])
def test_an_unknown_zone_is_refused_in_the_readers_words(client, factory, acme, zone):
    chosen_zone(factory, acme["admin"].id, "Asia/Tokyo")
    log_in_to_app(client, acme["admin"])
    refused = client.post("/settings/account?lang=nl", data={"language": "nl", "time_zone": zone})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Er is geen tijdzone met de naam" in page and "Kies er een uit de lijst." in page
    assert 'aria-invalid="true"' in page
    with unit_of_work(factory) as session:
        assert session.get_one(Person, acme["admin"].id).time_zone == "Asia/Tokyo"


def test_an_unknown_language_is_refused(client, acme):
    log_in_to_app(client, acme["admin"])
    refused = client.post("/settings/account", data={"language": "fr", "time_zone": ""})
    assert refused.status_code == 422
    assert "Choose one of the languages in the list." in refused.get_data(as_text=True)


def test_the_form_needs_its_csrf_token(factory, acme):
    client = create_app({"TESTING": True}).test_client()
    log_in_to_app(client, acme["admin"])
    refused = client.post("/settings/account", data={"language": "nl", "time_zone": "UTC"})
    assert refused.status_code == 400
    with unit_of_work(factory) as session:
        assert session.get_one(Person, acme["admin"].id).time_zone is None


def test_the_settings_ask_for_a_log_in(client, acme):
    response = client.get("/settings/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]

"""The link that stops reminders: a GET only asks, in the person's language; a POST, the mail
client's one-click included (no cookie, no CSRF token), stops them; the dashboard shows it."""

import pytest

from onboarding.db import unit_of_work
from onboarding.journeys import reminders
from onboarding.journeys.models import Journey
from tests import helpers
from web import create_app

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def app(factory):
    return create_app({"TESTING": True})  # with CSRF checks: the one-click POST has no token


def stop_path(factory, settings, language="en"):
    with unit_of_work(factory) as session:
        org = helpers.organization(session, "Acme")
        admin = helpers.admin_of(session, org, email="boss@acme.example")
        journey = helpers.journey(session, org, email="ann@example.com", language=language)
        helpers.fire(session, journey.id, "invite")
        session.expunge(admin)
    url = reminders.stop_url(journey.id, settings)
    return url.removeprefix(settings.app_base_url), journey.id, admin


def facts(factory, journey_id):
    with unit_of_work(factory) as session:
        return [e.trigger for e in session.get_one(Journey, journey_id).events]


def test_the_page_asks_in_the_persons_language_and_changes_nothing(client, factory, settings):
    path, journey_id, _ = stop_path(factory, settings, language="nl")
    page = client.get(path)
    assert page.status_code == 200
    assert "De herinneringen stoppen?" in page.get_data(as_text=True)
    assert facts(factory, journey_id) == ["create", "invite"]


def test_the_mail_clients_one_click_post_stops_them_once(client, factory, settings):
    path, journey_id, _ = stop_path(factory, settings)
    for _ in range(2):
        done = client.post(path, data=ONE_CLICK)
        assert done.status_code == 200
        assert "You get no more reminders" in done.get_data(as_text=True)
    assert facts(factory, journey_id) == ["create", "invite", "reminders_stopped"]
    assert "You get no more reminders" in client.get(path).get_data(as_text=True)


def test_a_forged_stop_link_is_not_found_and_stops_nothing(client, factory, settings):
    path, journey_id, _ = stop_path(factory, settings)
    forged = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    assert client.post(forged, data=ONE_CLICK).status_code == 404
    assert client.get(forged).status_code == 404
    assert facts(factory, journey_id) == ["create", "invite"]


def test_the_dashboard_shows_that_the_reminders_were_stopped(client, factory, settings):
    path, journey_id, admin = stop_path(factory, settings)
    client.post(path, data=ONE_CLICK)
    helpers.log_in_to_app(client, admin)
    page = client.get(f"/admin/onboarding/journeys/{journey_id}").get_data(as_text=True)
    assert "They stopped the reminder mails on" in page
    assert "<td>Stopped the reminders</td>" in page

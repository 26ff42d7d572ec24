"""The admin pages in the reader's language and in words: labels from the catalog, dates
written out in the browser's time zone, history details per fact; Revoke asks first; the
admin pages link to each other, to Log out and to Connect's account security; the same field
limits as the domain."""

from __future__ import annotations

import html
import re

import pytest

from onboarding.db import unit_of_work
from onboarding.journeys.expiry import extend_expiry
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.people.models import NAME_LENGTH, Person
from tests.helpers import admin_of, invitee, log_in_to_app, member, organization

ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
MACHINE_TEXT = re.compile(r"\['|\{'|\bNone\b|\b[a-z]+_[a-z_]+\b")


@pytest.fixture
def acme(factory):
    """Acme with an administrator, an invitee whose expiry was extended, and a member."""
    with unit_of_work(factory) as session:
        org = organization(session, "Acme")
        admin = admin_of(session, org)
        ann = invitee(session, org, email="ann@acme.example", roles=("editor", "viewer"))
        extend_expiry(session, ann.id, days=30, actor=admin.email)
        done = member(session, org, email="done@acme.example", roles=("viewer",))
        session.expunge_all()
        return {"org": org, "admin": admin, "ann": ann, "done": done}


def visible(page: str) -> str:
    """The text a reader sees: without markup, scripts and styles, and without <code> (what
    an admin types as it is, such as the CSV's column names)."""
    body = page.split("<body", 1)[1].split(">", 1)[1]
    body = re.sub(r"<(script|style|svg|code)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_settings_people_in_dutch_takes_every_label_from_the_catalog(client, acme):
    log_in_to_app(client, acme["admin"])
    page = client.get(f"/settings/people/{acme['org'].id}?lang=nl").get_data(as_text=True)
    text = visible(page)
    for dutch in ("Instellingen > Mensen", "Iemand toevoegen", "Uitgenodigd", "Geaccepteerd"):
        assert dutch in text
    assert "Toevoegen en uitnodigen" in text and "Engels" in text
    assert "Add a person" not in text and "Create and invite" not in text
    assert not ISO_TIME.search(text) and not MACHINE_TEXT.search(text)


def test_a_persons_history_is_written_per_fact_in_the_readers_zone(client, acme):
    log_in_to_app(client, acme["admin"])
    client.set_cookie("time_zone", "Europe/Amsterdam")
    path = f"/settings/people/{acme['org'].id}/journeys/{acme['ann'].id}?lang=nl"
    text = visible(client.get(path).get_data(as_text=True))
    assert "Wanneer (Europe/Amsterdam)" in text
    assert "Rollen: editor, viewer" in text
    assert "Vervaldatum verschoven van" in text and "Vervaldatum verlengd" in text
    assert not ISO_TIME.search(text) and not MACHINE_TEXT.search(text)


def test_an_unknown_time_zone_counts_as_utc(client, acme):
    log_in_to_app(client, acme["admin"])
    client.set_cookie("time_zone", "../../etc/passwd")
    path = f"/settings/people/{acme['org'].id}/journeys/{acme['ann'].id}"
    assert "When (UTC)" in client.get(path).get_data(as_text=True)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_dashboard_writes_codes_and_times_as_words(client, acme, language):
    log_in_to_app(client, acme["admin"])
    for path in (
        "/admin/onboarding",
        f"/admin/onboarding/journeys/{acme['ann'].id}",
        f"/admin/onboarding/journeys/{acme['done'].id}",
        "/admin/onboarding/invite",
        "/admin/onboarding/tokens",
    ):
        text = visible(client.get(f"{path}?lang={language}").get_data(as_text=True))
        assert not ISO_TIME.search(text), (path, ISO_TIME.search(text))
        assert not MACHINE_TEXT.search(text), (path, MACHINE_TEXT.search(text))


def test_an_accepted_journey_suggests_nothing(client, acme):
    log_in_to_app(client, acme["admin"])
    page = client.get(f"/admin/onboarding/journeys/{acme['done'].id}").get_data(as_text=True)
    assert "Accepted on" in page and "Suggested" not in page


def test_revoke_in_settings_people_asks_first(client, factory, acme):
    log_in_to_app(client, acme["admin"])
    path = f"/settings/people/{acme['org'].id}/journeys/{acme['ann'].id}/revoke"
    question = client.post(path)
    assert question.status_code == 200
    assert "Revoke the invitation? Every link mailed for it stops working." in question.get_data(
        as_text=True
    )
    with unit_of_work(factory) as session:
        assert session.get(Journey, acme["ann"].id).state is JourneyState.invited
    client.post(path, data={"confirmed": "yes"})
    with unit_of_work(factory) as session:
        assert session.get(Journey, acme["ann"].id).state is JourneyState.revoked


def test_the_admin_pages_link_to_each_other_to_log_out_and_to_account_security(
    client, acme, settings
):
    log_in_to_app(client, acme["admin"])
    for path in ("/admin/onboarding", f"/settings/people/{acme['org'].id}"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/settings/people"' in page and 'href="/admin/onboarding"' in page
        assert 'action="/logout"' in page
        assert f'href="{settings.connect_issuer}/account/security"' in page


def test_the_people_form_has_the_domains_limits_and_refuses_longer_names(client, acme):
    log_in_to_app(client, acme["admin"])
    path = f"/settings/people/{acme['org'].id}"
    page = client.get(path).get_data(as_text=True)
    assert page.count(f'maxlength="{NAME_LENGTH}"') == 2 and 'maxlength="254"' in page
    form = {"first_name": "A" * 101, "email": "long@acme.example", "roles": ["viewer"]}
    refused = client.post(f"{path}?lang=nl", data=form)
    assert refused.status_code == 422
    assert "De voornaam is langer dan 100 tekens." in refused.get_data(as_text=True)
    address = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".example"
    refused = client.post(f"{path}?lang=en", data={**form, "first_name": "A", "email": address})
    assert "An email address has at most 254 characters." in refused.get_data(as_text=True)


def test_a_bad_address_is_explained_in_the_readers_words(client, acme):
    log_in_to_app(client, acme["admin"])
    form = {"first_name": "Ann", "email": "not-an-email@", "roles": ["viewer"]}
    refused = client.post(f"/settings/people/{acme['org'].id}?lang=nl", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "not-an-email@ is geen geldig e-mailadres: na de @ staat niets." in page
    assert "@-sign" not in page


def test_a_dutch_admin_reads_the_refusals_of_the_dashboards_forms_in_dutch(client, factory, acme):
    with unit_of_work(factory) as session:
        session.get(Person, acme["admin"].id).language = "nl"
    log_in_to_app(client, acme["admin"])
    org_id = acme["org"].id
    nameless = client.post("/admin/onboarding/tokens", data={"organization": org_id, "name": " "})
    assert nameless.status_code == 422
    assert "Geef het token een naam, zodat je later weet wat het gebruikt." in visible(
        nameless.get_data(as_text=True)
    )
    headless = client.post(
        "/admin/onboarding/invite",
        data={"organization": org_id, "csv_text": "first_name,email\nAnn,ann@example.com\n"},
    )
    assert headless.status_code == 422
    assert (
        "De eerste rij moet de kolommen first_name, last_name, email, language, roles noemen; "
        "ontbrekend: last_name, language, roles."
    ) in visible(headless.get_data(as_text=True))
    eventless = client.post(
        "/admin/onboarding/webhooks",
        data={"organization": org_id, "url": "https://93.184.215.14/hook"},
    )
    assert eventless.status_code == 422
    text = visible(eventless.get_data(as_text=True))
    assert "Kies een of meer van de gebeurtenissen: journey.invited, journey.registered" in text
    assert "Choose" not in text and "Give the token" not in text

"""Measurements: the Accept button after log-in, in any browser, and with another account."""

import pytest
from sqlalchemy import event, select

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.journeys.sign_in import sign_in
from onboarding.people.models import Person
from tests.helpers import invitation_path, invitee, log_in_to_app, member, organization
from web import create_app


def load(factory, journey_id):
    with unit_of_work(factory) as session:
        journey = session.get(Journey, journey_id)
        _ = journey.person, journey.events, journey.roles
        session.expunge_all()
        return journey


def person(factory, person_id):
    with unit_of_work(factory) as session:
        found = session.get(Person, person_id)
        session.expunge(found)
        return found


@pytest.fixture
def logged_in_invitee(factory):
    """Ann, invited to Acme with two roles, who logged in through Connect elsewhere."""
    with unit_of_work(factory) as session:
        journey = invitee(
            session,
            organization(session, "Acme"),
            email="ann@example.com",
            roles=("editor", "viewer"),
        )
        sign_in(session, subject="sub-ann", email="ann@example.com", email_verified=True)
        return journey.id


def test_the_accept_button_appears_in_a_fresh_browser_without_the_mail_link(
    client, factory, logged_in_invitee
):
    journey = load(factory, logged_in_invitee)
    log_in_to_app(client, journey.person)
    page = client.get("/measurements").get_data(as_text=True)
    assert "Invitation to Acme" in page
    assert f'action="/measurements/invitations/{journey.id}/accept"' in page
    response = client.post(f"/measurements/invitations/{journey.id}/accept", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert (
        "Welcome to Acme! You accepted the invitation and now have the roles: editor, viewer."
        in text
    )
    assert "Acme: editor, viewer" in text
    accepted = load(factory, journey.id)
    assert accepted.state is JourneyState.accepted
    assert [e.trigger for e in accepted.events][-2:] == ["log_in", "accept"]


def test_accepting_twice_is_refused_clearly(client, factory, logged_in_invitee):
    journey = load(factory, logged_in_invitee)
    log_in_to_app(client, journey.person)
    client.post(f"/measurements/invitations/{journey.id}/accept")
    again = client.post(f"/measurements/invitations/{journey.id}/accept")
    assert again.status_code == 422
    assert "That is not possible at the step Accepted." in again.get_data(as_text=True)


def test_an_invitation_that_arrives_after_log_in_can_be_accepted_too(client, factory):
    with unit_of_work(factory) as session:
        first = invitee(session, organization(session), email="ann@example.com")
        sign_in(session, subject="sub-ann", email="ann@example.com", email_verified=True)
        later = invitee(session, organization(session, "Later Inc"), email="ann@example.com")
        later_id = later.id
    person = load(factory, first.id).person
    log_in_to_app(client, person)
    assert "Invitation to Later Inc" in client.get("/measurements").get_data(as_text=True)
    client.post(f"/measurements/invitations/{later_id}/accept")
    assert [e.trigger for e in load(factory, later_id).events][-2:] == ["log_in", "accept"]


def test_an_expired_invitation_cannot_be_accepted_even_before_the_sweep(
    client, factory, logged_in_invitee
):
    with unit_of_work(factory) as session:
        session.get(Journey, logged_in_invitee).expires_at = utcnow()
    journey = load(factory, logged_in_invitee)
    log_in_to_app(client, journey.person)
    response = client.post(f"/measurements/invitations/{journey.id}/accept")
    assert response.status_code == 410
    assert "ask an administrator for a new one" in response.get_data(as_text=True)
    assert load(factory, journey.id).state is JourneyState.logged_in


@pytest.fixture
def ann_and_bob(factory):
    """Ann's invitation, and Bob, an existing member elsewhere with his own Connect account."""
    with unit_of_work(factory) as session:
        ann = invitee(session, organization(session, "Acme"), email="ann@example.com")
        bob = invitee(session, organization(session, "Other"), email="bob@example.com")
        sign_in(session, subject="sub-bob", email="bob@example.com", email_verified=True)
        return ann.id, invitation_path(session, ann), bob.person_id


def test_signed_in_as_another_address_with_the_link_opened_here_may_accept_with_this_account(
    client, factory, ann_and_bob
):
    ann_id, path, bob_id = ann_and_bob
    client.post(path)  # Continue clicked on the invitation page in this browser
    log_in_to_app(client, person(factory, bob_id))
    page = client.get("/measurements").get_data(as_text=True)
    assert "You are signed in as <strong>bob@example.com</strong>; this invitation is for" in page
    assert "<strong>ann@example.com</strong>" in page
    assert "Accept with this account" in page and "Log in with another account" in page
    client.post(f"/measurements/invitations/{ann_id}/accept")
    journey = load(factory, ann_id)
    assert journey.state is JourneyState.accepted and journey.person_id == bob_id
    assert journey.events[-1].detail == {
        "invited_as": "ann@example.com",
        "accepted_as": "bob@example.com",
        "confirmed_by": "invitation link opened in this browser",
    }


def test_a_link_only_navigated_to_in_this_browser_offers_nothing_to_accept(
    client, factory, ann_and_bob
):
    ann_id, path, bob_id = ann_and_bob
    log_in_to_app(client, person(factory, bob_id))
    client.get(path)  # a page of someone else's navigates here
    assert "ann@example.com" not in client.get("/measurements").get_data(as_text=True)
    assert client.post(f"/measurements/invitations/{ann_id}/accept").status_code == 404
    journey = load(factory, ann_id)
    assert journey.state is JourneyState.invited and journey.person_id != bob_id


def test_signed_in_with_another_connect_address_without_the_link_offers_only_to_switch(
    client, factory
):
    with unit_of_work(factory) as session:
        journey = invitee(session, organization(session, "Acme"), email="ann@example.com")
        journey.person.connect_subject = "sub-b"
        journeys.log_in(session, journey.id, actor="b@other.example")
        journey_id = journey.id
    person = load(factory, journey_id).person
    log_in_to_app(client, person, connect_email="b@other.example")
    page = client.get("/measurements").get_data(as_text=True)
    assert "You are signed in as <strong>b@other.example</strong>; this invitation is for" in page
    assert "Accept with this account" not in page and "Log in with another account" in page
    refused = client.post(f"/measurements/invitations/{journey_id}/accept")
    assert refused.status_code == 403
    assert "You are signed in as b@other.example; this invitation is for ann@example.com" in (
        refused.get_data(as_text=True)
    )
    assert load(factory, journey_id).state is JourneyState.logged_in


def test_switching_account_is_recorded_and_starts_a_fresh_log_in(client, factory, ann_and_bob):
    ann_id, path, bob_id = ann_and_bob
    client.post(path)
    log_in_to_app(client, person(factory, bob_id))
    response = client.post(f"/measurements/invitations/{ann_id}/switch-account")
    assert response.headers["Location"] == "/login/connect?switch=1"
    event = load(factory, ann_id).events[-1]
    assert event.trigger == "switch_account"
    assert event.detail == {"signed_in_as": "bob@example.com", "invited_as": "ann@example.com"}
    assert client.get("/measurements").status_code == 302  # logged out
    with client.session_transaction() as session:
        assert session["invitations"] == [ann_id]  # the opened link is still remembered


def test_someone_elses_invitation_by_id_is_not_found(client, factory, ann_and_bob):
    ann_id, _path, bob_id = ann_and_bob
    log_in_to_app(client, person(factory, bob_id))
    assert "Acme" not in client.get("/measurements").get_data(as_text=True)
    for action in ("accept", "switch-account"):
        response = client.post(f"/measurements/invitations/{ann_id}/{action}")
        assert response.status_code == 404
        assert "ann@example.com" not in response.get_data(as_text=True)
    with unit_of_work(factory) as session:
        assert session.scalars(
            select(JourneyEvent.trigger).where(JourneyEvent.journey_id == ann_id)
        ).all() == ["create", "invite"]


def test_accept_needs_the_csrf_token(factory, logged_in_invitee):
    client = create_app({"TESTING": True}).test_client()
    log_in_to_app(client, load(factory, logged_in_invitee).person)
    assert client.post(f"/measurements/invitations/{logged_in_invitee}/accept").status_code == 400
    assert load(factory, logged_in_invitee).state is JourneyState.logged_in


def test_logging_out_ends_the_session(client, factory, logged_in_invitee):
    log_in_to_app(client, load(factory, logged_in_invitee).person)
    response = client.post("/logout", follow_redirects=True)
    assert "You are logged out." in response.get_data(as_text=True)
    assert client.get("/measurements").status_code == 302


def test_a_members_page_reads_the_session_with_its_person_and_each_list_once(app, factory):
    with unit_of_work(factory) as session:
        org = organization(session, "Acme")
        joined = member(session, org, email="ann@example.com", roles=("editor", "viewer"))
        member(session, organization(session, "Beta"), email="ann@example.com", roles=("viewer",))
        client = app.test_client()
        log_in_to_app(client, joined.person)
    # A page that only reads: on PostgreSQL on the engine for that (see web.db).
    engine = app.extensions["reading_session_factory"].kw["bind"]
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/measurements")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert page.status_code == 200
    assert "Acme: editor, viewer" in page.text and "Beta: viewer" in page.text
    # The session with its person and whether to offer the admin pages, and the pending
    # invitations with the memberships (with their organizations and roles).
    assert len([s for s in seen if s.lstrip().startswith("SELECT")]) == 2


@pytest.mark.parametrize(
    ("roles", "superadmin", "offered"),
    [(("admin",), False, True), (("viewer",), False, False), (("viewer",), True, True)],
)
def test_the_admin_pages_are_offered_to_whoever_administers(
    client, factory, roles, superadmin, offered
):
    with unit_of_work(factory) as session:
        person = member(session, organization(session), roles=roles).person
        person.is_superadmin = superadmin
        session.flush()
        log_in_to_app(client, person)
    page = client.get("/measurements").get_data(as_text=True)
    assert ('href="/settings/people"' in page) is offered

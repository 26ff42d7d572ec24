"""The mailed invitation link: GET changes nothing, a click continues, dead links explain."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent
from tests.helpers import (
    admin_of,
    invitation_path,
    invitee,
    log_in_to_app,
    mails,
    organization,
    remembered,
)
from web import create_app


@pytest.fixture
def invited(factory):
    with unit_of_work(factory) as session:
        org = organization(session, "Acme Labs")
        admin = admin_of(session, org, email="boss@example.com")
        admin.first_name, admin.last_name = "Grace", "Hopper"
        journey = invitee(
            session, org, email="ann@example.com", roles=("editor", "viewer"), invited_by=admin
        )
        return journey.id, invitation_path(session, journey)


def events(factory, journey_id):
    """The journey's history, less the dashboard's record of each fetch of a link."""
    with unit_of_work(factory) as session:
        return session.scalars(
            select(JourneyEvent.trigger).where(
                JourneyEvent.journey_id == journey_id, JourneyEvent.trigger != "link_fetched"
            )
        ).all()


def state_and_version(factory, journey_id):
    with unit_of_work(factory) as session:
        journey = session.get(Journey, journey_id)
        return journey.state, journey.version


def test_opening_the_link_shows_who_invited_whom_where_and_changes_nothing(
    client, factory, invited
):
    journey_id, path = invited
    before = events(factory, journey_id), state_and_version(factory, journey_id)
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Grace Hopper" in text and "ann@example.com" in text and "Acme Labs" in text
    assert "editor, viewer" in text
    assert (events(factory, journey_id), state_and_version(factory, journey_id)) == before
    assert remembered(client) == []


def test_opening_the_link_leaves_the_session_cookie_unchanged(factory, invited):
    journey_id, path = invited
    client = create_app({"TESTING": True}).test_client()
    first = client.get(path)
    # A first visit gets the token that the Continue form needs, and nothing else.
    with client.session_transaction() as session:
        assert set(session) == {"csrf_token"}
    cookie = client.get_cookie(first.headers["Set-Cookie"].split("=")[0])
    again = client.get(path)
    assert again.status_code == 200 and "Set-Cookie" not in again.headers
    assert client.get_cookie(cookie.key).value == cookie.value
    assert remembered(client) == []


def test_only_continuing_remembers_the_invitation_in_this_browser(client, invited):
    journey_id, path = invited
    client.get(path)
    assert remembered(client) == []
    client.post(path)
    assert remembered(client) == [journey_id]


def test_continuing_records_link_opened_without_changing_state_and_leads_to_login(
    client, factory, invited
):
    journey_id, path = invited
    response = client.post(path)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    with unit_of_work(factory) as session:
        event = session.scalars(
            select(JourneyEvent).where(JourneyEvent.trigger == "link_opened")
        ).one()
        assert (event.from_state, event.to_state) == (JourneyState.invited, JourneyState.invited)
        assert event.actor == "ann@example.com"
        assert session.get(Journey, journey_id).state is JourneyState.invited


def test_the_login_page_offers_connect_and_a_visible_create_account_link_with_the_invitation(
    client, invited
):
    _journey_id, path = invited
    client.post(path)
    page = client.get("/login").get_data(as_text=True)
    assert 'id="log-in-with-connect" href="/login/connect"' in page
    assert "<details" not in page  # never hidden behind a disclosure control
    # Registration from the invitation runs inside the log-in (see test_login_with_connect).
    assert 'id="create-account" href="/login/create-account"' in page


def test_an_invitee_without_an_account_is_led_to_create_one(client, invited):
    _journey_id, path = invited
    page = client.get(path).get_data(as_text=True)
    create = page.index('value="create" class="large">Create your account')
    log_in = page.index('value="log_in" class="secondary">I already have an account')
    assert create < log_in  # the primary action first
    assert "Log in to accept" not in page


def test_an_invitee_with_a_linked_account_is_led_to_log_in(client, factory, invited):
    journey_id, path = invited
    with unit_of_work(factory) as session:
        session.get(Journey, journey_id).person.connect_subject = "sub-ann"
    page = client.get(path).get_data(as_text=True)
    assert 'value="log_in" class="large">Log in to accept' in page
    assert "Create your account" not in page


@pytest.mark.parametrize(
    ("then", "location"),
    [("create", "/login/create-account"), ("log_in", "/login/connect"), ("", "/login")],
)
def test_each_button_of_the_invitation_page_leads_to_its_step(client, invited, then, location):
    journey_id, path = invited
    response = client.post(path, data={"then": then})
    assert response.status_code == 302 and response.headers["Location"] == location
    assert remembered(client) == [journey_id]


def test_the_create_account_link_works_without_an_invitation_too(client, settings):
    page = client.get("/login").get_data(as_text=True)
    assert f'href="{settings.oidc_issuer}/register?return_to=' in page


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/invitations/short", 404, "not complete or not known"),
        ("/invitations/" + "A" * 43, 404, "not complete or not known"),
    ],
)
def test_malformed_and_unknown_links_are_not_found(client, factory, path, status, message):
    for response in (client.get(path), client.post(path)):
        assert response.status_code == status
        assert message in response.get_data(as_text=True)


def _moved(factory, journey_id, change):
    with unit_of_work(factory) as session:
        change(session, journey_id)


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        (lambda s, j: journeys.expire(s, j), 410, "has expired. Ask the administrator"),
        (lambda s, j: journeys.revoke(s, j, actor="admin"), 410, "was withdrawn"),
        (
            lambda s, j: (
                journeys.revoke(s, j, actor="admin"),
                journeys.reinvite(s, j, actor="admin", now=utcnow() + timedelta(seconds=1)),
            ),
            410,
            "replaced by a newer one",
        ),
        (
            lambda s, j: (
                journeys.log_in(s, j, actor="ann"),
                journeys.accept(s, j, actor="ann"),
            ),
            200,
            "already been accepted. Just log in",
        ),
    ],
    ids=["expired", "revoked", "superseded", "accepted"],
)
def test_dead_links_say_what_happened_and_what_to_do(
    client, factory, invited, change, status, message
):
    journey_id, path = invited
    _moved(factory, journey_id, change)
    count = len(events(factory, journey_id))
    for response in (client.get(path), client.post(path)):
        assert response.status_code == status
        assert message in response.get_data(as_text=True)
    assert len(events(factory, journey_id)) == count
    assert remembered(client) == []


@pytest.mark.parametrize(
    ("change", "offer"),
    [
        (lambda s, j: journeys.expire(s, j), "Ask Grace Hopper for a new invitation</button>"),
        (
            lambda s, j: journeys.revoke(s, j, actor="admin"),
            "Grace Hopper (boss@example.com) invited you and can send you a new invitation.",
        ),
        (
            lambda s, j: (journeys.log_in(s, j, actor="ann"), journeys.accept(s, j, actor="ann")),
            'href="/measurements">Open Measurements</a>',
        ),
    ],
    ids=["expired", "revoked", "accepted"],
)
def test_each_dead_link_offers_the_next_step(client, factory, invited, change, offer):
    journey_id, path = invited
    _moved(factory, journey_id, change)
    assert offer in client.get(path).get_data(as_text=True)


def asking(factory, journey_id):
    """The history notes and the mails of the request for a new invitation."""
    with unit_of_work(factory) as session:
        notes = session.scalars(
            select(JourneyEvent.actor).where(
                JourneyEvent.journey_id == journey_id,
                JourneyEvent.trigger == "new_invitation_asked",
            )
        ).all()
        sent = [m for m in mails(session, "new_invitation_asked")]
        return notes, sent


def test_asking_for_a_new_invitation_tells_the_inviter_once_and_the_history_shows_it(
    client, factory, invited
):
    journey_id, path = invited
    _moved(factory, journey_id, lambda s, j: journeys.expire(s, j))
    for _ in range(2):
        response = client.post(f"{path}/ask-for-a-new-one")
        assert response.status_code == 200
        assert "You asked Grace Hopper for a new invitation" in response.get_data(as_text=True)
    notes, sent = asking(factory, journey_id)
    assert notes == ["ann@example.com"]
    [mail] = sent
    assert mail["to"] == "boss@example.com"
    assert mail["context"]["email"] == "ann@example.com"
    assert mail["context"]["url"].endswith(f"/admin/onboarding/journeys/{journey_id}")
    # The page says so from now on, instead of offering to ask again.
    page = client.get(path).get_data(as_text=True)
    assert "You asked Grace Hopper" in page and "ask-for-a-new-one" not in page


def test_a_live_invitation_cannot_be_asked_for_again(client, factory, invited):
    journey_id, path = invited
    response = client.post(f"{path}/ask-for-a-new-one")
    assert response.status_code == 200  # the valid link's page, nothing recorded
    assert asking(factory, journey_id) == ([], [])


def test_a_link_past_its_expiry_is_gone_even_before_the_sweep(client, factory, invited):
    journey_id, path = invited
    with unit_of_work(factory) as session:
        session.get(Journey, journey_id).expires_at = utcnow() - timedelta(minutes=1)
    assert client.get(path).status_code == 410


def test_continuing_needs_the_csrf_token(factory, invited):
    journey_id, path = invited
    client = create_app({"TESTING": True}).test_client()
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 400
    assert "link_opened" not in events(factory, journey_id)


def test_a_logged_in_person_continues_to_measurements(client, factory, invited):

    journey_id, path = invited
    with unit_of_work(factory) as session:
        person = session.get(Journey, journey_id).person
        session.expunge(person)
    log_in_to_app(client, person)
    response = client.post(path)
    assert response.headers["Location"] == "/measurements"
    with unit_of_work(factory) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(JourneyEvent)
                .where(JourneyEvent.trigger == "link_opened")
            )
            == 1
        )


def test_the_invitation_page_speaks_the_invitees_language_unless_another_is_chosen(client, factory):
    with unit_of_work(factory) as session:
        org = organization(session, "Acme Labs")
        journey = invitee(session, org, email="nora@example.com")
        journey.person.language = "nl"
        path = invitation_path(session, journey)
    dutch = client.get(path).get_data(as_text=True)
    assert '<html lang="nl">' in dutch and "Word lid van Acme Labs" in dutch
    english = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Join Acme Labs" in english


def test_a_dead_link_is_explained_in_the_browsers_language(client, factory, invited):
    journey_id, path = invited
    with unit_of_work(factory) as session:
        journeys.expire(session, journey_id)
    page = client.get(path, headers={"Accept-Language": "nl-NL,nl;q=0.9"})
    assert page.status_code == 410
    assert "Deze uitnodiging voor Acme Labs is verlopen" in page.get_data(as_text=True)

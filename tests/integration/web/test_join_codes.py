"""/join: the invitation mail's code opens the invitation on another device, like its link."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.journeys.models import Journey, JourneyEvent
from tests.helpers import admin_of, invitee, join_code, organization, remembered
from web import create_app


@pytest.fixture
def app(factory):
    """Without limits, but where a test sets its own."""
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})


def limited(**limits):
    """A client of the app with `limits`, on the limiter that earlier apps turned off."""
    config = {"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True}
    return create_app({**config, **limits}).test_client()


@pytest.fixture
def invited(factory):
    with unit_of_work(factory) as session:
        org = organization(session, "Acme Labs")
        admin = admin_of(session, org, email="boss@example.com")
        admin.first_name, admin.last_name = "Grace", "Hopper"
        journey = invitee(session, org, email="ann@example.com", invited_by=admin)
        return journey.id, join_code(session, journey)


def another_code(code):
    """A well-formed code that is not `code`."""
    return next(other for other in ("ABCD-EFGH", "ABCD-EFGJ") if other != code)


def triggers(factory, journey_id):
    with unit_of_work(factory) as session:
        return session.scalars(
            select(JourneyEvent.trigger).where(JourneyEvent.journey_id == journey_id)
        ).all()


def test_the_join_page_asks_for_the_code_and_changes_nothing(client, factory, invited):
    journey_id, _code = invited
    before = triggers(factory, journey_id)
    page = client.get("/join")
    assert page.status_code == 200
    assert 'name="code"' in page.get_data(as_text=True)
    assert triggers(factory, journey_id) == before
    assert remembered(client) == []


def test_the_mail_shows_the_code_in_two_groups_of_unmistakable_characters(invited):
    _journey_id, code = invited
    first, dash, second = code.partition("-")
    assert dash and len(first) == len(second) == 4
    assert not set(first + second) & set("ILOU01")


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: f"  {code[:2]} {code[2:].lower()} ",
    ],
    ids=["as-mailed", "lower-case", "without-dash", "spaced"],
)
def test_the_code_shows_the_invitation_however_it_is_typed(client, factory, invited, typed):
    journey_id, code = invited
    before = triggers(factory, journey_id)
    page = client.post("/join", data={"code": typed(code)})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Join Acme Labs" in text and "Grace Hopper" in text
    assert 'action="/join/continue"' in text
    # Entering the code shows the invitation; only the click on, as with the link, records.
    assert triggers(factory, journey_id) == before
    assert remembered(client) == []


@pytest.mark.parametrize(
    ("then", "location"),
    [("create", "/login/create-account"), ("log_in", "/login/connect"), ("", "/login")],
)
def test_continuing_from_the_code_leads_on_as_the_link_does(
    client, factory, invited, then, location
):
    journey_id, code = invited
    response = client.post("/join/continue", data={"code": code.lower(), "then": then})
    assert response.status_code == 302 and response.headers["Location"] == location
    assert remembered(client) == [journey_id]
    assert triggers(factory, journey_id)[-1] == "link_opened"


@pytest.mark.parametrize(
    ("typed", "status", "message"),
    [
        (lambda code: "", 400, "Enter the 8 characters of the code"),
        (lambda code: code[:-1], 400, "Enter the 8 characters of the code"),
        (lambda code: code[:-1] + "I", 400, "Enter the 8 characters of the code"),
        (another_code, 404, "This code is not known"),
    ],
    ids=["empty", "too-short", "look-alike", "unknown"],
)
def test_a_wrong_code_is_explained_on_the_form(client, invited, typed, status, message):
    _journey_id, code = invited
    for path in ("/join", "/join/continue"):
        response = client.post(path, data={"code": typed(code)})
        assert response.status_code == status
        text = response.get_data(as_text=True)
        assert message in text and 'name="code"' in text
    assert remembered(client) == []


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
            lambda s, j: (journeys.log_in(s, j, actor="ann"), journeys.accept(s, j, actor="ann")),
            200,
            "already been accepted. Just log in",
        ),
    ],
    ids=["expired", "revoked", "superseded", "accepted"],
)
def test_a_dead_invitations_code_says_what_its_link_says(
    client, factory, invited, change, status, message
):
    journey_id, code = invited
    with unit_of_work(factory) as session:
        change(session, journey_id)
    for path in ("/join", "/join/continue"):
        response = client.post(path, data={"code": code})
        assert response.status_code == status
        assert message in response.get_data(as_text=True)
    assert remembered(client) == []


def test_an_expired_invitations_code_can_ask_for_a_new_one(client, factory, invited):
    journey_id, code = invited
    with unit_of_work(factory) as session:
        journeys.expire(session, journey_id)
    page = client.post("/join", data={"code": code}).get_data(as_text=True)
    assert 'action="/join/ask-for-a-new-one"' in page and f'value="{code}"' in page
    asked = client.post("/join/ask-for-a-new-one", data={"code": code})
    assert asked.status_code == 200
    assert "You asked Grace Hopper for a new invitation" in asked.get_data(as_text=True)
    assert triggers(factory, journey_id)[-1] == "new_invitation_asked"


def test_a_reinvitation_mails_a_new_code_that_works(client, factory, invited):
    journey_id, old = invited
    with unit_of_work(factory) as session:
        journeys.revoke(session, journey_id, actor="admin")
        journeys.reinvite(session, journey_id, actor="admin", now=utcnow() + timedelta(seconds=1))
        new = join_code(session, session.get_one(Journey, journey_id))
    assert new != old
    assert client.post("/join", data={"code": new}).status_code == 200


def test_codes_entered_beyond_the_limit_are_refused(factory, invited):
    _journey_id, code = invited
    client = limited(LIMIT_JOIN_PER_IP="2 per hour")
    assert client.get("/join").status_code == 200
    answers = [client.post("/join", data={"code": code}).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert client.post("/join/continue", data={"code": code}).status_code == 429


def test_all_clients_together_are_limited_too(factory, invited):
    _journey_id, code = invited
    client = limited(LIMIT_JOIN="2 per hour")
    elsewhere = {"REMOTE_ADDR": "192.0.2.7"}
    assert client.post("/join", data={"code": another_code(code)}).status_code == 404
    assert client.post("/join", data={"code": code}, environ_base=elsewhere).status_code == 200
    refused = client.post("/join", data={"code": code}, environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_data(as_text=True)

"""The app's /hooks/identity: signed identity events from Connect advance the person's open
journeys, and the journey named by the signed reference; bad signatures, stale timestamps
and replays are refused, and a duplicate delivery changes nothing."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from sqlalchemy import func, select

from onboarding import journeys
from onboarding.db import unit_of_work
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.journeys.refs import make_ref
from onboarding.outbox import webhooks
from onboarding.people import sessions
from tests import helpers
from tests.helpers import webhooks as outbox_webhooks


@pytest.fixture
def app_client(factory):
    from web import create_app

    return create_app().test_client()


def event(kind, email, ref=None, event_id=None):
    return {
        "id": event_id or str(uuid.uuid4()),
        "type": kind,
        "occurred_at": "2026-11-25T12:00:00+00:00",
        "data": {"subject": "sub-1", "email": email, "journey_ref": ref},
    }


def post(client, settings, payload, *, timestamp=None, secret=None, body=None):
    body = body if body is not None else json.dumps(payload).encode()
    signature = webhooks.sign(secret or settings.webhook_secret, body, timestamp)
    return client.post(
        "/hooks/identity",
        data=body,
        headers={"Content-Type": "application/json", webhooks.SIGNATURE_HEADER: signature},
    )


def invited(factory, email, count=1):
    with unit_of_work(factory) as session:
        ids = []
        for _ in range(count):
            journey = helpers.journey(session, email=email)
            journeys.invite(session, journey.id, actor="admin")
            ids.append(journey.id)
        return ids


def states(factory, ids):
    with unit_of_work(factory) as session:
        return [session.get(Journey, i).state for i in ids]


def test_registered_then_activated_advances_every_open_journey_of_the_person(
    app_client, factory, settings
):
    ids = invited(factory, "ada@example.com", count=2)
    response = post(app_client, settings, event("account.registered", "ADA@example.com"))
    assert response.status_code == 200
    assert response.get_json() == {"status": "applied", "journeys": ids}
    assert states(factory, ids) == [JourneyState.registered] * 2
    post(app_client, settings, event("account.activated", "ada@example.com"))
    assert states(factory, ids) == [JourneyState.activated] * 2


def test_the_signed_reference_advances_the_journey_of_another_address(
    app_client, factory, settings
):
    [journey_id] = invited(factory, "ada@work.example")
    ref = make_ref(journey_id, settings)
    post(app_client, settings, event("account.registered", "ada@home.example", ref))
    assert states(factory, [journey_id]) == [JourneyState.registered]
    with unit_of_work(factory) as session:
        last = session.scalars(
            select(JourneyEvent)
            .where(JourneyEvent.journey_id == journey_id)
            .order_by(JourneyEvent.id.desc())
        ).first()
        assert last.detail == {"email": "ada@home.example", "invited_as": "ada@work.example"}
    post(app_client, settings, event("account.activated", "ada@home.example", ref))
    assert states(factory, [journey_id]) == [JourneyState.activated]


def test_a_forged_reference_advances_nothing(app_client, factory, settings):
    [journey_id] = invited(factory, "ada@work.example")
    response = post(
        app_client, settings, event("account.registered", "x@example.com", f"{journey_id}.forged")
    )
    assert response.get_json() == {"status": "applied", "journeys": []}
    assert states(factory, [journey_id]) == [JourneyState.invited]


def test_activation_of_a_journey_still_invited_passes_through_registered(
    app_client, factory, settings
):
    [journey_id] = invited(factory, "ada@example.com")
    post(app_client, settings, event("account.activated", "ada@example.com"))
    with unit_of_work(factory) as session:
        triggers = [e.trigger for e in session.get(Journey, journey_id).events]
    assert triggers[-2:] == ["register", "activate"]


def test_an_account_activated_with_a_passkey_is_registered_with_a_passkey_in_the_history(
    app_client, factory, settings
):
    [journey_id] = invited(factory, "ada@example.com")
    activated = event("account.activated", "ada@example.com")
    activated["data"]["credential"] = "passkey"
    post(app_client, settings, activated)
    with unit_of_work(factory) as session:
        rows = session.get(Journey, journey_id).events[-2:]
        assert [(e.trigger, e.detail["with"]) for e in rows] == [
            ("register", "passkey"),
            ("activate", "passkey"),
        ]


def test_an_address_the_invitation_proved_is_named_in_the_history(app_client, factory, settings):
    [journey_id] = invited(factory, "ada@example.com")
    proven = event("account.activated", "ada@example.com")
    proven["data"]["verified_by"] = "invitation"
    post(app_client, settings, proven)
    with unit_of_work(factory) as session:
        register, activate = session.get(Journey, journey_id).events[-2:]
        assert register.detail["address_verified_by"] == "invitation link"
        assert activate.detail == {"address_verified_by": "invitation link"}


def history_size(factory):
    with unit_of_work(factory) as session:
        return session.scalar(select(func.count()).select_from(JourneyEvent))


def test_a_duplicate_delivery_changes_nothing(app_client, factory, settings):
    [journey_id] = invited(factory, "ada@example.com")
    payload = event("account.registered", "ada@example.com")
    assert post(app_client, settings, payload).get_json()["status"] == "applied"
    size = history_size(factory)
    again = post(app_client, settings, payload)
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}
    assert history_size(factory) == size
    assert states(factory, [journey_id]) == [JourneyState.registered]


def test_a_replayed_request_is_answered_as_a_duplicate(app_client, factory, settings):
    invited(factory, "ada@example.com")
    body = json.dumps(event("account.registered", "ada@example.com")).encode()
    header = webhooks.sign(settings.webhook_secret, body)
    send = lambda: app_client.post(  # noqa: E731
        "/hooks/identity",
        data=body,
        headers={"Content-Type": "application/json", webhooks.SIGNATURE_HEADER: header},
    )
    assert send().get_json()["status"] == "applied"
    size = history_size(factory)
    assert send().get_json() == {"status": "duplicate"}
    assert history_size(factory) == size


def test_a_bad_signature_is_refused(app_client, factory, settings):
    [journey_id] = invited(factory, "ada@example.com")
    response = post(
        app_client,
        settings,
        event("account.registered", "ada@example.com"),
        secret="not-the-shared-secret",
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "bad_signature"
    assert states(factory, [journey_id]) == [JourneyState.invited]


def test_a_stale_timestamp_is_refused(app_client, factory, settings):
    [journey_id] = invited(factory, "ada@example.com")
    stale = int(time.time()) - webhooks.TOLERANCE_SECONDS - 60
    response = post(
        app_client, settings, event("account.registered", "ada@example.com"), timestamp=stale
    )
    assert response.status_code == 401
    assert "window" in response.get_json()["error"]["message"]
    assert states(factory, [journey_id]) == [JourneyState.invited]


def test_a_missing_signature_is_refused(app_client, factory):
    response = app_client.post("/hooks/identity", json=event("account.registered", "a@b.example"))
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body", [b"not json", json.dumps({"id": "x", "type": "account.deleted", "data": {}}).encode()]
)
def test_a_malformed_event_is_a_clear_client_error(app_client, factory, settings, body):
    response = post(app_client, settings, None, body=body)
    assert response.status_code in (400, 422)
    assert "error" in response.get_json()


def test_connects_own_outbox_event_is_accepted_by_the_app(app_client, factory, settings):
    """What Connect writes to its outbox is what the app's hook takes."""
    from onboarding.identity import accounts

    [journey_id] = invited(factory, "ada@example.com")
    with unit_of_work(factory) as session:
        accounts.register(
            session,
            email="ada@example.com",
            first_name="Ada",
            last_name="Lovelace",
            language="en",
            country=None,
            journey_ref=make_ref(journey_id, settings),
        )
    with unit_of_work(factory) as session:
        [hook] = outbox_webhooks(session)
    assert hook["url"] == settings.identity_webhook_url
    response = post(app_client, settings, hook["event"])
    assert response.get_json() == {"status": "applied", "journeys": [journey_id]}


def test_account_deleted_unlinks_the_subject_ends_its_sessions_and_leaves_the_journeys(
    app_client, factory, settings
):
    [journey_id] = invited(factory, "del@example.com")
    with unit_of_work(factory) as session:
        person = session.get(Journey, journey_id).person
        person.connect_subject = "sub-gone"
        token = sessions.start(session, person, subject="sub-gone")
    deleted = {
        "id": str(uuid.uuid4()),
        "type": "account.deleted",
        "occurred_at": "2026-11-25T12:00:00+00:00",
        "data": {"subject": "sub-gone"},
    }
    response = post(app_client, settings, deleted)
    assert response.status_code == 200 and response.json == {"status": "applied", "journeys": []}
    with unit_of_work(factory) as session:
        journey = session.get(Journey, journey_id)
        assert journey.person.connect_subject is None
        assert journey.state is JourneyState.invited
        assert sessions.live(session, token) is None
    assert post(app_client, settings, deleted).json == {"status": "duplicate"}


def test_account_deleted_without_a_subject_is_refused(app_client, factory, settings):
    payload = {"id": "e-1", "type": "account.deleted", "data": {"email": "x@example.com"}}
    response = post(app_client, settings, payload)
    assert response.status_code == 422
    assert "needs data.subject" in response.json["error"]["message"]

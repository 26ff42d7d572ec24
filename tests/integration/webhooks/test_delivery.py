"""An organization's webhooks delivered through the outbox to a real HTTP receiver on loopback
that verifies every Standard Webhooks signature with the `standardwebhooks` package."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.dashboard.bulk_invite import bulk_invite
from onboarding.db import unit_of_work
from onboarding.errors import ValidationError
from onboarding.journeys.sweeps import expire_stale
from onboarding.outbox import delivery
from onboarding.outbox.models import OutboxMessage
from onboarding.people.directory import find_organization
from onboarding.webhooks import deliveries, endpoints
from tests import helpers
from tests.mailbox import Mailbox

pytestmark = pytest.mark.usefixtures("loopback_allowed")


def subscribe(factory, system, events, organization_id=None):
    """An endpoint of a new organization (or of `organization_id`) at `system`."""
    with unit_of_work(factory) as session:
        org = (
            find_organization(session, organization_id)
            if organization_id
            else helpers.organization(session, "Acme")
        )
        endpoint, secret = endpoints.register(
            session, org, system.url, events, actor="boss@acme.example"
        )
        system.secrets.append(secret)
        return org.id, endpoint.id


def log(factory, endpoint_id):
    with unit_of_work(factory) as session:
        return deliveries.log(session, endpoint_id, None)


def test_a_journey_event_reaches_the_endpoint_signed_per_standard_webhooks(factory, system):
    org_id, endpoint_id = subscribe(factory, system, ["journey.invited", "journey.accepted"])
    with unit_of_work(factory) as session:
        journey = helpers.journey(
            session, find_organization(session, org_id), email="ada@acme.example"
        )
        journeys.invite(session, journey.id, actor="boss@acme.example")
        journeys.register(session, journey.id, email="ada@acme.example")  # not subscribed
        journey_id = journey.id
    report = delivery.deliver_due(factory)
    assert report.sent >= 1 and system.refused == 0
    ((event, headers, _),) = system.received
    assert event["type"] == "journey.invited"
    assert event["data"] == {
        "journey_id": journey_id,
        "organization_id": org_id,
        "email": "ada@acme.example",
        "first_name": event["data"]["first_name"],
        "last_name": event["data"]["last_name"],
        "state": "invited",
        "previous_state": "created",
        "trigger": "invite",
        "actor": "boss@acme.example",
    }
    (row,) = log(factory, endpoint_id)
    assert headers["webhook-id"] == row.payload["message_id"]
    assert (row.status, row.response_code, row.attempts) == ("sent", 204, 1)


def test_the_expiry_sweep_writes_the_event_of_every_journey_it_expires(factory, system):
    org_id, endpoint_id = subscribe(factory, system, ["journey.expired"])
    long_ago = utcnow() - timedelta(days=60)
    with unit_of_work(factory) as session:
        acme, other = find_organization(session, org_id), helpers.organization(session)
        for org, count in ((acme, 5), (other, 2)):
            for _ in range(count):
                journey = helpers.journey(session, org, now=long_ago)
                journeys.invite(session, journey.id, actor="boss@acme.example", now=long_ago)
    with unit_of_work(factory) as session:
        assert expire_stale(session, utcnow(), batch_size=2) == 7
    delivery.deliver_due(factory)
    assert [e["type"] for e in system.events()] == ["journey.expired"] * 5
    assert {e["data"]["organization_id"] for e in system.events()} == {org_id}
    assert {e["data"]["previous_state"] for e in system.events()} == {"invited"}
    assert len({h["webhook-id"] for _, h, _ in system.received}) == 5


def test_a_sweep_rolled_back_sends_nothing(factory, system):
    org_id, _ = subscribe(factory, system, ["journey.expired"])
    long_ago = utcnow() - timedelta(days=60)
    with unit_of_work(factory) as session:
        journey = helpers.journey(session, find_organization(session, org_id), now=long_ago)
        journeys.invite(session, journey.id, actor="boss@acme.example", now=long_ago)
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        expire_stale(session, utcnow())
        raise RuntimeError("the transaction fails after the sweep")
    with unit_of_work(factory) as session:
        count = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.webhook_endpoint_id.is_not(None))
        )
    assert count == 0


def test_a_failing_endpoint_is_retried_with_backoff_and_logged(factory, system):
    org_id, endpoint_id = subscribe(factory, system, ["journey.revoked"])
    system.statuses = [503]
    with unit_of_work(factory) as session:
        org = find_organization(session, org_id)
        journeys.revoke(session, helpers.journey(session, org).id, actor="boss@acme.example")
    now = utcnow()
    assert delivery.deliver_due(factory, now=now).retrying == 1
    (row,) = log(factory, endpoint_id)
    assert (row.status, row.response_code, row.attempts) == ("pending", 503, 1)
    assert row.next_attempt_at > now and row.last_error.startswith("HTTP 503")
    assert delivery.deliver_due(factory, now=now).claimed == 0  # waiting out its backoff
    assert delivery.deliver_due(factory, now=now + timedelta(hours=2)).sent == 1
    (row,) = log(factory, endpoint_id)
    assert (row.status, row.response_code, row.attempts) == ("sent", 204, 2)
    first, second = (headers["webhook-id"] for _, headers, _ in system.received)
    assert first == second  # a retry is the same message


def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(factory, system, settings):
    org_id, endpoint_id = subscribe(factory, system, ["journey.revoked"])
    old = system.secrets[0]
    with unit_of_work(factory) as session:
        _, new = endpoints.rotate_secret(session, endpoint_id, None, actor="boss@acme.example")
    assert new != old
    system.secrets.append(new)

    def revoke_one():
        with unit_of_work(factory) as session:
            org = find_organization(session, org_id)
            journeys.revoke(session, helpers.journey(session, org).id, actor="boss@acme.example")

    revoke_one()
    delivery.deliver_due(factory)
    revoke_one()
    later = utcnow() + settings.webhook_secret_overlap + timedelta(hours=1)
    delivery.deliver_due(factory, now=later)
    during, after = (verified for _, _, verified in system.received)
    assert sorted(during) == sorted([old, new])
    assert after == [new]


def test_send_again_repeats_the_message_with_its_webhook_id(factory, system):
    org_id, endpoint_id = subscribe(factory, system, ["journey.invited"])
    with unit_of_work(factory) as session:
        journey = helpers.journey(session, find_organization(session, org_id))
        journeys.invite(session, journey.id, actor="boss@acme.example")
    delivery.deliver_due(factory)
    (first,) = log(factory, endpoint_id)
    with unit_of_work(factory) as session:
        deliveries.send_again(session, endpoint_id, first.id, None, actor="boss@acme.example")
    delivery.deliver_due(factory)
    again, original = log(factory, endpoint_id)
    assert (again.status, original.status) == ("sent", "sent")
    assert [h["webhook-id"] for _, h, _ in system.received] == [first.payload["message_id"]] * 2


def test_a_bounced_mail_is_a_mail_bounced_event(factory, system, loopback_allowed):
    org_id, _ = subscribe(factory, system, ["mail.bounced"])
    box = Mailbox().start()
    try:
        factory.configure(info={"settings": loopback_allowed.with_overrides(smtp_url=box.url)})
        with unit_of_work(factory) as session:
            org = find_organization(session, org_id)
            journey = helpers.journey(session, org, email="nobody@acme.example")
            journeys.invite(session, journey.id, actor="boss@acme.example")
        assert delivery.deliver_due(factory).bounced == 1
        delivery.deliver_due(factory)
    finally:
        box.stop()
    ((event, _, _),) = system.received
    assert event["type"] == "mail.bounced"
    assert event["data"]["email"] == "nobody@acme.example"
    assert event["data"]["template"] == "invitation"
    assert "No such mailbox" in event["data"]["error"]


def test_an_endpoint_that_turns_private_is_not_posted_to(factory, system, settings):
    org_id, endpoint_id = subscribe(factory, system, ["journey.revoked"])
    factory.configure(info={"settings": settings})  # private addresses refused again
    with unit_of_work(factory) as session:
        org = find_organization(session, org_id)
        journeys.revoke(session, helpers.journey(session, org).id, actor="boss@acme.example")
    assert delivery.deliver_due(factory).retrying == 1
    (row,) = log(factory, endpoint_id)
    assert "loopback or private" in row.last_error and row.response_code is None
    assert system.received == [] and system.refused == 0


def test_registering_a_loopback_endpoint_is_refused_by_default(factory, settings):
    factory.configure(info={"settings": settings})
    with unit_of_work(factory) as session, pytest.raises(ValidationError, match="private"):
        endpoints.register(
            session,
            helpers.organization(session),
            "http://127.0.0.1:9/hook",
            ["journey.invited"],
            actor="boss@acme.example",
        )


def test_a_bulk_invite_writes_the_invited_event_of_every_row(factory, system):
    org_id, _ = subscribe(factory, system, ["journey.invited"])
    rows = "".join(f"P{n},Q,p{n}@acme.example,en,viewer\n" for n in range(3))
    with unit_of_work(factory) as session:
        org = find_organization(session, org_id)
        report = bulk_invite(
            session,
            org,
            "first_name,last_name,email,language,roles\n" + rows,
            dry_run=False,
            actor="boss@acme.example",
        )
        assert len(report.accepted) == 3
    delivery.deliver_due(factory)
    assert sorted(e["data"]["email"] for e in system.events()) == [
        f"p{n}@acme.example" for n in range(3)
    ]
    assert {e["data"]["trigger"] for e in system.events()} == {"invite"}

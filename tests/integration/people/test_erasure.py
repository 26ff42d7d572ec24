"""Erasing a person: nothing of their address or names is left in any table, the journey's
states and times stay for the funnel, and only admins of all their organizations may do it."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from onboarding import audit, journeys
from onboarding.audit.models import AuditEntry
from onboarding.clock import utcnow
from onboarding.dashboard import link_hits
from onboarding.dashboard.bulk_invite import bulk_invite
from onboarding.db import Base, unit_of_work
from onboarding.errors import Forbidden, NotFound
from onboarding.journeys import history, link_tokens
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.journeys.nudges import send_nudges
from onboarding.outbox.models import OutboxMessage
from onboarding.outbox.webhooks import new_standard_secret
from onboarding.people import directory, erasure
from onboarding.people.models import Person
from onboarding.scim.models import ScimUser
from onboarding.webhooks.events import EVENT_TYPES
from onboarding.webhooks.models import WebhookEndpoint
from tests import helpers

EMAIL = "zenobia.quarrington@example.com"
FIRST, LAST = "Zenobia", "Quarrington"
OTHER_FIRST, OTHER_LAST = "Zena", "Quarrington-Vale"  # as the second organization typed them
NEIGHBOUR = "ada.lovelace@example.com"  # invited in the same bulk invitation


def found_anywhere(session, needles):
    """Every (table, column) whose stored value holds one of `needles`, in any case."""
    hits = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)).mappings():
            for column, value in row.items():
                text = json.dumps(value) if isinstance(value, dict | list) else str(value)
                if any(needle.lower() in text.lower() for needle in needles):
                    hits.append((table.name, column))
    return hits


def a_full_history(session, now):
    """The person in two organizations, with everything the app keeps about a person."""
    first_org, second_org = helpers.organization(session), helpers.organization(session)
    admin = helpers.admin_of(session, first_org, email="boss@example.com")
    session.add(
        WebhookEndpoint(
            organization=first_org,
            url="https://hooks.example.com/onboarding",
            events=EVENT_TYPES,
            secret=new_standard_secret(),
            created_by=admin.email,
            created_at=now - timedelta(days=6),
        )
    )
    journey = directory.create_person(
        session,
        first_org,
        email=EMAIL,
        first_name=FIRST,
        last_name=LAST,
        roles=["viewer"],
        actor=admin.email,
        now=now - timedelta(days=5),
    )
    journeys.invite(session, journey.id, actor=admin.email, now=now - timedelta(days=5))
    invitation = select(OutboxMessage).where(
        OutboxMessage.journey_id == journey.id, OutboxMessage.kind == "mail"
    )
    raw = helpers.link_token(session.scalars(invitation).one().payload["context"]["accept_url"])
    link_hits.record_fetch(session, journey, method="GET", user_agent=f"Mail of {EMAIL}", now=now)
    session.add(ScimUser(journey_id=journey.id, user_name=EMAIL, emails=[{"value": EMAIL}]))
    audit.record(
        session,
        organization_id=first_org.id,
        actor="scim:okta",
        action="scim.user.update",
        subject=EMAIL,
        detail={"journey_id": journey.id, "first_name": FIRST, "last_name": LAST},
    )
    send_nudges(session, now)
    bulk_invite(
        session,
        second_org,
        "first_name,last_name,email,language,roles\n"
        f"{OTHER_FIRST},{OTHER_LAST},{EMAIL},en,viewer\n"
        f"Ada,Lovelace,{NEIGHBOUR},en,viewer\n",
        dry_run=False,
        actor="admin@example.com",
    )
    second = session.scalars(
        select(Journey).where(
            Journey.organization_id == second_org.id, Journey.first_name == OTHER_FIRST
        )
    ).one()
    journeys.register(session, second.id, email=EMAIL.upper())
    journeys.activate(session, second.id)
    journeys.log_in(session, second.id, actor=EMAIL, subject="sub-4711")
    journeys.accept(session, second.id, actor=EMAIL)
    session.get_one(Person, journey.person_id).connect_subject = "sub-4711"
    helpers.app_session(journey.person_id, within=session)
    session.flush()
    return journey, second, raw


def test_after_an_erasure_no_table_holds_the_address_or_the_names(factory):
    now = utcnow()
    with unit_of_work(factory) as session:
        journey, second, raw = a_full_history(session, now)
        person_id = journey.person_id
        assert {"audit_entries", "outbox_messages"} <= {
            table for table, _ in found_anywhere(session, [EMAIL, FIRST, LAST])
        }
        webhooks = helpers.webhooks(session)
        assert {hook["event"]["data"]["email"] for hook in webhooks} == {EMAIL}
    with unit_of_work(factory) as session:
        erasure.erase_person(session, person_id, scope=None, actor="root@example.com", now=now)
    with unit_of_work(factory) as session:
        assert found_anywhere(session, [EMAIL, FIRST, LAST, OTHER_FIRST, OTHER_LAST]) == []
        assert len(helpers.webhooks(session)) == len(webhooks)
        bulk = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "journey.bulk_invite")
        ).one()
        assert bulk.detail["emails"] == [f"erased-{person_id}@erased.invalid", NEIGHBOUR]
        assert found_anywhere(session, ["sub-4711"]) == []
        person = session.get_one(Person, person_id)
        assert (person.email, person.full_name) == (
            f"erased-{person_id}@erased.invalid",
            f"erased-{person_id}",
        )
        assert link_tokens.check(session, raw, link_tokens.INVITATION, now).status is (
            link_tokens.TokenStatus.unknown
        )


def test_the_journeys_keep_their_states_and_times_and_record_who_erased_nothing_more(factory):
    now = utcnow()
    with unit_of_work(factory) as session:
        journey, second, _ = a_full_history(session, now)
        before = {
            j.id: (j.state, j.state_entered_at, j.invited_at, len(j.events))
            for j in (journey, second)
        }
    with unit_of_work(factory) as session:
        erasure.erase_person(
            session, journey.person_id, scope=None, actor="root@example.com", now=now
        )
    with unit_of_work(factory) as session:
        for journey_id, (state, entered, invited, events) in before.items():
            after = session.get_one(Journey, journey_id)
            assert (after.state, after.state_entered_at, after.invited_at) == (
                state,
                entered,
                invited,
            )
            last = after.events[-1]
            assert len(after.events) == events + 1
            assert (last.trigger, last.actor, last.detail) == (
                history.Fact.erased,
                "root@example.com",
                {},
            )


def test_pending_mails_of_the_person_are_cancelled_and_none_is_sent_later(factory):
    now = utcnow()
    with unit_of_work(factory) as session:
        journey, second, _ = a_full_history(session, now)
        pending = session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.journey_id.in_([journey.id, second.id]),
                OutboxMessage.kind == "mail",
                OutboxMessage.status == "pending",
            )
        ).all()
        assert len(pending) == 3  # two invitations and a reminder
    with unit_of_work(factory) as session:
        erasure.erase_person(session, journey.person_id, scope=None, actor="root", now=now)
    with unit_of_work(factory) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(pending))).all()
        assert {(r.status, r.last_error) for r in rows} == {("dead", erasure.CANCELLED)}
        assert {r.payload["to"] for r in rows} == {f"erased-{journey.person_id}@erased.invalid"}


def test_an_admin_of_only_some_of_the_persons_organizations_is_refused(factory):
    now = utcnow()
    with unit_of_work(factory) as session:
        journey, second, _ = a_full_history(session, now)
    with (
        pytest.raises(Forbidden, match="organizations you do not administer"),
        unit_of_work(factory) as session,
    ):
        erasure.erase_person(
            session,
            journey.person_id,
            scope=frozenset({journey.organization_id}),
            actor="boss@example.com",
        )
    with unit_of_work(factory) as session:
        assert session.get_one(Person, journey.person_id).email == EMAIL


def test_an_admin_of_none_of_them_is_told_there_is_no_such_person(factory):
    with unit_of_work(factory) as session:
        journey = helpers.journey(session)
        other = helpers.organization(session)
    with pytest.raises(NotFound), unit_of_work(factory) as session:
        erasure.erase_person(session, journey.person_id, scope=frozenset({other.id}), actor="x")


def test_erasing_twice_records_one_erasure(factory):
    with unit_of_work(factory) as session:
        journey = helpers.journey_in(session, JourneyState.invited)
    for _ in range(2):
        with unit_of_work(factory) as session:
            erasure.erase_person(session, journey.person_id, scope=None, actor="root")
    with unit_of_work(factory) as session:
        erased = session.scalars(
            select(JourneyEvent).where(JourneyEvent.trigger == history.Fact.erased)
        ).all()
        assert len(erased) == 1


def test_an_erased_person_gets_no_more_reminders(factory):
    start = utcnow()
    with unit_of_work(factory) as session:
        journey = helpers.journey_in(session, JourneyState.invited, now=start)
    with unit_of_work(factory) as session:
        erasure.erase_person(session, journey.person_id, scope=None, actor="root", now=start)
    with unit_of_work(factory) as session:
        assert send_nudges(session, start + timedelta(days=4)) == 0

"""One transition writer: the same change through each path writes the same rows."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.dashboard.bulk_invite import bulk_invite
from onboarding.db import unit_of_work
from onboarding.journeys import link_tokens, transitions
from onboarding.journeys.machine import TRIGGERS, JourneyState, sources_of
from onboarding.journeys.models import Journey, LinkToken
from onboarding.journeys.sweeps import expire_stale
from onboarding.outbox.models import OutboxMessage
from onboarding.people import directory
from onboarding.people.models import Organization, Person
from tests import helpers

S = JourneyState
NOW = utcnow().replace(microsecond=0)
ACTOR = "boss@acme.example"


def moves_a_set(trigger):
    try:
        transitions.edge(trigger)
    except ValueError:
        return False
    return True


SET_TRIGGERS = [trigger for trigger in TRIGGERS if moves_a_set(trigger)]


def columns(journey):
    """A journey's columns that a transition writes; the version as the bumps since creation."""
    return {
        "state": journey.state,
        "furthest_state": journey.furthest_state,
        "state_entered_at": journey.state_entered_at,
        "invited_at": journey.invited_at,
        "expires_at": journey.expires_at,
        "invited_by_id": journey.invited_by_id,
        "bumps": journey.version - 1,
    }


def history(journey):
    return [(e.trigger, e.actor, e.from_state, e.to_state, e.at, e.detail) for e in journey.events]


def journey_of(session, email):
    return session.scalar(
        select(Journey).join(Person, Person.id == Journey.person_id).where(Person.email == email)
    )


def mail(message):
    """An outbox mail but for its recipient, its link and its code, which differ per invitee."""
    payload = message.payload
    context = {k: v for k, v in payload["context"].items() if k not in ("accept_url", "join_code")}
    return message.kind, message.status, payload["template"], payload["language"], context


def invitation_of(session, journey):
    message = session.scalars(
        select(OutboxMessage).where(OutboxMessage.journey_id == journey.id)
    ).one()
    token = session.scalars(select(LinkToken).where(LinkToken.journey_id == journey.id)).one()
    return message, token


@pytest.fixture
def acme(factory):
    """Acme, and the person who invites into it."""
    with unit_of_work(factory) as session:
        org = directory.create_organization(session, "Acme", ["viewer", "editor"])
        admin = directory.create_person(
            session,
            org,
            email="boss@acme.example",
            first_name="Bo",
            last_name="Boss",
            roles=["editor"],
            actor="setup",
        )
        return org.id, admin.person_id


def test_an_invite_writes_the_same_rows_through_the_use_case_and_bulk_invite(factory, acme):
    org_id, admin_id = acme
    with unit_of_work(factory) as session:
        org = session.get_one(Organization, org_id)
        created = directory.create_person(
            session,
            org,
            email="one@example.com",
            first_name="Ann",
            last_name="One",
            roles=["viewer", "editor"],
            language="nl",
            actor=ACTOR,
            invited_by_id=admin_id,
            now=NOW,
        )
        journeys.invite(session, created.id, actor=ACTOR, now=NOW)
        csv = (
            "first_name,last_name,email,language,roles\nAnn,Set,set@example.com,nl,viewer;editor\n"
        )
        inviter = session.get_one(Person, admin_id)
        bulk_invite(session, org, csv, dry_run=False, actor=ACTOR, invited_by=inviter, now=NOW)
    with unit_of_work(factory) as session:
        one, many = journey_of(session, "one@example.com"), journey_of(session, "set@example.com")
        assert columns(one) == columns(many)
        assert columns(one)["state"] is S.invited and columns(one)["bumps"] == 1
        *one_before, one_invite = history(one)
        *many_before, many_invite = history(many)
        assert one_before == many_before  # the "create" row
        # The invite row is the same but for the mark of a bulk invitation.
        assert one_invite[:-1] == many_invite[:-1]
        assert (one_invite[-1], many_invite[-1]) == ({}, {"bulk": True})
        (one_mail, one_token), (many_mail, many_token) = (
            invitation_of(session, one),
            invitation_of(session, many),
        )
        assert mail(one_mail) == mail(many_mail)
        assert (one_mail.payload["to"], many_mail.payload["to"]) == (
            "one@example.com",
            "set@example.com",
        )
        assert mail(one_mail)[-1]["invited_by"] == "Bo Boss"
        assert (one_token.purpose, one_token.created_at, one_token.expires_at) == (
            many_token.purpose,
            many_token.created_at,
            many_token.expires_at,
        )
        for journey, message in ((one, one_mail), (many, many_mail)):
            assert message.dedupe_key == f"journey-event:{journey.events[-1].id}:invitation"
            raw = message.payload["context"]["accept_url"].rsplit("/", 1)[1]
            check = link_tokens.check(session, raw, link_tokens.INVITATION, NOW)
            assert check.status is link_tokens.TokenStatus.valid
            assert check.journey is journey
            by_code = link_tokens.check_code(session, message.payload["context"]["join_code"], NOW)
            assert by_code.token is check.token


def test_an_expiry_writes_the_same_rows_through_the_use_case_and_the_sweep(factory):
    with unit_of_work(factory) as session:
        org = helpers.organization(session)
        ids = [helpers.journey(session, org, now=NOW).id for _ in range(2)]
        for journey_id in ids:
            journeys.invite(session, journey_id, actor=ACTOR, now=NOW)
    later = NOW + timedelta(days=31)
    with unit_of_work(factory) as session:
        journeys.expire(session, ids[0], now=later)
        assert expire_stale(session, later) == 1
    with unit_of_work(factory) as session:
        one, many = (session.get_one(Journey, journey_id) for journey_id in ids)
        assert columns(one) == columns(many)
        assert (columns(one)["state"], columns(one)["state_entered_at"]) == (S.expired, later)
        assert history(one) == history(many)
        assert history(one)[-1] == (
            "expire",
            "sweep",
            S.invited,
            S.expired,
            later,
            {"reason": "invitation expired"},
        )
        # An expiry mails nothing: the invitation stays each journey's only mail.
        for journey in (one, many):
            assert invitation_of(session, journey)[0].payload["template"] == "invitation"


@pytest.mark.parametrize("trigger", SET_TRIGGERS)
def test_the_set_form_writes_what_the_one_journey_form_writes(factory, trigger):
    later = NOW + timedelta(hours=1)
    with unit_of_work(factory) as session:
        pairs = {
            s: [helpers.journey_in(session, s, now=NOW).id for _ in range(2)]
            for s in sources_of(trigger)
        }
    with unit_of_work(factory) as session:
        for one_id, _ in pairs.values():
            transitions.apply(
                session,
                session.get_one(Journey, one_id),
                trigger,
                actor=ACTOR,
                now=later,
                detail={"n": 1},
            )
        many_ids = [many_id for _, many_id in pairs.values()]
        moved = transitions.apply_to_set(
            session,
            trigger,
            Journey.id.in_(many_ids),
            actor=ACTOR,
            now=later,
            detail={"n": 1},
            batch_size=1,
        )
        assert sorted(moved) == sorted(many_ids)
    with unit_of_work(factory) as session:
        for source, (one_id, many_id) in pairs.items():
            one, many = session.get_one(Journey, one_id), session.get_one(Journey, many_id)
            assert columns(one) == columns(many), source
            assert len(history(one)) == len(history(many)), source
            assert history(one)[-1] == history(many)[-1], source
            assert moved[many_id] == many.events[-1].id


def test_the_set_form_leaves_journeys_the_trigger_cannot_move(factory):
    with unit_of_work(factory) as session:
        accepted = helpers.journey_in(session, S.accepted, now=NOW)
        before = columns(accepted), history(accepted)
    with unit_of_work(factory) as session:
        moved = transitions.apply_to_set(
            session, "revoke", Journey.id == accepted.id, actor=ACTOR, now=NOW
        )
        assert moved == {}
        journey = session.get_one(Journey, accepted.id)
        assert (columns(journey), history(journey)) == before


def test_a_trigger_that_keeps_the_state_cannot_move_a_set(factory):
    with unit_of_work(factory) as session, pytest.raises(ValueError, match="single state"):
        transitions.apply_to_set(session, "resend", Journey.id > 0, actor=ACTOR, now=NOW)

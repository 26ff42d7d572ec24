"""Invitation links: hashed, checked without side effects, dead when the journey is."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.journeys import link_tokens
from onboarding.journeys.link_tokens import TokenStatus
from onboarding.journeys.machine import JourneyState
from onboarding.outbox.models import OutboxMessage
from tests import helpers


def links(session, journey_id):
    return [
        m.payload["context"]["accept_url"].rsplit("/", 1)[1]
        for m in session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.journey_id == journey_id)
            .order_by(OutboxMessage.id)
        )
    ]


def status(factory, raw, now=None):
    with unit_of_work(factory) as session:
        return link_tokens.check(session, raw, link_tokens.INVITATION, now or utcnow()).status


@pytest.fixture
def invited(factory):
    with unit_of_work(factory) as session:
        return helpers.journey_in(session, JourneyState.invited).id


def test_the_mailed_link_is_valid_and_only_its_hash_is_stored(factory, invited):
    with unit_of_work(factory) as session:
        (raw,) = links(session, invited)
        assert len(raw) == 43
        check = link_tokens.check(session, raw, link_tokens.INVITATION, utcnow())
        assert check.status is TokenStatus.valid and check.journey.id == invited
        assert check.token.token_hash == link_tokens.hash_token(raw) != raw


def test_checking_a_link_changes_nothing(factory, invited):
    with unit_of_work(factory) as session:
        (raw,) = links(session, invited)
        journey = journeys.get_journey(session, invited)
        version, events = journey.version, len(journey.events)
    for _ in range(3):
        assert status(factory, raw) is TokenStatus.valid
    with unit_of_work(factory) as session:
        journey = journeys.get_journey(session, invited)
        assert (journey.version, len(journey.events)) == (version, events)


@pytest.mark.parametrize(
    "raw", ["", "x", "a" * 42, "a" * 44, "../../etc/passwd" + "a" * 27, "é" * 43]
)
def test_malformed_links_are_told_apart_from_unknown_ones(factory, raw):
    assert status(factory, raw) is TokenStatus.malformed


def test_an_unknown_link(factory, invited):
    assert status(factory, "A" * 43) is TokenStatus.unknown


def test_a_link_expires_with_the_invitation(factory, invited):
    with unit_of_work(factory) as session:
        (raw,) = links(session, invited)
    assert status(factory, raw, utcnow() + timedelta(days=31)) is TokenStatus.expired


def test_resend_keeps_earlier_links_working(factory, invited):
    with unit_of_work(factory) as session:
        journeys.resend(session, invited, actor="admin@example.com")
    with unit_of_work(factory) as session:
        first, second = links(session, invited)
    assert status(factory, first) is status(factory, second) is TokenStatus.valid


def test_revoke_kills_every_link_and_reinvite_does_not_revive_them(factory, invited):
    with unit_of_work(factory) as session:
        journeys.resend(session, invited, actor="admin@example.com")
        journeys.revoke(session, invited, actor="admin@example.com")
    with unit_of_work(factory) as session:
        old = links(session, invited)
    assert {status(factory, raw) for raw in old} == {TokenStatus.revoked}
    with unit_of_work(factory) as session:
        journeys.reinvite(
            session, invited, actor="admin@example.com", now=utcnow() + timedelta(seconds=1)
        )
    with unit_of_work(factory) as session:
        *old, new = links(session, invited)
    assert {status(factory, raw) for raw in old} == {TokenStatus.revoked}
    assert status(factory, new, utcnow() + timedelta(seconds=2)) is TokenStatus.valid


def test_an_accepted_invitation_says_so(factory):
    with unit_of_work(factory) as session:
        journey_id = helpers.journey_in(session, JourneyState.accepted).id
    with unit_of_work(factory) as session:
        (raw,) = links(session, journey_id)
    assert status(factory, raw) is TokenStatus.accepted


def test_an_expired_journey_kills_its_links(factory):
    with unit_of_work(factory) as session:
        journey_id = helpers.journey_in(session, JourneyState.expired).id
    with unit_of_work(factory) as session:
        (raw,) = links(session, journey_id)
    assert status(factory, raw) is TokenStatus.expired

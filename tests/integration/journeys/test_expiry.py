"""Extending a live invitation: recorded with the admin, and its links keep working as long."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.errors import ValidationError
from onboarding.journeys import link_tokens
from onboarding.journeys.expiry import extend_expiry
from onboarding.outbox.models import OutboxMessage
from tests import helpers
from tests.helpers import organization

T0 = utcnow().replace(microsecond=0) - timedelta(days=25)


def link_of(session, journey):
    mail = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.journey_id == journey.id)
        .order_by(OutboxMessage.id)
    ).first()
    return mail.payload["context"]["accept_url"].rsplit("/", 1)[1]


def test_the_mailed_link_works_until_the_new_expiry(session, settings):
    journey = helpers.journey(
        session, organization(session, "Acme"), email="ivy@example.com", now=T0
    )
    journeys.invite(session, journey.id, actor="admin", now=T0)
    raw = link_of(session, journey)
    old_expiry = journey.expires_at
    extend_expiry(
        session, journey.id, days=10, actor="boss@acme.example", now=T0 + timedelta(days=25)
    )
    assert journey.expires_at == old_expiry + timedelta(days=10)
    after_old_expiry = old_expiry + timedelta(days=5)
    assert (
        link_tokens.check(session, raw, link_tokens.INVITATION, after_old_expiry).status
        is link_tokens.TokenStatus.valid
    )
    assert (
        link_tokens.check(session, raw, link_tokens.INVITATION, journey.expires_at).status
        is link_tokens.TokenStatus.expired
    )
    last = journey.events[-1]
    assert (last.trigger, last.actor, last.from_state, last.to_state) == (
        "extend",
        "boss@acme.example",
        journey.state,
        journey.state,
    )


def test_only_a_live_invitation_can_be_extended(session):
    journey = helpers.journey(
        session, organization(session, "Acme"), email="ivy@example.com", now=T0
    )
    with pytest.raises(ValidationError, match="created"):
        extend_expiry(session, journey.id, days=5, actor="boss")
    journeys.invite(session, journey.id, actor="admin", now=T0)
    journeys.revoke(session, journey.id, actor="admin", now=T0)
    with pytest.raises(ValidationError, match="revoked"):
        extend_expiry(session, journey.id, days=5, actor="boss")


def test_an_extension_is_between_one_and_ninety_days(session):
    journey = helpers.journey(
        session, organization(session, "Acme"), email="ivy@example.com", now=T0
    )
    journeys.invite(session, journey.id, actor="admin", now=T0)
    for days in (0, 91):
        with pytest.raises(ValidationError):
            extend_expiry(session, journey.id, days=days, actor="boss")

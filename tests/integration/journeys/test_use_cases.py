"""Use cases per trigger, persisted: state, history and outbox move together or not at all."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.errors import InvitationExpired
from onboarding.journeys.machine import TRIGGERS, InvalidTransition, JourneyState, destination
from onboarding.journeys.models import Journey, JourneyEvent, LinkToken
from onboarding.outbox.models import OutboxMessage
from tests import helpers

S = JourneyState


def counts(session):
    return (
        session.scalar(select(func.count()).select_from(JourneyEvent)),
        session.scalar(select(func.count()).select_from(OutboxMessage)),
        session.scalar(select(func.count()).select_from(LinkToken)),
    )


@pytest.mark.parametrize("state", list(S), ids=lambda s: s.value)
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_every_pair_moves_and_records_or_refuses_and_writes_nothing(factory, trigger, state):
    with unit_of_work(factory) as session:
        journey_id = helpers.journey_in(session, state).id
    with unit_of_work(factory) as session:
        before = counts(session)
    try:
        expected = destination(trigger, state)
    except InvalidTransition:
        expected = None
    if expected is None:
        refused = pytest.raises(InvalidTransition, match=f"cannot {trigger} .*'{state.value}'")
        with refused, unit_of_work(factory) as session:
            helpers.fire(session, journey_id, trigger)
        with unit_of_work(factory) as session:
            assert session.get(Journey, journey_id).state is state
            assert counts(session) == before
        return
    with unit_of_work(factory) as session:
        helpers.fire(session, journey_id, trigger)
    with unit_of_work(factory) as session:
        journey = session.get(Journey, journey_id)
        assert journey.state is expected
        last = journey.events[-1]
        assert (last.trigger, last.from_state, last.to_state) == (trigger, state, expected)
        assert counts(session)[0] == before[0] + 1
        mails = counts(session)[1] - before[1]
        assert mails == (1 if trigger in ("invite", "resend", "reinvite") else 0)


def test_invite_writes_state_history_token_and_mail_in_one_transaction(factory, settings):
    with unit_of_work(factory) as session:
        journey = helpers.journey(session, language="nl")
        now = utcnow()
        journeys.invite(session, journey.id, actor="admin@example.com", now=now)
        journey_id = journey.id
    with unit_of_work(factory) as session:
        journey = session.get(Journey, journey_id)
        assert journey.state is S.invited
        assert journey.expires_at == now + settings.invitation_ttl
        message = session.scalars(select(OutboxMessage)).one()
        assert message.payload["template"] == "invitation"
        assert message.payload["language"] == "nl"
        assert message.payload["to"] == journey.person.email
        assert message.payload["context"]["accept_url"].startswith(
            f"{settings.app_base_url}/invitations/"
        )
        raw = message.payload["context"]["accept_url"].rsplit("/", 1)[1]
        assert raw not in {t.token_hash for t in session.scalars(select(LinkToken))}


def test_a_rollback_leaves_no_state_no_history_and_no_outbox(factory):
    with unit_of_work(factory) as session:
        journey_id = helpers.journey(session).id
        before = counts(session)
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        journeys.invite(session, journey_id, actor="admin@example.com")
        assert counts(session) != before  # written, then the transaction fails
        raise RuntimeError("the request failed after the invite")
    with unit_of_work(factory) as session:
        assert session.get(Journey, journey_id).state is S.created
        assert counts(session) == before


def test_accept_after_expiry_is_refused_even_before_the_sweep(factory):
    with unit_of_work(factory) as session:
        journey_id = helpers.journey_in(session, S.logged_in).id
    later = utcnow() + timedelta(days=31)
    with pytest.raises(InvitationExpired, match="expired"), unit_of_work(factory) as session:
        journeys.accept(session, journey_id, actor="invitee", now=later)
    with unit_of_work(factory) as session:
        assert session.get(Journey, journey_id).state is S.logged_in


def test_register_with_another_address_is_recorded(factory):
    with unit_of_work(factory) as session:
        journey = helpers.journey_in(session, S.invited)
        journeys.register(session, journey.id, email="b@other.example")
        detail = journey.events[-1].detail
    assert detail == {"email": "b@other.example", "invited_as": journey.person.email}


def test_version_increases_with_every_transition_even_resend(factory):
    with unit_of_work(factory) as session:
        journey = helpers.journey_in(session, S.invited)
        version = journey.version
        journeys.resend(session, journey.id, actor="admin@example.com")
        assert journey.version == version + 1

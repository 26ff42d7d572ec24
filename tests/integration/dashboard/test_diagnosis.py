"""Each diagnosis, from a real sequence of use-case calls and the events the system records."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.dashboard.diagnosis import load_and_diagnose
from onboarding.journeys import history
from onboarding.journeys.history import Fact
from onboarding.journeys.invitations import ask_for_a_new_one
from onboarding.journeys.models import Journey
from onboarding.outbox.models import OutboxMessage
from tests import helpers
from tests.helpers import organization

T0 = utcnow().replace(microsecond=0) - timedelta(days=20)


@pytest.fixture
def invited(session: Session) -> Journey:
    journey = helpers.journey(
        session, organization(session, "Acme"), email="ivy@example.com", now=T0
    )
    return journeys.invite(session, journey.id, actor="admin@example.com", now=T0)


def deliver(session: Session, journey: Journey, at: datetime) -> OutboxMessage:
    """What the mail worker does once the SMTP server took the latest mail."""
    mail = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.journey_id == journey.id)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert mail is not None
    mail.status, mail.sent_at, mail.attempts = "sent", at, 1
    session.flush()
    return mail


def record(
    session: Session, journey: Journey, trigger: str, at: datetime, **detail: object
) -> None:
    """A non-transition fact, as the front and the workers record it."""
    history.note(session, journey, trigger, actor="system", now=at, detail=detail)
    session.flush()


def codes(session: Session, journey: Journey, now: datetime) -> list[str]:
    session.expire(journey, ["events"])
    return [finding.code for finding in load_and_diagnose(session, journey, now)]


def test_mail_bounced_is_shown_with_the_smtp_error(session, invited):
    mail = deliver(session, invited, T0 + timedelta(seconds=5))
    mail.status, mail.last_error = "bounced", "550 5.1.1 <ivy@example.com>: mailbox unknown"
    record(session, invited, Fact.mail_bounced, T0 + timedelta(minutes=2), error=mail.last_error)
    findings = load_and_diagnose(session, invited, T0 + timedelta(hours=1))
    assert findings[0].code == "mail_undeliverable"
    assert "550 5.1.1" in findings[0].message
    assert "address" in findings[0].action


def test_mail_dead_lettered_is_shown_with_the_last_error(session, invited):
    mail = session.scalars(
        select(OutboxMessage).where(OutboxMessage.journey_id == invited.id)
    ).one()
    mail.status, mail.attempts, mail.last_error = "dead", 8, "Connection refused"
    session.flush()
    findings = load_and_diagnose(session, invited, T0 + timedelta(hours=1))
    assert findings[0].code == "mail_undeliverable"
    assert "Connection refused" in findings[0].message


def test_link_never_opened(session, invited):
    deliver(session, invited, T0 + timedelta(seconds=3))
    assert codes(session, invited, T0 + timedelta(days=2)) == ["link_never_opened"]


def test_a_fresh_invitation_waits_for_its_mail(session, invited):
    assert codes(session, invited, T0 + timedelta(seconds=1)) == ["mail_not_sent_yet"]


def test_a_click_to_continue_without_registering(session, invited):
    deliver(session, invited, T0 + timedelta(seconds=3))
    record(session, invited, Fact.link_opened, T0 + timedelta(hours=2))
    assert codes(session, invited, T0 + timedelta(days=1)) == ["opened_not_registered"]


def test_registered_with_another_address(session, invited):
    journeys.register(
        session, invited.id, email="ivy.private@example.org", now=T0 + timedelta(hours=1)
    )
    journeys.activate(session, invited.id, now=T0 + timedelta(hours=2))
    findings = load_and_diagnose(session, invited, T0 + timedelta(hours=3))
    elsewhere = next(f for f in findings if f.code == "registered_elsewhere")
    assert "ivy.private@example.org" in elsewhere.message
    assert "invited as ivy@example.com" in elsewhere.message


def test_activation_link_expired_without_activation(session, invited, settings):
    journeys.register(session, invited.id, email="ivy@example.com", now=T0 + timedelta(hours=1))
    assert "activation_expired" not in codes(session, invited, T0 + timedelta(hours=5))
    later = T0 + timedelta(hours=1) + settings.activation_ttl + timedelta(minutes=1)
    assert codes(session, invited, later) == ["activation_expired"]
    [finding] = load_and_diagnose(session, invited, later)
    # What Connect offers for an expired activation link; a log-in only says "not right".
    assert "open the activation link again" in finding.action
    assert "log in" not in finding.action.lower()


def test_an_expired_invitation_whose_invitee_asked_for_a_new_one_says_so(session, invited):
    invited.invited_by = helpers.admin_of(session, invited.organization)
    journeys.expire(session, invited.id, now=T0 + timedelta(days=30))
    raw = helpers.invitation_path(session, invited).rsplit("/", 1)[1]
    assert codes(session, invited, T0 + timedelta(days=31)) == ["expired"]
    ask_for_a_new_one(session, raw, now=T0 + timedelta(days=31))
    [finding] = load_and_diagnose(session, invited, T0 + timedelta(days=32))
    assert finding.code == "new_invitation_asked" and finding.action == "Re-invite them."


def test_activated_but_never_logged_in(session, invited):
    journeys.register(session, invited.id, email="ivy@example.com", now=T0 + timedelta(hours=1))
    journeys.activate(session, invited.id, now=T0 + timedelta(hours=2))
    assert codes(session, invited, T0 + timedelta(days=2)) == ["never_logged_in"]


def test_the_advice_names_the_identity_provider_of_the_settings(session, invited, settings):
    session.info["settings"] = settings.with_overrides(idp_name="Keycloak")
    journeys.register(session, invited.id, email="ivy@example.com", now=T0 + timedelta(hours=1))
    journeys.activate(session, invited.id, now=T0 + timedelta(hours=2))
    [finding] = load_and_diagnose(session, invited, T0 + timedelta(days=2))
    assert "'Log in with Keycloak'" in finding.action and "Connect" not in finding.action


def test_logged_in_but_did_not_accept(session, invited):
    journeys.log_in(session, invited.id, actor="ivy@example.com", now=T0 + timedelta(hours=1))
    assert codes(session, invited, T0 + timedelta(days=2)) == ["not_accepted"]


def test_expires_in_n_days(session, invited):
    journeys.log_in(session, invited.id, actor="ivy@example.com", now=T0 + timedelta(hours=1))
    three_days_left = invited.expires_at - timedelta(days=3, hours=1)
    findings = load_and_diagnose(session, invited, three_days_left)
    assert [f.code for f in findings] == ["not_accepted", "expires_soon"]
    assert "expires in 3 days" in findings[1].message


def test_accepted(session, invited):
    journeys.log_in(session, invited.id, actor="ivy@example.com", now=T0 + timedelta(hours=1))
    journeys.accept(session, invited.id, actor="ivy@example.com", now=T0 + timedelta(hours=2))
    assert codes(session, invited, T0 + timedelta(days=1)) == ["accepted"]


def test_expired_and_revoked_suggest_reinviting(session, invited):
    journeys.expire(session, invited.id, now=T0 + timedelta(days=31))
    findings = load_and_diagnose(session, invited, T0 + timedelta(days=32))
    assert [f.code for f in findings] == ["expired"]
    assert "Re-invite" in findings[0].action
    journeys.revoke(session, invited.id, actor="admin@example.com", now=T0 + timedelta(days=33))
    assert codes(session, invited, T0 + timedelta(days=34)) == ["revoked"]

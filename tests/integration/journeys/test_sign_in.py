"""Signing in with an account of the identity provider: which person it is, which journeys
record log_in, and the register/activate that a provider sending no events left to the log-in."""

from sqlalchemy import select

from onboarding import journeys
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import JourneyEvent
from onboarding.journeys.sign_in import (
    BY_EMAIL,
    BY_INVITATION,
    BY_SUBJECT,
    RECORDED_AT_LOG_IN,
    sign_in,
)
from onboarding.people.models import Person
from onboarding.provider import account_events
from tests.helpers import invitee, member, organization


def test_a_verified_email_finds_the_person_links_the_subject_and_logs_in_every_open_journey(
    session,
):
    a, b, c = organization(session), organization(session), organization(session)
    first = invitee(session, a, email="ann@example.com")
    second = invitee(session, b, email="ann@example.com")
    accepted = member(session, c, email="ann@example.com", roles=("viewer",))
    result = sign_in(session, subject="sub-1", email="Ann@Example.com", email_verified=True)
    assert result.person is first.person and result.linked_by == BY_EMAIL
    assert first.person.connect_subject == "sub-1"
    assert sorted(result.logged_in_journey_ids) == sorted([first.id, second.id])
    assert first.state is second.state is JourneyState.logged_in
    assert accepted.state is JourneyState.accepted
    event = session.scalars(
        select(JourneyEvent).where(
            JourneyEvent.journey_id == first.id, JourneyEvent.trigger == "log_in"
        )
    ).one()
    assert event.detail["subject"] == "sub-1"


def test_a_log_in_with_a_passkey_says_so_in_the_history(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    sign_in(
        session,
        subject="sub-1",
        email="ann@example.com",
        email_verified=True,
        provider_reports_accounts=True,
        credential="passkey",
    )
    assert journey.events[-1].trigger == "log_in"
    assert journey.events[-1].detail["with"] == "passkey"


def test_a_linked_subject_is_found_again_even_after_an_email_change_at_connect(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    sign_in(session, subject="sub-1", email="ann@example.com", email_verified=True)
    result = sign_in(session, subject="sub-1", email="ann@new.example", email_verified=False)
    assert result.person is journey.person and result.linked_by == BY_SUBJECT


def test_an_unverified_email_finds_nobody(session):
    invitee(session, organization(session), email="ann@example.com")
    result = sign_in(session, subject="sub-1", email="ann@example.com", email_verified=False)
    assert result.person is None


def test_another_address_finds_the_invitation_opened_here_and_writes_nothing_unconfirmed(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    before = len(journey.events)
    result = sign_in(
        session,
        subject="sub-b",
        email="b@other.example",
        email_verified=True,
        invitation_journey_ids=[journey.id],
    )
    assert result.person is None and result.to_confirm is journey
    assert journey.person.connect_subject is None
    assert journey.state is JourneyState.invited and len(journey.events) == before


def test_another_address_confirmed_as_the_invitee_is_linked_and_the_history_says_so(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    result = sign_in(
        session,
        subject="sub-b",
        email="b@other.example",
        email_verified=True,
        confirmed_invitation=journey.id,
    )
    assert result.person is journey.person and result.linked_by == BY_INVITATION
    assert journey.person.connect_subject == "sub-b"
    assert journey.state is JourneyState.logged_in
    linked = next(e for e in journey.events if e.trigger == "account_linked")
    assert linked.actor == "b@other.example"
    assert linked.detail == {"invited_as": "ann@example.com", "signed_in_as": "b@other.example"}
    assert journey.events[-1].detail["connect_email"] == "b@other.example"
    assert journey.events[-1].actor == "b@other.example"


def test_a_confirmation_for_an_invitation_no_longer_open_links_nobody(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    journeys.revoke(session, journey.id, actor="admin")
    result = sign_in(
        session,
        subject="sub-b",
        email="b@other.example",
        email_verified=True,
        confirmed_invitation=journey.id,
    )
    assert result.person is None and result.to_confirm is None
    assert journey.person.connect_subject is None


def test_a_person_linked_to_another_account_is_not_taken_over(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    journey.person.connect_subject = "sub-original"
    session.flush()
    by_email = sign_in(session, subject="sub-new", email="ann@example.com", email_verified=True)
    by_link = sign_in(
        session,
        subject="sub-new",
        email="ann@example.com",
        email_verified=True,
        invitation_journey_ids=[journey.id],
    )
    assert by_email.person is None and by_link.person is None and by_link.to_confirm is None
    assert journey.person.connect_subject == "sub-original"
    assert journey.state is JourneyState.invited


def test_nobody_invited_signs_in_as_nobody(session):
    result = sign_in(session, subject="sub-x", email="x@example.com", email_verified=True)
    assert result.person is None and result.connect_email == "x@example.com"
    assert session.scalar(select(Person).where(Person.connect_subject == "sub-x")) is None


def since_invite(journey):
    """The journey's history after its invitation."""
    triggers = [e.trigger for e in journey.events]
    return journey.events[triggers.index("invite") + 1 :]


def history(journey):
    return [(e.trigger, e.from_state, e.to_state, e.detail) for e in since_invite(journey)]


def test_a_verified_email_records_register_and_activate_at_log_in_before_log_in(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    sign_in(session, subject="sub-1", email="ann@example.com", email_verified=True)
    S = JourneyState
    assert [(t, f, to) for t, f, to, _ in history(journey)] == [
        ("register", S.invited, S.registered),
        ("activate", S.registered, S.activated),
        ("log_in", S.activated, S.logged_in),
    ]
    register, activate, _log_in = (detail for *_, detail in history(journey))
    assert register == {"email": "ann@example.com", **RECORDED_AT_LOG_IN}
    assert activate == RECORDED_AT_LOG_IN


def test_a_provider_that_reports_accounts_takes_an_existing_account_from_invited_to_logged_in(
    session,
):
    journey = invitee(session, organization(session), email="ann@example.com")
    sign_in(
        session,
        subject="sub-1",
        email="ann@example.com",
        email_verified=True,
        provider_reports_accounts=True,
    )
    S = JourneyState
    assert [(t, f, to) for t, f, to, _ in history(journey)] == [("log_in", S.invited, S.logged_in)]


def test_an_address_the_invitation_proved_records_register_and_activate_before_the_events_come(
    session,
):
    journey = invitee(session, organization(session), email="ann@example.com")
    sign_in(
        session,
        subject="sub-1",
        email="ann@example.com",
        email_verified=True,
        email_verified_by="invitation",
        provider_reports_accounts=True,
    )
    S = JourneyState
    assert [(t, f, to) for t, f, to, _ in history(journey)] == [
        ("register", S.invited, S.registered),
        ("activate", S.registered, S.activated),
        ("log_in", S.activated, S.logged_in),
    ]
    register, activate, _log_in = (detail for *_, detail in history(journey))
    assert register == {"email": "ann@example.com", "address_verified_by": "invitation link"}
    assert activate == {"address_verified_by": "invitation link"}


def test_an_unverified_email_records_only_the_registration_at_log_in(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    result = sign_in(
        session,
        subject="sub-b",
        email="b@other.example",
        email_verified=False,
        confirmed_invitation=journey.id,
    )
    assert result.person is journey.person
    assert [e.trigger for e in since_invite(journey)] == ["account_linked", "register", "log_in"]
    register = since_invite(journey)[1].detail
    assert register["email"] == "b@other.example" and register["invited_as"] == "ann@example.com"


def test_a_registration_reported_by_an_event_is_completed_at_log_in_with_activate_only(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    journeys.register(session, journey.id, email="ann@example.com")
    sign_in(session, subject="sub-1", email="ann@example.com", email_verified=True)
    assert [e.trigger for e in since_invite(journey)] == ["register", "activate", "log_in"]
    register, activate, _log_in = since_invite(journey)
    assert "recorded_at" not in register.detail and activate.detail == RECORDED_AT_LOG_IN


def test_a_journey_the_events_brought_up_to_date_records_only_log_in(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    journeys.register(session, journey.id, email="ann@example.com")
    journeys.activate(session, journey.id)
    sign_in(session, subject="sub-1", email="ann@example.com", email_verified=True)
    assert [e.trigger for e in since_invite(journey)] == ["register", "activate", "log_in"]
    assert all("recorded_at" not in e.detail for e in journey.events)


def test_an_event_arriving_after_the_log_in_changes_nothing(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    sign_in(session, subject="sub-1", email="ann@example.com", email_verified=True)
    late = {"id": "late-1", "type": account_events.ACTIVATED, "data": {"email": "ann@example.com"}}
    assert account_events.receive(session, late) == []
    assert journey.state is JourneyState.logged_in
    assert [e.trigger for e in since_invite(journey)] == ["register", "activate", "log_in"]


def test_an_invitee_who_joined_with_a_passkey_has_it_in_the_steps_recorded_at_log_in(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    sign_in(
        session,
        subject="sub-1",
        email="ann@example.com",
        email_verified=True,
        email_verified_by="invitation",
        provider_reports_accounts=True,
        credential="passkey",
    )
    register, activate, log_in = (detail for *_, detail in history(journey))
    for detail in (register, activate, log_in):
        assert detail["with"] == "passkey"
    assert activate == {"address_verified_by": "invitation link", "with": "passkey"}

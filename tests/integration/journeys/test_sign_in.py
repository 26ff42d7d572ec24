"""Signing in with a Connect account: which person it is, and which journeys record log_in."""

from sqlalchemy import select

from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import JourneyEvent
from onboarding.journeys.sign_in import BY_EMAIL, BY_INVITATION, BY_SUBJECT, sign_in
from onboarding.people.models import Person
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


def test_a_linked_subject_is_found_again_even_after_an_email_change_at_connect(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    sign_in(session, subject="sub-1", email="ann@example.com", email_verified=True)
    result = sign_in(session, subject="sub-1", email="ann@new.example", email_verified=False)
    assert result.person is journey.person and result.linked_by == BY_SUBJECT


def test_an_unverified_email_finds_nobody(session):
    invitee(session, organization(session), email="ann@example.com")
    result = sign_in(session, subject="sub-1", email="ann@example.com", email_verified=False)
    assert result.person is None


def test_another_address_finds_the_invitation_opened_in_this_browser(session):
    journey = invitee(session, organization(session), email="ann@example.com")
    result = sign_in(
        session,
        subject="sub-b",
        email="b@other.example",
        email_verified=True,
        invitation_journey_ids=[journey.id],
    )
    assert result.person is journey.person and result.linked_by == BY_INVITATION
    assert journey.state is JourneyState.logged_in
    assert journey.events[-1].detail["connect_email"] == "b@other.example"
    assert journey.events[-1].actor == "b@other.example"


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
    assert by_email.person is None and by_link.person is None
    assert journey.person.connect_subject == "sub-original"
    assert journey.state is JourneyState.invited


def test_nobody_invited_signs_in_as_nobody(session):
    result = sign_in(session, subject="sub-x", email="x@example.com", email_verified=True)
    assert result.person is None and result.connect_email == "x@example.com"
    assert session.scalar(select(Person).where(Person.connect_subject == "sub-x")) is None

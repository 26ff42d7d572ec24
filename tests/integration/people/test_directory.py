"""Creating people: roles, addresses and one journey per person and organization."""

import pytest
from sqlalchemy import func, select

from onboarding.db import unit_of_work
from onboarding.errors import Conflict, ValidationError
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.people import directory
from onboarding.people.models import Organization, Person
from tests import helpers


def add(session, org, **overrides):
    values = {
        "email": "ann@example.com",
        "first_name": "Ann",
        "last_name": "Lee",
        "roles": ["viewer"],
    }
    values.update(overrides)
    return directory.create_person(session, org, actor="admin@example.com", **values)


def nothing_written(factory):
    with unit_of_work(factory) as session:
        return all(
            session.scalar(select(func.count()).select_from(model)) == 0
            for model in (Person, Journey, JourneyEvent)
        )


def test_zero_roles_is_refused_with_a_clear_message_and_nothing_written(factory):
    with unit_of_work(factory) as session:
        org_id = helpers.organization(session).id
    with (
        pytest.raises(ValidationError, match="at least one role"),
        unit_of_work(factory) as session,
    ):
        add(session, session.get(Organization, org_id), roles=[])
    assert nothing_written(factory)


def test_a_role_of_another_organization_is_refused(factory):
    with pytest.raises(ValidationError, match="no role admin "), unit_of_work(factory) as session:
        add(session, helpers.organization(session, roles=("viewer",)), roles=["admin"])
    assert nothing_written(factory)


@pytest.mark.parametrize(
    "email", ["", "ann", "ann@", "ann@@example.com", "ann example@x.com", "jörg@example.com"]
)
def test_an_invalid_address_is_refused(factory, email):
    with (
        pytest.raises(ValidationError, match="not a valid email"),
        unit_of_work(factory) as session,
    ):
        add(session, helpers.organization(session), email=email)
    assert nothing_written(factory)


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("name", ["Ann\x00", "An\tn", "An\nn", "An\x7fn", "An\x85n"])
def test_a_name_with_a_control_character_is_refused_on_its_field(factory, field, name):
    with (
        pytest.raises(ValidationError, match="character that is not allowed") as refused,
        unit_of_work(factory) as session,
    ):
        add(session, helpers.organization(session), **{field: name})
    assert refused.value.field == field
    assert nothing_written(factory)


def test_addresses_are_unique_case_insensitively_and_shared_across_organizations(factory):
    with unit_of_work(factory) as session:
        first = add(session, helpers.organization(session), email="Ann@Example.COM")
        second = add(session, helpers.organization(session), email="ann@example.com")
        assert first.person is second.person
        assert first.person.email == "ann@example.com"
        assert first.state is second.state is JourneyState.created


def test_a_second_journey_for_the_same_person_and_organization_is_refused(factory):
    with unit_of_work(factory) as session:
        org = helpers.organization(session)
        add(session, org)
        with pytest.raises(Conflict, match="already has an open invitation"):
            add(session, org, email="ANN@example.com")
        assert session.scalar(select(func.count()).select_from(Journey)) == 1


def test_creating_a_person_writes_the_first_history_row(factory):
    with unit_of_work(factory) as session:
        journey = add(session, helpers.organization(session), roles=["viewer", "editor"])
        (event,) = journey.events
        assert (event.trigger, event.from_state, event.to_state) == (
            "create",
            None,
            JourneyState.created,
        )
        assert event.detail == {"roles": ["editor", "viewer"]}
        assert [r.name for r in journey.roles] == ["editor", "viewer"]


def test_an_international_domain_is_stored_in_its_ascii_form(factory):
    with unit_of_work(factory) as session:
        journey = add(session, helpers.organization(session), email="Ann@Bücher.example")
        assert journey.person.email == "ann@xn--bcher-kva.example"

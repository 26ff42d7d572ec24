"""The demo data of the embedded run."""

from sqlalchemy import func, select

from onboarding import demo
from onboarding.access import may_administer
from onboarding.models import Organization, Person


def test_seeding_twice_gives_one_organization_and_one_administrator(session):
    first = demo.seed(session)
    second = demo.seed(session)
    assert first == second
    assert session.scalar(select(func.count()).select_from(Organization)) == 1
    admin = session.scalar(select(Person).where(Person.email == demo.ADMIN_EMAIL))
    assert may_administer(session, admin, first.organization_id)
    organization = session.get(Organization, first.organization_id)
    assert [role.name for role in organization.roles] == ["admin", "editor", "viewer"]

"""The demo data of the embedded run."""

from sqlalchemy import func, select

from onboarding import demo
from onboarding.identity import accounts
from onboarding.identity.machine import AccountState
from onboarding.people.access import may_administer
from onboarding.people.models import Organization, Person


def test_seeding_twice_gives_one_organization_and_one_administrator(session, tmp_path):
    first = demo.seed(session, tmp_path)
    second = demo.seed(session, tmp_path)
    assert first == second
    assert session.scalar(select(func.count()).select_from(Organization)) == 1
    admin = session.scalar(select(Person).where(Person.email == demo.ADMIN_EMAIL))
    assert may_administer(session, admin, first.organization_id)
    organization = session.get(Organization, first.organization_id)
    assert [role.name for role in organization.roles] == ["admin", "editor", "viewer"]


def test_the_administrator_can_log_in_to_connect_with_the_printed_password(session, tmp_path):
    seeded = demo.seed(session, tmp_path)
    account = accounts.authenticate(session, demo.ADMIN_EMAIL, seeded.admin_password)
    assert account is not None and account.state is AccountState.activated
    assert (tmp_path / "demo-admin-password").stat().st_mode & 0o077 == 0


def test_a_random_password_naming_the_administrator_is_drawn_again(session, tmp_path, monkeypatch):
    # "aDEMOp…": random letters that spell a part of "Demo Admin" break the password policy.
    drawn = iter(["iqvJO4adEmopgelA", "Zq8-xvT3kWp_rLy9"])
    real = demo.secrets.token_urlsafe
    # The demo's passwords are 12 random bytes; the links' tokens stay random.
    monkeypatch.setattr(
        demo.secrets, "token_urlsafe", lambda size: next(drawn) if size == 12 else real(size)
    )
    seeded = demo.seed(session, tmp_path)
    assert seeded.admin_password == "Zq8-xvT3kWp_rLy9"
    assert accounts.authenticate(session, demo.ADMIN_EMAIL, seeded.admin_password) is not None

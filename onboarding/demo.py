"""The demo data of the embedded run: one organization and its administrator, made once,
and the administrator's Connect account, so that they log in with Connect like everyone.

The only place besides `onboarding serve` where the app's people and Connect's accounts meet.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding import link_secrets
from onboarding.clock import utcnow
from onboarding.db import settings_of
from onboarding.errors import NotFound
from onboarding.identity import accounts, links, passwords
from onboarding.identity.models import AccountToken
from onboarding.people import directory
from onboarding.people.models import Person

ORGANIZATION = "Demo Organization"
ROLES = ("admin", "editor", "viewer")
ADMIN_EMAIL = "admin@example.com"
_ACTIVATION_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class Demo:
    organization_id: int
    organization_name: str
    admin_email: str
    # None when the Connect account existed before and its password was not kept here.
    admin_password: str | None


def seed(session: Session, var_dir: Path) -> Demo:
    """Create the demo organization and its administrator unless they exist; safe to rerun.

    The administrator is a superadmin, so they administer the demo organization (and any
    other) without an invitation of their own. Their Connect account is activated with a
    random password, kept in `var_dir` so that every run prints the same one.
    """
    try:
        organization = directory.find_organization(session, "demo-organization")
    except NotFound:
        organization = directory.create_organization(session, ORGANIZATION, ROLES)
    admin = session.scalar(select(Person).where(Person.email == ADMIN_EMAIL))
    if admin is None:
        admin = Person(email=ADMIN_EMAIL, first_name="Demo", last_name="Admin")
        session.add(admin)
    admin.is_superadmin = True
    session.flush()
    password = _admin_account(session, var_dir / "demo-admin-password")
    return Demo(organization.id, organization.name, admin.email, password)


def _admin_account(session: Session, password_file: Path) -> str | None:
    if accounts.find_by_email(session, ADMIN_EMAIL) is not None:
        return password_file.read_text().strip() if password_file.exists() else None
    now = utcnow()
    account = accounts.new_account(
        session,
        email=ADMIN_EMAIL,
        first_name="Demo",
        last_name="Admin",
        language="en",
        country=None,
        journey_ref=None,
        now=now,
    )
    # Activated through Connect's own use case, as if the activation mail had been followed.
    raw = link_secrets.issue(
        session, AccountToken, links.ACTIVATION, now + _ACTIVATION_WINDOW, now, account=account
    )
    password = _acceptable_password(session, accounts.password_owner(account))
    accounts.activate(session, raw, password, password, now)
    password_file.parent.mkdir(parents=True, exist_ok=True)
    password_file.write_text(password)
    password_file.chmod(0o600)
    return password


def _acceptable_password(session: Session, person: passwords.Person) -> str:
    """A random password that Connect's policy takes for `person`: a random one may still
    hold a part of their name ("aDEMOp…")."""
    while True:
        password = secrets.token_urlsafe(12)
        if not passwords.problems(password, person, settings_of(session).password_min_length):
            return password

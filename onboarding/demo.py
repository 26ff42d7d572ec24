"""The demo data of the embedded run: one organization and its administrator, made once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding import people
from onboarding.errors import NotFound
from onboarding.models import Person

ORGANIZATION = "Demo Organization"
ROLES = ("admin", "editor", "viewer")
ADMIN_EMAIL = "admin@example.com"


@dataclass(frozen=True)
class Demo:
    organization_id: int
    organization_name: str
    admin_email: str


def seed(session: Session) -> Demo:
    """Create the demo organization and its administrator unless they exist; safe to rerun.

    The administrator is a superadmin, so they administer the demo organization (and any
    other) without an invitation of their own.
    """
    try:
        organization = people.find_organization(session, "demo-organization")
    except NotFound:
        organization = people.create_organization(session, ORGANIZATION, ROLES)
    admin = session.scalar(select(Person).where(Person.email == ADMIN_EMAIL))
    if admin is None:
        admin = Person(email=ADMIN_EMAIL, first_name="Demo", last_name="Admin")
        session.add(admin)
    admin.is_superadmin = True
    session.flush()
    return Demo(organization.id, organization.name, admin.email)

"""Fixtures for SCIM: an organization with its directory's token."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from onboarding.dashboard import api_tokens
from onboarding.dashboard.api_tokens import Purpose
from onboarding.db import unit_of_work
from tests import helpers


@pytest.fixture
def acme(factory: sessionmaker[Session]) -> dict[str, Any]:
    """Acme (roles admin, editor, viewer) and the bearer headers of its directory's token."""
    with unit_of_work(factory) as session:
        organization = helpers.organization(session, "Acme")
        viewer = next(role for role in organization.roles if role.name == "viewer")
        _, raw = api_tokens.issue(
            session,
            organization,
            "okta",
            actor="boss@acme.example",
            purpose=Purpose.scim,
            default_role=viewer,
        )
        return {"id": organization.id, "token": raw, "headers": {"Authorization": f"Bearer {raw}"}}

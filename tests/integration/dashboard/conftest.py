"""Fixtures for the dashboard: admins logged in through the session."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from onboarding.people.models import Person
from tests.helpers import log_in_to_app


@pytest.fixture
def log_in() -> Callable[[FlaskClient, Person], None]:
    return log_in_to_app

"""Fixtures for the dashboard: the app, a client, and admins logged in through the session."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from onboarding.people.models import Person
from tests.helpers import log_in_to_app
from web import create_app


@pytest.fixture
def app(factory: sessionmaker[Session]) -> Flask:
    return create_app({"TESTING": True, "RATELIMIT_ENABLED": False})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def log_in() -> Callable[[FlaskClient, Person], None]:
    return log_in_to_app

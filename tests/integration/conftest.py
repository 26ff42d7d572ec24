"""The app under test, on the database of the `factory` fixture (SQLite and PostgreSQL), and a
client of it. Folders that need another configuration override `app`."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from web import create_app


@pytest.fixture
def app(factory: sessionmaker[Session]) -> Flask:
    return create_app({"TESTING": True, "RATELIMIT_ENABLED": False})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()

"""Fixtures shared by every test: settings, and a real database on each available backend.

Tests that take `factory` run once on SQLite and once on PostgreSQL (a database of their own,
created for the run and dropped after). Without a reachable PostgreSQL the PostgreSQL runs are
skipped, unless ONBOARDING_REQUIRE_POSTGRES=1 (CI), which turns that into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from onboarding.db import Base, engine_for, make_engine, make_session_factory
from onboarding.migrate import upgrade
from onboarding.settings import Settings, use_settings

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("ONBOARDING_REQUIRE_POSTGRES") == "1"


def test_settings(tmp_path: Path, **overrides: str) -> Settings:
    env = {
        "ONBOARDING_ENV": "test",
        "ONBOARDING_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "test-secret-key-0123456789",
        "APP_BASE_URL": "http://app.test",
        "OIDC_ISSUER": "http://connect.test",
        "CONNECT_ISSUER": "http://connect.test",
        **overrides,
    }
    return Settings.from_env(env)


# Settings name the test's database when the test has one (and apps built on them use it).
_DATABASE_URLS = ("database_url", "postgres_url")


@pytest.fixture(autouse=True)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    database = next((name for name in _DATABASE_URLS if name in request.fixturenames), None)
    overrides = {"DATABASE_URL": request.getfixturevalue(database)} if database else {}
    current = test_settings(tmp_path, **overrides)
    use_settings(current)
    yield current
    use_settings(None)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"onboarding_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any connection failure means "no server"
        admin.dispose()
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL required but unreachable at {POSTGRES_URL}: {error}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def engine(request: pytest.FixtureRequest, database_url: str) -> Iterator[Engine]:
    if database_url.startswith("postgresql"):
        yield request.getfixturevalue("postgres_engine")
        return
    engine = engine_for(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = engine_for(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine, settings: Settings) -> Iterator[sessionmaker[Session]]:
    """A session factory on a database that is empty at the start of each test."""
    yield from _clean_factory(engine, settings)


@pytest.fixture
def postgres_factory(
    postgres_engine: Engine, settings: Settings
) -> Iterator[sessionmaker[Session]]:
    """Like `factory`, on PostgreSQL only (row locks, SKIP LOCKED)."""
    yield from _clean_factory(postgres_engine, settings)


def _clean_factory(engine: Engine, settings: Settings) -> Iterator[sessionmaker[Session]]:
    yield make_session_factory(engine, settings)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one open transaction, committed at the end of the test."""
    with factory() as session, session.begin():
        yield session

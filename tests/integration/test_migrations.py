"""Alembic migrations produce exactly the models' schema, and fill in what they add."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from onboarding.db import Base, make_engine
from onboarding.migrate import upgrade


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


# id, state now, the to_state of each history row after "create"
BACKFILL_CASES = [
    (1, "created", []),
    (2, "expired", ["invited", "registered", "expired"]),
    (3, "invited", ["invited", "logged_in", "expired", "invited"]),
    (4, "revoked", ["revoked"]),
    (5, "accepted", ["invited", "registered", "activated", "logged_in", "accepted"]),
]


@pytest.fixture
def empty_engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own, without any tables, on the backend of `database_url`."""
    if database_url.startswith("sqlite"):
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    name = f"onboarding_migration_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_backfills_the_furthest_step_of_each_journey_from_its_history(empty_engine):
    upgrade(empty_engine, "0004_dashboard")
    at = "2026-01-01 00:00:00"
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organizations (id, name, slug, created_at)  VALUES (1, 'O', 'o', :at)"
            ),
            {"at": at},
        )
        for journey_id, state, entered in BACKFILL_CASES:
            conn.execute(
                text(
                    "INSERT INTO people (id, email, first_name, last_name, language, is_superadmin,"
                    " created_at) VALUES (:id, :email, 'A', 'B', 'en', false, :at)"
                ),
                {"id": journey_id, "email": f"p{journey_id}@example.com", "at": at},
            )
            conn.execute(
                text(
                    "INSERT INTO journeys (id, person_id, organization_id, state, version,"
                    " state_entered_at, created_at) VALUES (:id, :id, 1, :state, 1, :at, :at)"
                ),
                {"id": journey_id, "state": state, "at": at},
            )
            before = None
            for to_state in ["created", *entered]:
                conn.execute(
                    text(
                        "INSERT INTO journey_events (journey_id, at, actor, trigger, from_state,"
                        " to_state, detail) VALUES (:id, :at, 'x', 't', :before, :to, '{}')"
                    ),
                    {"id": journey_id, "at": at, "before": before, "to": to_state},
                )
                before = to_state
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        furthest = dict(conn.execute(text("SELECT id, furthest_state FROM journeys")).all())
    assert furthest == {
        1: "created",
        2: "registered",
        3: "logged_in",
        4: "created",
        5: "accepted",
    }


def test_upgrade_widens_the_account_state_and_keeps_every_account_token(empty_engine):
    upgrade(empty_engine, "0006_funnel")
    at = "2026-01-01 00:00:00"
    with empty_engine.begin() as conn:
        _an_account(conn, "registered", at)
        conn.execute(
            text(
                "INSERT INTO connect_account_tokens (token_hash, purpose, account_id,"
                " created_at, expires_at) VALUES ('h', 'activation', 1, :at, :at)"
            ),
            {"at": at},
        )
    upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text("UPDATE connect_accounts SET state = 'activation_expired'"))
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT state FROM connect_accounts")).scalar_one() == (
            "activation_expired"
        )
        assert conn.execute(text("SELECT count(*) FROM connect_account_tokens")).scalar_one() == 1


def test_upgrade_widens_the_journey_states_and_keeps_every_history_row(empty_engine):
    upgrade(empty_engine, "0007_activation")
    at = "2026-01-01 00:00:00"
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organizations (id, name, slug, created_at)  VALUES (1, 'O', 'o', :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO people (id, email, first_name, last_name, language, is_superadmin,"
                " created_at) VALUES (1, 'p@example.com', 'A', 'B', 'en', false, :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO journeys (id, person_id, organization_id, state, version,"
                " state_entered_at, created_at) VALUES (1, 1, 1, 'invited', 1, :at, :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO journey_events (journey_id, at, actor, trigger, from_state,"
                " to_state, detail) VALUES (1, :at, 'x', 'invite', 'created', 'invited', '{}')"
            ),
            {"at": at},
        )
    upgrade(empty_engine)
    state = "s" * 32
    with empty_engine.begin() as conn:
        conn.execute(text("UPDATE journeys SET state = :s, furthest_state = :s"), {"s": state})
        conn.execute(text("UPDATE journey_events SET from_state = :s, to_state = :s"), {"s": state})
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT state, furthest_state FROM journeys")).one() == (
            state,
            state,
        )
        assert conn.execute(text("SELECT from_state, to_state FROM journey_events")).one() == (
            state,
            state,
        )


def test_upgrade_gives_each_journey_the_names_of_its_person(empty_engine):
    upgrade(empty_engine, "0009_rate_limits")
    at = "2026-01-01 00:00:00"
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organizations (id, name, slug, created_at) VALUES"
                " (1, 'O', 'o', :at), (2, 'P', 'p', :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO people (id, email, first_name, last_name, language, is_superadmin,"
                " created_at) VALUES (1, 'p@example.com', 'Ada', 'Lovelace', 'en', false, :at),"
                " (2, 'q@example.com', 'Bo', '', 'en', false, :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO journeys (id, person_id, organization_id, state, version,"
                " state_entered_at, created_at) VALUES (1, 1, 1, 'invited', 1, :at, :at),"
                " (2, 1, 2, 'created', 1, :at, :at), (3, 2, 1, 'created', 1, :at, :at)"
            ),
            {"at": at},
        )
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        names = conn.execute(text("SELECT id, first_name, last_name FROM journeys ORDER BY id"))
        assert names.all() == [(1, "Ada", "Lovelace"), (2, "Ada", "Lovelace"), (3, "Bo", "")]


def test_upgrade_keeps_a_repeated_nonce_with_its_first_code_only(empty_engine):
    upgrade(empty_engine, "0020_time_zone")
    at = "2026-01-01 00:00:00"
    with empty_engine.begin() as conn:
        _an_account(conn, "activated", at)
        for code_id, client, nonce in [(1, "app", "n"), (2, "app", "n"), (3, "other", "n")]:
            conn.execute(
                text(
                    "INSERT INTO connect_authorization_codes (id, code_hash, client_id,"
                    " account_id, redirect_uri, scope, nonce, code_challenge,"
                    " code_challenge_method, auth_time, created_at, expires_at)"
                    " VALUES (:id, :hash, :client, 1, 'http://app.test/cb', 'openid', :nonce,"
                    " 'c', 'S256', 0, :at, :at)"
                ),
                {"id": code_id, "hash": f"h{code_id}", "client": client, "nonce": nonce, "at": at},
            )
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        nonces = conn.execute(text("SELECT id, nonce FROM connect_authorization_codes")).all()
    assert sorted(nonces) == [(1, "n"), (2, None), (3, "n")]


def _an_account(conn, state: str, at: str) -> None:
    """Connect's account 1, in `state`, as the tables of an older revision hold it."""
    conn.execute(
        text(
            "INSERT INTO connect_accounts (id, subject, email, first_name, last_name,"
            " language, state, version, created_at)"
            " VALUES (1, 's', 'a@example.com', 'A', 'B', 'en', :state, 1, :at)"
        ),
        {"state": state, "at": at},
    )

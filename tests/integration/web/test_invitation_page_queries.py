"""The invitation page reads its link once, with what it shows, and records a fetch without
loading the history and without a savepoint; on PostgreSQL without a transaction either."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Connection

from onboarding.db import unit_of_work
from onboarding.journeys.history import Fact
from onboarding.journeys.models import JourneyEvent
from tests import helpers


@contextmanager
def statements(app, on_their_own: list[bool] | None = None) -> Iterator[list[str]]:
    """The statements the app runs, and in `on_their_own` whether each commits by itself
    (outside a transaction)."""
    factories = ("session_factory", "reading_session_factory")
    engines = {app.extensions[name].kw["bind"] for name in factories}
    seen: list[str] = []

    def record(conn: Connection, cursor, statement, *args):
        seen.append(" ".join(statement.split()))
        if on_their_own is not None:
            on_their_own.append(getattr(conn.connection.dbapi_connection, "autocommit", False))

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


def queries(seen: list[str]) -> list[str]:
    """The statements `seen`, without SQLite's BEGIN (a round trip only on PostgreSQL)."""
    return [s for s in seen if not s.startswith("BEGIN")]


def invitation(factory) -> str:
    with unit_of_work(factory) as session:
        org = helpers.organization(session, "Acme")
        admin = helpers.admin_of(session, org)
        journey = helpers.invitee(session, org, roles=("viewer", "editor"), invited_by=admin)
        return helpers.invitation_path(session, journey)


def test_a_valid_link_is_checked_once_with_what_its_page_shows(app, client, factory):
    path = invitation(factory)
    with statements(app) as seen:
        page = client.get(path)
    assert page.status_code == 200
    assert "editor, viewer" in page.text
    # The link with its status, journey, person, organization, inviter and roles.
    assert sum("FROM link_tokens" in s and "roles" in s for s in seen) == 1


def test_on_postgresql_the_check_and_the_fetch_are_one_statement(app, client, factory):
    path = invitation(factory)
    with statements(app) as seen:
        assert client.get(path).status_code == 200
    postgresql = factory.kw["bind"].dialect.name == "postgresql"
    assert len(queries(seen)) == (1 if postgresql else 2)


def test_a_fetch_is_recorded_without_reading_the_history(app, client, factory):
    path = invitation(factory)
    with statements(app) as seen:
        client.get(path)
    assert not any(s.startswith("SELECT") and "journey_events" in s for s in seen)
    assert sum("INSERT INTO journey_events" in s for s in seen) == 1
    assert not any(s.startswith("SAVEPOINT") for s in seen)
    with factory() as session:
        fetches = session.query(JourneyEvent).filter_by(trigger=Fact.link_fetched).count()
    assert fetches == 1


def test_only_a_valid_link_has_its_fetch_recorded(app, client, factory):
    path = invitation(factory)
    with unit_of_work(factory) as session:
        session.execute(text("UPDATE link_tokens SET used_at = expires_at"))
    assert client.get(path).status_code == 410
    with factory() as session:
        assert session.query(JourneyEvent).filter_by(trigger=Fact.link_fetched).count() == 0


def test_an_unknown_link_costs_one_query(app, client):
    with statements(app) as seen:
        assert client.get("/invitations/" + "x" * 43).status_code == 404
    assert len(queries(seen)) == 1


def test_a_fetch_that_cannot_be_recorded_still_shows_the_page(app, client, factory, monkeypatch):
    path = invitation(factory)
    fails = text("INSERT INTO no_such_table VALUES (1)")
    # The note on its own (SQLite), or the check with the note (PostgreSQL).
    monkeypatch.setattr(
        "onboarding.dashboard.link_hits.record_fetch",
        lambda session, *_, **__: session.execute(fails),
    )
    monkeypatch.setattr("onboarding.dashboard.link_hits.CHECK_AND_NOTE", fails)
    page = client.get(path)
    assert page.status_code == 200
    assert "Join Acme" in page.text
    assert client.get(path).status_code == 200
    with factory() as session:
        assert session.query(JourneyEvent).filter_by(trigger=Fact.link_fetched).count() == 0


def test_on_postgresql_the_page_runs_each_statement_on_its_own_and_the_click_in_one_transaction(
    app, client, factory
):
    path = invitation(factory)
    postgresql = factory.kw["bind"].dialect.name == "postgresql"
    on_their_own: list[bool] = []
    with statements(app, on_their_own):
        assert client.get(path).status_code == 200
    assert on_their_own and set(on_their_own) == {postgresql}
    on_their_own.clear()
    with statements(app, on_their_own):
        assert client.post(path, data={"then": "create"}).status_code == 302
    assert on_their_own and not any(on_their_own)


def test_on_postgresql_a_fetch_is_committed_without_waiting_for_the_disk(app, factory):
    reading = app.extensions["reading_session_factory"]
    if reading.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite has no asynchronous commit")
    with reading() as session:
        assert session.scalar(text("SHOW synchronous_commit")) == "off"
    with factory() as session:
        assert session.scalar(text("SHOW synchronous_commit")) == "on"

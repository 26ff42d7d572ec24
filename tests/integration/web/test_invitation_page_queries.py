"""The invitation page reads its link once, with what it shows, and records a fetch without
loading the history and without a savepoint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, text

from onboarding.db import unit_of_work
from onboarding.journeys.history import Fact
from onboarding.journeys.models import JourneyEvent
from tests import helpers


@contextmanager
def statements(app) -> Iterator[list[str]]:
    engine = app.extensions["session_factory"].kw["bind"]
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


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
    selects = [s for s in seen if s.startswith("SELECT")]
    assert sum("FROM link_tokens" in s for s in selects) == 1
    # The link with its journey, person, organization, inviter and roles.
    assert len(selects) == 1


def test_a_fetch_is_recorded_without_reading_the_history(app, client, factory):
    path = invitation(factory)
    with statements(app) as seen:
        client.get(path)
    assert not any(s.startswith("SELECT") and "journey_events" in s for s in seen)
    writes = [s for s in seen if s.startswith("INSERT")]
    assert len(writes) == 1 and "journey_events" in writes[0]
    assert not any(s.startswith("SAVEPOINT") for s in seen)
    with factory() as session:
        fetches = session.query(JourneyEvent).filter_by(trigger=Fact.link_fetched).count()
    assert fetches == 1


def test_an_unknown_link_costs_one_query(app, client):
    with statements(app) as seen:
        assert client.get("/invitations/" + "x" * 43).status_code == 404
    assert len([s for s in seen if s.startswith("SELECT")]) == 1


def test_a_fetch_that_cannot_be_recorded_still_shows_the_page(app, client, factory, monkeypatch):
    path = invitation(factory)

    def fails(session, *args, **kwargs):
        session.execute(text("INSERT INTO no_such_table VALUES (1)"))

    monkeypatch.setattr("web.invitations.record_fetch", fails)
    page = client.get(path)
    assert page.status_code == 200
    assert "Join Acme" in page.text
    assert client.get(path).status_code == 200


def test_on_postgresql_only_the_fetch_is_committed_without_waiting_for_the_disk(
    app, client, factory
):
    path = invitation(factory)
    relaxed = "SET LOCAL synchronous_commit TO off"
    postgresql = factory.kw["bind"].dialect.name == "postgresql"
    with statements(app) as seen:
        client.get(path)
    assert (relaxed in seen) is postgresql
    with statements(app) as seen:
        assert client.post(path, data={"then": "create"}).status_code == 302
    assert relaxed not in seen

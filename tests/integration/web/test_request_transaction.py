"""One transaction per request: views never commit; a success keeps their changes, an
exception or an error answer keeps none, and a GET that records something does so."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from onboarding import journeys
from onboarding.db import unit_of_work
from onboarding.errors import ValidationError
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.people.models import Organization
from tests.helpers import admin_of, invitation_path, invitee, log_in_to_app, organization
from web import create_connect_app
from web.db import db_session, keep_changes_of_refusal, reads_only


def _write_organization(slug: str) -> None:
    db_session().add(Organization(name=slug, slug=slug))
    db_session().flush()


@pytest.fixture
def app(app):
    """The app, with views that write an organization and then answer in different ways."""

    @app.post("/test/writes-then/<outcome>")
    def writes_then(outcome: str):
        _write_organization(f"org-{outcome}")
        if outcome == "raises-domain-error":
            raise ValidationError("Refused after writing.")
        if outcome == "raises":
            raise RuntimeError("a bug after writing")
        if outcome == "refuses":
            return {"refused": True}, 422
        if outcome == "refuses-and-keeps":
            keep_changes_of_refusal()
            return {"refused": True}, 400
        return {"created": True}, 201

    @app.post("/test/loses-a-race/<int:journey_id>")
    def loses_a_race(journey_id: int):
        _write_organization("org-of-the-loser")
        session = db_session()
        loaded = session.get(Journey, journey_id)
        # Another request changes the journey after this one loaded it.
        table = Journey.__table__
        session.execute(
            table.update().where(table.c.id == journey_id).values(version=table.c.version + 1)
        )
        journeys.resend(session, journey_id, actor="the loser")
        return {"resent": loaded.id}

    return app


def organizations(factory) -> list[str]:
    with unit_of_work(factory) as session:
        return list(session.scalars(select(Organization.slug).order_by(Organization.slug)))


def triggers(factory, journey_id: int) -> list[str]:
    with unit_of_work(factory) as session:
        return list(
            session.scalars(
                select(JourneyEvent.trigger)
                .where(JourneyEvent.journey_id == journey_id)
                .order_by(JourneyEvent.id)
            )
        )


@pytest.fixture
def invited(factory) -> tuple[int, str]:
    with unit_of_work(factory) as session:
        journey = invitee(session, organization(session, "Acme"), email="ann@example.com")
        return journey.id, invitation_path(session, journey)


def test_a_successful_answer_commits_what_the_view_wrote(client, factory):
    response = client.post("/test/writes-then/succeeds")
    assert response.status_code == 201
    assert organizations(factory) == ["org-succeeds"]


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("raises-domain-error", 422), ("raises", 500), ("refuses", 422)],
)
def test_a_view_that_fails_after_writing_leaves_nothing(app, client, factory, outcome, status):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug answers 500, as in production
    response = client.post(f"/test/writes-then/{outcome}")
    assert response.status_code == status
    assert organizations(factory) == []


def test_a_domain_error_keeps_its_message_and_status(client, factory):
    response = client.post(
        "/test/writes-then/raises-domain-error", headers={"Accept": "application/json"}
    )
    assert response.get_json()["error"]["message"] == "Refused after writing."


def test_a_refusal_that_must_leave_a_trace_keeps_its_changes(client, factory):
    response = client.post("/test/writes-then/refuses-and-keeps")
    assert response.status_code == 400
    assert organizations(factory) == ["org-refuses-and-keeps"]


def test_the_loser_of_a_race_gets_409_with_a_page_that_reads_the_database(factory, client, invited):
    journey_id, _ = invited
    with unit_of_work(factory) as session:
        admin = admin_of(session, organization(session, "Admins"))
    # Logged in: the error page asks the database whom to show in the navigation.
    log_in_to_app(client, admin)
    before = triggers(factory, journey_id)
    response = client.post(f"/test/loses-a-race/{journey_id}")
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    assert triggers(factory, journey_id) == before
    assert "org-of-the-loser" not in organizations(factory)


def test_a_post_is_committed_though_the_view_never_commits(client, factory, invited):
    journey_id, path = invited
    response = client.post(path)
    assert response.status_code == 302
    assert triggers(factory, journey_id)[-1] == "link_opened"


def test_the_invitation_get_records_the_fetch_and_changes_no_state(client, factory, invited):
    journey_id, path = invited
    with unit_of_work(factory) as session:
        before = session.get(Journey, journey_id)
        state, version = before.state, before.version
    assert client.get(path).status_code == 200
    assert client.head(path).status_code == 200
    assert triggers(factory, journey_id)[-2:] == ["link_fetched", "link_fetched"]
    with unit_of_work(factory) as session:
        after = session.get(Journey, journey_id)
        assert (after.state, after.version) == (state, version)


def test_connect_uses_the_same_request_transaction(factory):
    connect = create_connect_app({"TESTING": True, "WTF_CSRF_ENABLED": False})

    @connect.post("/test/writes-then/<outcome>")
    def writes_then(outcome: str):
        _write_organization(f"connect-{outcome}")
        return {}, 201 if outcome == "succeeds" else 422

    client = connect.test_client()
    assert client.post("/test/writes-then/succeeds").status_code == 201
    assert client.post("/test/writes-then/refuses").status_code == 422
    assert organizations(factory) == ["connect-succeeds"]


@pytest.fixture
def losing_app(app, factory):
    """The app on PostgreSQL, with a view whose database connection is terminated midway."""
    engine = factory.kw["bind"]
    if engine.dialect.name != "postgresql":
        pytest.skip("terminates a PostgreSQL backend")

    @app.get("/test/loses-its-connection/<then>")
    def loses_its_connection(then: str):
        session = db_session()
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        if then == "reads":
            session.execute(text("SELECT 1"))
        return {"refused": True}, 404

    @app.get("/test/reads-and-loses-its-connection")
    @reads_only
    def reads_and_loses_its_connection():
        return loses_its_connection("reads")

    return app


def _restart_database_connections(app, engine) -> None:
    """What a restart of the database does to the app's pooled connections."""
    reading = app.extensions["reading_session_factory"].kw["bind"]
    with reading.connect() as pooled:
        pid = pooled.execute(text("SELECT pg_backend_pid()")).scalar()
    with engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def test_a_connection_lost_during_a_request_answers_503_to_send_again(losing_app):
    client = losing_app.test_client()
    response = client.get("/test/loses-its-connection/reads", headers={"Accept": "text/html"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "please try again" in response.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200


def test_a_connection_lost_after_the_answer_was_made_keeps_the_answer(losing_app):
    client = losing_app.test_client()
    response = client.get("/test/loses-its-connection/answers")
    assert (response.status_code, response.json) == (404, {"refused": True})


def test_a_page_that_only_reads_is_shown_after_a_restart_of_the_database(
    losing_app, factory, invited
):
    journey_id, path = invited
    client = losing_app.test_client()
    assert client.get(path).status_code == 200
    _restart_database_connections(losing_app, factory.kw["bind"])
    page = client.get(path)
    assert page.status_code == 200
    assert "Join Acme" in page.text
    assert triggers(factory, journey_id)[-2:] == ["link_fetched", "link_fetched"]


def test_a_page_that_only_reads_answers_503_when_its_connection_is_lost_twice(losing_app):
    client = losing_app.test_client()
    response = client.get("/test/reads-and-loses-its-connection")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"

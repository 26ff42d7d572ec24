"""/metrics: the onboarding figures in Prometheus text format, read from the database."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from onboarding.journeys import history
from onboarding.outbox.models import OutboxMessage
from tests import helpers
from tests.helpers import organization


def samples(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_metrics_count_journeys_transitions_outbox_latency_and_nudges(client, factory):
    now = utcnow()
    with unit_of_work(factory) as session:
        org = organization(session, "Acme")
        ids = []
        for email in ("a@example.com", "b@example.com", "c@example.com"):
            journey = helpers.journey(session, org, email=email, now=now)
            journeys.invite(session, journey.id, actor="admin", now=now)
            ids.append(journey.id)
        journeys.revoke(session, ids[2], actor="admin", now=now)
        history.note(session, session.get(type(journey), ids[0]), "nudge", actor="nudges", now=now)
        mails = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        mails[0].status, mails[0].sent_at = "sent", mails[0].created_at + timedelta(seconds=3)
        mails[1].status, mails[1].last_error = "dead", "550 no such user"
    found = samples(client)
    assert found[("onboarding_journeys", (("organization", "acme"), ("state", "invited")))] == 2
    assert found[("onboarding_journeys", (("organization", "acme"), ("state", "revoked")))] == 1
    assert found[("onboarding_transitions_total", (("trigger", "invite"),))] == 3
    assert found[("onboarding_transitions_total", (("trigger", "revoke"),))] == 1
    assert found[("onboarding_outbox_backlog", ())] == 1
    assert found[("onboarding_outbox_dead_letters", ())] == 1
    assert found[("onboarding_mail_send_latency_seconds_count", ())] == 1
    assert found[("onboarding_mail_send_latency_seconds_bucket", (("le", "1.0"),))] == 0
    assert found[("onboarding_mail_send_latency_seconds_bucket", (("le", "5.0"),))] == 1
    assert found[("onboarding_nudges_total", ())] == 1


def test_metrics_merge_what_other_processes_wrote_to_the_multiprocess_directory(
    factory, settings, tmp_path
):
    from web import create_app

    # Another (gunicorn worker) process counts something in the shared directory and exits.
    other = (
        "from prometheus_client import Counter; "
        "Counter('worker_jobs', 'Jobs done by a worker.').inc(3)"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", other], env=env, check=True)
    merging = settings.with_overrides(prometheus_multiproc_dir=str(tmp_path))
    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False}, settings=merging)
    found = samples(app.test_client())
    assert found[("worker_jobs_total", ())] == 3
    assert ("onboarding_outbox_backlog", ()) in found


def test_with_a_metrics_token_only_its_bearer_reads_the_metrics(factory, settings):
    from web import create_app

    client = create_app(
        settings=settings.with_overrides(metrics_token="scrape-secret")
    ).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    allowed = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert allowed.status_code == 200 and b"onboarding_journeys" in allowed.data


def test_in_production_without_a_token_there_are_no_metrics(factory, settings):
    from web import create_app

    production = settings.with_overrides(environment="production")
    assert create_app(settings=production).test_client().get("/metrics").status_code == 404


def test_the_api_is_rate_limited_per_client(factory):
    from web import create_app
    from web.dashboard.wiring import API_RATE_LIMIT

    # The limiter is one per process; other tests' apps switch it off.
    client = create_app({"RATELIMIT_ENABLED": True}).test_client()
    allowed = int(API_RATE_LIMIT.split()[0])
    # A client address of its own, so that no other test's requests count against it.
    address = {"REMOTE_ADDR": f"192.0.2.{os.getpid() % 250 + 1}"}
    statuses = [
        client.get("/api/funnel", environ_base=address).status_code for _ in range(allowed + 1)
    ]
    assert set(statuses[:allowed]) == {401} and statuses[-1] == 429


def test_metrics_time_each_route_of_the_app_by_its_rule(client, factory):
    route = (("application", "app"), ("method", "GET"), ("route", "/invitations/<token>"))
    before = samples(client).get(("http_request_duration_seconds_count", route), 0)
    for token in ("not-a-token", "another-one"):
        client.get(f"/invitations/{token}")
    found = samples(client)
    assert found[("http_request_duration_seconds_count", route)] - before == 2
    # The rule names the route: no path (nor the token in it) becomes a label.
    assert not any("not-a-token" in str(labels) for _, labels in found)

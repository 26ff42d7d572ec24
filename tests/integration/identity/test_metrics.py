"""Connect's /metrics: log-ins, failures, registrations, throttled requests, and the latency of
each route, as counted by this process (the counters are the process's: compared before and
after)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import activated_account, log_in_to_connect
from tests.integration.identity.test_registration import register_form


def samples(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_connect_counts_log_ins_failures_registrations_throttles_and_route_latency(
    factory, connect_settings
):
    from web import create_connect_app

    client = create_connect_app({"LIMIT_LOGIN_FAILURES_PER_ACCOUNT": "2 per minute"}).test_client()
    activated_account(factory)
    failures = ("connect_log_in_failures_total", (("endpoint", "login.login_post"),))
    throttled = ("connect_throttled_requests_total", (("route", "/login"),))
    log_ins = ("connect_log_ins_total", ())
    registrations = ("connect_registrations_total", ())
    latency = (
        "http_request_duration_seconds_count",
        (("application", "connect"), ("method", "POST"), ("route", "/login")),
    )
    before = samples(client)

    assert log_in_to_connect(client).status_code == 302
    assert (
        client.post("/register", data=register_form(client, email="bo@example.com")).status_code
        == 303
    )
    for _ in range(2):
        assert log_in_to_connect(client, password="wrong password").status_code == 200
    assert log_in_to_connect(client, password="wrong password").status_code == 429

    after = samples(client)
    grew = {
        name: after[name] - before.get(name, 0)
        for name in (log_ins, failures, registrations, throttled, latency)
    }
    assert grew == {log_ins: 1, failures: 2, registrations: 1, throttled: 1, latency: 4}
    # Connect publishes no figures of the app's database.
    assert not any(name.startswith("onboarding_") for name, _ in after)

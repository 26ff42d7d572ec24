"""What Connect counts for Prometheus (served on its /metrics, see web/metrics.py): log-ins,
failed attempts, registrations and throttled requests."""

from __future__ import annotations

from flask import Flask, request
from prometheus_client import Counter
from werkzeug.wrappers import Response

LOG_INS = Counter("connect_log_ins", "Sessions started at Connect (a log-in completed).")
LOG_IN_FAILURES = Counter(
    "connect_log_in_failures",
    "Failed attempts at Connect: a wrong password, or a wrong second-factor code, by endpoint.",
    ["endpoint"],
)
REGISTRATIONS = Counter(
    "connect_registrations", "Registrations accepted by Connect's form (each queued once)."
)
THROTTLED = Counter(
    "connect_throttled_requests", "Requests Connect refused for a rate limit (429).", ["route"]
)
_REGISTER_ENDPOINT = "register.register_post"


def init_connect_metrics(app: Flask) -> None:
    """Count Connect's registrations and throttled requests from its answers."""

    @app.after_request
    def count(response: Response) -> Response:
        if response.status_code == 429:
            THROTTLED.labels(request.url_rule.rule if request.url_rule else "unmatched").inc()
        elif request.endpoint == _REGISTER_ENDPOINT and response.status_code == 303:
            REGISTRATIONS.inc()
        return response

"""Each request under its request id, with one log line and one latency observation.

The id comes from `X-Request-ID` (set by the client or the proxy in front) when usable, else it
is made here; the answer returns it, and the log lines and outbox rows the request writes carry
it (`onboarding.logs`). The line and the histogram name the route by its rule, never by its
path, which may hold a link's secret.
"""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack

from flask import Flask, g, request
from prometheus_client import Histogram
from werkzeug.wrappers import Response

from onboarding.logs import bound, request_id_from

HEADER = "X-Request-ID"
log = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time from a request's first hook to its answer, per application, route and method.",
    ["application", "route", "method"],
)


def init_request_log(app: Flask, application: str) -> None:
    """Request ids, the request line and latency per route for `app`, named `application` in
    the metrics. Call first, so that every later hook (limits, CSRF) runs under the id."""

    @app.before_request
    def begin() -> None:
        g.request_started = time.perf_counter()
        g.request_id = request_id_from(request.headers.get(HEADER))
        g.request_context = ExitStack()
        g.request_context.enter_context(bound(g.request_id))

    @app.after_request
    def answer(response: Response) -> Response:
        if "request_id" not in g:
            return response
        route = request.url_rule.rule if request.url_rule else "unmatched"
        seconds = time.perf_counter() - g.request_started
        REQUEST_SECONDS.labels(application, route, request.method).observe(seconds)
        response.headers[HEADER] = g.request_id
        log.info(
            "request",
            extra={
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
        return response

    @app.teardown_request
    def end(_error: BaseException | None) -> None:
        context = g.pop("request_context", None)
        if context is not None:
            context.close()

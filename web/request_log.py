"""Each request under its request id, with one log line and one latency observation.

The id comes from `X-Request-ID` (set by the client or the proxy in front) when usable, else it
is made here; the answer returns it, and the log lines and outbox rows the request writes carry
it (`onboarding.logs`). The line and the histogram name the route by its rule, never by its
path, which may hold a link's secret.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import NamedTuple

from flask import Flask, g, request
from prometheus_client import Histogram
from werkzeug.wrappers import Response

from onboarding.logs import bind, request_id_from

HEADER = "X-Request-ID"
_HEADER_IN_ENVIRON = "HTTP_X_REQUEST_ID"
log = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time from a request's first hook to its answer, per application, route and method.",
    ["application", "route", "method"],
)


class _Begun(NamedTuple):
    started: float
    request_id: str
    unbind: Callable[[], None]


def init_request_log(app: Flask, application: str) -> None:
    """Request ids, the request line and latency per route for `app`, named `application` in
    the metrics. Call first, so that every later hook (limits, CSRF) runs under the id."""
    # One histogram child per route and method, looked up once rather than at every request.
    latencies: dict[tuple[str, str], Histogram] = {}

    @app.before_request
    def begin() -> None:
        request_id = request_id_from(request.environ.get(_HEADER_IN_ENVIRON))
        g.request_log = _Begun(time.perf_counter(), request_id, bind(request_id))

    @app.after_request
    def answer(response: Response) -> Response:
        begun: _Begun | None = g.get("request_log")
        if begun is None:
            return response
        seconds = time.perf_counter() - begun.started
        current = request._get_current_object()  # type: ignore[attr-defined]
        rule, method = current.url_rule, current.method
        route = rule.rule if rule else "unmatched"
        latency = latencies.get((route, method))
        if latency is None:
            latency = latencies[route, method] = REQUEST_SECONDS.labels(application, route, method)
        latency.observe(seconds)
        response.headers[HEADER] = begun.request_id
        if log.isEnabledFor(logging.INFO):
            fields = {
                "method": method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
            }
            # `log.info` without its search of the stack for the caller, known here.
            record = log.makeRecord(
                log.name, logging.INFO, __file__, 0, "request", (), None, "answer", fields
            )
            log.handle(record)
        return response

    @app.teardown_request
    def end(_error: BaseException | None) -> None:
        begun = g.pop("request_log", None)
        if begun is not None:
            begun.unbind()

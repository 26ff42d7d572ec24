"""/metrics for Prometheus, on the app and on Connect: what the process counts itself (request
latency per route, Connect's log-ins …) and, on the app, the onboarding figures read from the
database at each scrape.

Under gunicorn with PROMETHEUS_MULTIPROC_DIR set, the metrics that processes keep themselves
are merged from that directory, so any worker answers for all of them.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from onboarding.dashboard.metrics import DatabaseCollector
from web.db import sessions
from web.extensions import app_settings

bp = Blueprint("metrics", __name__)
_DATABASE_FIGURES = "metrics_database_figures"


def init_metrics(app: Flask, database_figures: bool) -> None:
    """Serve /metrics on `app`, with the onboarding figures of the database if asked."""
    app.extensions[_DATABASE_FIGURES] = database_figures
    app.register_blueprint(bp)


def registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    directory = app_settings().prometheus_multiproc_dir
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(REGISTRY)  # type: ignore[arg-type]  # this process's own metrics
    if current_app.extensions[_DATABASE_FIGURES]:
        registry.register(DatabaseCollector(lambda: sessions()()))
    return registry


@bp.get("/metrics")
def metrics() -> Response:
    expected = app_settings().metrics_token
    if expected:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            abort(401)
    elif app_settings().production:
        abort(404)  # figures name organizations: off in production until a token is set
    return Response(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)

"""/metrics for Prometheus: the onboarding figures, read from the database at each scrape.

Under gunicorn with PROMETHEUS_MULTIPROC_DIR set, the metrics that processes keep themselves
are merged from that directory as well, so any worker answers for all of them.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from onboarding.dashboard.metrics import DatabaseCollector
from web.db import sessions
from web.extensions import app_settings

bp = Blueprint("metrics", __name__)


def registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    directory = app_settings().prometheus_multiproc_dir
    if directory:
        MultiProcessCollector(registry, path=directory)
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

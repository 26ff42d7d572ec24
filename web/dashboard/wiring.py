"""Attach the dashboard, its JSON API, the SCIM service and /metrics to the app."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter

API_RATE_LIMIT = "300 per minute"


def register_dashboard(app: Flask, limiter: Limiter) -> None:
    from web import api, dashboard, metrics, scim

    # Per client address, on the shared limiter storage: a token is no licence to flood.
    limiter.limit(API_RATE_LIMIT)(api.bp)
    limiter.limit(API_RATE_LIMIT)(scim.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(scim.bp)
    metrics.init_metrics(app, database_figures=True)

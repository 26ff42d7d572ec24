"""Attach the dashboard, its JSON API and /metrics to the app."""

from __future__ import annotations

from flask import Flask


def register_dashboard(app: Flask) -> None:
    from web import api, dashboard, metrics

    app.register_blueprint(dashboard.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(metrics.bp)

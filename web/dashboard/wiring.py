"""Attach the dashboard, its JSON API, /metrics and the link-fetch recorder to the app."""

from __future__ import annotations

from flask import Flask


def register_dashboard(app: Flask) -> None:
    from web import api, dashboard, metrics
    from web.dashboard.link_hits import init_link_hits

    app.register_blueprint(dashboard.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(metrics.bp)
    init_link_hits(app)

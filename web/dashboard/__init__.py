"""The onboarding dashboard at /admin/onboarding: funnel, journeys, actions, bulk invite,
tokens, webhooks and the audit log."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/admin/onboarding")

from web.dashboard import (  # noqa: E402, F401  (routes on bp)
    api_tokens,
    audit,
    bulk,
    views,
    webhooks,
)
from web.dashboard.scope import NotLoggedIn, to_login  # noqa: E402

bp.register_error_handler(NotLoggedIn, to_login)

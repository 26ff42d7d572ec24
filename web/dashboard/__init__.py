"""The onboarding dashboard at /admin/onboarding: funnel, journeys, actions, bulk invite."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/admin/onboarding")

from web.dashboard import api_tokens, bulk, views  # noqa: E402, F401  (routes on bp)
from web.dashboard.scope import NotLoggedIn, to_login  # noqa: E402

bp.register_error_handler(NotLoggedIn, to_login)

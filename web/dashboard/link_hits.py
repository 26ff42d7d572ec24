"""Record every GET or HEAD of a mailed invitation link, for the scanner diagnosis.

Runs before the invitation page's own view and in a transaction of its own, so the page
behaves exactly as without it; a failure to record is logged, never shown to the invitee.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, request
from sqlalchemy.exc import SQLAlchemyError

from onboarding.dashboard.link_hits import record_fetch
from onboarding.db import unit_of_work
from web.db import sessions

INVITATION_PATH = re.compile(r"^/invitations/([A-Za-z0-9_-]{43})$")
log = logging.getLogger(__name__)


def init_link_hits(app: Flask) -> None:
    @app.before_request
    def record_invitation_fetch() -> None:
        match = INVITATION_PATH.match(request.path)
        if request.method not in ("GET", "HEAD") or match is None:
            return
        try:
            with unit_of_work(sessions()) as session:
                record_fetch(
                    session,
                    match.group(1),
                    method=request.method,
                    user_agent=request.user_agent.string,
                )
        except SQLAlchemyError:
            log.exception("could not record a fetch of an invitation link")

"""The app's receiving end of identity events (`/hooks/identity`): a signed JSON POST from
Connect (or any IdP that signs the same way), verified for signature and freshness, then
applied once."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request
from sqlalchemy.exc import IntegrityError

from onboarding.errors import ValidationError
from onboarding.outbox import webhooks
from onboarding.provider import account_events
from web.db import db_session
from web.extensions import app_settings, csrf

bp = Blueprint("hooks", __name__)


def _refuse(status: int, code: str, message: str) -> tuple[dict[str, Any], int]:
    return {"error": {"code": code, "message": message}}, status


@bp.post("/hooks/identity")
@csrf.exempt
def identity() -> Any:
    body = request.get_data(cache=True)
    try:
        webhooks.verify(
            app_settings().webhook_secret, body, request.headers.get(webhooks.SIGNATURE_HEADER)
        )
    except webhooks.BadSignature as error:
        return _refuse(401, "bad_signature", str(error))
    try:
        event = current_app.json.loads(body)
    except ValueError:
        return _refuse(400, "bad_json", "The body is not JSON.")
    session = db_session()
    try:
        advanced = account_events.receive(session, event)
    except ValidationError as error:
        return _refuse(422, error.code, str(error))
    except IntegrityError:
        # The same event, delivered twice at the same moment: the other delivery applied it.
        session.rollback()
        advanced = None
    if advanced is None:
        return {"status": "duplicate"}, 200
    return {"status": "applied", "journeys": advanced}, 200

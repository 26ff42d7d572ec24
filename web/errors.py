"""Error pages: a clear message and the right status, never a stack trace."""

from __future__ import annotations

import time

import pydantic
from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from onboarding.errors import (
    ConcurrentUpdate,
    Conflict,
    DomainError,
    Forbidden,
    InvitationExpired,
    NotFound,
    ValidationError,
)
from web import scim
from web.i18n import ngettext

MESSAGES = {
    400: "The request could not be understood.",
    401: "Please log in first.",
    403: "You do not have access to this page.",
    404: "There is nothing at this address.",
    405: "That action is not possible here.",
    429: "Too many attempts. Please wait a moment and try again.",
}
DOMAIN_STATUS = {
    NotFound: 404,
    Forbidden: 403,
    ConcurrentUpdate: 409,
    Conflict: 409,
    InvitationExpired: 410,
}
UNAVAILABLE = "The service is briefly unavailable. Nothing was changed: please try again."


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str, code: str | None = None):  # type: ignore[no-untyped-def]
    if wants_json():
        return {"error": {"code": code or str(status), "message": message}}, status
    return render_template("error.html", status=status, message=message), status


def refusal(error: pydantic.ValidationError) -> ValidationError:
    """A request's arguments or body that its model refuses, as the refusal shown for them."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    return ValidationError(f"{field}: {first['msg']}.", field)


def wait_message() -> str:
    """Too many attempts, and how long to wait: until the window of the breached limit ends."""
    resets = [
        limit.reset_at
        for limiter in current_app.extensions.get("limiter", ())
        if (limit := limiter.current_limit) is not None and limit.breached
    ]
    if not resets:
        return MESSAGES[429]
    minutes = max(1, round((max(resets) - time.time()) / 60))
    if minutes <= 90:
        return ngettext(
            "Too many attempts. Please wait %(num)d minute and try again.",
            "Too many attempts. Please wait %(num)d minutes and try again.",
            minutes,
        )
    return ngettext(
        "Too many attempts. Please wait %(num)d hour and try again.",
        "Too many attempts. Please wait %(num)d hours and try again.",
        round(minutes / 60),
    )


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        return error_response(
            400,
            "This form has expired or was sent from elsewhere. Go back, reload and try again.",
            "csrf",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        status = error.code or 500
        if status == 429:
            return error_response(status, wait_message())
        if request.path.startswith(scim.bp.url_prefix or "/scim"):
            return scim.error_answer(status, MESSAGES.get(status, error.description or "Error."))
        return error_response(status, MESSAGES.get(status, error.description or "Error."))

    @app.errorhandler(DBAPIError)
    def database_unavailable(error: DBAPIError):  # type: ignore[no-untyped-def]
        # A lost connection (a failover, a terminated backend): the request's transaction was
        # rolled back with it, so the same request may simply be sent again.
        if not error.connection_invalidated:
            raise error
        response = app.make_response(error_response(503, UNAVAILABLE, "unavailable"))
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):  # type: ignore[no-untyped-def]
        status = next((s for kind, s in DOMAIN_STATUS.items() if isinstance(error, kind)), 422)
        return error_response(status, str(error), error.code)

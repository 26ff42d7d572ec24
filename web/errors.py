"""Error pages: what happened and what to do next, in the reader's language, with the right
status; never a stack trace, a bare status code or a library's message."""

from __future__ import annotations

import time

import pydantic
from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from onboarding.errors import (
    ConcurrentUpdate,
    Conflict,
    DomainError,
    Forbidden,
    InvitationExpired,
    NotFound,
    ValidationError,
)
from web import scim, words
from web.i18n import N_, gettext, ngettext

# status -> (heading, what happened, what to do), each a catalog message
PAGES = {
    400: (
        N_("This request could not be used"),
        N_("The request could not be understood."),
        N_("Go back, reload the page and try again."),
    ),
    401: (
        N_("Please log in"),
        N_("Please log in first."),
        N_("Log in, then open this page again."),
    ),
    403: (
        N_("No access"),
        N_("You do not have access to this page."),
        N_("Log in with another account, or ask an administrator of your organization."),
    ),
    404: (
        N_("Page not found"),
        N_("There is nothing at this address."),
        N_("Check the address, or go to the start page."),
    ),
    405: (
        N_("Not possible here"),
        N_("That action is not possible here."),
        N_("Go back to the page you came from and use its buttons."),
    ),
    409: (
        N_("Changed in the meantime"),
        N_("Someone changed this at the same moment."),
        N_("Reload the page to see the latest state, then try again."),
    ),
    410: (
        N_("No longer available"),
        N_("This is no longer available."),
        N_("Ask the person who sent you the link for a new one."),
    ),
    422: (
        N_("That did not work"),
        N_("That is not possible."),
        N_("Go back, correct it and try again."),
    ),
    429: (
        N_("Too many attempts"),
        N_("Too many attempts. Please wait a moment and try again."),
        N_("Wait, then try again."),
    ),
    500: (
        N_("Something went wrong on our side"),
        N_("An unexpected error stopped this request; nothing was saved."),
        N_("Try again in a minute. If it keeps happening, tell your administrator."),
    ),
    503: (
        N_("Briefly unavailable"),
        N_("The service is briefly unavailable. Nothing was changed: please try again."),
        N_("Try again in a moment."),
    ),
}
MESSAGES = {status: message for status, (_title, message, _advice) in PAGES.items()}
CSRF_MESSAGE = N_("This form has expired or was sent from elsewhere.")
CSRF_ADVICE = N_("Go back, reload the page and send the form again.")
DOMAIN_STATUS = {
    NotFound: 404,
    Forbidden: 403,
    ConcurrentUpdate: 409,
    Conflict: 409,
    InvitationExpired: 410,
}
UNAVAILABLE = MESSAGES[503]


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(  # type: ignore[no-untyped-def]
    status: int,
    message: str,
    code: str | None = None,
    *,
    page_message: str | None = None,
    advice: str | None = None,
):
    """JSON with the English `message`, or the error page: `page_message` (default: `message`
    translated) with the status's heading and `advice`."""
    if wants_json():
        return {"error": {"code": code or str(status), "message": message}}, status
    title, _message, default_advice = PAGES.get(status, PAGES[400 if status < 500 else 500])
    return render_template(
        "error.html",
        status=status,
        title=gettext(title),
        message=page_message or gettext(message),
        advice=gettext(advice or default_advice),
    ), status


def refusal(error: pydantic.ValidationError) -> ValidationError:
    """A request's arguments or body that its model refuses, as the refusal shown for them."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    return ValidationError(
        "The value of %(field)s is not valid (%(reason)s).",
        field,
        {"field": field, "reason": first["msg"]},
    )


def wait_message() -> str:
    """Too many attempts, and how long to wait: until the window of the breached limit ends."""
    resets = [
        limit.reset_at
        for limiter in current_app.extensions.get("limiter", ())
        if (limit := limiter.current_limit) is not None and limit.breached
    ]
    if not resets:
        return gettext(MESSAGES[429])
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
        return error_response(400, CSRF_MESSAGE, "csrf", advice=CSRF_ADVICE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        status = error.code or 500
        if request.path.startswith(scim.bp.url_prefix or "/scim"):
            return scim.error_answer(status, MESSAGES.get(status, error.description or "Error."))
        if status == 429:
            return error_response(status, MESSAGES[429], page_message=wait_message())
        return error_response(status, MESSAGES.get(status, MESSAGES[400 if status < 500 else 500]))

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):  # type: ignore[no-untyped-def]
        return error_response(500, MESSAGES[500], "internal")

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
        page_message = None if wants_json() else words.refusal(error)
        return error_response(status, str(error), error.code, page_message=page_message)

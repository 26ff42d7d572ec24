"""One database session and one transaction per request, for the app and Connect alike.

The view writes through `db_session()` and never commits: when it returns a success (a status
below 400, redirects included) the request's changes are committed before the response leaves,
so that whoever follows a redirect reads them. An exception, or an answer of 400 or more, rolls
everything back; `keep_changes_of_refusal()` is the one way for a refusal to keep what it
recorded. A failed commit goes through the error handlers like any exception (a concurrency
loser still gets its 409; a lost database connection a 503, see web.errors). Two hooks commit
early, on purpose: the bearer-token checks of the API (web.api) and of SCIM (web.scim), so that
a call refused afterwards still counts as a use of the token.

A view marked `reads_only` (a page that reads, and writes at most a note worth less than its
answer) runs without a transaction of its own instead: see `onboarding.db.reading_engine_for`.
Its connection is not pinged first; when the database restarted meanwhile, the view is run once
more on a new connection rather than answering 503: it changed nothing that running it again
would change twice.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from onboarding.audit.log import CLIENT_ADDRESS
from onboarding.db import reading_session_factory, session_factory
from onboarding.settings import Settings
from web.extensions import init_settings

F = TypeVar("F", bound=Callable[..., Any])


def sessions() -> sessionmaker[Session]:
    """The session factory of the application handling the request."""
    factory: sessionmaker[Session] = current_app.extensions["session_factory"]
    return factory


def db_session() -> Session:
    """The request's session, opened on first use and closed with the application context.
    It knows the client's address, for the audit log."""
    if "db_session" not in g:
        address = request.remote_addr if has_request_context() else None
        kind = "reading_session_factory" if g.get("reads_only") else "session_factory"
        g.db_session = current_app.extensions[kind](info={CLIENT_ADDRESS: address})
    return g.db_session


def reads_only(view: F) -> F:
    """Mark `view` as one that only reads, or writes notes worth less than its answer (see the
    module's docstring). It goes right under the route, above any decorator that reads
    (`login_required`): the request's session is opened by the first read."""

    @wraps(view)
    def marked(*args: Any, **kwargs: Any) -> Any:
        g.reads_only = True
        return view(*args, **kwargs)

    return marked


def keep_changes_of_refusal() -> None:
    """Commit this request's changes even though it answers with an error status: for a refusal
    that must leave a trace. An exception still rolls everything back."""
    g.keep_changes_of_refusal = True


class TransactionalFlask(Flask):
    """A Flask application on `settings` that runs each view in one transaction of
    `db_session()`, a session on the database of its settings."""

    def __init__(self, import_name: str, settings: Settings) -> None:
        super().__init__(import_name)
        init_settings(self, settings)
        self.extensions["session_factory"] = session_factory(settings)
        self.extensions["reading_session_factory"] = reading_session_factory(settings)
        self.teardown_appcontext(_close_session)
        self._synchronous: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # Asked of every hook and view at every request; the answer for each is known once.
        synchronous = self._synchronous.get(func)
        if synchronous is None:
            synchronous = self._synchronous[func] = super().ensure_sync(func)
        return synchronous

    def dispatch_request(self) -> ResponseReturnValue:
        # Here rather than in after_request: the rollback happens before an error page is
        # rendered (it reads the database), and a failed commit reaches the error handlers.
        try:
            response = self.make_response(self._run_view())
            kept = response.status_code < 400 or g.get("keep_changes_of_refusal", False)
            if kept and "db_session" in g:
                g.db_session.commit()
        finally:
            g.pop("keep_changes_of_refusal", None)
            if "db_session" in g:
                _on_a_lost_connection_too(g.db_session.rollback)  # nothing after a commit
        return response

    def _run_view(self) -> ResponseReturnValue:
        try:
            return super().dispatch_request()
        except DBAPIError as error:
            if not (error.connection_invalidated and g.get("reads_only")):
                raise
        # The connection was lost (the pool then drops every connection it had): once more on
        # a new one. A second loss is an outage, answered 503 like any other request's.
        _close_session(None)
        return super().dispatch_request()


def _close_session(_error: BaseException | None) -> None:
    # Whatever was not committed (a request that never reached its view) is discarded here.
    session = g.pop("db_session", None)
    if session is not None:
        _on_a_lost_connection_too(session.close)


def _on_a_lost_connection_too(end: Callable[[], None]) -> None:
    """Roll back or close the session; on a connection that was lost there is nothing left to
    undo, and the answer already made (a page, or the 503 of a failed commit) stands."""
    try:
        end()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise

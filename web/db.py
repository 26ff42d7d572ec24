"""One database session per request, committed by the view that changes something."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from onboarding.db import session_factory


def sessions() -> sessionmaker[Session]:
    """The session factory of the application handling the request."""
    factory: sessionmaker[Session] = current_app.extensions["session_factory"]
    return factory


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = sessions()()
    return g.db_session


def init_db(app: Flask) -> None:
    """Sessions on the database of the app's settings (see `init_settings`)."""
    app.extensions["session_factory"] = session_factory(app.extensions["settings"])

    @app.teardown_appcontext
    def close_session(_error: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

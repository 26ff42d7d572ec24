"""One database session per request, committed by the view that changes something."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session

from onboarding.db import session_factory


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = session_factory()()
    return g.db_session


def init_db(app: Flask) -> None:
    @app.teardown_appcontext
    def close_session(_error: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

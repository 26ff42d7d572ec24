"""How gunicorn serves the two applications: `gunicorn -c python:web.serving "web:create_app()"`.

Each new worker warms up before it takes its first request. Without it, the first visitors of
every worker (after each deploy or restart) wait for what the worker does only once: compile
the templates of the pages they open, open the database connections, load the locale data of
their language; 15–50 ms on each of their first pages.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from babel import Locale
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from onboarding.i18n import LANGUAGES, cldr_locale, translations

log = logging.getLogger(__name__)


def warm_up(app: Flask) -> None:
    """Compile every template of `app`, open a connection of each of its database engines and
    load the catalogs and locale data of every language."""
    for name in app.jinja_env.list_templates(extensions=["html"]):
        app.jinja_env.get_template(name)
    for kind in ("session_factory", "reading_session_factory"):
        factory: sessionmaker[Session] | None = app.extensions.get(kind)
        if factory is not None:  # an application without a database has nothing to open
            with factory.kw["bind"].connect():
                pass  # back to the pool, open, for the first request
    for language in LANGUAGES:
        translations(language)
        Locale.parse(cldr_locale(language)).date_formats  # noqa: B018 (loads the locale's data)


def post_worker_init(worker: Any) -> None:
    """gunicorn's hook, run in a new worker once it has loaded the application."""
    if isinstance(worker.wsgi, Flask):
        started = time.perf_counter()
        warm_up(worker.wsgi)
        log.info(
            "worker warmed up",
            extra={"milliseconds": round((time.perf_counter() - started) * 1000)},
        )

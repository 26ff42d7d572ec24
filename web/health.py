"""/healthz (the process answers) and /readyz (its database and broker answer in time), for
the app and Connect alike: a load balancer sends requests only to ready processes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from celery import Celery
from flask import Flask
from flask.typing import ResponseReturnValue
from sqlalchemy import text

log = logging.getLogger(__name__)
READY_TIMEOUT_SECONDS = 2.0
# Checks run here so that one that hangs answers "unavailable" after the timeout.
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


def init_health(app: Flask, celery: Celery) -> None:
    """Add /healthz and /readyz to `app`; /readyz checks the database and `celery`'s broker."""

    engine = app.extensions["session_factory"].kw["bind"]

    def database() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def broker() -> None:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=READY_TIMEOUT_SECONDS)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> ResponseReturnValue:
        results = {"database": _answers(database), "broker": _answers(broker)}
        ready = all(result == "ok" for result in results.values())
        return {"status": "ready" if ready else "unavailable", **results}, 200 if ready else 503


def _answers(check: Callable[[], None]) -> str:
    try:
        _checks.submit(check).result(timeout=READY_TIMEOUT_SECONDS)
    except Exception:  # noqa: BLE001 - whatever the cause, the part does not answer
        log.warning("readyz: %s does not answer", check.__name__, exc_info=True)
        return "unavailable"
    return "ok"

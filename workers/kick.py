"""Kick the outbox worker right after a transaction that wrote outbox rows commits.

Best effort: if the broker is unreachable the kick is dropped and beat delivers the rows a few
seconds later (the outbox, not the broker, is the source of truth).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from onboarding.logs import current_request_id
from onboarding.outbox.models import OutboxMessage

log = logging.getLogger(__name__)
_PENDING = "outbox_kick_pending"
DELIVER_TASK = "outbox.deliver"

_app: Celery | None = None


def install(app: Celery) -> None:
    """Kick `app`'s outbox task after every commit that wrote outbox rows, in this process."""
    global _app
    _app = app
    if not event.contains(Session, "after_flush", _note_outbox_rows):
        event.listen(Session, "after_flush", _note_outbox_rows)
        event.listen(Session, "do_orm_execute", _note_outbox_inserts)
        event.listen(Session, "after_commit", _kick)
        event.listen(Session, "after_rollback", _forget)


def uninstall() -> None:
    global _app
    _app = None
    if event.contains(Session, "after_flush", _note_outbox_rows):
        event.remove(Session, "after_flush", _note_outbox_rows)
        event.remove(Session, "do_orm_execute", _note_outbox_inserts)
        event.remove(Session, "after_commit", _kick)
        event.remove(Session, "after_rollback", _forget)


def kick(app: Celery) -> None:
    """Ask a worker to deliver now; never raises."""
    try:
        # The worker's task runs under the request id of the request (or task) kicking it.
        app.send_task(DELIVER_TASK, retry=False, headers={"request_id": current_request_id()})
    except Exception:  # noqa: BLE001 - any broker failure: beat delivers a little later
        log.warning("could not kick the outbox worker; beat will deliver", exc_info=True)


def _note_outbox_rows(session: Session, _context: Any) -> None:
    if any(isinstance(row, OutboxMessage) for row in session.new):
        session.info[_PENDING] = True


def _note_outbox_inserts(state: ORMExecuteState) -> None:
    # Set-based writers (bulk invite, webhook events) insert rows without objects.
    mapper = state.bind_mapper
    if state.is_insert and mapper is not None and mapper.class_ is OutboxMessage:
        state.session.info[_PENDING] = True


def _kick(session: Session) -> None:
    if session.info.pop(_PENDING, False) and _app is not None:
        kick(_app)


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)

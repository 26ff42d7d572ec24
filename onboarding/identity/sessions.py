"""Connect's log-in sessions, kept server-side: the cookie carries only a random token, so
ending the row ends the session wherever the cookie went. The row keeps the token's SHA-256,
which is also the session's public id (`sid` in ID and logout tokens). Ending sessions tells
the clients given a code in them (see onboarding.identity.logout)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from onboarding.identity import logout
from onboarding.identity.models import Account, ConnectSession

# Built once: building the statements costs more than running them.
_LIVE = (
    select(ConnectSession)
    .options(joinedload(ConnectSession.account))
    .where(ConnectSession.sid == bindparam("sid"), ConnectSession.ended_at.is_(None))
)
_SESSIONS = cast(Table, ConnectSession.__table__)
_START = insert(_SESSIONS).returning(_SESSIONS.c.id)
_NOTE_CLIENTS = (
    update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("row_id"))
    .values(client_ids=bindparam("client_ids", type_=_SESSIONS.c.client_ids.type))
)


def _sid(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, account: Account, now: datetime) -> tuple[str, ConnectSession]:
    """Start a live session of `account`; returns the token for its cookie, and the session
    as `live` would read it, so that the request which logs in need not read it back."""
    token = secrets.token_urlsafe(32)
    fields = {"sid": _sid(token), "account_id": account.id, "client_ids": [], "created_at": now}
    row_id = session.execute(_START, fields).scalar_one()
    row = ConnectSession(id=row_id, ended_at=None, **fields)
    # Set as loaded, not assigned: the row is written already, nothing is left to flush.
    set_committed_value(row, "account", account)
    return token, row


def live(session: Session, token: str | None) -> ConnectSession | None:
    """The session of the cookie's `token` if it has not ended, with its account."""
    if not token:
        return None
    return session.scalar(_LIVE, {"sid": _sid(token)})


def note_client(session: Session, row: ConnectSession | None, client_id: str) -> None:
    """Remember that `client_id` was given a code in the live session `row` (one UPDATE now,
    cheaper than the unit of work's at commit)."""
    if row is None or client_id in row.client_ids:
        return
    client_ids = [*row.client_ids, client_id]
    session.execute(_NOTE_CLIENTS, {"row_id": row.id, "client_ids": client_ids})
    set_committed_value(row, "client_ids", client_ids)


def end(session: Session, token: str | None, now: datetime) -> ConnectSession | None:
    """End the session of `token` and tell its clients; returns it, or None when it was not
    live."""
    row = live(session, token)
    if row is not None:
        row.ended_at = now
        logout.tell_clients(session, row.client_ids, row.account.subject, row.sid, now)
    return row


def end_all(session: Session, account: Account, now: datetime) -> None:
    """End every session of `account` (its credentials changed, or its owner asked) and tell
    every client given a code in one of them that all of the account's sessions ended."""
    rows = session.scalars(
        select(ConnectSession).where(
            ConnectSession.account_id == account.id, ConnectSession.ended_at.is_(None)
        )
    ).all()
    client_ids = [client_id for row in rows for client_id in row.client_ids]
    for row in rows:
        row.ended_at = now
    logout.tell_clients(session, client_ids, account.subject, None, now)

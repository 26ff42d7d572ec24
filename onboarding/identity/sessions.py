"""Connect's log-in sessions, kept server-side: the cookie carries only a session id, so
ending the row ends the session wherever the cookie went. Ending sessions tells the clients
given a code in them (see onboarding.identity.logout)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding.identity import logout
from onboarding.identity.models import Account, ConnectSession


def start(session: Session, account: Account, now: datetime) -> ConnectSession:
    """A new live session of `account`."""
    row = ConnectSession(
        sid=secrets.token_urlsafe(32), account=account, client_ids=[], created_at=now
    )
    session.add(row)
    session.flush()
    return row


def live(session: Session, sid: str | None) -> ConnectSession | None:
    """The session `sid` if it has not ended."""
    if not sid:
        return None
    return session.scalar(
        select(ConnectSession).where(ConnectSession.sid == sid, ConnectSession.ended_at.is_(None))
    )


def note_client(session: Session, sid: str | None, client_id: str) -> None:
    """Remember that `client_id` was given a code in session `sid`."""
    row = live(session, sid)
    if row is not None and client_id not in row.client_ids:
        row.client_ids = [*row.client_ids, client_id]


def end(session: Session, sid: str | None, now: datetime) -> ConnectSession | None:
    """End the session `sid` and tell its clients; returns it, or None when it was not live."""
    row = live(session, sid)
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

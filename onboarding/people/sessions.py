"""The app's log-in sessions, kept server-side: the cookie carries only a random token, whose
SHA-256 the row keeps, so ending the row ends the session wherever the cookie went.

A session remembers what the identity provider said at log-in (its subject, its session id
and the ID token), so that the provider can end it (Back-Channel Logout) and the app can ask
the provider to end its own (RP-Initiated Logout).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import ForeignKey, String, Table, Text, bindparam, insert, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from onboarding.clock import utcnow
from onboarding.db import Base, UTCDateTime
from onboarding.people.access import ADMINISTERS_ANY
from onboarding.people.models import Person


class AppSession(Base):
    __tablename__ = "app_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # The provider's `sub` and `sid` for the log-in, and the ID token (the logout hint).
    subject: Mapped[str | None] = mapped_column(String(255), index=True)
    provider_sid: Mapped[str | None] = mapped_column(String(255), index=True)
    id_token: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()


# Built once, as every log-in asks.
_START = insert(cast(Table, AppSession.__table__))


def start(
    session: Session,
    person: Person,
    *,
    subject: str | None = None,
    provider_sid: str | None = None,
    id_token: str | None = None,
    now: datetime | None = None,
) -> str:
    """Start a live session of `person`; returns the token for its cookie. One INSERT now,
    cheaper than the unit of work's at commit."""
    token = secrets.token_urlsafe(32)
    session.execute(
        _START,
        {
            "sid": _sid(token),
            "person_id": person.id,
            "subject": subject,
            "provider_sid": provider_sid,
            "id_token": id_token,
            "created_at": now or utcnow(),
        },
    )
    return token


def _sid(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def live(session: Session, token: str | None) -> AppSession | None:
    """The session of the cookie's `token` if it has not ended."""
    if not token:
        return None
    return session.scalar(
        select(AppSession).where(AppSession.sid == _sid(token), AppSession.ended_at.is_(None))
    )


class Viewer(NamedTuple):
    """Who a live session's cookie signs in."""

    person: Person
    administers: bool  # an organization, or all of them (a superadmin)


def viewer_of(session: Session, token: str, person_id: int | None) -> Viewer | None:
    """The person `person_id` when the session of the cookie's `token` is theirs and live,
    and whether they administer."""
    row = session.execute(_VIEWER_OF, {"sid": _sid(token), "person_id": person_id}).first()
    return Viewer(*row) if row is not None else None


# Built once: every signed-in page asks whose it is, and its navigation whether they
# administer. The person alone, not the session's row.
_VIEWER_OF = (
    select(Person, ADMINISTERS_ANY)
    .join(AppSession, AppSession.person_id == Person.id)
    .where(
        AppSession.sid == bindparam("sid"),
        AppSession.ended_at.is_(None),
        Person.id == bindparam("person_id"),
    )
)


def end(session: Session, token: str | None, now: datetime | None = None) -> AppSession | None:
    """End the session of `token`; returns it, or None when it was not live."""
    row = live(session, token)
    if row is not None:
        row.ended_at = now or utcnow()
    return row


def end_at_provider(
    session: Session, subject: str | None, provider_sid: str | None, now: datetime | None = None
) -> int:
    """End what the provider ended: every live session of the person it knows as `subject`
    (whichever of their log-ins ended there), or the session of `provider_sid` when the
    subject is not given. Returns how many ended."""
    if subject:
        person_ids = select(Person.id).where(Person.connect_subject == subject)
        which = or_(AppSession.subject == subject, AppSession.person_id.in_(person_ids))
    elif provider_sid:
        which = AppSession.provider_sid == provider_sid
    else:
        return 0
    result = session.execute(
        update(AppSession)
        .where(AppSession.ended_at.is_(None), which)
        .values(ended_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]

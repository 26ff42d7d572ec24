"""The secret in a mailed link: 256 random bits, URL-safe; only its SHA-256 is ever stored.

Shared by the app's invitation links and Connect's activation and reset links: the columns a
stored link has (`MailedLink`), how a new one is made and how a raw value finds its row.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Select, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.interfaces import ORMOption

from onboarding.clock import utcnow
from onboarding.db import UTCDateTime

_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # token_urlsafe(32) is 43 characters


def new_secret() -> tuple[str, str]:
    """A fresh (raw, digest) pair: mail the raw value, store the digest."""
    raw = secrets.token_urlsafe(32)
    return raw, digest(raw)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def well_formed(raw: str | None) -> bool:
    """Whether `raw` could be one of our secrets at all (cheap, before any lookup)."""
    return bool(_SHAPE.match(raw or ""))


class MailedLink:
    """The columns of a stored mailed link; the table adds its owner (journey or account)."""

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


L = TypeVar("L", bound=MailedLink)


def issue(
    session: Session,
    model: type[MailedLink],
    purpose: str,
    expires_at: datetime,
    now: datetime,
    **owner: Any,
) -> str:
    """Store a new link of `model` for its `owner`; returns the raw value (the only copy)."""
    raw, token_hash = new_secret()
    columns: dict[str, Any] = {"token_hash": token_hash, "purpose": purpose, **owner}
    session.add(model(**columns, **{"created_at": now, "expires_at": expires_at}))
    return raw


def find(
    session: Session, model: type[L], raw: str | None, purpose: str, *load: ORMOption
) -> L | None:
    """The stored link of `purpose` that `raw` stands for, if any, with its owner loaded by
    the `load` options in the same query. Changes nothing."""
    if raw is None or not well_formed(raw):
        return None
    wanted = digest(raw)
    # All rows read: a collection among `load` comes a row per member.
    query = _lookup(model, load)  # type: ignore[arg-type]  # (a class is hashable)
    found = session.scalars(query, {"token_hash": wanted})
    row = found.unique().one_or_none()
    if row is None or row.purpose != purpose or not hmac.compare_digest(row.token_hash, wanted):
        return None
    return row


@lru_cache(maxsize=32)
def _lookup(model: type[L], load: tuple[ORMOption, ...]) -> Select[L]:
    """The query of `find`, built once per model and options: every link followed pays only
    for running it."""
    return select(model).where(model.token_hash == bindparam("token_hash")).options(*load)

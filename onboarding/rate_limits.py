"""Rate-limit counters in the application's database, so that every process on every host that
shares the database shares the counts (the default when REDIS_URL is not set).

`DatabaseStorage` is a storage of the `limits` library (fixed windows: a counter per key that
starts at its first hit and lasts the limit's window), registered for `DATABASE_STORAGE_URI`.
Each hit is one atomic upsert, so that concurrent requests can never both take the last try.
"""

from __future__ import annotations

import time
from typing import Any

from limits.storage import Storage
from sqlalchemy import Float, Integer, String, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from onboarding.db import Base, session_factory

DATABASE_STORAGE_URI = "sqlalchemy+onboarding://"


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    # Seconds since the epoch, as the limits library counts time.
    expires_at: Mapped[float] = mapped_column(Float)


class DatabaseStorage(Storage):
    """Fixed-window counters in the `rate_limit_counters` table of the process's database."""

    STORAGE_SCHEME = ["sqlalchemy+onboarding"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **_: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to `key`'s count, starting a new window of `expiry` seconds when the
        last one is over; the count after this hit."""
        now = time.time()
        table = RateLimitCounter.__table__
        factory = session_factory()
        dialect = factory.kw["bind"].dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        over = table.c.expires_at <= now
        statement = (
            insert.values(key=key, count=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "count": case((over, amount), else_=table.c.count + amount),
                    "expires_at": case((over, now + expiry), else_=table.c.expires_at),
                },
            )
            .returning(table.c.count)
        )
        with factory.begin() as session:
            return int(session.execute(statement).scalar_one())

    def _current(self, key: str) -> RateLimitCounter | None:
        with session_factory()() as session:
            counter = session.get(RateLimitCounter, key)
        return counter if counter is not None and counter.expires_at > time.time() else None

    def get(self, key: str) -> int:
        counter = self._current(key)
        return counter.count if counter else 0

    def get_expiry(self, key: str) -> float:
        counter = self._current(key)
        return counter.expires_at if counter else time.time()

    def check(self) -> bool:
        try:
            with session_factory()() as session:
                session.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with session_factory().begin() as session:
            return session.execute(delete(RateLimitCounter)).rowcount  # type: ignore[attr-defined]

    def clear(self, key: str) -> None:
        with session_factory().begin() as session:
            session.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))


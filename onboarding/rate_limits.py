"""Rate-limit counters in the application's database, so that every process on every host that
shares the database shares the counts (the default when REDIS_URL is not set).

`DatabaseStorage` is a storage of the `limits` library (fixed windows: a counter per key that
starts at its first hit and lasts the limit's window), for URIs of `database_storage_uri`.
Each hit is one atomic upsert, so that concurrent requests can never both take the last try.

On PostgreSQL the counters are a table of the database. SQLite has one writer per file, and a
request that has begun its transaction holds it: a count written beside it in the same file
would wait for the request, which waits for the count. So on SQLite they live in a file of
their own, `rate_limits.sqlite3` in ONBOARDING_VAR_DIR, which every local process shares.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, urlencode, urlsplit

from limits.storage import RedisStorage, Storage
from sqlalchemy import Float, Integer, String, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.schema import CreateTable

from onboarding.db import Base, engine_for, make_engine
from onboarding.settings import Settings

if TYPE_CHECKING:
    from redis import Redis

SCHEME = "sqlalchemy+onboarding"


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    # Seconds since the epoch, as the limits library counts time.
    expires_at: Mapped[float] = mapped_column(Float)


def database_storage_uri(settings: Settings) -> str:
    """The storage URI of the counters of `settings`: the database they live in, after the
    scheme (on SQLite, the file of their own beside the database)."""
    url = settings.database_url
    if url.startswith("sqlite"):
        url = f"sqlite:///{settings.var_dir / 'rate_limits.sqlite3'}"
    return f"{SCHEME}://?{urlencode({'url': url})}"


def read_windows(storage: Storage, keys: list[str]) -> list[tuple[int, float]]:
    """The count and the end (seconds since the epoch) of each of `keys`' current window in
    `storage`; in one round trip on Redis and the database, where reading several limits'
    counts one at a time would take one each."""
    windows = getattr(storage, "windows", None)
    if windows is not None:
        found: list[tuple[int, float]] = windows(keys)
        return found
    if isinstance(storage, RedisStorage):
        client = cast("Redis", storage.get_connection(True))
        pipeline = client.pipeline(transaction=False)
        for key in keys:
            pipeline.get(storage.prefixed_key(key))
            pipeline.ttl(storage.prefixed_key(key))
        answers = pipeline.execute()
        now = time.time()
        # As RedisStorage.get and get_expiry read them.
        return [
            (int(count or 0), max(ttl, 0) + now)
            for count, ttl in zip(answers[::2], answers[1::2], strict=True)
        ]
    return [(storage.get(key), storage.get_expiry(key)) for key in keys]


_opening = threading.Lock()


def _counters(url: str) -> sessionmaker[Session]:
    """Sessions on the counters' database, opened once even when the first hits come at once
    (two threads making a new SQLite file WAL together fail with "database is locked")."""
    with _opening:
        return _opened(url)


@lru_cache(maxsize=8)
def _opened(url: str) -> sessionmaker[Session]:
    """Sessions on the counters' database; a SQLite file gets its table on first use."""
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(url)
        table = Base.metadata.tables[RateLimitCounter.__tablename__]
        with engine.begin() as connection:
            connection.execute(CreateTable(table, if_not_exists=True))
    else:
        engine = engine_for(url)
    return sessionmaker(engine, expire_on_commit=False)


class DatabaseStorage(Storage):
    """Fixed-window counters in the `rate_limit_counters` table (see the module's note)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **_: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        [self.url] = parse_qs(urlsplit(uri).query)["url"]

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to `key`'s count, starting a new window of `expiry` seconds when the
        last one is over; the count after this hit."""
        now = time.time()
        counter = RateLimitCounter
        factory = _counters(self.url)
        dialect = factory.kw["bind"].dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(counter)
        over = counter.expires_at <= now
        statement = (
            insert.values(key=key, count=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[counter.key],
                set_={
                    "count": case((over, amount), else_=counter.count + amount),
                    "expires_at": case((over, now + expiry), else_=counter.expires_at),
                },
            )
            .returning(counter.count)
        )
        with factory.begin() as session:
            return int(session.execute(statement).scalar_one())

    def _current(self, key: str) -> RateLimitCounter | None:
        with _counters(self.url)() as session:
            counter = session.get(RateLimitCounter, key)
        return counter if counter is not None and counter.expires_at > time.time() else None

    def windows(self, keys: list[str]) -> list[tuple[int, float]]:
        """`read_windows` of `keys`, in one statement."""
        now = time.time()
        counter = RateLimitCounter
        with _counters(self.url)() as session:
            rows = session.execute(
                select(counter.key, counter.count, counter.expires_at).where(
                    counter.key.in_(keys), counter.expires_at > now
                )
            )
            found = {key: (count, expires_at) for key, count, expires_at in rows}
        return [found.get(key, (0, now)) for key in keys]

    def get(self, key: str) -> int:
        counter = self._current(key)
        return counter.count if counter else 0

    def get_expiry(self, key: str) -> float:
        counter = self._current(key)
        return counter.expires_at if counter else time.time()

    def check(self) -> bool:
        try:
            with _counters(self.url)() as session:
                session.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with _counters(self.url).begin() as session:
            return session.execute(delete(RateLimitCounter)).rowcount  # type: ignore[attr-defined]

    def clear(self, key: str) -> None:
        with _counters(self.url).begin() as session:
            session.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))

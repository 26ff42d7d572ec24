"""Database engine, sessions and the unit of work shared by the app, Connect and the workers."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    String,
    create_engine,
    event,
    literal_column,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from onboarding.settings import Settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def written(value: enum.Enum) -> ColumnElement[str]:
    """The string value of one of our enumerations as a constant in the SQL: a statement run on
    every page view then has no parameter to convert for it at each execution."""
    return literal_column(f"'{value.value}'", String)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # Take the write lock at BEGIN, so that two writers queue instead of failing mid-way.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine, settings: Settings) -> sessionmaker[Session]:
    """Sessions on `engine` that carry `settings`, so that code given a session needs no more."""
    return sessionmaker(engine, expire_on_commit=False, info={"settings": settings})


def settings_of(session: Session) -> Settings:
    """The settings of the app, worker or command that opened `session`."""
    settings: Settings = session.info["settings"]
    return settings


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


# One engine (one connection pool) per database and process, shared by the apps it serves.
_engines: dict[str, Engine] = {}
_reading_engines: dict[str, Engine] = {}


def engine_for(url: str) -> Engine:
    """The process's engine on the database at `url`, created on first use."""
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def reading_engine_for(url: str) -> Engine:
    """The process's engine for work that only reads, or writes notes worth less than the time
    of its answer (a fetch of a link, kept for diagnosis), created on first use.

    On PostgreSQL each statement is its own transaction: no BEGIN and COMMIT round trips, and a
    commit does not wait for the write-ahead log to reach the disk (a crash of the database
    right after may lose a whole note, never part of it). Its pool goes without a ping at each
    checkout, a round trip more: a connection lost meanwhile fails the first statement, and
    such work can simply be done again (see web.db). SQLite's transactions cost no round trip:
    there it is the one engine.
    """
    if not url.startswith("postgresql"):
        return engine_for(url)
    if url not in _reading_engines:
        _reading_engines[url] = make_engine(
            url,
            isolation_level="AUTOCOMMIT",
            connect_args={"options": "-c synchronous_commit=off"},
            pool_pre_ping=False,
        )
    return _reading_engines[url]


def session_factory(settings: Settings) -> sessionmaker[Session]:
    """Sessions on the database of `settings`, carrying `settings`."""
    if settings.database_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return make_session_factory(engine_for(settings.database_url), settings)


def reading_session_factory(settings: Settings) -> sessionmaker[Session]:
    """`session_factory` on the reading engine of the database of `settings`."""
    return make_session_factory(reading_engine_for(settings.database_url), settings)

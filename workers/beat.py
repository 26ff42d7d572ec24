"""One beat however many are started: a scheduler that fires only while it holds the
database's beat lock (a PostgreSQL advisory lock on a connection of its own). A second beat,
started by mistake on another host, waits and takes over when the first one's connection ends.
On SQLite (one host) there is nothing to share and the lock is always held."""

from __future__ import annotations

import logging
from typing import Any

from celery.beat import PersistentScheduler
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from onboarding.db import session_factory
from onboarding.settings import get_settings

log = logging.getLogger(__name__)
# Any constant shared by every beat of the deployment: the advisory lock's key.
LOCK_KEY = 0x6F6E626F  # "onbo"
# Seconds a beat without the lock waits before trying again.
WAIT_SECONDS = 5.0


class BeatLock:
    """The database-wide beat lock, taken and kept on a connection of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None

    def held(self) -> bool:
        """Whether this process holds the lock, taking it if it is free."""
        if self.engine.dialect.name != "postgresql":
            return True
        try:
            if self._connection is not None:
                self._connection.execute(text("SELECT 1"))  # still ours while it lives
                return True
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            taken = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
            ).scalar()
        except DBAPIError:
            log.warning("beat: the database does not answer; not firing", exc_info=True)
            self.release()
            return False
        if not taken:
            connection.close()
            return False
        log.info("beat: took the beat lock; this beat fires the schedule")
        self._connection = connection
        return True

    def release(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.invalidate()  # the lock ends with the connection


class OneBeat(PersistentScheduler):
    """celery beat's scheduler, firing only while this beat holds the BeatLock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lock = BeatLock(session_factory(get_settings()).kw["bind"])
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self.lock.held():
            return WAIT_SECONDS
        return float(super().tick(*args, **kwargs))

    def close(self) -> None:
        self.lock.release()
        super().close()

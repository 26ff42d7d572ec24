"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session


def seconds_between(session: Session, start: Any, end: Any) -> Any:
    """`end - start` in seconds, as a SQL expression."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    # julianday is a float of days: round away its noise to milliseconds.
    return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)

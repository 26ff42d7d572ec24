"""The one place that reads the wall clock, so that tests and sweeps can move time."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)

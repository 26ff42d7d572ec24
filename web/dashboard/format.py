"""Template filters: durations and times as an admin reads them."""

from __future__ import annotations

from datetime import datetime, timedelta

from web.dashboard import bp


@bp.app_template_filter("duration")
def duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    if seconds >= 86400:
        return f"{sign}{seconds // 86400} d"
    if seconds >= 3600:
        return f"{sign}{seconds // 3600} h"
    if seconds >= 60:
        return f"{sign}{seconds // 60} min"
    return f"{sign}{seconds} s"


@bp.app_template_filter("seconds")
def seconds(value: float | None) -> str:
    return "—" if value is None else duration(timedelta(seconds=value))


@bp.app_template_filter("when")
def when(value: datetime | None) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M}"


@bp.app_template_filter("percent")
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"

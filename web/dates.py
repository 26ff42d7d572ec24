"""Dates, times and durations written out for the reader: in the page's language (Babel) and
in the reader's time zone.

The time zone is the one the reader chose in their settings, else the browser's:
static/time_zone.js keeps it in the `time_zone` cookie. A zone this server does not know counts
as UTC. Every page that shows times names the zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, format_timedelta, get_datetime_format
from flask import Flask, current_app, g, request

from onboarding.i18n import cldr_locale
from web.i18n import page_language

ZONE_COOKIE = "time_zone"
EMPTY = "—"


def reader_zone() -> tzinfo:
    """The reader's time zone: the one they chose, else the browser's from the cookie the
    page's script sets; UTC until it is set."""
    if "reader_zone" not in g:
        chosen = zone_chosen()
        g.reader_zone = _zone(chosen or request.cookies.get(ZONE_COOKIE, ""))
    zone: tzinfo = g.reader_zone
    return zone


def zone_chosen() -> str | None:
    """The zone the reader chose in their settings; None when they read in the browser's."""
    chosen: str | None = current_app.extensions["chosen_time_zone"]()
    return chosen


def zone_name() -> str:
    return str(reader_zone())


def day(value: date | datetime | None) -> str:
    """A day written out: "30 December 2026", "30 december 2026"."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        value = _aware(value).astimezone(reader_zone()).date()
    return _written_day(value, cldr_locale(page_language()))


@lru_cache(maxsize=1024)
def _written_day(value: date, locale: str) -> str:
    # Pages write the same few days over and over (an invitation's expiry, a list's dates).
    return format_date(value, format="long", locale=locale)


def moment(value: datetime | None) -> str:
    """A moment to the minute, in the reader's zone: "Dec 30, 2026, 6:51 AM"."""
    if value is None:
        return EMPTY
    local = _aware(value).astimezone(reader_zone())
    language = cldr_locale(page_language())
    pattern = get_datetime_format("medium", locale=language).replace("'", "")
    return pattern.format(
        format_time(local, format="short", locale=language),
        format_date(local, format="medium", locale=language),
    )


def duration(value: timedelta | float | None) -> str:
    """A duration in words, rounded to its largest unit: "3 days", "3 dagen"."""
    if value is None:
        return EMPTY
    seconds = value if isinstance(value, int | float) else value.total_seconds()
    return format_timedelta(seconds, threshold=1, locale=cldr_locale(page_language()))


def percent(value: float | None) -> str:
    return EMPTY if value is None else f"{value:.0%}"


def _browser_zone_only() -> None:
    return None


def init_dates(app: Flask, chosen_zone: Callable[[], str | None] = _browser_zone_only) -> None:
    """The filters `day`, `moment`, `duration` and `percent`, and `zone_name()` and
    `zone_chosen()`, in templates; `chosen_zone` names the zone the reader chose, if any
    (Connect has no such setting: its readers read in the browser's zone)."""
    app.extensions["chosen_time_zone"] = chosen_zone
    for name, function in (
        ("day", day),
        ("moment", moment),
        ("duration", duration),
        ("percent", percent),
    ):
        app.add_template_filter(function, name)
    app.jinja_env.globals["zone_name"] = zone_name
    app.jinja_env.globals["zone_chosen"] = zone_chosen


def _zone(name: str) -> tzinfo:
    if not name or len(name) > 64:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

"""Catalog messages filled with values written for the reader: moments, days and durations
in the page's language and the reader's time zone, lists joined, nothing as Python writes it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from onboarding.errors import DomainError
from onboarding.journeys.machine import InvalidTransition, JourneyState
from web import labels
from web.dates import day, duration, moment
from web.i18n import N_, gettext


def say(message: str, params: Mapping[str, Any] | None = None) -> str:
    """`message` in the page's language, its %(name)s fields filled with `params` written out."""
    return gettext(message, **{name: _field(value) for name, value in (params or {}).items()})


def _field(value: Any) -> Any:
    """Numbers stay numbers, for %(name)d fields."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return written(value)


def written(value: Any) -> str:
    """One value as a person writes it."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, date):
        return day(value)
    if isinstance(value, timedelta):
        return duration(value)
    if isinstance(value, JourneyState):
        return labels.state(value)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return ", ".join(written(item) for item in value)
    return str(value)


def refusal(error: DomainError) -> str:
    """Why the domain refused, in the page's language."""
    if isinstance(error, InvalidTransition):
        return say(
            N_("That is not possible at the step %(step)s."), {"step": labels.state(error.state)}
        )
    return say(error.message, error.params) if error.message else gettext(str(error))

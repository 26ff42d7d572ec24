"""Reading the dashboard's query arguments (pages and API alike) into domain queries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from onboarding.dashboard.filters import JourneyFilter
from onboarding.dashboard.journey_table import DEFAULT_SORT, PAGE_SIZE, TableQuery
from onboarding.dashboard.text import plain_text
from onboarding.errors import ValidationError
from onboarding.journeys.machine import JourneyState


def _date(args: Mapping[str, str], name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a date like 2026-01-31.", name) from None


def _int(args: Mapping[str, str], name: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise ValidationError(f"{name} must be a whole number.", name)
    return int(raw)


def journey_filter(args: Mapping[str, str], allowed: frozenset[int] | None) -> JourneyFilter:
    """The filter of `args` within the organizations the caller may see (None: all).

    An organization outside `allowed` selects nothing rather than saying it exists.
    """
    organization = _int(args, "organization")
    scope = allowed
    if organization is not None:
        scope = (
            frozenset({organization}) & allowed
            if allowed is not None
            else frozenset({organization})
        )
    return JourneyFilter(
        organization_ids=scope,
        role=plain_text(args.get("role") or "", "role") or None,
        language=plain_text(args.get("language") or "", "language") or None,
        invited_from=_date(args, "invited_from"),
        invited_to=_date(args, "invited_to"),
    )


def table_query(args: Mapping[str, str], filters: JourneyFilter) -> TableQuery:
    raw_state = (args.get("state") or "").strip()
    try:
        state = JourneyState(raw_state) if raw_state else None
    except ValueError:
        names = ", ".join(s.value for s in JourneyState)
        raise ValidationError(f"state must be one of {names}.", "state") from None
    limit = _int(args, "limit")
    return TableQuery(
        filters=filters,
        state=state,
        stuck_days=_int(args, "stuck_days"),
        sort=plain_text(args.get("sort") or "", "sort") or DEFAULT_SORT,
        after=plain_text(args.get("after") or "", "after", 1000) or None,
        limit=PAGE_SIZE if limit is None else limit,
    )

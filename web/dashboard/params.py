"""Reading the dashboard's query arguments (pages and API alike) into domain queries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from onboarding.audit import log as audit_log
from onboarding.audit.log import AuditFilter
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


def organization_scope(
    args: Mapping[str, str], allowed: frozenset[int] | None
) -> frozenset[int] | None:
    """The organizations `args` asks for within `allowed` (None: all); one outside `allowed`
    selects nothing rather than saying it exists."""
    organization = _int(args, "organization")
    if organization is None:
        return allowed
    return frozenset({organization}) & allowed if allowed is not None else frozenset({organization})


def journey_filter(args: Mapping[str, str], allowed: frozenset[int] | None) -> JourneyFilter:
    """The filter of `args` within the organizations the caller may see (None: all).

    An organization outside `allowed` selects nothing rather than saying it exists.
    """
    return JourneyFilter(
        organization_ids=organization_scope(args, allowed),
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


def audit_filter(args: Mapping[str, str], allowed: frozenset[int] | None) -> AuditFilter:
    """The audit log's filter of `args` within the organizations the caller may see."""
    return AuditFilter(
        organization_ids=organization_scope(args, allowed),
        actor=plain_text(args.get("actor") or "", "actor", 320) or None,
        action=plain_text(args.get("action") or "", "action", 64) or None,
        subject=plain_text(args.get("subject") or "", "subject", 320) or None,
        address=plain_text(args.get("address") or "", "address", 64) or None,
        since=_date(args, "since"),
        until=_date(args, "until"),
    )


def audit_page(args: Mapping[str, str]) -> tuple[int, int | None]:
    """How many entries to show, and the id to continue before (`before`)."""
    limit = _int(args, "limit")
    limit = audit_log.PAGE_SIZE if limit is None else limit
    return max(1, min(limit, audit_log.MAX_PAGE_SIZE)), _int(args, "before")

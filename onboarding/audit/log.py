"""Writing and reading the audit log.

An entry is written by the use case an admin or a directory runs, in its transaction: an action
that is rolled back leaves no entry. The client address comes from the session (`session.info`,
set by the web layer for a request's session); what no request caused has none.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from onboarding.audit.models import AuditEntry
from onboarding.clock import utcnow

# The key of `Session.info` that holds the address of the client the session works for.
CLIENT_ADDRESS = "client_address"
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
COLUMNS = ("id", "at", "organization_id", "actor", "action", "subject", "address", "detail")


def record(
    session: Session,
    *,
    organization_id: int,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add an entry: `actor` did `action` to `subject` in the organization, now."""
    entry = AuditEntry(
        organization_id=organization_id,
        at=now or utcnow(),
        actor=actor[:320],
        action=action,
        subject=subject[:2000],
        address=session.info.get(CLIENT_ADDRESS),
        detail=detail or {},
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to show; `organization_ids` None means every organization's. Text filters
    match a part of the field, case-insensitively; days are inclusive."""

    organization_ids: frozenset[int] | None = None
    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    address: str | None = None
    since: date | None = None
    until: date | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.organization_ids is not None:
            where.append(AuditEntry.organization_id.in_(sorted(self.organization_ids)))
        for column, value in (
            (AuditEntry.actor, self.actor),
            (AuditEntry.subject, self.subject),
            (AuditEntry.address, self.address),
        ):
            if value:
                where.append(column.icontains(value, autoescape=True))
        if self.action:
            where.append(AuditEntry.action == self.action)
        if self.since:
            where.append(AuditEntry.at >= _midnight(self.since))
        if self.until and self.until < date.max:
            where.append(AuditEntry.at < _midnight(self.until + timedelta(days=1)))
        return where


def entries(
    session: Session, filters: AuditFilter, limit: int = PAGE_SIZE, before: int | None = None
) -> list[AuditEntry]:
    """The newest entries matching `filters`, up to `limit`; `before` an id continues a page."""
    query = select(AuditEntry).where(*filters.conditions())
    if before is not None:
        query = query.where(AuditEntry.id < before)
    query = query.order_by(AuditEntry.id.desc()).limit(max(1, min(limit, MAX_PAGE_SIZE)))
    return list(session.scalars(query))


def actions_seen(session: Session, organization_ids: frozenset[int] | None) -> list[str]:
    """The actions recorded for the organizations, to filter by."""
    query = select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    if organization_ids is not None:
        query = query.where(AuditEntry.organization_id.in_(sorted(organization_ids)))
    return list(session.scalars(query))


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    """An entry as JSON values."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "organization_id": entry.organization_id,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "address": entry.address,
        "detail": entry.detail,
    }


def as_csv(found: Iterable[AuditEntry]) -> str:
    """Entries as CSV with a header row; `detail` as JSON. A cell that a spreadsheet would
    run as a formula is prefixed with a quote."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for entry in found:
        values = as_dict(entry)
        values["detail"] = json.dumps(values["detail"], sort_keys=True)
        writer.writerow([_cell(values[name]) for name in COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)

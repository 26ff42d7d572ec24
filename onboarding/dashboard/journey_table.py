"""The journey table: one row per journey with what an admin needs at a glance, filtered,
sorted and paginated by keyset (a cursor of the last row's sort key, never OFFSET)."""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from onboarding import outbox
from onboarding.dashboard.filters import JourneyFilter
from onboarding.errors import ValidationError
from onboarding.journeys.history import Fact
from onboarding.journeys.machine import LIVE, JourneyState
from onboarding.journeys.models import Journey, JourneyEvent, journey_roles
from onboarding.outbox.models import OutboxMessage
from onboarding.people.models import Organization, Person, Role

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_STUCK_DAYS = 3650
# Journey ids are 32-bit integers: a larger one in a cursor was not made by us.
MAX_ID = 2**31 - 1

# sort name -> (column, descending)
SORTS: dict[str, tuple[Any, bool]] = {
    "longest_in_state": (Journey.state_entered_at, False),
    "newest_in_state": (Journey.state_entered_at, True),
    "email": (Person.email, False),
    "newest": (Journey.created_at, True),
}
DEFAULT_SORT = "longest_in_state"


@dataclass(frozen=True)
class TableQuery:
    filters: JourneyFilter
    state: JourneyState | None = None
    stuck_days: int | None = None  # live and in the same state for more than this many days
    sort: str = DEFAULT_SORT
    after: str | None = None  # the cursor of the previous page
    limit: int = PAGE_SIZE


@dataclass(frozen=True)
class LastMail:
    template: str
    status: str
    queued_at: datetime
    sent_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class Row:
    id: int
    name: str
    email: str
    organization: str
    organization_id: int
    roles: list[str]
    state: JourneyState
    state_entered_at: datetime
    expires_at: datetime | None
    last_mail: LastMail | None
    nudges: int

    def time_in_state(self, now: datetime) -> timedelta:
        return now - self.state_entered_at

    def expires_in(self, now: datetime) -> timedelta | None:
        if self.expires_at is None or self.state not in LIVE:
            return None
        return self.expires_at - now


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    next_cursor: str | None


def encode_cursor(value: Any, journey_id: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, journey_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """The sort value and journey id in `cursor`; ValidationError if it was not made by us."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, journey_id = json.loads(raw)
        if (
            not isinstance(journey_id, int)
            or not 0 < journey_id <= MAX_ID
            or not isinstance(value, str)
            or "\x00" in value
        ):
            raise ValueError
        value.encode()  # UnicodeEncodeError for a lone surrogate, which no database stores
        if SORTS[sort][0] is not Person.email:
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationError(
            "The page cursor is not valid; start from the first page.", "after"
        ) from None
    return value, journey_id


def page(session: Session, query: TableQuery, now: datetime) -> Page:
    """One page of the table; `next_cursor` is None on the last page."""
    if query.sort not in SORTS:
        raise ValidationError("Sort must be one of %(sorts)s.", "sort", {"sorts": list(SORTS)})
    if not 1 <= query.limit <= MAX_PAGE_SIZE:
        raise ValidationError(
            "Limit must be between 1 and %(most)d.", "limit", {"most": MAX_PAGE_SIZE}
        )
    column, descending = SORTS[query.sort]
    select_rows = (
        select(Journey, Person.email, Organization.name)
        .join(Person, Person.id == Journey.person_id)
        .join(Organization, Organization.id == Journey.organization_id)
        .where(*query.filters.conditions())
    )
    if query.state is not None:
        select_rows = select_rows.where(Journey.state == query.state)
    if query.stuck_days is not None:
        if not 0 <= query.stuck_days <= MAX_STUCK_DAYS:
            raise ValidationError(
                "Stuck days must be between 0 and %(most)d.", "stuck_days", {"most": MAX_STUCK_DAYS}
            )
        select_rows = select_rows.where(
            Journey.state.in_(LIVE),
            Journey.state_entered_at < now - timedelta(days=query.stuck_days),
        )
    key = tuple_(column, Journey.id)
    if query.after:
        value, journey_id = decode_cursor(query.after, query.sort)
        select_rows = select_rows.where(
            key < (value, journey_id) if descending else key > (value, journey_id)
        )
    order = [column.desc(), Journey.id.desc()] if descending else [column, Journey.id]
    found = session.execute(select_rows.order_by(*order).limit(query.limit + 1)).all()
    more = len(found) > query.limit
    found = found[: query.limit]
    ids = [journey.id for journey, *_ in found]
    roles, mails, nudges = _roles(session, ids), _last_mails(session, ids), _nudges(session, ids)
    rows = [
        Row(
            id=journey.id,
            name=journey.full_name,
            email=email,
            organization=organization,
            organization_id=journey.organization_id,
            roles=roles.get(journey.id, []),
            state=journey.state,
            state_entered_at=journey.state_entered_at,
            expires_at=journey.expires_at,
            last_mail=mails.get(journey.id),
            nudges=nudges.get(journey.id, 0),
        )
        for journey, email, organization in found
    ]
    next_cursor = None
    if more and rows:
        last = found[-1]
        sort_value = last[1] if column is Person.email else getattr(last[0], column.key)
        next_cursor = encode_cursor(sort_value, last[0].id)
    return Page(rows, next_cursor)


def _roles(session: Session, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    query = (
        select(journey_roles.c.journey_id, Role.name)
        .join(Role, Role.id == journey_roles.c.role_id)
        .where(journey_roles.c.journey_id.in_(ids))
        .order_by(Role.name)
    )
    for journey_id, name in session.execute(query):
        found[journey_id].append(name)
    return found


def _last_mails(session: Session, ids: list[int]) -> dict[int, LastMail]:
    latest = (
        select(func.max(OutboxMessage.id))
        .where(OutboxMessage.journey_id.in_(ids), OutboxMessage.kind == outbox.MAIL)
        .group_by(OutboxMessage.journey_id)
    )
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(latest)))
    return {
        m.journey_id: LastMail(
            m.payload.get("template", ""), m.status, m.created_at, m.sent_at, m.last_error
        )
        for m in messages
        if m.journey_id is not None
    }


def _nudges(session: Session, ids: list[int]) -> dict[int, int]:
    query = (
        select(JourneyEvent.journey_id, func.count())
        .where(JourneyEvent.journey_id.in_(ids), JourneyEvent.trigger == Fact.nudge)
        .group_by(JourneyEvent.journey_id)
    )
    return {journey_id: n for journey_id, n in session.execute(query)}

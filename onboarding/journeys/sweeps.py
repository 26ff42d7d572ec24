"""Set-based transitions for the sweeps: one statement per batch, not a loop over rows.

The source and destination states come from the machine definition, so the SQL can never
move a journey along an edge the machine does not have.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    CursorResult,
    Integer,
    String,
    Table,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from onboarding.db import UTCDateTime
from onboarding.journeys.machine import JourneyState, destination, sources_of
from onboarding.journeys.models import STATE_TYPE, Journey, JourneyEvent
from onboarding.journeys.steps import furthest_step_sql

SWEEP_ACTOR = "sweep"
JOURNEYS = cast(Table, Journey.__table__)
EVENTS = cast(Table, JourneyEvent.__table__)


def _edge(trigger: str) -> tuple[list[JourneyState], JourneyState]:
    sources = sources_of(trigger)
    targets = {destination(trigger, source) for source in sources}
    if len(targets) != 1:
        raise ValueError(f"{trigger!r} does not lead to a single state; it cannot be swept")
    return sources, targets.pop()


def expire_stale(session: Session, now: datetime, batch_size: int = 10_000) -> int:
    """Expire every live journey whose invitation ran out by `now`; returns how many.

    Each batch moves the journeys and writes their history rows together, in the caller's
    transaction. On PostgreSQL rows locked by a concurrent change are skipped (they are either
    being accepted or will be taken by the next sweep).
    """
    return _sweep(
        session,
        "expire",
        Journey.expires_at <= now,
        now,
        {"reason": "invitation expired"},
        batch_size,
    )


def _sweep(
    session: Session,
    trigger: str,
    condition: Any,
    now: datetime,
    detail: dict[str, Any],
    batch_size: int,
) -> int:
    sources, target = _edge(trigger)
    where = [Journey.state.in_(sources), condition]
    event_values: list[Any] = [
        literal(now, UTCDateTime()),
        literal(SWEEP_ACTOR, String()),
        literal(trigger, String()),
        literal(target, STATE_TYPE),
        literal(detail, JSON()),
    ]
    event_columns = ["journey_id", "from_state", "at", "actor", "trigger", "to_state", "detail"]
    moved_values = {
        "state": target,
        "version": Journey.version + literal(1, Integer()),
        "state_entered_at": now,
        "furthest_state": furthest_step_sql(Journey.furthest_state, target),
    }
    postgres = session.get_bind().dialect.name == "postgresql"
    total = 0
    while True:
        batch = (
            select(Journey.id, Journey.state).where(*where).order_by(Journey.id).limit(batch_size)
        )
        if postgres:
            stale = batch.with_for_update(skip_locked=True).cte("stale")
            moved = (
                update(JOURNEYS)
                .where(Journey.id == stale.c.id)
                .values(moved_values)
                .returning(Journey.id, stale.c.state)
                .cte("moved")
            )
            recorded = (
                insert(EVENTS)
                .from_select(event_columns, select(moved.c.id, moved.c.state, *event_values))
                .returning(EVENTS.c.id)
                .cte("recorded")
            )
            # Counted in SQL: the driver's rowcount is not reliable for INSERT … SELECT.
            rows = session.scalar(select(func.count()).select_from(recorded)) or 0
        else:
            # SQLite has no UPDATE in a CTE; its writers are serialised (BEGIN IMMEDIATE), so the
            # same ordered, limited predicate selects the same rows in both statements.
            stale_ids = batch.with_only_columns(Journey.id).scalar_subquery()
            inserted = session.execute(
                insert(EVENTS).from_select(event_columns, batch.add_columns(*event_values))
            )
            rows = cast(CursorResult[Any], inserted).rowcount
            session.execute(
                update(JOURNEYS).where(Journey.id.in_(stale_ids)).values(moved_values),
                execution_options={"synchronize_session": False},
            )
        total += rows
        if rows < batch_size:
            break
    session.expire_all()
    return total

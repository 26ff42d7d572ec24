"""The funnel: for each step of the journey, how many reached it, how many are in it now,
the conversion from the step before and the median time spent in it.

"Reached" counts a journey at every step up to the one it is in, or, once it expired or was
revoked, up to the furthest one it got to (`Journey.furthest_state`).
Medians come from the history: the time between entering a step and leaving it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from onboarding.dashboard.filters import JourneyFilter
from onboarding.dashboard.sql import seconds_between
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent
from onboarding.journeys.steps import EXITS, RANK, STEPS
from onboarding.people.models import Person

MEDIAN_SAMPLE = 2_000
LISTED_SAMPLE_IDS = 4 * MEDIAN_SAMPLE  # at most this many candidate ids go into the query


@dataclass(frozen=True)
class Step:
    state: JourneyState
    reached: int
    now: int
    conversion: float | None  # share of the previous step's journeys that reached this one
    median_seconds: float | None  # median time spent in this step by those who left it


@dataclass(frozen=True)
class Funnel:
    steps: list[Step]
    exits: dict[JourneyState, int]  # journeys now in each exit state
    median_sample: int  # how many journeys the medians were drawn from

    @property
    def total(self) -> int:
        return self.steps[0].reached if self.steps else 0

    def count_in(self, state: JourneyState) -> int:
        return next((s.now for s in self.steps if s.state is state), self.exits.get(state, 0))


def _scoped(query, filters: JourneyFilter):  # type: ignore[no-untyped-def]
    if filters.needs_person:
        query = query.join(Person, Person.id == Journey.person_id)
    return query.where(*filters.conditions())


def funnel(session: Session, filters: JourneyFilter) -> Funnel:
    """The funnel of the journeys selected by `filters`."""
    # Grouped in the order of ix_journeys_organization_id_state_furthest_state, so the counts
    # stream from that index without a hash table, also across every organization.
    grouping = (Journey.organization_id, Journey.state, Journey.furthest_state)
    counts = _scoped(select(*grouping[1:], func.count()), filters).group_by(*grouping)
    now_in: dict[JourneyState, int] = defaultdict(int)
    reached_exactly = [0] * len(STEPS)
    for state, furthest, n in session.execute(counts):
        now_in[state] += n
        # A journey that left through an exit counts at the furthest step it got to.
        reached_exactly[RANK.get(state, RANK[furthest])] += n
    total = sum(now_in.values())
    # Beyond MEDIAN_SAMPLE journeys, medians come from every n-th journey: as exact as an
    # admin can read them, at a fraction of the cost of sorting every history row.
    every = max(1, math.ceil(total / MEDIAN_SAMPLE))
    medians = median_seconds_per_step(session, filters, every)
    steps, reached = [], 0
    cumulative = [sum(reached_exactly[i:]) for i in range(len(STEPS))]
    for index, state in enumerate(STEPS):
        previous, reached = reached, cumulative[index]
        conversion = reached / previous if index and previous else None
        steps.append(Step(state, reached, now_in.get(state, 0), conversion, medians.get(state)))
    exits = {state: now_in.get(state, 0) for state in EXITS}
    return Funnel(steps, exits, median_sample=math.ceil(total / every))


def median_seconds_per_step(
    session: Session, filters: JourneyFilter, every: int = 1
) -> dict[JourneyState, float]:
    """Median time between entering each step and leaving it, from the history of every
    `every`-th journey."""
    query = _scoped(
        select(
            JourneyEvent.from_state.label("state"),
            seconds_between(
                session,
                func.lag(JourneyEvent.at).over(
                    partition_by=JourneyEvent.journey_id, order_by=JourneyEvent.id
                ),
                JourneyEvent.at,
            ).label("seconds"),
        ).join(Journey, Journey.id == JourneyEvent.journey_id),
        filters,
    ).where(
        # Only state changes: events that keep the state (resend, link opened) are not steps.
        or_(JourneyEvent.from_state.is_(None), JourneyEvent.from_state != JourneyEvent.to_state)
    )
    if every > 1:
        query = query.where(_every_nth_journey(session, every))
    changes = query.subquery()
    numbered = (
        select(
            changes.c.state,
            changes.c.seconds,
            func.row_number()
            .over(partition_by=changes.c.state, order_by=changes.c.seconds)
            .label("position"),
            func.count().over(partition_by=changes.c.state).label("size"),
        )
        .where(changes.c.state.in_(STEPS), changes.c.seconds.is_not(None))
        .subquery()
    )
    # The middle row, or the two middle rows of an even count.
    half, half_up = (numbered.c.size + 1) // 2, (numbered.c.size + 2) // 2
    middle = (
        select(numbered.c.state, func.avg(numbered.c.seconds))
        .where(or_(numbered.c.position == half, numbered.c.position == half_up))
        .group_by(numbered.c.state)
    )
    return {state: float(seconds) for state, seconds in session.execute(middle)}


def _every_nth_journey(session: Session, every: int) -> ColumnElement[bool]:
    """Journeys whose id is a multiple of `every`. When those ids are few they are listed, so
    the database looks them up by primary key instead of reading every journey to find them."""
    last = session.scalar(select(func.max(Journey.id))) or 0
    if last // every <= LISTED_SAMPLE_IDS:
        return Journey.id.in_(range(every, last + 1, every))
    return Journey.id % every == 0

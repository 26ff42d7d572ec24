"""The steps of a journey, in the machine's order, and the furthest step a journey reached.

The ways out of a journey are where "expire" and "revoke" lead; every other state is a step.
Each journey keeps its furthest step (`Journey.furthest_state`), updated wherever its state is
written, so the funnel can tell where expired and revoked journeys left without their history.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, literal

from onboarding.journeys.machine import JourneyState, destination, sources_of

EXITS = [
    destination("expire", sources_of("expire")[0]),
    destination("revoke", JourneyState.created),
]
STEPS = [state for state in JourneyState if state not in EXITS]
RANK = {state: index for index, state in enumerate(STEPS)}


def furthest_step(furthest: JourneyState, entered: JourneyState) -> JourneyState:
    """The furthest step once a journey whose furthest step was `furthest` enters `entered`;
    entering an exit, or going back (re-invited), is no progress."""
    if entered in RANK and RANK[entered] > RANK[furthest]:
        return entered
    return furthest


def furthest_step_sql(furthest: Any, entered: JourneyState) -> Any:
    """`furthest_step` as a SQL expression over the column `furthest`, for set-based writes."""
    if entered not in RANK:
        return furthest
    beyond = [state for state in STEPS if RANK[state] > RANK[entered]]
    return case((furthest.in_(beyond), furthest), else_=literal(entered, furthest.type))

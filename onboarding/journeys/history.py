"""A journey's history: one row per transition, and per fact worth showing (a link opened,
a mail bounced, a nudge sent) that does not change the state."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, Insert, Select, Table, bindparam, func, insert, select
from sqlalchemy.orm import Session

from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey, JourneyEvent


class Fact(StrEnum):
    """What a history row records besides the machine's triggers: facts that keep the state.
    The value is stored in the row's trigger column."""

    link_opened = "link_opened"  # the person clicked to continue (see the invitation page)
    link_fetched = "link_fetched"  # a GET or HEAD of the mailed link, by a person or a scanner
    mail_bounced = "mail_bounced"
    nudge = "nudge"  # a reminder mail sent
    extend = "extend"  # the invitation's expiry pushed back
    switch_account = "switch_account"  # the person chose another account for the invitation
    account_linked = "account_linked"  # an account's owner confirmed being the invitee
    directory_update = "directory_update"  # the organization's directory changed the person
    roles_changed = "roles_changed"  # roles given or taken (a directory's group membership)
    reminders_stopped = "reminders_stopped"  # the person asked for no more reminder mails
    erased = "erased"  # the person's names and address were replaced by a pseudonym
    new_invitation_asked = "new_invitation_asked"  # the invitee of an expired one asked


class Noted(Protocol):
    """What noting a fact reads of its journey: a `Journey`, or a view of one."""

    @property
    def id(self) -> int: ...

    @property
    def state(self) -> JourneyState: ...


def record(
    session: Session,
    journey: Journey,
    trigger: str,
    *,
    actor: str,
    now: datetime,
    from_state: JourneyState | None,
    detail: dict[str, Any] | None = None,
) -> JourneyEvent:
    """Add a history row for `journey`, which is already in its new state."""
    event = JourneyEvent(
        journey=journey,
        at=now,
        actor=actor,
        trigger=trigger,
        from_state=from_state,
        to_state=journey.state,
        detail=detail or {},
    )
    session.add(event)
    return event


def note(
    session: Session,
    journey: Journey,
    fact: Fact,
    *,
    actor: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> JourneyEvent:
    """Record a fact that leaves the state as it is (from and to are the current state)."""
    return record(
        session, journey, fact, actor=actor, now=now, from_state=journey.state, detail=detail
    )


def note_up_to_statement(found: Select[int, JourneyState]) -> Insert:
    """The INSERT … SELECT of `note_up_to`, for the journey whose id and state `found` selects
    (if any): a statement of its own, or part of another (a CTE that notes what a query finds).

    Its parameters: fact, at, actor, detail and times. The count is the database's, so the
    history is never loaded.
    """
    columns = JourneyEvent.__table__.c
    journey = found.subquery()
    journey_id, state = journey.c
    fact = bindparam("fact", type_=columns.trigger.type)
    on_record = (
        select(func.count())
        .where(columns.journey_id == journey_id, columns.trigger == fact)
        .scalar_subquery()
    )
    row = select(
        journey_id,
        bindparam("at", type_=columns.at.type),
        bindparam("actor", type_=columns.actor.type),
        fact,
        state,
        state,
        bindparam("detail", type_=columns.detail.type),
    ).where(on_record < bindparam("times"))
    names = ["journey_id", "at", "actor", "trigger", "from_state", "to_state", "detail"]
    return insert(cast(Table, JourneyEvent.__table__)).from_select(names, row)


def _note_up_to_statement() -> Insert:
    columns = JourneyEvent.__table__.c
    return note_up_to_statement(
        select(
            bindparam("journey_id", type_=columns.journey_id.type).label("id"),
            bindparam("state", type_=columns.to_state.type).label("state"),
        )
    )


# Built once: a page that notes a fact on every request (the invitation link's fetches) pays
# only for its execution.
_NOTE_UP_TO = _note_up_to_statement()


def note_up_to(
    session: Session,
    journey: Noted,
    fact: Fact,
    times: int,
    *,
    actor: str,
    now: datetime,
    detail: dict[str, Any],
) -> bool:
    """`note`, unless `fact` is on record `times` times already; whether it was recorded.

    One INSERT … SELECT (`note_up_to_statement`).
    """
    params = {
        "journey_id": journey.id,
        "fact": fact.value,
        "state": journey.state,
        "at": now,
        "actor": actor,
        "detail": detail,
        "times": times,
    }
    result = session.execute(_NOTE_UP_TO, params)
    return cast(CursorResult[Any], result).rowcount == 1

"""Fetches of a mailed invitation link (GET or HEAD), recorded so that the dashboard can tell a
mail scanner's prefetch from a person: scanners fetch within seconds of delivery, or with HEAD.

A fetch is a fact in the history that keeps the state (`Fact.link_fetched`); the person's own
click to continue is `Fact.link_opened`. Nothing else changes: the link stays as valid as it was.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from onboarding import link_secrets
from onboarding.journeys import history, link_tokens
from onboarding.journeys.link_tokens import TokenStatus
from onboarding.journeys.models import Journey, LinkToken
from onboarding.journeys.shown_invitation import BY_LINK, ShownLink, shown

MAX_RECORDED = 20  # per journey: enough to diagnose, not a log of every scanner retry
ACTOR = "link"

log = logging.getLogger(__name__)


def record_fetch(
    session: Session, journey: history.Noted, *, method: str, user_agent: str, now: datetime
) -> bool:
    """Note that `journey`'s invitation link, valid now, was fetched; False if not recorded
    (already many fetches on record)."""
    return history.note_up_to(
        session,
        journey,
        history.Fact.link_fetched,
        MAX_RECORDED,
        actor=ACTOR,
        now=now,
        **_fetch(method, user_agent),
    )


def check_and_record_fetch(
    session: Session, raw: str, *, method: str, user_agent: str, now: datetime
) -> ShownLink:
    """What the invitation link `raw` is worth now, with what its page shows, its fetch
    recorded when it is valid.

    On PostgreSQL in one statement: the check, with a CTE that notes the fetch. A failure to
    record is logged and rolled back, never the caller's: the check is then made alone.
    """
    if not link_secrets.well_formed(raw):
        return ShownLink(TokenStatus.malformed)
    link = link_tokens.link_parameters(raw, link_tokens.INVITATION, now)
    # Plain rows, run on the session's connection: nothing on the way is the ORM's.
    if session.get_bind().dialect.name != "postgresql":  # no data-modifying CTE: two statements
        found = shown(session.connection().execute(BY_LINK, link))
        if found.status is TokenStatus.valid and found.invitation is not None:
            try:
                record_fetch(
                    session, found.invitation, method=method, user_agent=user_agent, now=now
                )
            except SQLAlchemyError as error:
                _not_recorded(session, error)
        return found
    parameters = check_and_note_parameters(link, method=method, user_agent=user_agent, now=now)
    try:
        return shown(session.connection().execute(CHECK_AND_NOTE, parameters))
    except SQLAlchemyError as error:
        _not_recorded(session, error)
        return shown(session.connection().execute(BY_LINK, link))


def check_and_note_parameters(
    link: dict[str, Any], *, method: str, user_agent: str, now: datetime
) -> dict[str, Any]:
    """The parameters of `CHECK_AND_NOTE` for a fetch at `now` of the link of `link`'s
    parameters (`link_tokens.link_parameters`)."""
    return {
        **link,
        "fact": history.Fact.link_fetched.value,
        "at": now,
        "actor": ACTOR,
        "times": MAX_RECORDED,
        **_fetch(method, user_agent),
    }


def _not_recorded(session: Session, error: SQLAlchemyError) -> None:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        raise error  # the database is gone, not just the note: the caller's to handle
    log.exception("could not record a fetch of an invitation link")
    session.rollback()


def _fetch(method: str, user_agent: str) -> dict[str, Any]:
    return {"detail": {"method": method.upper()[:8], "user_agent": user_agent[:200]}}


def _check_and_note() -> Select[*tuple[Any, ...]]:
    valid = (
        select(Journey.id, Journey.state)
        .join_from(LinkToken, Journey, LinkToken.journey)
        .where(
            LinkToken.token_hash == bindparam("token_hash"),
            LinkToken.purpose == bindparam("purpose"),
            link_tokens.VALID,
        )
    )
    return BY_LINK.add_cte(history.note_up_to_statement(valid).cte("noted"))


# Built once, like the check it extends: on PostgreSQL, `BY_LINK` noting the fetch of a valid
# link (its parameters: `check_and_note_parameters`).
CHECK_AND_NOTE = _check_and_note()

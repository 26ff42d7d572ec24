"""Link tokens for mailed links: 256 random bits, URL-safe, stored only as SHA-256.

Looking a token up never changes anything (mail scanners prefetch links); the caller decides
what to do on an explicit POST.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Result, and_, bindparam, case, or_, select
from sqlalchemy.orm import Session, contains_eager

from onboarding import link_secrets
from onboarding.db import written
from onboarding.journeys import join_codes
from onboarding.journeys.machine import LIVE, JourneyState
from onboarding.journeys.models import Journey, LinkToken

INVITATION = "invitation"


class TokenStatus(enum.Enum):
    valid = "valid"
    malformed = "malformed"
    unknown = "unknown"
    expired = "expired"
    used = "used"
    revoked = "revoked"
    accepted = "accepted"


@dataclass(frozen=True)
class TokenCheck:
    status: TokenStatus
    token: LinkToken | None = None

    @property
    def journey(self) -> Journey | None:
        return self.token.journey if self.token else None


hash_token = link_secrets.digest


def _status() -> ColumnElement[str]:
    """What a link is worth at the parameter `now`, told by the database: the one definition,
    read by `check` and by statements that act only on a valid link (a fetch's note).

    Its states and answers are constants written into the SQL, not a dozen parameters."""
    token, journey = LinkToken, Journey
    now = bindparam("now", type_=token.expires_at.type)
    state = journey.state
    # A re-invitation starts a new generation of links: those mailed before it stay dead.
    superseded = and_(journey.invited_at.is_not(None), token.created_at < journey.invited_at)
    # The link's expiry or the journey's, whichever comes first (the journey's may be unset).
    expired = or_(
        state == written(JourneyState.expired), token.expires_at <= now, journey.expires_at <= now
    )
    return case(
        (state == written(JourneyState.accepted), written(TokenStatus.accepted)),
        (
            or_(state == written(JourneyState.revoked), superseded),
            written(TokenStatus.revoked),
        ),
        (token.used_at.is_not(None), written(TokenStatus.used)),
        (expired, written(TokenStatus.expired)),
        # Unequal to each rather than NOT IN, whose list is rendered again at every execution.
        (and_(*(state != written(live) for live in LIVE)), written(TokenStatus.revoked)),
        else_=written(TokenStatus.valid),
    )


STATUS = _status()
VALID = STATUS.is_not_distinct_from(written(TokenStatus.valid))  # (never NULL)

# What a link's page shows and checks, loaded with the link and its status in one query (a
# journey has few roles: a row each).
_JOURNEY = contains_eager(LinkToken.journey)
_WITH_JOURNEY = (
    _JOURNEY.joinedload(Journey.person),
    _JOURNEY.joinedload(Journey.organization),
    _JOURNEY.joinedload(Journey.invited_by),
    _JOURNEY.joinedload(Journey.roles),
)
_CHECK = select(LinkToken, STATUS).join(LinkToken.journey).options(*_WITH_JOURNEY)
# Built once: every link followed pays only for running its query.
BY_LINK = _CHECK.where(
    LinkToken.token_hash == bindparam("token_hash"), LinkToken.purpose == bindparam("purpose")
)
_BY_CODE = _CHECK.where(LinkToken.code_hash == bindparam("code_hash"))


def check(session: Session, raw: str, purpose: str, now: datetime) -> TokenCheck:
    """What `raw` is worth now, without changing anything."""
    if not link_secrets.well_formed(raw):
        return TokenCheck(TokenStatus.malformed)
    return checked(session.execute(BY_LINK, link_parameters(raw, purpose, now)))


def link_parameters(raw: str, purpose: str, now: datetime) -> dict[str, Any]:
    """The parameters of `BY_LINK`, and of `STATUS`, for the link `raw` at `now`."""
    return {"token_hash": link_secrets.digest(raw), "purpose": purpose, "now": now}


def check_code(session: Session, typed: str | None, now: datetime) -> TokenCheck:
    """What the invitation whose join code was `typed` is worth now: what its link is worth."""
    code = join_codes.normalised(typed)
    if code is None:
        return TokenCheck(TokenStatus.malformed)
    stored = join_codes.stored_as(session, code)
    return checked(session.execute(_BY_CODE, {"code_hash": stored, "now": now}))


def checked(result: Result[LinkToken, str]) -> TokenCheck:
    """The check of the link found by a `BY_LINK` query (all its rows: a role each)."""
    row = result.unique().one_or_none()
    if row is None:
        return TokenCheck(TokenStatus.unknown)
    token, status = row
    return TokenCheck(TokenStatus(status), token)

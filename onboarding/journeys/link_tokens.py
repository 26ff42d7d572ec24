"""Link tokens for mailed links: 256 random bits, URL-safe, stored only as SHA-256.

Looking a token up never changes anything (mail scanners prefetch links); the caller decides
what to do on an explicit POST.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from onboarding import link_secrets
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

# What a link's page shows and checks, loaded with the link in one query (a journey has few
# roles: a row each).
_JOURNEY = joinedload(LinkToken.journey)
_WITH_JOURNEY = (
    _JOURNEY.joinedload(Journey.person),
    _JOURNEY.joinedload(Journey.organization),
    _JOURNEY.joinedload(Journey.invited_by),
    _JOURNEY.joinedload(Journey.roles),
)


def check(session: Session, raw: str, purpose: str, now: datetime) -> TokenCheck:
    """What `raw` is worth now, without changing anything."""
    if not link_secrets.well_formed(raw):
        return TokenCheck(TokenStatus.malformed)
    token = link_secrets.find(session, LinkToken, raw, purpose, *_WITH_JOURNEY)
    return _worth(token, now)


def check_code(session: Session, typed: str | None, now: datetime) -> TokenCheck:
    """What the invitation whose join code was `typed` is worth now: what its link is worth."""
    code = join_codes.normalised(typed)
    if code is None:
        return TokenCheck(TokenStatus.malformed)
    token = (
        session.scalars(
            select(LinkToken)
            .where(LinkToken.code_hash == join_codes.stored_as(session, code))
            .options(*_WITH_JOURNEY)
        )
        .unique()
        .one_or_none()
    )
    return _worth(token, now)


def _worth(token: LinkToken | None, now: datetime) -> TokenCheck:
    if token is None:
        return TokenCheck(TokenStatus.unknown)
    journey = token.journey
    if journey.state is JourneyState.accepted:
        return TokenCheck(TokenStatus.accepted, token)
    # A re-invitation starts a new generation of links: those mailed before it stay dead.
    superseded = journey.invited_at is not None and token.created_at < journey.invited_at
    if journey.state is JourneyState.revoked or superseded:
        return TokenCheck(TokenStatus.revoked, token)
    if token.used_at is not None:
        return TokenCheck(TokenStatus.used, token)
    expired_at = min(filter(None, [token.expires_at, journey.expires_at]))
    if journey.state is JourneyState.expired or expired_at <= now:
        return TokenCheck(TokenStatus.expired, token)
    if journey.state not in LIVE:
        return TokenCheck(TokenStatus.revoked, token)
    return TokenCheck(TokenStatus.valid, token)

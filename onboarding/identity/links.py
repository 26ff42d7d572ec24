"""Mailed link tokens of accounts (activation, password reset): 256 random bits, stored only
as SHA-256. Looking one up never changes anything (mail scanners prefetch links); a POST
that acts on it consumes it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from onboarding import link_secrets
from onboarding.identity.models import Account, AccountToken

ACTIVATION = "activation"
PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose name)


class LinkStatus(enum.Enum):
    valid = "valid"
    unknown = "unknown"
    expired = "expired"
    used = "used"


@dataclass(frozen=True)
class LinkCheck:
    status: LinkStatus
    token: AccountToken | None = None

    @property
    def account(self) -> Account | None:
        return self.token.account if self.token else None


digest = link_secrets.digest


def check(session: Session, raw: str, purpose: str, now: datetime) -> LinkCheck:
    """What `raw` is worth now, without changing anything."""
    token = link_secrets.find(session, AccountToken, raw, purpose)
    if token is None:
        return LinkCheck(LinkStatus.unknown)
    if token.used_at is not None:
        return LinkCheck(LinkStatus.used, token)
    if token.expires_at <= now:
        return LinkCheck(LinkStatus.expired, token)
    return LinkCheck(LinkStatus.valid, token)


def consume(session: Session, token: AccountToken, now: datetime) -> bool:
    """Mark `token` used; False when another request used it first (one winner)."""
    result = session.execute(
        update(AccountToken)
        .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token.used_at = now
    return result.rowcount == 1  # type: ignore[attr-defined]


def consume_all(session: Session, account: Account, purpose: str, now: datetime) -> None:
    """Kill every open link of `purpose` for `account` (after a successful reset)."""
    session.execute(
        update(AccountToken)
        .where(
            AccountToken.account_id == account.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )

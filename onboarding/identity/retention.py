"""Purge of Connect's spent secrets: authorization codes, access tokens, refresh tokens and
mailed links that were used or expired longer ago than CONNECT_TOKEN_RETENTION (a used refresh
token stays until it expires: presented again, it revokes its grant). Set-based DELETEs.

Kept for the retention on purpose: a kept code remembers its nonce, so that a replayed nonce
is refused for far longer than any ID token lives, and a kept link still tells its reader
what became of it (used, expired) instead of "not valid".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, or_
from sqlalchemy.orm import Session

from onboarding.db import settings_of
from onboarding.identity.machine import sources_of
from onboarding.identity.models import (
    AccessToken,
    Account,
    AccountToken,
    AuthorizationCode,
    RefreshToken,
)


@dataclass(frozen=True)
class Purged:
    codes: int
    access_tokens: int
    refresh_tokens: int
    links: int

    @property
    def total(self) -> int:
        return self.codes + self.access_tokens + self.refresh_tokens + self.links


def purge_spent_tokens(session: Session, now: datetime) -> Purged:
    """Delete the codes, tokens and links that were used or expired before
    `now` - CONNECT_TOKEN_RETENTION; returns how many of each.

    The links of an account that still awaits activation stay, however old: its expired
    activation link is where the owner asks for a fresh one.
    """
    cutoff = now - settings_of(session).connect_token_retention
    awaiting = exists().where(
        Account.id == AccountToken.account_id, Account.state.in_(sources_of("activate"))
    )
    return Purged(
        codes=_deleted(
            session,
            delete(AuthorizationCode).where(
                or_(AuthorizationCode.used_at < cutoff, AuthorizationCode.expires_at < cutoff)
            ),
        ),
        access_tokens=_deleted(session, delete(AccessToken).where(AccessToken.expires_at < cutoff)),
        refresh_tokens=_deleted(
            session, delete(RefreshToken).where(RefreshToken.expires_at < cutoff)
        ),
        links=_deleted(
            session,
            delete(AccountToken).where(
                or_(AccountToken.used_at < cutoff, AccountToken.expires_at < cutoff), ~awaiting
            ),
        ),
    )


def _deleted(session: Session, statement: Any) -> int:
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return cast(CursorResult[Any], result).rowcount

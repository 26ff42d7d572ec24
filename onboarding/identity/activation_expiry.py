"""The activation sweep: accounts that were never activated and have no activation link left
that works move to activation_expired, one set-based statement per batch.

The source and destination states come from the account machine, so the SQL can never move
an account along an edge the machine does not have. Accounts keep no history table: the
state (and its version) is the whole record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Integer, exists, literal, select, update
from sqlalchemy.orm import Session

from onboarding.db import settings_of
from onboarding.identity import links
from onboarding.identity.machine import destination, sources_of
from onboarding.identity.models import Account, AccountToken

EXPIRE = "expire_activation"


def expire_activations(session: Session, now: datetime, batch_size: int = 10_000) -> int:
    """Move every registered account past ACTIVATION_TTL without a usable activation link to
    activation_expired; returns how many.

    An account is stale when it registered at least ACTIVATION_TTL ago and none of its open
    (unused) activation links is still valid at `now`. Runs in the caller's transaction; on
    PostgreSQL accounts locked by a concurrent change (an activation, a resend) are skipped:
    that change decides, and the next sweep looks again.
    """
    target = destination(EXPIRE)
    valid_link = exists().where(
        AccountToken.account_id == Account.id,
        AccountToken.purpose == links.ACTIVATION,
        AccountToken.used_at.is_(None),
        AccountToken.expires_at > now,
    )
    batch = (
        select(Account.id)
        .where(
            Account.state.in_(sources_of(EXPIRE)),
            Account.created_at <= now - settings_of(session).activation_ttl,
            ~valid_link,
        )
        .order_by(Account.id)
        .limit(batch_size)
    )
    if session.get_bind().dialect.name == "postgresql":
        batch = batch.with_for_update(skip_locked=True)
    # The version moves too, so that a change loaded before the sweep fails its version check.
    moved = update(Account).where(Account.id.in_(batch.scalar_subquery()))
    moved = moved.values(state=target, version=Account.version + literal(1, Integer()))
    total = 0
    while True:
        result = session.execute(moved, execution_options={"synchronize_session": False})
        rows = cast(CursorResult[Any], result).rowcount
        total += rows
        if rows < batch_size:
            break
    session.expire_all()
    return total

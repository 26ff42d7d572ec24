"""What one authorization code grants, over its lifetime: the access tokens and refresh tokens
issued from it share a grant id. Refresh tokens rotate on every use; presenting a used one again,
or replaying the code, revokes the whole grant (RFC 6749 section 4.1.2, RFC 9700 section
4.14.2); a client revokes a token itself at the revocation endpoint (RFC 7009)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onboarding.identity.models import AccessToken, AuthorizationCode, RefreshToken
from onboarding.identity.oidc import digest, save_token

REFRESH_TOKEN_TTL = timedelta(days=30)


def revoke_replayed_code(session: Session, code: str, client_id: str, now: datetime) -> None:
    """A code presented again after its exchange: revoke what it was exchanged for."""
    grant_id = session.scalar(
        select(AuthorizationCode.grant_id).where(
            AuthorizationCode.code_hash == digest(code),
            AuthorizationCode.client_id == client_id,
            AuthorizationCode.used_at.is_not(None),
        )
    )
    if grant_id:
        revoke(session, grant_id, now)


def revoke(session: Session, grant_id: str, now: datetime) -> None:
    """End every access and refresh token of the grant."""
    for model in (AccessToken, RefreshToken):
        session.execute(
            update(model)
            .where(model.grant_id == grant_id, model.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )


def save_refresh_token(session: Session, **fields: Any) -> None:
    save_token(session, RefreshToken, REFRESH_TOKEN_TTL, **fields)


def claim_refresh_token(
    session: Session, token: str, client_id: str, now: datetime
) -> RefreshToken | None:
    """The refresh token's row, marked used in the statement that finds it usable, so that
    it refreshes once. A token used before is a replay, by a thief or by the client it was
    stolen from: its grant is revoked. Unknown, expired, revoked or foreign tokens give None."""
    result = session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == digest(token),
            RefreshToken.client_id == client_id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    row = session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == digest(token))
        .execution_options(populate_existing=True)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return row
    if row is not None and row.client_id == client_id and row.used_at is not None:
        revoke(session, row.grant_id, now)
    return None


def find_refresh_token(session: Session, token: str) -> RefreshToken | None:
    return session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(token)))


def revoke_token(session: Session, row: AccessToken | RefreshToken, now: datetime) -> None:
    """A client revokes a token: an access token alone, a refresh token with its whole grant
    (RFC 7009 section 2.1)."""
    if isinstance(row, RefreshToken):
        revoke(session, row.grant_id, now)
    elif row.revoked_at is None:
        row.revoked_at = now

"""What Connect keeps of an account, for its owner as JSON (GDPR articles 15 and 20): the
account's details, whether its second factors are on (never their secrets), its upstream
identities, its log-in sessions and the applications it signed in to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding.clock import utcnow
from onboarding.identity.models import (
    Account,
    AuthorizationCode,
    ConnectSession,
    RecoveryCode,
    UpstreamIdentity,
)


def export_account(
    session: Session, account: Account, now: datetime | None = None
) -> dict[str, Any]:
    """Everything Connect keeps of `account` that is its owner's, as JSON values."""
    upstream = session.scalars(
        select(UpstreamIdentity).where(UpstreamIdentity.account_id == account.id)
    )
    log_ins = session.scalars(
        select(ConnectSession)
        .where(ConnectSession.account_id == account.id)
        .order_by(ConnectSession.id)
    )
    signed_in_to = session.execute(
        select(AuthorizationCode.client_id, AuthorizationCode.scope, AuthorizationCode.created_at)
        .where(AuthorizationCode.account_id == account.id)
        .order_by(AuthorizationCode.id)
    )
    recovery_codes = session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    return {
        "exported_at": _time(now or utcnow()),
        "account": {
            "subject": account.subject,
            "email": account.email,
            "first_name": account.first_name,
            "last_name": account.last_name,
            "language": account.language,
            "country": account.country,
            "state": account.state.value,
            "created_at": _time(account.created_at),
            "activated_at": _time(account.activated_at),
            "has_password": account.password_hash is not None,
            "two_factor_since": _time(account.totp_enabled_at),
            "unused_recovery_codes": len(recovery_codes),
        },
        "upstream_identities": [
            {"issuer": row.issuer, "subject": row.subject, "linked_at": _time(row.created_at)}
            for row in upstream
        ],
        "sessions": [
            {
                "started_at": _time(row.created_at),
                "ended_at": _time(row.ended_at),
                "applications": row.client_ids,
            }
            for row in log_ins
        ],
        "authorizations": [
            {"application": row.client_id, "scope": row.scope, "at": _time(row.created_at)}
            for row in signed_in_to
        ],
    }


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None

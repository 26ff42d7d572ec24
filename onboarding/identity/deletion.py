"""An owner deletes their account (GDPR article 17): confirmed with the password, a code of
the second factor or one of the account's own passkeys, the account goes with everything
Connect keeps of it (credentials, second factors, sessions, mailed links, codes and tokens,
upstream identities). Its clients are told that its sessions ended, the app learns of it
through an identity event, and the owner gets a mail that confirms it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from onboarding.clock import utcnow
from onboarding.db import settings_of
from onboarding.errors import ValidationError
from onboarding.identity import events, mails, passkeys, passwords, sessions, two_factor
from onboarding.identity.models import (
    AccessToken,
    Account,
    AccountToken,
    AuthorizationCode,
    ConnectSession,
    Passkey,
    PasskeyChallenge,
    RecoveryCode,
    RefreshToken,
    UpstreamIdentity,
)

# Every table that keeps something of an account, by its account_id.
OWNED = (
    ConnectSession,
    AccountToken,
    RecoveryCode,
    Passkey,
    PasskeyChallenge,
    UpstreamIdentity,
    RefreshToken,
    AuthorizationCode,
    AccessToken,
)


def confirmed(session: Session, account: Account, password: str, code: str, now: datetime) -> bool:
    """Whether the owner proved it is them: the account's password, or a current code (TOTP or
    recovery code) of its second factor."""
    if password and account.password_hash:
        return passwords.verify(account.password_hash, password, settings_of(session))[0]
    if code and account.totp_enabled:
        return two_factor.verify_login(session, account, code, now)
    return False


def delete_account(
    session: Session,
    account: Account,
    *,
    password: str = "",
    code: str = "",
    now: datetime | None = None,
) -> None:
    """Delete `account` once its owner confirmed it (see `confirmed`); ValidationError when
    the confirmation is missing or wrong, and nothing changes."""
    now = now or utcnow()
    if not confirmed(session, account, password, code, now):
        raise ValidationError(
            "That is not right. Enter your password, or a code from your authenticator app.",
            "password",
        )
    _delete(session, account, now)


def delete_account_with_passkey(
    session: Session,
    account: Account,
    credential_json: str,
    binding: str | None,
    now: datetime | None = None,
) -> None:
    """Delete `account` once one of its own passkeys answered the confirmation challenge
    handed to this browser (passkeys.confirm); PasskeyRefused otherwise, and nothing else
    changes (the challenge is used up)."""
    now = now or utcnow()
    passkeys.confirm(session, account, credential_json, binding, now)
    _delete(session, account, now)


def _delete(session: Session, account: Account, now: datetime) -> None:
    sessions.end_all(session, account, now)
    events.emit(session, account, events.DELETED, now)
    mails.account_deleted(session, account)
    for table in OWNED:
        session.execute(
            delete(table)
            .where(table.account_id == account.id)
            .execution_options(synchronize_session=False)
        )
    session.delete(account)
    session.flush()

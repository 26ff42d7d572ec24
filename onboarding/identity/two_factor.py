"""TOTP second factor with one-time recovery codes.

Enrolment stores a secret that counts only once a code made from it is confirmed; the ten
recovery codes are shown once and kept as hashes. A TOTP code is accepted once (replays of the
same time step are refused); a recovery code once ever.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from onboarding.errors import ValidationError
from onboarding.identity import mails, sessions
from onboarding.identity.models import Account, RecoveryCode

RECOVERY_CODES = 10
_STEP = 30


def start_enrolment(account: Account) -> str:
    """A new secret for `account`, not yet in force; returns it (base32)."""
    if account.totp_enabled:
        raise ValidationError("Two-factor authentication is already on.")
    account.totp_secret = pyotp.random_base32()
    return account.totp_secret


def provisioning_uri(account: Account, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    assert account.totp_secret
    return pyotp.TOTP(account.totp_secret).provisioning_uri(name=account.email, issuer_name=issuer)


def _code_hash(account: Account, code: str) -> str:
    normalised = code.replace("-", "").replace(" ", "").lower()
    return hashlib.sha256(f"{account.subject}:{normalised}".encode()).hexdigest()


def _matching_step(account: Account, code: str, now: datetime) -> int | None:
    """The time step `code` belongs to (one step of clock drift allowed), if any."""
    code = code.replace(" ", "")
    if not account.totp_secret or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(account.totp_secret)
    current = int(now.timestamp()) // _STEP
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * _STEP), code):
            return step
    return None


def _use_totp(account: Account, code: str, now: datetime) -> bool:
    step = _matching_step(account, code, now)
    if step is None or (account.totp_last_step is not None and step <= account.totp_last_step):
        return False
    account.totp_last_step = step
    return True


def confirm_enrolment(session: Session, account: Account, code: str, now: datetime) -> list[str]:
    """Turn 2FA on with a first code; returns the recovery codes (their only appearance).
    Every session of the account ends, and its owner is told."""
    if account.totp_enabled or not account.totp_secret:
        raise ValidationError("Start again: scan a new QR code first.")
    if not _use_totp(account, code, now):
        raise ValidationError("That code is not right. Check the time on your phone.", "code")
    account.totp_enabled_at = now
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    session.add_all(
        RecoveryCode(account_id=account.id, code_hash=_code_hash(account, code)) for code in codes
    )
    _credentials_changed(session, account, now)
    session.flush()
    return codes


def verify_login(session: Session, account: Account, code: str, now: datetime) -> bool:
    """Whether `code` (TOTP or an unused recovery code) completes this log-in."""
    code = (code or "").strip()[:32]
    if _use_totp(account, code, now):
        return True
    digest = _code_hash(account, code)
    row = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    # One winner, even for two log-ins racing with the same code.
    result = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def disable(session: Session, account: Account, code: str, now: datetime) -> None:
    """Turn 2FA off; needs a current code (or a recovery code). Every session of the account
    ends, and its owner is told."""
    if not account.totp_enabled:
        return
    if not verify_login(session, account, code, now):
        raise ValidationError("That code is not right.", "code")
    account.totp_secret = None
    account.totp_enabled_at = None
    account.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    _credentials_changed(session, account, now)


def _credentials_changed(session: Session, account: Account, now: datetime) -> None:
    sessions.end_all(session, account, now)
    mails.two_factor_changed(session, account)


def remaining_recovery_codes(session: Session, account: Account) -> int:
    rows = session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None)
        )
    )
    return len(list(rows))
